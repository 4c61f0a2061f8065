//! `guildhall search …`: rebuild the index with a progress bar, check it,
//! run a query from the terminal, and the search benchmark.

use anyhow::Context;
use guildhall_services::App;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Subcommand, Debug)]
pub enum SearchAction {
    /// Rebuild the search index from the database.
    Rebuild,
    /// Compare the index with the database; apply pending changes.
    Status,
    /// Run a query (the search box's language) and print the hits.
    Query {
        q: String,
        #[arg(long, default_value = "relevance")]
        sort: String,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Benchmark: query latency at N concurrent clients, for single words,
    /// phrases and operator queries, and the same words with SQL LIKE (the
    /// way Apache Answer searches by default) on the same database.
    Bench {
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Queries per class (spread over the clients).
        #[arg(long, default_value_t = 800)]
        queries: usize,
        /// Queries for the LIKE reference (it is slow).
        #[arg(long, default_value_t = 40)]
        like_queries: usize,
        /// Queries per class whose first page is compared with the exact
        /// ranking (every match ranked), one at a time after the timed part.
        #[arg(long, default_value_t = 20)]
        agreement_queries: usize,
    },
}

pub async fn run(app: App, action: SearchAction) -> anyhow::Result<()> {
    match action {
        SearchAction::Rebuild => {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} posts  {per_sec}  eta {eta}",
                )
                .context("progress style")?,
            );
            let started = Instant::now();
            let n = app
                .search_rebuild(&|done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            println!(
                "indexed {n} posts with {} in {:.1}s",
                app.search_engine(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        SearchAction::Status => {
            let rebuilt = app
                .search_check()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let indexed = app
                .search_indexed()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let searchable = app.store.count_indexable().await?;
            println!(
                "{}: {indexed} posts indexed, {searchable} searchable in the database{}",
                app.search_engine(),
                if rebuilt { " (rebuilt)" } else { "" }
            );
            if indexed as i64 != searchable {
                anyhow::bail!("the index differs from the database");
            }
            let drift = app.search_count_drift().await?;
            if drift > 0 {
                anyhow::bail!(
                    "{drift} cached word counts, postings or heads differ from the index: run `guildhall search rebuild`"
                );
            }
            Ok(())
        }
        SearchAction::Query { q, sort, format } => {
            app.search_check()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let r = app
                .search(None, &q, Some(&sort), 1)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("{} results ({})", r.total, r.engine);
                for n in &r.notices {
                    println!("note: {n:?}");
                }
                for h in &r.hits {
                    println!(
                        "{:>8} {:>4} {} {}",
                        h.id,
                        h.score,
                        h.kind,
                        strip(&h.title_html)
                    );
                }
            }
            Ok(())
        }
        SearchAction::Bench {
            clients,
            queries,
            like_queries,
            agreement_queries,
        } => bench(app, clients, queries, like_queries, agreement_queries).await,
    }
}

fn strip(html: &str) -> String {
    html.replace("<mark>", "[").replace("</mark>", "]")
}

fn percentile(sorted: &[(Duration, String)], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].0.as_secs_f64() * 1000.0
}

/// Runs `queries` from `clients` concurrent tasks; each query's time, with
/// the query, fastest first.
async fn load<F, Fut>(
    clients: usize,
    queries: &[String],
    f: F,
) -> anyhow::Result<Vec<(Duration, String)>>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let f = Arc::new(f);
    let queue = Arc::new(std::sync::Mutex::new(queries.to_vec()));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (f, queue) = (f.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let next = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop();
                let Some(q) = next else { break };
                let t = Instant::now();
                f(q.clone()).await?;
                times.push((t.elapsed(), q));
            }
            anyhow::Ok(times)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort();
    Ok(all)
}

/// The first page of each of `queries` through the service layer, from
/// `clients` concurrent tasks (see [`load`]).
async fn searches(
    app: &App,
    clients: usize,
    queries: &[String],
) -> anyhow::Result<Vec<(Duration, String)>> {
    let a = app.clone();
    load(clients, queries, move |q| {
        let a = a.clone();
        async move {
            a.search(None, &q, None, 1)
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"))
        }
    })
    .await
}

async fn bench(
    app: App,
    clients: usize,
    n: usize,
    like_n: usize,
    agreement_n: usize,
) -> anyhow::Result<()> {
    app.search_check()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (en, zh) = guildhall_storage::bench::vocabulary();
    // Words from the common to the rare end of the vocabulary, both languages.
    let mut words: Vec<String> = Vec::new();
    for i in 0..n {
        let list = if i % 2 == 0 { en } else { zh };
        words.push(list[(i * 7) % list.len()].to_string());
    }
    let phrases: Vec<String> = (0..n)
        .map(|i| {
            let list = if i % 2 == 0 { en } else { zh };
            let a = list[(i * 3) % 20];
            let b = list[(i * 5 + 1) % 20];
            if i % 2 == 0 {
                format!("\"{a} {b}\"")
            } else {
                format!("\"{a}{b}\"")
            }
        })
        .collect();
    let operators: Vec<String> = (0..n)
        .map(|i| {
            let w = words[i].clone();
            let tag = en[(i * 11) % en.len()];
            match i % 4 {
                0 => format!("[bench-{tag}] {w}"),
                1 => format!("{w} is:question answers:>=1 score:>=0"),
                2 => format!("{w} -{} created:2020-01-01..2030-12-31", en[(i * 13) % 30]),
                _ => format!("{w} {} is:answer", zh[(i * 17) % zh.len()]),
            }
        })
        .collect();
    println!(
        "engine: {}, {} posts indexed, {clients} concurrent clients",
        app.search_engine(),
        app.search_indexed()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    );
    // Warm up as a running server is: the Chinese dictionary loaded, the
    // index's columns open, the pages read once, and as many database
    // connections open as clients (a new one costs milliseconds, which the
    // first class measured would otherwise pay). Not measured.
    let warm: Vec<String> = words
        .iter()
        .chain(&phrases)
        .chain(&operators)
        .step_by(16)
        .cloned()
        .collect();
    searches(&app, clients, &warm).await?;
    println!("class\tqueries\tp50_ms\tp99_ms\tqueries_per_s");
    let mut medians = Vec::new();
    for (class, qs) in [
        ("word", &words),
        ("phrase", &phrases),
        ("operators", &operators),
    ] {
        let started = Instant::now();
        let times = searches(&app, clients, qs).await?;
        let rate = times.len() as f64 / started.elapsed().as_secs_f64();
        println!(
            "{class}\t{}\t{:.2}\t{:.2}\t{rate:.0}",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
        // The tail by name: what a p99 is made of (the queries at and
        // above it, three at least).
        let tail = (times.len() / 100 + 1).max(3);
        for (t, q) in times.iter().rev().take(tail) {
            println!("slowest\t{class}\t{:.2}\t{q}", t.as_secs_f64() * 1000.0);
        }
        if class == "word" {
            medians.push(percentile(&times, 0.5));
        }
    }
    // How much of each first page the candidate limit changes: the same
    // queries with every match ranked. (The embedded engine prunes
    // exactly, so it agrees fully by construction.)
    if agreement_n > 0 {
        let rules = app.settings().search.clone();
        let exact = app.with_search_rules(guildhall_domain::search::SearchRules {
            candidate_limit: u32::MAX,
            ..rules.clone()
        });
        println!("agreement\tclass\tqueries\tshare_of_first_page_as_exact");
        for (class, qs) in [
            ("word", &words),
            ("phrase", &phrases),
            ("operators", &operators),
        ] {
            let step = qs.len().checked_div(agreement_n).unwrap_or(1).max(1);
            let (mut same, mut all, mut asked) = (0usize, 0usize, 0usize);
            // Shifted by one every step, so that a step that is a multiple
            // of four still samples each of the four operator shapes.
            let sample = (0..agreement_n).filter_map(|k| qs.get(k * step + k % 4));
            for q in sample {
                let ids = |r: guildhall_services::search::SearchResults| -> Vec<i64> {
                    r.hits.iter().map(|h| h.id).collect()
                };
                let want = ids(exact
                    .search(None, q, None, 1)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?);
                let got = ids(app
                    .search(None, q, None, 1)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?);
                let shared = want.iter().filter(|id| got.contains(id)).count();
                if shared < want.len() {
                    println!("differs\t{class}\t{shared}/{}\t{q}", want.len());
                }
                same += shared;
                all += want.len();
                asked += 1;
            }
            println!(
                "agreement\t{class}\t{asked}\t{:.1}%",
                100.0 * same as f64 / all.max(1) as f64
            );
        }
    }
    // The reference: SQL LIKE on the same database (see `like_search`).
    if like_n == 0 {
        return Ok(());
    }
    let store = app.store.clone();
    let like_words: Vec<String> = words.iter().take(like_n).cloned().collect();
    let started = Instant::now();
    let times = load(clients, &like_words, move |w| {
        let store = store.clone();
        async move {
            store.like_search(&w, 20).await?;
            anyhow::Ok(())
        }
    })
    .await?;
    let rate = times.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "like\t{}\t{:.2}\t{:.2}\t{rate:.1}",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    if let Some(word_p50) = medians.first() {
        println!(
            "LIKE / search, median single-word latency: {:.0}x",
            percentile(&times, 0.5) / word_p50.max(0.001)
        );
    }
    Ok(())
}

//! `guildhall analytics …`: import GH Archive events, compute the monthly
//! metrics, print a repository's report, and OpenRank on any graph.

use anyhow::Context;
use clap::Subcommand;
use guildhall_analytics::rules::Tracking;
use guildhall_analytics::time::Month;
use guildhall_services::analytics::{expand_inputs, ImportOptions, ImportProgress};
use guildhall_services::App;
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum AnalyticsAction {
    /// Import GH Archive event files (.json or .json.gz, directories of
    /// them, or "-" for standard input) into the aggregate tables. Events
    /// already imported (same id) are skipped.
    Import {
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Keep only this repository (owner/name); repeat for several.
        #[arg(long = "repo")]
        repos: Vec<String>,
        /// Keep only the repositories of this owner; repeat for several.
        #[arg(long = "org")]
        orgs: Vec<String>,
        /// text or json (one object on standard output).
        #[arg(long, default_value = "text")]
        format: String,
        /// Parser threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Compute activity and OpenRank for every imported month (or from
    /// --from YYYY-MM on).
    Compute {
        #[arg(long)]
        from: Option<String>,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// A repository's metrics as a table in the terminal.
    Report {
        /// owner/name
        repo: String,
        /// month, quarter or year
        #[arg(long, default_value = "month")]
        period: String,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// OpenRank of any weighted graph given as JSON:
    /// {"nodes": [{"id", "init", "retention"}], "edges": [{"from", "to", "weight"}],
    /// "tolerance": 0.01, "max_iterations": 100}. Use "-" for standard input.
    Openrank {
        file: std::path::PathBuf,
        /// text (a line per node, highest first) or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
}

fn format_ok(format: &str) -> anyhow::Result<bool> {
    match format {
        "json" => Ok(true),
        "text" => Ok(false),
        other => anyhow::bail!("unknown format {other:?}: use text or json"),
    }
}

pub async fn import(
    app: &App,
    inputs: &[String],
    repos: Vec<String>,
    orgs: Vec<String>,
    format: &str,
    threads: usize,
) -> anyhow::Result<()> {
    let json = format_ok(format)?;
    let inputs = expand_inputs(inputs).map_err(|e| anyhow::anyhow!("{e}"))?;
    if inputs.is_empty() {
        anyhow::bail!("no .json or .json.gz files found");
    }
    let tracking = (!repos.is_empty() || !orgs.is_empty()).then_some(Tracking {
        repositories: repos,
        organizations: orgs,
    });
    let bar = if json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(0)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes}  {msg}  eta {eta}")
            .context("progress style")?,
    );
    let started = std::time::Instant::now();
    let b = bar.clone();
    let on_progress = Arc::new(move |p: &ImportProgress| {
        b.set_length(p.total_bytes.max(p.bytes));
        b.set_position(p.bytes);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        b.set_message(format!(
            "{} events, {:.0} events/s",
            p.events,
            p.events as f64 / secs
        ));
    });
    let opts = ImportOptions {
        tracking,
        threads,
        ..ImportOptions::default()
    };
    let report = app
        .analytics_import(inputs, opts, on_progress)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "{} events imported from {} lines in {:.1} s ({:.0} events/s); {} already imported, {} of untracked repositories, {} malformed lines",
        report.events,
        report.lines,
        report.seconds,
        report.events as f64 / report.seconds.max(1e-3),
        report.duplicates,
        report.untracked,
        report.malformed
    );
    for (kind, n) in &report.by_kind {
        println!("  {kind:<16} {n}");
    }
    if report.indexes_rebuilt {
        println!(
            "  large import: the aggregate tables' indexes were dropped and built again at the end ({:.1} s)",
            report.index_seconds
        );
    }
    for m in report.malformed_lines.iter().take(20) {
        println!("  malformed: {} line {}: {}", m.file, m.line, m.reason);
    }
    if report.malformed > 20 {
        println!(
            "  … {} more malformed lines (--format json lists up to 1000)",
            report.malformed - 20
        );
    }
    Ok(())
}

pub async fn compute(app: &App, from: Option<String>, format: &str) -> anyhow::Result<()> {
    let json = format_ok(format)?;
    let from = match from {
        Some(f) => Some(Month::parse(&f).with_context(|| format!("--from {f}: want YYYY-MM"))?),
        None => None,
    };
    let started = std::time::Instant::now();
    let months = app
        .analytics_compute(from)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string(&months)?);
        return Ok(());
    }
    if months.is_empty() {
        println!("no imported events: run `guildhall analytics import` first");
    }
    for m in &months {
        println!(
            "{}: {} repositories, {} developers ({} robots, {} bots left out), global OpenRank over {} edges in {} iterations{} ({:.2} s); month computed in {:.2} s",
            m.month,
            m.repositories,
            m.developers,
            m.robots,
            m.bots,
            m.edges,
            m.iterations,
            if m.converged { "" } else { ", not converged" },
            m.openrank_seconds,
            m.seconds
        );
    }
    println!("computed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

pub fn openrank(file: &std::path::Path, format: &str) -> anyhow::Result<()> {
    use std::io::Read;
    let json = format_ok(format)?;
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let graph: guildhall_analytics::openrank::Graph = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an OpenRank graph", file.display()))?;
    let result = guildhall_analytics::openrank::compute(&graph)?;
    if json {
        println!("{}", serde_json::to_string(&result)?);
        return Ok(());
    }
    let mut rows: Vec<_> = result.values.iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    for (id, v) in rows {
        println!("{id}\t{v:.6}");
    }
    println!(
        "iterations: {}{}",
        result.iterations,
        if result.converged {
            ""
        } else {
            " (not converged)"
        }
    );
    Ok(())
}

fn days(d: Option<f64>) -> String {
    d.map_or("-".into(), |d| format!("{d:.1}"))
}

pub async fn report(app: &App, repo: &str, period: &str, format: &str) -> anyhow::Result<()> {
    use guildhall_services::analytics::Period;
    let json = format_ok(format)?;
    let period = Period::parse(period)
        .with_context(|| format!("--period {period}: use month, quarter or year"))?;
    let Some(r) = app
        .analytics_repo_report(repo, period)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    else {
        anyhow::bail!("no imported events of repository {repo}");
    };
    if json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("{}", r.repo);
    println!(
        "{:<8} {:>9} {:>9} {:>6} {:>6} {:>6} {:>9} {:>4} {:>5} {:>4} {:>7} {:>7} {:>5} {:>6} {:>6} {:>7} {:>7}",
        "period", "activity", "openrank", "part.", "stars", "forks", "attention", "new", "inact", "bus",
        "iss.rsp", "iss.res", "PRs", "merged", "declin", "pr.rsp", "pr.res"
    );
    for p in &r.rows {
        println!(
            "{:<8} {:>9.2} {:>9.2} {:>6} {:>6} {:>6} {:>9.0} {:>4} {:>5} {:>4} {:>7} {:>7} {:>5} {:>6} {:>6} {:>7} {:>7}",
            p.period,
            p.activity,
            p.openrank,
            p.participants,
            p.stars,
            p.forks,
            p.attention,
            p.new_contributors,
            p.inactive_contributors,
            p.bus_factor,
            days(p.issue_response_days),
            days(p.issue_resolution_days),
            p.prs_opened,
            p.prs_merged,
            p.prs_declined,
            days(p.pr_response_days),
            days(p.pr_resolution_days),
        );
    }
    println!("(response and resolution times: median days; response capped at the rules' cap)");
    println!(
        "\n{:<24} {:>9} {:>9} {:>7} {:>8} {:>8}",
        "developer", "activity", "openrank", "merged", "first", "last"
    );
    for d in r.developers.iter().take(15) {
        println!(
            "{:<24} {:>9.2} {:>9.3} {:>7} {:>8} {:>8}",
            d.login, d.activity, d.openrank, d.prs_merged, d.first_month, d.last_month
        );
    }
    let v = &r.vanity;
    println!(
        "\nstars: {} stargazers, {} suspected ({:.1}%), {} lockstep group(s); divergence: {}",
        v.stargazers,
        v.suspected,
        if v.stargazers == 0 {
            0.0
        } else {
            v.suspected as f64 * 100.0 / v.stargazers as f64
        },
        v.groups.len(),
        if v.divergence.flagged {
            "attention grew while activity stayed flat"
        } else {
            "none"
        }
    );
    for s in v.suspects.iter().take(10) {
        let why: Vec<String> = s
            .reasons
            .iter()
            .map(|x| guildhall_web::analytics::reason_text(guildhall_i18n::Lang::En, x))
            .collect();
        println!("  {:<24} {}", s.login, why.join("; "));
    }
    if v.suspects.len() > 10 {
        println!("  … (--format json lists up to 1,000)");
    }
    if !r.bots.is_empty() {
        println!("\nbots (left out of developer metrics):");
        for (login, n) in &r.bots {
            println!("  {login:<24} {n} events");
        }
    }
    Ok(())
}

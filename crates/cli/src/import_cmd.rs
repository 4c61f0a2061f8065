//! `guildhall import …` and `guildhall export …`.

use anyhow::Context;
use clap::Subcommand;
use guildhall_services::stackexchange::{self, ImportOptions, OnError};
use guildhall_services::App;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ImportAction {
    /// Load a Stack Exchange data dump directory (Posts.xml, Users.xml, …;
    /// any may be missing). Re-running resumes an interrupted import and
    /// never creates a row twice.
    Stackexchange {
        dir: PathBuf,
        /// The import's name (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
        /// skip (report bad rows and go on) or stop at the first one.
        #[arg(long, default_value = "skip")]
        on_error: String,
        /// text, or json (one object on standard output).
        #[arg(long, default_value = "text")]
        format: String,
        /// Rows whose body is larger are refused.
        #[arg(long, default_value_t = 1 << 20)]
        max_body_bytes: usize,
    },
    /// Remove everything an import created (refused once members acted on it).
    Rollback { name: String },
    /// The imports made, with their state.
    List,
}

#[derive(Subcommand, Debug)]
pub enum ExportAction {
    /// Write the community as a Stack Exchange data dump (no e-mail
    /// addresses, password hashes or voters of up and down votes).
    Stackexchange { dir: PathBuf },
}

pub async fn import(app: App, action: ImportAction) -> anyhow::Result<()> {
    match action {
        ImportAction::Stackexchange {
            dir,
            name,
            on_error,
            format,
            max_body_bytes,
        } => {
            if !dir.is_dir() {
                anyhow::bail!("{} is not a directory", dir.display());
            }
            let mut opts = ImportOptions::for_dir(&dir);
            if let Some(n) = name {
                opts.name = n;
            }
            opts.on_error = match on_error.as_str() {
                "skip" => OnError::Skip,
                "stop" => OnError::Stop,
                other => anyhow::bail!("--on-error must be skip or stop, not {other}"),
            };
            opts.max_body_bytes = max_body_bytes;
            let json = format == "json";
            let bar = if json {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new(0)
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix:>16} {bar:30} {bytes}/{total_bytes}  {msg}  eta {eta}",
                )
                .context("progress style")?,
            );
            let started = std::time::Instant::now();
            let settings = app.settings();
            let report = stackexchange::import(&app.store, &settings, &dir, opts, &|p| {
                bar.set_prefix(p.file.clone());
                bar.set_length(p.total);
                bar.set_position(p.bytes);
                let secs = started.elapsed().as_secs_f64().max(0.001);
                bar.set_message(format!(
                    "{} posts, {:.0} posts/s",
                    p.posts,
                    p.posts as f64 / secs
                ));
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                let i = &report.imported;
                println!(
                    "imported {}: {} users, {} questions, {} answers, {} comments, {} votes, {} tags ({} wikis), {} revisions, {} badges, {} links in {:.1}s",
                    report.source, i.users, i.questions, i.answers, i.comments, i.votes, i.tags,
                    i.tag_wikis, i.revisions, i.badges, i.links, report.seconds
                );
                if report.already_imported > 0 {
                    println!(
                        "{} rows were already imported (skipped)",
                        report.already_imported
                    );
                }
                if !report.files_missing.is_empty() {
                    println!("files not in the dump: {}", report.files_missing.join(", "));
                }
                let steps: Vec<String> = report
                    .steps
                    .iter()
                    .map(|s| format!("{} {:.1}s", s.step, s.seconds))
                    .collect();
                println!("time by step: {}", steps.join(", "));
                println!("{} rows skipped", report.skipped_total);
                for s in report.skipped.iter().take(50) {
                    println!("  {} row {}: {}", s.file, s.row, s.reason);
                }
                if report.skipped_total > 50 {
                    println!("  … (--format json lists the first 1,000)");
                }
                println!("the search index catches up when `guildhall serve` runs (or: guildhall search rebuild)");
            }
            if report.stopped {
                anyhow::bail!(
                    "import stopped at a bad row; fix it and run the same command to resume, or `guildhall import rollback {}`",
                    report.source
                );
            }
            Ok(())
        }
        ImportAction::Rollback { name } => {
            let done = app
                .store
                .rollback_import(&name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if !done {
                anyhow::bail!("no import called {name}");
            }
            println!("removed everything {name} imported");
            Ok(())
        }
        ImportAction::List => {
            for (name, state, _) in app
                .store
                .import_sources()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                println!("{name}\t{state}");
            }
            Ok(())
        }
    }
}

pub async fn export(app: App, action: ExportAction) -> anyhow::Result<()> {
    match action {
        ExportAction::Stackexchange { dir } => {
            let started = std::time::Instant::now();
            let report = stackexchange::export(&app.store, &dir)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for (file, rows) in &report {
                println!("{file}: {rows} rows");
            }
            println!(
                "exported to {} in {:.1}s",
                dir.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

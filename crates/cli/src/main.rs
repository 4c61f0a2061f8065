//! The guildhall binary: `serve`, `migrate`, `admin`, `recompute`, `demo`.
//!
//! Configuration comes from (lowest to highest precedence) built-in
//! defaults, a TOML file (`--config`), `GUILDHALL_*` environment variables
//! and command-line flags. A bad configuration is reported in one clear
//! line and the process exits with status 2.

mod analytics_cmd;
mod config;
mod import_cmd;
mod search_cmd;

use analytics_cmd::AnalyticsAction;
use anyhow::Context;
use clap::{Parser, Subcommand};
use config::Config;
use guildhall_services::App;
use guildhall_storage::Store;
use std::process::ExitCode;

// Imports and page rendering allocate many short-lived strings; glibc's
// allocator spent a fifth of an import's time in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "guildhall",
    version,
    about = "A self-hosted platform for developer communities"
)]
pub struct Cli {
    /// Directory of the embedded SQLite database (default ./guildhall-data).
    #[arg(long, global = true, env = "GUILDHALL_DATA_DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// PostgreSQL connection URL; takes precedence over --data-dir.
    #[arg(long, global = true, env = "GUILDHALL_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A TOML configuration file.
    #[arg(long, global = true, env = "GUILDHALL_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (pages and JSON API).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "GUILDHALL_BIND")]
        bind: Option<String>,
        /// Fill an empty database with the demo community first.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Fill an empty database with the demo community.
    Demo,
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Compare every cached counter with its ledger; repair unless --dry-run.
    Recompute {
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search: rebuild, status, query, benchmark.
    Search {
        #[command(subcommand)]
        action: search_cmd::SearchAction,
    },
    /// Import a community from a dump (Stack Exchange).
    Import {
        #[command(subcommand)]
        action: import_cmd::ImportAction,
    },
    /// Export the community as a dump (Stack Exchange format).
    Export {
        #[command(subcommand)]
        action: import_cmd::ExportAction,
    },
    /// Community analytics.
    Analytics {
        #[command(subcommand)]
        action: AnalyticsAction,
    },
    /// Generate a large synthetic community for benchmarks.
    BenchSeed {
        #[arg(long, default_value_t = 100_000)]
        questions: i64,
        #[arg(long, default_value_t = 3)]
        answers_per_question: i64,
        #[arg(long, default_value_t = 2)]
        comments_per_post: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminAction {
    /// Create an activated administrator (the first one, or another).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// The password; read from GUILDHALL_ADMIN_PASSWORD if not given.
        #[arg(long, env = "GUILDHALL_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set a member's role: user, moderator or administrator.
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("guildhall: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    config.init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("guildhall: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "fatal");
            eprintln!("guildhall: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<App> {
    let store = match &config.database_url {
        Some(url) => Store::open_url(url)
            .await
            .context("cannot open the PostgreSQL database")?,
        None => Store::open_data_dir(&config.data_dir)
            .await
            .with_context(|| {
                format!(
                    "cannot open the data directory {}",
                    config.data_dir.display()
                )
            })?,
    };
    let ran = store.migrate().await.context("migration failed")?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    App::new(store, config.service.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Analytics {
            action: AnalyticsAction::Openrank { file, format },
        } => analytics_cmd::openrank(&file, &format),
        Command::Analytics { action } => {
            let app = open(&config).await?;
            match action {
                AnalyticsAction::Import {
                    inputs,
                    repos,
                    orgs,
                    format,
                    threads,
                } => analytics_cmd::import(&app, &inputs, repos, orgs, &format, threads).await,
                AnalyticsAction::Compute { from, format } => {
                    analytics_cmd::compute(&app, from, &format).await
                }
                AnalyticsAction::Report {
                    repo,
                    period,
                    format,
                } => analytics_cmd::report(&app, &repo, &period, &format).await,
                AnalyticsAction::Openrank { .. } => unreachable!("handled above"),
            }
        }
        Command::Serve { demo, .. } => {
            let app = open(&config).await?;
            if demo
                && app
                    .seed_demo()
                    .await
                    .map_err(|e| anyhow::anyhow!("demo: {e}"))?
            {
                tracing::info!(
                    password = guildhall_services::demo::DEMO_PASSWORD,
                    "demo community created; log in as admin or alice"
                );
            }
            let bind = &config.bind;
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            tracing::info!(address = %listener.local_addr()?, "guildhall is listening");
            if app.store.backend == guildhall_storage::Backend::Postgres {
                // Several app nodes share one database: pick up settings
                // another node's administrator saved.
                let app = app.clone();
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
                    loop {
                        tick.tick().await;
                        if let Err(e) = app.reload_settings().await {
                            tracing::warn!(error = %e, "settings reload failed");
                        }
                    }
                });
            }
            {
                // Expired sessions, tokens and old login attempts are purged hourly.
                let (store, window) = (app.store.clone(), app.config.login_window_secs);
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
                    loop {
                        tick.tick().await;
                        match store.purge_expired(window.max(86_400)).await {
                            Ok(n) if n > 0 => {
                                tracing::info!(rows = n, "purged expired sessions and tokens")
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "purge failed"),
                        }
                    }
                });
            }
            // Badges, notification mail, page views, review expiry.
            app.spawn_background();
            let jobs = app.clone();
            let store = app.store.clone();
            axum::serve(
                listener,
                guildhall_web::router(app)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown())
            .await?;
            // Buffered page views are not lost on a clean stop.
            if let Err(e) = jobs.flush_views().await {
                tracing::warn!(error = %e, "view flush failed");
            }
            store.close().await;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Migrate => {
            open(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => {
            let app = open(&config).await?;
            if app.seed_demo().await.map_err(|e| anyhow::anyhow!("{e}"))? {
                println!(
                    "demo community created (password for every demo account: {})",
                    guildhall_services::demo::DEMO_PASSWORD
                );
            } else {
                println!("the database already has members; demo content not added");
            }
            Ok(())
        }
        Command::Admin {
            action:
                AdminAction::Create {
                    username,
                    email,
                    password,
                },
        } => {
            let app = open(&config).await?;
            let id = app
                .create_admin(&username, &email, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("administrator {username} created (id {id})");
            Ok(())
        }
        Command::Admin {
            action: AdminAction::SetRole { username, role },
        } => {
            let app = open(&config).await?;
            let role = guildhall_domain::Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("unknown role {role}: use user, moderator or administrator")
            })?;
            let u = app
                .store
                .user_by_username(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no member named {username}"))?;
            app.store.set_role(u.id, role).await?;
            println!("{username} is now {}", role.as_str());
            Ok(())
        }
        Command::Recompute { dry_run, json } => {
            let app = open(&config).await?;
            let report = app
                .recompute(!dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "checked {} members, {} posts, {} tags: {} difference(s){}",
                    report.checked_users,
                    report.checked_posts,
                    report.checked_tags,
                    report.differences.len(),
                    if dry_run || report.differences.is_empty() {
                        ""
                    } else {
                        ", repaired"
                    }
                );
                for d in &report.differences {
                    println!(
                        "  {}.{} #{}: cached {} ledger {}",
                        d.table, d.column, d.id, d.cached, d.ledger
                    );
                }
                println!(
                    "review outcomes checked against their votes: {} mismatch(es)",
                    report.review_mismatches.len()
                );
                for m in &report.review_mismatches {
                    println!(
                        "  review item #{}: recorded {} votes say {}",
                        m.item_id, m.recorded, m.votes_say
                    );
                }
            }
            if !report.review_mismatches.is_empty() {
                anyhow::bail!("review outcomes differ from their votes");
            }
            if dry_run && !report.differences.is_empty() {
                anyhow::bail!("caches differ from the ledgers");
            }
            Ok(())
        }
        Command::Import { action } => {
            let app = open(&config).await?;
            import_cmd::import(app, action).await
        }
        Command::Export { action } => {
            let app = open(&config).await?;
            import_cmd::export(app, action).await
        }
        Command::Search { action } => {
            let app = open(&config).await?;
            search_cmd::run(app, action).await
        }
        Command::BenchSeed {
            questions,
            answers_per_question,
            comments_per_post,
        } => {
            let app = open(&config).await?;
            let started = std::time::Instant::now();
            let (n, page_question) = app
                .store
                .bench_seed(questions, answers_per_question, comments_per_post)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "generated {n} posts in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            println!("benchmark question (20 answers, 10 comments): {page_question}");
            Ok(())
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

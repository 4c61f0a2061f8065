//! Configuration: defaults < TOML file < environment < flags.

use crate::{Cli, Command};
use anyhow::{bail, Context};
use guildhall_services::mail::MailConfig;
use guildhall_services::ServiceConfig;
use serde::Deserialize;
use std::path::PathBuf;

/// The TOML file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    bind: Option<String>,
    base_url: Option<String>,
    smtp: Option<String>,
    mail_from: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    login_max_failures: Option<i64>,
    session_days: Option<i64>,
    page_cache: Option<bool>,
}

pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub bind: String,
    pub service: ServiceConfig,
    pub log: String,
    pub log_json: bool,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

impl Config {
    pub fn load(cli: &Cli) -> anyhow::Result<Config> {
        let file: FileConfig = match &cli.config {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                toml::from_str(&text).with_context(|| {
                    format!("{} is not valid guildhall configuration", p.display())
                })?
            }
            None => FileConfig::default(),
        };
        let data_dir = cli
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("guildhall-data"));
        let database_url = cli.database_url.clone().or(file.database_url);
        if let Some(u) = &database_url {
            if !(u.starts_with("postgres://")
                || u.starts_with("postgresql://")
                || u.starts_with("sqlite:"))
            {
                bail!("database URL must start with postgres:// (or sqlite:), got {u:?}");
            }
        }
        // `serve --bind` (which clap also fills from GUILDHALL_BIND) comes
        // first: the default base URL, in mails and feeds, follows it.
        let serve_bind = match &cli.command {
            Command::Serve { bind, .. } => bind.clone(),
            _ => None,
        };
        let bind = serve_bind
            .or_else(|| env("GUILDHALL_BIND"))
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            bail!("bind address must be IP:PORT, got {bind:?}");
        }
        let base_url = env("GUILDHALL_BASE_URL")
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            bail!("base_url must start with http:// or https://, got {base_url:?}");
        }
        let smtp = env("GUILDHALL_SMTP").or(file.smtp);
        if let Some(s) = &smtp {
            if s.rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .is_none()
            {
                bail!("smtp must be HOST:PORT, got {s:?}");
            }
        }
        let defaults = ServiceConfig::default();
        let login_max_failures = match env("GUILDHALL_LOGIN_MAX_FAILURES") {
            Some(v) => v.parse().with_context(|| {
                format!("GUILDHALL_LOGIN_MAX_FAILURES must be a number, got {v:?}")
            })?,
            None => file
                .login_max_failures
                .unwrap_or(defaults.login_max_failures),
        };
        let service = ServiceConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            mail: MailConfig {
                smtp,
                from: env("GUILDHALL_MAIL_FROM").or(file.mail_from),
            },
            login_max_failures,
            session_days: file.session_days.unwrap_or(defaults.session_days),
            page_cache: match env("GUILDHALL_PAGE_CACHE").as_deref() {
                None => file.page_cache.unwrap_or(true),
                Some("on") => true,
                Some("off") => false,
                Some(v) => bail!("GUILDHALL_PAGE_CACHE must be on or off, got {v:?}"),
            },
            ..defaults
        };
        let log_format = env("GUILDHALL_LOG_FORMAT")
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            bail!("log_format must be text or json, got {log_format:?}");
        }
        // The embedded search index lives beside the SQLite database;
        // with PostgreSQL, search runs in the database.
        let service = ServiceConfig {
            search_dir: database_url.is_none().then(|| data_dir.join("search")),
            ..service
        };
        Ok(Config {
            data_dir,
            database_url,
            bind,
            service,
            log: env("GUILDHALL_LOG")
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            log_json: log_format == "json",
        })
    }

    pub fn init_logging(&self) {
        use tracing_subscriber::EnvFilter;
        let filter = EnvFilter::try_new(&self.log).unwrap_or_else(|_| EnvFilter::new("info"));
        let b = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        if self.log_json {
            b.json().init();
        } else {
            b.init();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_default_base_url_follows_serve_s_bind_flag() {
        let cli = Cli::parse_from(["guildhall", "serve", "--bind", "127.0.0.1:18080"]);
        let config = Config::load(&cli).unwrap();
        assert_eq!(config.bind, "127.0.0.1:18080");
        assert_eq!(config.service.base_url, "http://127.0.0.1:18080");
        let cli = Cli::parse_from(["guildhall", "serve", "--bind", "not an address"]);
        assert!(Config::load(&cli).is_err());
    }
}

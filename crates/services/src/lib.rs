//! The service layer: every use case of the knowledge community, shared by
//! the HTML pages and the JSON API so that both behave the same.
//!
//! A service validates input (domain rules), renders Markdown, calls
//! storage (which applies the pure decisions inside a transaction) and sends
//! mail. It never formats pages or JSON.

pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod cache;
pub mod community;
pub mod demo;
mod demo_events;
pub mod mail;
pub mod review;
pub mod search;
pub mod stackexchange;

use guildhall_domain::{CommunitySettings, DomainError, ErrorCode};
use guildhall_storage::{Store, StoreError};
use std::sync::{Arc, RwLock};

pub use guildhall_storage as storage;

/// A service failure: a refusal the user can read, or an internal fault
/// (logged with its cause, shown as a generic message).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Domain(d) => d.code(),
            ServiceError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<ErrorCode> for ServiceError {
    fn from(c: ErrorCode) -> Self {
        ServiceError::Domain(c.into())
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => ServiceError::Domain(d),
            other => {
                tracing::error!(error = %other, "storage failure");
                ServiceError::Internal(other.to_string())
            }
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Settings for the service layer that are about the installation, not the
/// community (those are in [`CommunitySettings`], in the database).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Public base URL for links in mail, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    pub mail: mail::MailConfig,
    /// Failed logins allowed per account and per address in `login_window_secs`.
    pub login_max_failures: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window_secs: i64,
    pub session_days: i64,
    /// Serve hot pages from memory (SQLite only; see [`cache`]).
    pub page_cache: bool,
    /// Where the embedded search index lives (beside the SQLite database);
    /// `None` keeps it in memory. PostgreSQL searches in the database.
    pub search_dir: Option<std::path::PathBuf>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            base_url: "http://127.0.0.1:8080".into(),
            mail: mail::MailConfig::default(),
            login_max_failures: 5,
            login_max_failures_per_ip: 30,
            login_window_secs: 15 * 60,
            session_days: 30,
            page_cache: true,
            search_dir: None,
        }
    }
}

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: Arc<ServiceConfig>,
    settings: Arc<RwLock<Arc<CommunitySettings>>>,
    mailer: Arc<mail::Mailer>,
    pub(crate) cache: Option<Arc<cache::ReadCache>>,
    pub(crate) activity: Arc<review::Activity>,
    pub(crate) search: Arc<guildhall_search::SearchIndex>,
    /// Wakes the background indexer after a write.
    pub(crate) search_wake: Arc<tokio::sync::Notify>,
}

/// Questions a page of the personal lists (followed tags, bookmarks).
pub const LIST_PAGE: i64 = 30;

/// A page of rows fetched with one extra, and whether that extra existed.
pub(crate) fn paged<T>(mut rows: Vec<T>, per_page: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page.max(0) as usize);
    (rows, more)
}

/// A directory's name filter as typed: trimmed, lower-cased, without
/// control characters, at most 64 characters.
pub(crate) fn directory_filter(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

impl App {
    pub async fn new(store: Store, config: ServiceConfig) -> Result<App> {
        let settings = store.load_settings().await?;
        let mailer =
            mail::Mailer::new(&config.mail).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let cache = config.page_cache.then(|| {
            let sqlite = store.backend == guildhall_storage::Backend::Sqlite;
            let cache = Arc::new(cache::ReadCache::new(sqlite));
            if !sqlite {
                let (store, c1, c2) = (store.clone(), cache.clone(), cache.clone());
                tokio::spawn(async move {
                    store
                        .follow_writes(move || c1.invalidate(), move |on| c2.set_active(on))
                        .await;
                });
            }
            cache
        });
        let search = guildhall_search::SearchIndex::open(
            store.clone(),
            &guildhall_search::IndexConfig {
                dir: config.search_dir.clone(),
                heap_bytes: 0,
            },
        )?;
        Ok(App {
            search: Arc::new(search),
            search_wake: Arc::default(),
            cache,
            store,
            config: Arc::new(config),
            settings: Arc::new(RwLock::new(Arc::new(settings))),
            mailer: Arc::new(mailer),
            activity: Arc::default(),
        })
    }

    /// The settings in force (cached; reloaded when an administrator saves).
    pub fn settings(&self) -> Arc<CommunitySettings> {
        self.settings.read().expect("settings lock").clone()
    }

    /// Forget cached pages after a write, here and on the other nodes.
    pub(crate) async fn wrote(&self) {
        self.search.mark_dirty();
        self.search_wake.notify_one();
        if let Some(c) = &self.cache {
            c.invalidate();
            if let Err(e) = self.store.notify_write().await {
                tracing::warn!(error = %e, "write notification failed");
            }
        }
    }

    /// A write's result, returned once the caches have forgotten what it changed.
    pub(crate) async fn written<T>(&self, result: T) -> Result<T> {
        self.wrote().await;
        Ok(result)
    }

    /// Replace the settings in force without saving them (demo seeding).
    pub(crate) fn set_settings_in_memory(&self, s: CommunitySettings) {
        *self.settings.write().expect("settings lock") = Arc::new(s);
    }

    /// The same app with other search rules in force, in memory only and
    /// for the returned handle only (the search benchmark compares bounded
    /// with exact ranking on one database).
    pub fn with_search_rules(&self, rules: guildhall_domain::search::SearchRules) -> App {
        let mut s = (*self.settings()).clone();
        s.search = rules;
        let mut app = self.clone();
        app.settings = Arc::new(RwLock::new(Arc::new(s)));
        app
    }

    /// Re-read settings from the database (other app nodes may have changed them).
    pub async fn reload_settings(&self) -> Result<()> {
        let s = self.store.load_settings().await?;
        *self.settings.write().expect("settings lock") = Arc::new(s);
        Ok(())
    }
}

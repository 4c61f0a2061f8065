//! Storage for guildhall on embedded SQLite or PostgreSQL.
//!
//! One implementation, two backends: queries are written once in the SQL
//! both engines share (`$n` parameters, `RETURNING`, `ON CONFLICT`, BIGINT
//! everywhere, timestamps as Unix seconds) and run through sqlx's `Any`
//! driver; the migrations are shared too, with auto-increment keys
//! translated for PostgreSQL (see `migrate`).
//! We chose this over a trait with one module per backend because the
//! queries are identical, and two copies would drift; the shared storage
//! test suite runs on both to hold us to "one behaviour".
//!
//! SQLite runs in WAL mode with a separate single-connection writer pool,
//! so writes are serialized in process and readers never block. On
//! PostgreSQL, write transactions lock the rows they decide on first
//! (`UPDATE … SET x = x`), which serializes concurrent votes on one post.

pub mod analytics;
pub mod badges;
pub mod bench;
pub mod bulk;
pub mod content;
pub mod import;
pub mod ledger;
pub mod migrate;
pub mod moderation;
pub mod recompute;
pub mod review;
pub mod search;
pub mod settings;
pub mod sink;
pub mod users;

use guildhall_domain::DomainError;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::path::Path;
use std::time::Duration;

pub use sqlx::Any;
pub type Tx<'a> = sqlx::Transaction<'a, Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration: {0}")]
    Migration(String),
}

impl StoreError {
    /// A transient conflict that a retry resolves (PostgreSQL deadlock or
    /// serialization failure, SQLite busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => {
                matches!(
                    e.code().as_deref(),
                    Some("40001") | Some("40P01") | Some("5") | Some("517")
                )
            }
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    pub backend: Backend,
    /// The PostgreSQL URL, for LISTEN (cache invalidation across nodes).
    pg_url: Option<String>,
    /// The SQLite database file, for connections of its own (bulk writes).
    sqlite_path: Option<std::path::PathBuf>,
}

/// The channel on which app nodes announce committed writes.
pub const WRITES_CHANNEL: &str = "guildhall_writes";

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// What every SQLite connection is opened with: the pool's and the ones a
/// bulk import opens for itself (`sink::BulkWriter`).
pub(crate) const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
];

/// Where the pool's connections keep temporary tables, sorts and statement
/// journals (an import's closing statements switch to `FILE` for a while).
pub(crate) const SQLITE_TEMP_STORE: &str = "MEMORY";

fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_core::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        use sqlx::Executor;
        for pragma in SQLITE_PRAGMAS {
            conn.execute(*pragma).await?;
        }
        conn.execute("PRAGMA cache_size = -32000").await?;
        conn.execute(format!("PRAGMA temp_store = {SQLITE_TEMP_STORE}").as_str())
            .await?;
        Ok(())
    })
}

/// Integers are inlined into `IN (…)` lists: they cannot carry SQL, and a
/// list of binds would need a placeholder each.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A `LIKE … ESCAPE '\'` pattern for names starting with `prefix`, taken
/// literally (its `%`, `_` and `\` match only themselves).
pub(crate) fn prefix_pattern(prefix: &str) -> String {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

impl Store {
    /// Open the embedded database in `dir` (created if missing).
    pub async fn open_data_dir(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Migration(format!("{}: {e}", dir.display())))?;
        let file = dir.join("guildhall.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        Store::open_url(&url).await
    }

    /// Open by URL: `sqlite://…` or `postgres://…`.
    pub async fn open_url(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let pragmas = sqlite_pragmas;
            // Each SQLite connection has its own worker thread; more readers
            // than cores only adds switching.
            let readers = std::env::var("GUILDHALL_SQLITE_READERS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| {
                    std::thread::available_parallelism()
                        .map(|n| n.get() as u32 * 2)
                        .unwrap_or(4)
                });
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(pragmas)
                .connect(url)
                .await?;
            let read = AnyPoolOptions::new()
                .max_connections(readers)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(pragmas)
                .connect(url)
                .await?;
            // `sqlite://PATH?options` or `sqlite:PATH`; an in-memory
            // database has no file another connection could open.
            let path = url
                .trim_start_matches("sqlite:")
                .trim_start_matches("//")
                .split('?')
                .next()
                .filter(|p| !p.is_empty() && !p.contains(":memory:"))
                .map(std::path::PathBuf::from);
            Ok(Store {
                read,
                write,
                backend: Backend::Sqlite,
                pg_url: None,
                sqlite_path: path,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Ok(Store {
                read: pool.clone(),
                write: pool,
                backend: Backend::Postgres,
                pg_url: Some(url.to_string()),
                sqlite_path: None,
            })
        } else {
            Err(StoreError::Migration(format!(
                "unsupported database URL (want sqlite:// or postgres://): {url}"
            )))
        }
    }

    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub async fn begin(&self) -> Result<Tx<'static>> {
        Ok(self.write.begin().await?)
    }

    /// Refreshes the planner's statistics of `tables` after a bulk write;
    /// on PostgreSQL also marks their pages all-visible (VACUUM), so index-only
    /// scans read no table pages, rather than leaving that to autovacuum,
    /// which would do it throttled while queries run.
    pub async fn vacuum_analyze(&self, tables: &[&str]) -> Result<()> {
        let sql = match self.backend {
            Backend::Postgres => format!("VACUUM (ANALYZE) {}", tables.join(", ")),
            Backend::Sqlite => "ANALYZE".to_string(),
        };
        // Outside a transaction: PostgreSQL refuses VACUUM inside one.
        sqlx::raw_sql(&sql).execute(&self.write).await?;
        Ok(())
    }

    /// Copies SQLite's write-ahead log into the database and empties it
    /// (after a bulk write; otherwise SQLite does this in small steps).
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }
}

/// Small helpers for reading `AnyRow`s by column name.
pub(crate) trait RowExt {
    fn i(&self, col: &str) -> i64;
    fn oi(&self, col: &str) -> Option<i64>;
    fn s(&self, col: &str) -> String;
}

/// A column that does not decode is a bug in a query, not bad input: it
/// fails loudly in debug builds and is logged (with a default) in release.
fn decoded<T: Default>(col: &str, r: std::result::Result<T, sqlx::Error>) -> T {
    r.unwrap_or_else(|e| {
        debug_assert!(false, "column {col}: {e}");
        tracing::error!(column = col, error = %e, "column did not decode");
        T::default()
    })
}

impl RowExt for AnyRow {
    fn i(&self, col: &str) -> i64 {
        decoded(col, self.try_get::<Option<i64>, _>(col)).unwrap_or_default()
    }
    fn oi(&self, col: &str) -> Option<i64> {
        decoded(col, self.try_get::<Option<i64>, _>(col))
    }
    fn s(&self, col: &str) -> String {
        decoded(col, self.try_get::<Option<String>, _>(col)).unwrap_or_default()
    }
}

impl Store {
    /// Run one raw statement (test harness: creating databases).
    #[doc(hidden)]
    pub async fn exec_raw_for_test(&self, sql: &str) -> Result<()> {
        sqlx::raw_sql(sql).execute(&self.write).await?;
        Ok(())
    }
}

impl Store {
    /// Tell other app nodes that something was written (PostgreSQL only).
    pub async fn notify_write(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(WRITES_CHANNEL)
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// Follow other nodes' writes: `on_write` runs for each notification,
    /// `on_state(true)` once listening and `on_state(false)` whenever the
    /// connection is lost (notifications may have been missed). Runs until
    /// the process ends; reconnects by itself.
    pub async fn follow_writes(&self, on_write: impl Fn() + Send, on_state: impl Fn(bool) + Send) {
        let Some(url) = self.pg_url.clone() else {
            return;
        };
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if listener.listen(WRITES_CHANNEL).await.is_ok() {
                        on_state(true);
                        // try_recv returns None when the connection dropped.
                        while let Ok(Some(_)) = listener.try_recv().await {
                            on_write();
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for writes; page cache off until reconnected")
                }
            }
            on_state(false);
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

//! Search for guildhall.
//!
//! - [`query`]: the query language people type (pure).
//! - [`analyzer`]: Chinese and English analysis shared by both engines.
//! - [`plan`]: a query resolved and analyzed, what the engines execute.
//! - [`embedded`]: tantivy, for the single-machine default (SQLite).
//! - [`ranked`]: the pruned, filtered, standing-weighted query it runs.
//! - [`postgres`]: PostgreSQL full-text search, for several app nodes.
//! - [`snippet`]: highlighted excerpts.
//!
//! [`SearchIndex`] keeps an engine in step with the database through the
//! `search_outbox` table, which triggers fill in the same transaction as
//! every change to a post.

pub mod analyzer;
pub mod embedded;
pub mod plan;
pub mod postgres;
pub mod query;
pub mod ranked;
pub mod snippet;

use guildhall_domain::search::SearchRules;
use guildhall_storage::search::IndexRow;
use guildhall_storage::{Backend, Store, StoreError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("search index writer poisoned")]
    Poisoned,
    #[error("{0}")]
    Other(String),
}

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        SearchError::Other(e.to_string())
    }
}

/// Bodies are indexed up to this many characters of plain text (a 50 MB
/// imported body would otherwise dominate the index and every snippet).
pub const MAX_INDEXED_CHARS: usize = 100_000;

/// A post as both engines index it.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: i64,
    pub kind: i64,
    pub question_id: i64,
    pub author_id: i64,
    pub title: String,
    /// Plain text of the body.
    pub text: String,
    pub tags: Vec<String>,
    pub score: i64,
    pub answers: i64,
    pub accepted: bool,
    pub closed: bool,
    pub created_at: i64,
}

impl From<IndexRow> for Doc {
    fn from(r: IndexRow) -> Doc {
        Doc {
            text: guildhall_markdown::plain_text(&r.body_md, MAX_INDEXED_CHARS),
            id: r.id,
            kind: r.kind,
            question_id: r.question_id,
            author_id: r.author_id,
            title: r.title,
            tags: r.tags,
            score: r.score,
            answers: r.answers,
            accepted: r.accepted,
            closed: r.closed,
            created_at: r.created_at,
        }
    }
}

/// Post ids in ranking order, and how many matched in all (counted up to
/// [`SearchRules::max_counted`]; `more` says whether others match beyond).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub total: usize,
    pub more: bool,
    pub ids: Vec<i64>,
}

enum Engine {
    Embedded(Arc<embedded::Embedded>),
    Postgres(postgres::Postgres),
}

/// Where the embedded index lives.
#[derive(Debug, Clone, Default)]
pub struct IndexConfig {
    /// `None`: in memory (tests, throwaway demos).
    pub dir: Option<PathBuf>,
    /// Indexing memory for tantivy (more makes rebuilds faster).
    pub heap_bytes: usize,
}

/// Outbox entries read per step of a sync.
const SYNC_BATCH: i64 = 2_000;

pub struct SearchIndex {
    engine: Engine,
    store: Store,
    /// One sync at a time in this process.
    syncing: tokio::sync::Mutex<()>,
    /// Set by writes in this process, so a search right after a write
    /// sees it (read-your-writes); other nodes' writes arrive by polling.
    dirty: AtomicBool,
    /// The embedded index was created empty and must be filled.
    fresh: AtomicBool,
}

impl SearchIndex {
    /// The engine follows the storage backend: tantivy beside SQLite,
    /// PostgreSQL full-text search beside PostgreSQL.
    pub fn open(store: Store, config: &IndexConfig) -> Result<SearchIndex, SearchError> {
        let (engine, fresh) = match store.backend {
            Backend::Sqlite => {
                let heap = if config.heap_bytes == 0 {
                    50_000_000
                } else {
                    config.heap_bytes
                };
                let (e, fresh) = embedded::Embedded::open(config.dir.as_deref(), heap)?;
                (Engine::Embedded(Arc::new(e)), fresh)
            }
            Backend::Postgres => (
                Engine::Postgres(postgres::Postgres::new(store.clone())),
                false,
            ),
        };
        Ok(SearchIndex {
            engine,
            store,
            syncing: tokio::sync::Mutex::new(()),
            dirty: AtomicBool::new(true),
            fresh: AtomicBool::new(fresh),
        })
    }

    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            Engine::Embedded(_) => "tantivy",
            Engine::Postgres(_) => "postgresql",
        }
    }

    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    pub async fn num_docs(&self) -> Result<u64, SearchError> {
        match &self.engine {
            Engine::Embedded(e) => Ok(e.num_docs()),
            Engine::Postgres(p) => p.num_docs().await,
        }
    }

    /// How many cached counts disagree with the index (0 when sound; the
    /// embedded engine keeps none).
    pub async fn cached_count_drift(&self) -> Result<u64, SearchError> {
        match &self.engine {
            Engine::Embedded(_) => Ok(0),
            Engine::Postgres(p) => p.term_count_drift().await,
        }
    }

    async fn apply(
        &self,
        docs: Vec<Doc>,
        remove: Vec<i64>,
        commit: bool,
    ) -> Result<(), SearchError> {
        match &self.engine {
            Engine::Embedded(e) => {
                let e = e.clone();
                tokio::task::spawn_blocking(move || e.apply(&docs, &remove, commit))
                    .await
                    .map_err(|e| SearchError::Other(e.to_string()))?
            }
            Engine::Postgres(p) => p.apply(&docs, &remove).await,
        }
    }

    /// Bring the index up to date with the outbox; returns posts updated.
    pub async fn sync(&self) -> Result<usize, SearchError> {
        let _one = self.syncing.lock().await;
        self.dirty.store(false, Ordering::Release);
        let mut done = 0;
        loop {
            let (ids, last) = self.store.search_outbox(SYNC_BATCH).await?;
            let Some(last) = last else { break };
            let rows = self.store.index_rows(&ids).await?;
            let present: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
            let remove: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|i| !present.contains(i))
                .collect();
            let docs = tokio::task::spawn_blocking(move || {
                rows.into_iter().map(Doc::from).collect::<Vec<_>>()
            })
            .await
            .map_err(|e| SearchError::Other(e.to_string()))?;
            done += ids.len();
            self.apply(docs, remove, true).await?;
            // Only after the index has committed: a crash before this line
            // replays the same entries, which is harmless.
            self.store.search_outbox_done(last).await?;
        }
        Ok(done)
    }

    /// Sync only if this process wrote since the last sync.
    pub async fn sync_if_dirty(&self) -> Result<(), SearchError> {
        if self.dirty.load(Ordering::Acquire) {
            self.sync().await?;
        }
        Ok(())
    }

    /// Rebuild the whole index from the database, reporting (done, total).
    pub async fn rebuild(&self, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<u64, SearchError> {
        let _one = self.syncing.lock().await;
        let upto = self.store.search_outbox_last().await?;
        let total = self.store.count_indexable().await? as u64;
        match &self.engine {
            Engine::Embedded(e) => e.clear()?,
            Engine::Postgres(p) => p.begin_rebuild().await?,
        }
        let mut after = 0;
        let mut done = 0u64;
        progress(0, total);
        loop {
            let rows = self.store.index_rows_after(after, SYNC_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let n = rows.len() as u64;
            let docs = tokio::task::spawn_blocking(move || {
                rows.into_iter().map(Doc::from).collect::<Vec<_>>()
            })
            .await
            .map_err(|e| SearchError::Other(e.to_string()))?;
            self.apply(docs, Vec::new(), false).await?;
            done += n;
            progress(done, total);
        }
        match &self.engine {
            Engine::Embedded(e) => {
                let e = e.clone();
                tokio::task::spawn_blocking(move || e.commit().and_then(|_| e.merge_all()))
                    .await
                    .map_err(|e| SearchError::Other(e.to_string()))??;
            }
            Engine::Postgres(p) => p.end_rebuild().await?,
        }
        if let Some(upto) = upto {
            self.store.search_outbox_done(upto).await?;
        }
        self.fresh.store(false, Ordering::Release);
        Ok(done)
    }

    /// Whether the index must be rebuilt before it can be trusted: it is
    /// new, or (with nothing pending) it holds another number of posts
    /// than the database says are searchable.
    pub async fn needs_rebuild(&self) -> Result<bool, SearchError> {
        if self.fresh.load(Ordering::Acquire) {
            return Ok(self.store.count_indexable().await? > 0 || self.num_docs().await? > 0);
        }
        if self.store.search_outbox_len().await? > 0 {
            return Ok(false);
        }
        Ok(self.num_docs().await? != self.store.count_indexable().await? as u64)
    }

    pub async fn search(
        &self,
        plan: &plan::Plan,
        rules: &SearchRules,
    ) -> Result<Found, SearchError> {
        if let Err(e) = self.sync_if_dirty().await {
            // Another process writes the index (a command beside `serve`):
            // search what is there; the writer applies pending changes.
            tracing::warn!(error = %e, "search index not synced before the query");
        }
        match &self.engine {
            Engine::Embedded(e) => e.search(plan, rules),
            Engine::Postgres(p) => p.search(plan, rules).await,
        }
    }
}

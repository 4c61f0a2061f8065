//! Bulk writes on a connection of an import's own (the GitHub analytics
//! import and the Stack Exchange import). On SQLite, statements stay
//! prepared and pages cached from one batch to the next, and rows are
//! bound straight to SQLite (a pool connection hands every value through
//! its driver's thread); on PostgreSQL, rows are streamed with `COPY`,
//! through a staging table merged with one statement when they may conflict.
//!
//! A `WriterTx` is one transaction on such a connection. The statements it
//! runs are the SQL both engines share, as everywhere in this crate.

use crate::{Result, Store, StoreError};
use sqlx::Row;

/// A bound value of a bulk insert.
#[derive(Clone, Copy)]
pub(crate) enum Val<'a> {
    I(i64),
    N(Option<i64>),
    S(&'a str),
    F(f64),
    B(&'a [u8]),
}

/// A value read back by [`WriterTx::fetch`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    I(i64),
    S(String),
}

impl Cell {
    pub(crate) fn int(&self) -> i64 {
        match self {
            Cell::I(x) => *x,
            _ => 0,
        }
    }
    pub(crate) fn text(&self) -> &str {
        match self {
            Cell::S(s) => s,
            _ => "",
        }
    }
}

/// A connection an import writes its batches on.
pub enum BulkWriter {
    Sqlite(rusqlite::Connection, LogCopier),
    Postgres(sqlx::PgConnection),
}

/// Copies an import's write-ahead log into the database on a connection
/// and thread of its own, a little at a time, while the import writes.
/// Left to the writer, SQLite copies the whole log when it passes its
/// limit (800 MB here), inside a commit: the import stood still for a
/// second and a half each time. A passive copy does not block the writer;
/// it keeps the log copied up to its last commit, so the writer's own
/// copy has nothing left to do, and the log starts over from its
/// beginning whenever no reader is inside it.
pub struct LogCopier {
    // Dropping the sender wakes the thread at once and ends it.
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LogCopier {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(200);

    fn start(path: &std::path::Path) -> Result<LogCopier> {
        use std::sync::mpsc::RecvTimeoutError;
        let c = rusqlite::Connection::open(path)?;
        for pragma in crate::SQLITE_PRAGMAS {
            c.execute_batch(pragma)?;
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-log-copier".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::EVERY) {
                    // A failed copy is tried again; the writer's own
                    // automatic copy stays as the backstop.
                    let copied = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                    });
                    match copied {
                        Ok((frames, done)) if frames > 0 => {
                            tracing::debug!(frames, done, "log copied back");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!(error = %e, "copying the log back failed"),
                    }
                }
            })
            .map_err(|e| StoreError::Migration(format!("starting the log copier: {e}")))?;
        Ok(LogCopier {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for LogCopier {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Store {
    /// A connection of its own for an import's batches; `cache_kib` is the
    /// SQLite writer's page cache (pages that batches touch again stay in
    /// memory between them).
    pub(crate) async fn bulk_writer(&self, cache_kib: i64) -> Result<BulkWriter> {
        match (&self.sqlite_path, &self.pg_url) {
            (Some(path), _) if self.backend == crate::Backend::Sqlite => {
                let c = rusqlite::Connection::open(path)?;
                for pragma in crate::SQLITE_PRAGMAS {
                    c.execute_batch(pragma)?;
                }
                // The writer copies the log back itself only past ~800 MB,
                // a backstop: the `LogCopier` beside it keeps it copied.
                c.execute_batch(&format!(
                    "PRAGMA cache_size = -{cache_kib}; PRAGMA wal_autocheckpoint = 200000;"
                ))?;
                c.set_prepared_statement_cache_capacity(64);
                Ok(BulkWriter::Sqlite(c, LogCopier::start(path)?))
            }
            (_, Some(url)) if self.backend == crate::Backend::Postgres => {
                use sqlx::Connection;
                Ok(BulkWriter::Postgres(sqlx::PgConnection::connect(url).await?))
            }
            _ => Err(StoreError::Migration(
                "a bulk import needs a database file or a PostgreSQL URL (not an in-memory database)"
                    .into(),
            )),
        }
    }
}

impl BulkWriter {
    /// On SQLite, copies the write-ahead log the connection's batches left
    /// into the database without waiting for other connections (a passive
    /// checkpoint): it can run while another connection writes, such as
    /// the index builds at a bulk load's end. Nothing to do on PostgreSQL.
    pub fn copy_log_back(&mut self) -> Result<()> {
        if let BulkWriter::Sqlite(c, _) = self {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// A transaction on the connection. On SQLite it takes the write lock
    /// at once: ids read in it stay free, and a transaction that found
    /// another writer on its first write could not wait for it.
    pub(crate) async fn begin(&mut self) -> Result<WriterTx<'_>> {
        Ok(match self {
            BulkWriter::Sqlite(c, _) => WriterTx::Sqlite(SqliteSink(
                c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            )),
            BulkWriter::Postgres(c) => {
                use sqlx::Connection;
                WriterTx::Postgres(CopySink(c.begin().await?))
            }
        })
    }
}

/// A transaction on a [`BulkWriter`], whichever the engine.
pub(crate) enum WriterTx<'c> {
    Sqlite(SqliteSink<'c>),
    Postgres(CopySink<'c>),
}

impl WriterTx<'_> {
    pub(crate) fn backend(&self) -> crate::Backend {
        match self {
            WriterTx::Sqlite(_) => crate::Backend::Sqlite,
            WriterTx::Postgres(_) => crate::Backend::Postgres,
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            WriterTx::Sqlite(s) => s.0.commit()?,
            WriterTx::Postgres(s) => s.0.commit().await?,
        }
        Ok(())
    }

    /// Inserts `rows` (values of `columns`, in order) into `table`, with
    /// `suffix` (an `ON CONFLICT …` clause) after the values; returns the
    /// rows it inserted or changed.
    pub(crate) async fn rows<'v, R: AsRef<[Val<'v>]>>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl IntoIterator<Item = R>,
        suffix: &str,
    ) -> Result<u64> {
        match self {
            WriterTx::Sqlite(s) => s.rows(table, columns, rows, suffix),
            WriterTx::Postgres(s) => s.rows(table, columns, rows, suffix).await,
        }
    }

    /// Runs one statement (`$n` parameters); returns the rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, params: &[Val<'_>]) -> Result<u64> {
        match self {
            // `$n` are numbered in order of first use, as SQLite counts them.
            WriterTx::Sqlite(s) => s.run(sql, params.iter()),
            WriterTx::Postgres(s) => s.execute(sql, params).await,
        }
    }

    /// Runs one query (`$n` parameters) and returns its rows; integer and
    /// text columns only.
    pub(crate) async fn fetch(&mut self, sql: &str, params: &[Val<'_>]) -> Result<Vec<Vec<Cell>>> {
        match self {
            WriterTx::Sqlite(s) => s.fetch(sql, params),
            WriterTx::Postgres(s) => s.fetch(sql, params).await,
        }
    }
}

/// SQLite: multi-row `INSERT`s and statements prepared once per connection.
pub(crate) struct SqliteSink<'c>(rusqlite::Transaction<'c>);

/// Rows per SQLite statement: one statement's start and finish (cursor,
/// locks, reset) is shared by this many rows, well under the limit of
/// bound parameters for the widest table.
const SQLITE_ROWS_PER_STATEMENT: usize = 64;

/// `INSERT INTO table (columns) VALUES (?, …), … suffix` for `rows` rows.
fn sqlite_insert(table: &str, columns: &[&str], rows: usize, suffix: &str) -> String {
    let one = format!("({})", vec!["?"; columns.len()].join(", "));
    let marks = vec![one.as_str(); rows].join(", ");
    format!(
        "INSERT INTO {table} ({}) VALUES {marks}{suffix}",
        columns.join(", ")
    )
}

fn bind_sqlite<'a, 'v: 'a>(
    stmt: &mut rusqlite::CachedStatement<'_>,
    values: impl Iterator<Item = &'a Val<'v>>,
) -> Result<()> {
    for (i, v) in values.enumerate() {
        match *v {
            Val::I(x) => stmt.raw_bind_parameter(i + 1, x)?,
            Val::N(x) => stmt.raw_bind_parameter(i + 1, x)?,
            Val::S(x) => stmt.raw_bind_parameter(i + 1, x)?,
            Val::F(x) => stmt.raw_bind_parameter(i + 1, x)?,
            Val::B(x) => stmt.raw_bind_parameter(i + 1, x)?,
        }
    }
    Ok(())
}

impl SqliteSink<'_> {
    /// Executes `sql` (prepared once per connection) with `values`.
    fn run<'a, 'v: 'a>(&self, sql: &str, values: impl Iterator<Item = &'a Val<'v>>) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(sql)?;
        bind_sqlite(&mut stmt, values)?;
        Ok(stmt.raw_execute()? as u64)
    }

    /// Executes `sql` (from [`sqlite_insert`]) for the rows of `batch`.
    fn insert<'v, R: AsRef<[Val<'v>]>>(&self, sql: &str, batch: &[R]) -> Result<u64> {
        self.run(sql, batch.iter().flat_map(|r| r.as_ref().iter()))
    }

    fn rows<'v, R: AsRef<[Val<'v>]>>(
        &self,
        table: &str,
        columns: &[&str],
        rows: impl IntoIterator<Item = R>,
        suffix: &str,
    ) -> Result<u64> {
        // The statement's text is made once per table and batch.
        let started = std::time::Instant::now();
        let full = sqlite_insert(table, columns, SQLITE_ROWS_PER_STATEMENT, suffix);
        let mut batch = Vec::with_capacity(SQLITE_ROWS_PER_STATEMENT);
        let mut changed = 0;
        for row in rows {
            batch.push(row);
            if batch.len() == SQLITE_ROWS_PER_STATEMENT {
                changed += self.insert(&full, &batch)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            changed += self.insert(&sqlite_insert(table, columns, batch.len(), suffix), &batch)?;
        }
        tracing::debug!(
            table,
            rows = changed,
            seconds = started.elapsed().as_secs_f64(),
            "rows written"
        );
        Ok(changed)
    }

    fn fetch(&self, sql: &str, params: &[Val<'_>]) -> Result<Vec<Vec<Cell>>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.0.prepare_cached(sql)?;
        bind_sqlite(&mut stmt, params.iter())?;
        let width = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Integer(x) => Cell::I(x),
                    ValueRef::Text(t) => Cell::S(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(x) => Cell::I(x as i64),
                    ValueRef::Null | ValueRef::Blob(_) => Cell::Null,
                });
            }
            out.push(cells);
        }
        Ok(out)
    }
}

/// PostgreSQL: rows are copied into their table, or, with an `ON CONFLICT`
/// clause, into a temporary staging table merged with it.
pub(crate) struct CopySink<'c>(sqlx::Transaction<'c, sqlx::Postgres>);

/// A value in `COPY … FROM STDIN`'s text format (PostgreSQL text cannot
/// hold NUL, which is dropped).
fn copy_text(out: &mut String, v: &Val<'_>) {
    use std::fmt::Write;
    match *v {
        Val::I(x) | Val::N(Some(x)) => {
            let _ = write!(out, "{x}");
        }
        Val::N(None) => out.push_str("\\N"),
        Val::F(x) => {
            let _ = write!(out, "{x}");
        }
        Val::S(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\0' => {}
                    c => out.push(c),
                }
            }
        }
        Val::B(b) => {
            out.push_str("\\\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
    }
}

fn bind_pg<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    params: &'q [Val<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for v in params {
        q = match *v {
            Val::I(x) => q.bind(x),
            Val::N(x) => q.bind(x),
            Val::S(x) => q.bind(x),
            Val::F(x) => q.bind(x),
            Val::B(x) => q.bind(x),
        };
    }
    q
}

impl CopySink<'_> {
    async fn rows<'v, R: AsRef<[Val<'v>]>>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl IntoIterator<Item = R>,
        suffix: &str,
    ) -> Result<u64> {
        let mut rows = rows.into_iter().peekable();
        if rows.peek().is_none() {
            return Ok(0);
        }
        let cols = columns.join(", ");
        // Plain rows go straight into the table; rows that may conflict
        // through a staging table (emptied at commit), merged with the
        // clause.
        let stage = format!("stage_{table}");
        let target = if suffix.is_empty() {
            table
        } else {
            sqlx::query(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {cols} FROM {table} WITH NO DATA"
            ))
            .execute(&mut *self.0)
            .await?;
            &stage
        };
        let mut copy = self
            .0
            .copy_in_raw(&format!("COPY {target} ({cols}) FROM STDIN"))
            .await?;
        let mut buf = String::with_capacity(1 << 20);
        for row in rows {
            for (i, v) in row.as_ref().iter().enumerate() {
                if i > 0 {
                    buf.push('\t');
                }
                copy_text(&mut buf, v);
            }
            buf.push('\n');
            if buf.len() >= 1 << 20 {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await?;
        }
        let copied = copy.finish().await?;
        if suffix.is_empty() {
            return Ok(copied);
        }
        let changed = sqlx::query(&format!(
            "INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}{suffix}"
        ))
        .execute(&mut *self.0)
        .await?
        .rows_affected();
        // Not TRUNCATE: that gives the table a new file each time, a cost
        // paid per batch.
        sqlx::query(&format!("DELETE FROM {stage}"))
            .execute(&mut *self.0)
            .await?;
        Ok(changed)
    }

    async fn execute(&mut self, sql: &str, params: &[Val<'_>]) -> Result<u64> {
        Ok(bind_pg(sqlx::query(sql), params)
            .execute(&mut *self.0)
            .await?
            .rows_affected())
    }

    async fn fetch(&mut self, sql: &str, params: &[Val<'_>]) -> Result<Vec<Vec<Cell>>> {
        let rows = bind_pg(sqlx::query(sql), params)
            .fetch_all(&mut *self.0)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| match r.try_get::<Option<i64>, _>(i) {
                        Ok(Some(x)) => Cell::I(x),
                        Ok(None) => Cell::Null,
                        Err(_) => r
                            .try_get::<Option<String>, _>(i)
                            .ok()
                            .flatten()
                            .map_or(Cell::Null, Cell::S),
                    })
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_the_format_reserves() {
        let mut out = String::new();
        for v in [
            Val::I(-5),
            Val::N(None),
            Val::N(Some(7)),
            Val::S("a\tb\\c\nd\re\0f"),
            Val::B(&[0, 0xab]),
        ] {
            copy_text(&mut out, &v);
            out.push('|');
        }
        assert_eq!(out, "-5|\\N|7|a\\tb\\\\c\\nd\\ref|\\\\x00ab|");
    }
}

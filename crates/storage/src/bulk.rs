//! Large loads into a database much smaller than what they bring build
//! their tables' secondary indexes once at the end, sorted, instead of
//! inserting into every index row by row.
//!
//! Only plain (non-unique) indexes are set aside: unique ones enforce the
//! constraints that make an import idempotent. Each definition is saved in
//! `deferred_indexes` in the transaction that drops it; [`Store::restore_indexes`]
//! builds what is saved, at the load's end and on every start (`migrate`),
//! so a load killed half-way costs speed, never an index.
//!
//! On PostgreSQL the tables' foreign keys are set aside the same way (saved
//! as `ALTER TABLE … ADD CONSTRAINT`): checked row by row, each takes a
//! lookup and a lock on the referenced row, which made the server process
//! the bottleneck of an import; added back, each is checked in one join
//! over the table. One that rows written meanwhile break stays set aside,
//! logged and tried again at each start.

use crate::{Backend, Result, RowExt, Store};

/// A load at least this many times the database's size defers indexes.
pub const BULK_FACTOR: u64 = 2;

/// Whether a load of `input_bytes` into a database of `database_bytes`
/// should build its indexes at the end.
pub fn worth_deferring(input_bytes: u64, database_bytes: u64) -> bool {
    input_bytes >= BULK_FACTOR.saturating_mul(database_bytes)
}

/// `CREATE INDEX name …` made safe to run when the index already exists
/// (a start may have built it while the load was still running).
fn idempotent(definition: &str) -> String {
    match definition.strip_prefix("CREATE INDEX ") {
        Some(rest) if !rest.starts_with("IF NOT EXISTS") => {
            format!("CREATE INDEX IF NOT EXISTS {rest}")
        }
        _ => definition.to_string(),
    }
}

/// PostgreSQL: the table (`t`), name (`n`) and definition (`d`, as the
/// statement that adds it) of each foreign key of `tables`.
fn foreign_keys_sql(tables: &[&str]) -> String {
    let list = tables
        .iter()
        .map(|t| format!("'{}'", t.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "SELECT CAST(t.relname AS TEXT) AS t, CAST(c.conname AS TEXT) AS n,
                'ALTER TABLE ' || quote_ident(t.relname) || ' ADD CONSTRAINT ' || quote_ident(c.conname)
                  || ' ' || pg_get_constraintdef(c.oid) AS d
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace s ON s.oid = t.relnamespace
         WHERE c.contype = 'f' AND s.nspname = current_schema() AND t.relname IN ({list})
         ORDER BY c.conname"
    )
}

/// Saved in the transaction that drops it, so a killed load leaves what the
/// next start needs to put it back.
async fn save_deferred(tx: &mut crate::Tx<'_>, name: &str, definition: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO deferred_indexes (name, definition) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(definition)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The name (`n`) and definition (`d`) of each plain index of `tables`.
    fn plain_indexes_sql(&self, tables: &[&str]) -> String {
        let list = tables
            .iter()
            .map(|t| format!("'{}'", t.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(",");
        match self.backend {
            Backend::Sqlite => format!(
                "SELECT name AS n, sql AS d FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({list}) ORDER BY name"
            ),
            Backend::Postgres => format!(
                "SELECT CAST(indexname AS TEXT) AS n, CAST(indexdef AS TEXT) AS d FROM pg_indexes \
                 WHERE schemaname = current_schema() AND indexdef NOT LIKE 'CREATE UNIQUE%' \
                 AND tablename IN ({list}) ORDER BY indexname"
            ),
        }
    }

    /// Drop the plain secondary indexes of `tables`, saving their
    /// definitions; returns how many were set aside.
    pub async fn defer_indexes(&self, tables: &[&str]) -> Result<usize> {
        let sql = self.plain_indexes_sql(tables);
        let mut tx = self.begin().await?;
        let found: Vec<(String, String)> = sqlx::query(&sql)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| (r.s("n"), r.s("d")))
            .collect();
        for (name, definition) in &found {
            save_deferred(&mut tx, name, definition).await?;
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut *tx)
                .await?;
        }
        let mut keys = Vec::new();
        if self.backend == Backend::Postgres {
            keys = sqlx::query(&foreign_keys_sql(tables))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| (r.s("t"), r.s("n"), r.s("d")))
                .collect();
            for (table, name, definition) in &keys {
                save_deferred(&mut tx, name, definition).await?;
                sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(found.len() + keys.len())
    }

    /// Build every index set aside, then forget it; returns how many.
    pub async fn restore_indexes(&self) -> Result<usize> {
        let saved: Vec<(String, String)> =
            sqlx::query("SELECT name, definition FROM deferred_indexes ORDER BY name")
                .fetch_all(&self.write)
                .await?
                .iter()
                .map(|r| (r.s("name"), r.s("definition")))
                .collect();
        if saved.is_empty() {
            return Ok(0);
        }
        if self.backend == Backend::Sqlite {
            // Lets SQLite sort a new index's entries on more than one core:
            // its sorter hands runs to helper threads, but only when they
            // can be spilled to temporary files (never under
            // `temp_store = MEMORY`, the pool's setting).
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            sqlx::query(&format!("PRAGMA threads = {}", cores.min(8)))
                .execute(&self.write)
                .await?;
            self.set_temp_store("FILE").await?;
        }
        let built = self.build_saved(&saved).await;
        self.set_temp_store(crate::SQLITE_TEMP_STORE).await?;
        built
    }

    async fn build_saved(&self, saved: &[(String, String)]) -> Result<usize> {
        let mut built = 0;
        for (name, definition) in saved {
            tracing::info!(index = %name, "building an index a bulk load set aside");
            let t0 = std::time::Instant::now();
            let foreign_key = definition.starts_with("ALTER TABLE ");
            // A foreign key a start added back already is not added twice.
            let present = foreign_key
                && sqlx::query("SELECT 1 AS x FROM pg_constraint WHERE conname = $1")
                    .bind(name)
                    .fetch_optional(&self.write)
                    .await?
                    .is_some();
            if !present {
                let added = sqlx::query(&idempotent(definition))
                    .execute(&self.write)
                    .await;
                match added {
                    // A foreign key that rows written meanwhile break stays
                    // set aside (and is tried at every start) rather than
                    // stopping the load's end or a start.
                    Err(e) if foreign_key => {
                        tracing::error!(constraint = %name, error = %e, "a foreign key set aside for a bulk load cannot be added back");
                        continue;
                    }
                    other => {
                        other?;
                    }
                }
            }
            tracing::debug!(index = %name, seconds = t0.elapsed().as_secs_f64(), "index built");
            sqlx::query("DELETE FROM deferred_indexes WHERE name = $1")
                .bind(name)
                .execute(&self.write)
                .await?;
            built += 1;
        }
        Ok(built)
    }

    /// SQLite's temporary storage on the writing connection (the pool has
    /// one): `MEMORY` or `FILE`.
    pub(crate) async fn set_temp_store(&self, mode: &str) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(&format!("PRAGMA temp_store = {mode}"))
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// The names of the plain secondary indexes of `tables`, sorted.
    pub async fn index_names(&self, tables: &[&str]) -> Result<Vec<String>> {
        let rows = sqlx::query(&self.plain_indexes_sql(tables))
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| r.s("n")).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_become_idempotent() {
        assert_eq!(
            idempotent("CREATE INDEX posts_parent ON posts(question_id)"),
            "CREATE INDEX IF NOT EXISTS posts_parent ON posts(question_id)"
        );
        assert_eq!(
            idempotent("CREATE INDEX posts_parent ON public.posts USING btree (question_id)"),
            "CREATE INDEX IF NOT EXISTS posts_parent ON public.posts USING btree (question_id)"
        );
        let again = idempotent("CREATE INDEX IF NOT EXISTS x ON t(a)");
        assert_eq!(again, "CREATE INDEX IF NOT EXISTS x ON t(a)");
    }

    #[test]
    fn deferring_is_for_loads_twice_the_database() {
        assert!(worth_deferring(200, 100));
        assert!(!worth_deferring(199, 100));
        assert!(worth_deferring(1, 0));
    }
}

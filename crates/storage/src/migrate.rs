//! A small migration runner over embedded SQL files, one list per backend.
//! (sqlx's own `migrate!` needs its proc-macro crate, which would rebuild
//! both database drivers at compile time; this is all we need of it.)

use crate::{Backend, Result, Store, StoreError};
use sqlx::Row;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
    /// What only one engine needs (triggers, PostgreSQL's full-text table).
    sqlite: &'static str,
    postgres: &'static str,
}

/// Migrations are written once, in the DDL both engines accept; the one
/// difference so far, auto-increment keys, is translated for PostgreSQL
/// (`INTEGER PRIMARY KEY` is SQLite's rowid alias, `BIGSERIAL` PostgreSQL's).
/// Triggers and PostgreSQL's full-text table cannot be written once; those
/// few statements live in a second file per engine.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sql: include_str!("../migrations/0001_core.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 2,
        name: "review",
        sql: include_str!("../migrations/0002_review.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 3,
        name: "search",
        sql: include_str!("../migrations/0003_search.sql"),
        sqlite: include_str!("../migrations/0003_search.sqlite.sql"),
        postgres: include_str!("../migrations/0003_search.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "import",
        sql: include_str!("../migrations/0004_import.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name: "analytics",
        sql: include_str!("../migrations/0005_analytics.sql"),
        sqlite: include_str!("../migrations/0005_analytics.sqlite.sql"),
        postgres: include_str!("../migrations/0005_analytics.postgres.sql"),
    },
    Migration {
        version: 6,
        name: "analytics_vanity",
        sql: include_str!("../migrations/0006_analytics_vanity.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 7,
        name: "analytics_compact",
        sql: include_str!("../migrations/0007_analytics_compact.sql"),
        sqlite: include_str!("../migrations/0007_analytics_compact.sqlite.sql"),
        postgres: "",
    },
    Migration {
        version: 8,
        name: "analytics_footsteps",
        sql: "",
        sqlite: include_str!("../migrations/0008_analytics_footsteps.sqlite.sql"),
        postgres: include_str!("../migrations/0008_analytics_footsteps.postgres.sql"),
    },
    Migration {
        version: 9,
        name: "analytics_item_index",
        sql: include_str!("../migrations/0009_analytics_item_index.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 10,
        name: "deferred_indexes",
        sql: include_str!("../migrations/0010_deferred_indexes.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 11,
        name: "analytics_merged_indexes",
        sql: include_str!("../migrations/0011_analytics_merged_indexes.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 12,
        name: "search_heads",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0012_search_heads.postgres.sql"),
    },
    Migration {
        version: 13,
        name: "search_pairs",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0013_search_pairs.postgres.sql"),
    },
    Migration {
        version: 14,
        name: "import_map_ghosts",
        sql: include_str!("../migrations/0014_import_map_ghosts.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 15,
        name: "search_terms",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0015_search_terms.postgres.sql"),
    },
    Migration {
        version: 16,
        name: "search_question_words",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0016_search_question_words.postgres.sql"),
    },
    Migration {
        version: 17,
        name: "search_postings",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0017_search_postings.postgres.sql"),
    },
    Migration {
        version: 18,
        name: "search_heads_rank",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0018_search_heads_rank.postgres.sql"),
    },
    Migration {
        version: 19,
        name: "search_heads_newest",
        sql: "",
        sqlite: "",
        postgres: include_str!("../migrations/0019_search_heads_newest.postgres.sql"),
    },
    Migration {
        version: 20,
        name: "member_directory",
        sql: include_str!("../migrations/0020_member_directory.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 21,
        name: "bookmark_source",
        sql: include_str!("../migrations/0021_bookmark_source.sql"),
        sqlite: "",
        postgres: "",
    },
];

fn dialect(m: &Migration, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("{}\n{}", m.sql, m.sqlite),
        Backend::Postgres => format!(
            "{}\n{}",
            m.sql
                .replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"),
            m.postgres
        ),
    }
}

impl Store {
    /// Apply pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        if self.backend == Backend::Postgres {
            // Several app nodes may start at once: one migrates, the others wait.
            sqlx::query("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>(0).unwrap_or(-1))
            .collect();
        let mut ran = 0;
        for m in MIGRATIONS {
            if applied.contains(&m.version) {
                continue;
            }
            let sql = dialect(m, self.backend);
            sqlx::raw_sql(&sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Migration(format!("{} ({}): {e}", m.version, m.name)))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
            ran += 1;
        }
        tx.commit().await?;
        // Indexes a killed bulk load set aside are built before anything
        // relies on them.
        self.restore_indexes().await?;
        Ok(ran)
    }
}

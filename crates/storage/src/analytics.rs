//! GitHub analytics tables: aggregates written by an import (added to what
//! is there, in one transaction with the ids of the events they came
//! from), and the metrics `compute` stores per month.

use crate::import::insert_rows;
use crate::sink::{BulkWriter, Val, WriterTx};
use crate::{now, Backend, Result, RowExt, Store, StoreError};
use futures_util::TryStreamExt;
use guildhall_analytics::aggregate::{Aggregate, Counts, Item, ItemActivity};
use guildhall_analytics::time::{Month, Timestamp};
use guildhall_analytics::vanity::{Footprint, LockstepGroup};
use sqlx::Row;

/// `a` or `b`, whichever is smaller (larger), a NULL losing to a value; the
/// same text on both engines (SQLite's two-argument `min` returns NULL for
/// a NULL argument, PostgreSQL's `LEAST` ignores it).
fn pick(a: &str, b: &str, op: &str) -> String {
    format!("CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {b} {op} {a} THEN {b} ELSE {a} END")
}

/// A flush's rows in the order of the table's key: SQLite then appends
/// to its B-tree instead of touching pages all over it.
fn sorted<T, K: Ord>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort_unstable_by_key(key);
    v
}

/// The number of bits set among the low `bits` of an integer column, in
/// arithmetic both engines evaluate (SQLite has no bit-count function).
fn bit_count(col: &str, bits: u32) -> String {
    let terms: Vec<String> = (0..bits).map(|k| format!("(({col} >> {k}) & 1)")).collect();
    format!("({})", terms.join(" + "))
}

fn opt(t: Option<Timestamp>) -> Val<'static> {
    Val::N(t)
}

/// The aggregate tables a large import fills. It sets their plain indexes
/// aside and builds them again at its end (see [`crate::bulk`]): sorting a
/// table once is several times faster than keeping its indexes up to date
/// row by row while flushes add to rows all over it.
pub const GH_WRITTEN_TABLES: &[&str] = &[
    "gh_monthly",
    "gh_items",
    "gh_stars",
    "gh_actors",
    "gh_repos",
];

/// The SQLite writer's page cache, in KiB: flushes add to rows all over
/// the aggregate tables, whose pages then stay in memory between flushes.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// One flush: the ids' bitmaps, names, and every aggregate table, each in
/// its key order (SQLite then appends to its B-trees instead of touching
/// pages all over them).
async fn write_flush(
    sink: &mut WriterTx<'_>,
    agg: &Aggregate,
    seen: &[(Month, Vec<u8>)],
) -> Result<()> {
    let seen_rows = seen
        .iter()
        .map(|(m, ids)| [Val::I(i64::from(m.0)), Val::B(ids.as_slice())]);
    sink.rows(
        "gh_seen",
        &["month", "ids"],
        seen_rows,
        " ON CONFLICT (month) DO UPDATE SET ids = excluded.ids",
    )
    .await?;
    for (table, names) in [
        ("gh_repos", &agg.repo_names),
        ("gh_actors", &agg.actor_names),
    ] {
        let col = if table == "gh_repos" { "name" } else { "login" };
        let rows = sorted(names.iter(), |(id, _)| **id)
            .into_iter()
            .map(|(id, l)| [Val::I(*id as i64), Val::S(l.name.as_str()), Val::I(l.at)]);
        let suffix = format!(
            " ON CONFLICT (id) DO UPDATE SET {col} = CASE WHEN excluded.seen_at >= {table}.seen_at THEN excluded.{col} ELSE {table}.{col} END, seen_at = {}",
            pick(&format!("{table}.seen_at"), "excluded.seen_at", ">")
        );
        sink.rows(table, &["id", col, "seen_at"], rows, &suffix)
            .await?;
    }
    let cols = Counts::COLUMNS;
    let rows = sorted(agg.monthly.iter(), |(k, _)| **k)
        .into_iter()
        .map(|((m, repo, actor), c)| {
            let f = c.fields();
            let mut row = [Val::I(0); 17];
            row[0] = Val::I(i64::from(m.0));
            row[1] = Val::I(*repo as i64);
            row[2] = Val::I(*actor as i64);
            for (slot, x) in row[3..].iter_mut().zip(f) {
                *slot = Val::I(i64::from(x));
            }
            row
        });
    let columns: Vec<&str> = ["month", "repo_id", "actor_id"]
        .into_iter()
        .chain(cols)
        .collect();
    let sets: Vec<String> = cols
        .iter()
        .map(|c| format!("{c} = gh_monthly.{c} + excluded.{c}"))
        .collect();
    let suffix = format!(
        " ON CONFLICT (month, repo_id, actor_id) DO UPDATE SET {}",
        sets.join(", ")
    );
    sink.rows("gh_monthly", &columns, rows, &suffix).await?;

    let rows = sorted(agg.items.iter(), |(k, _)| **k)
        .into_iter()
        .map(|((repo, number), i)| {
            [
                Val::I(*repo as i64),
                Val::I(*number as i64),
                Val::I(i64::from(i.is_pull)),
                Val::N(i.author.map(|a| a as i64)),
                opt(i.opened_at),
                opt(i.closed_at),
                opt(i.merged_at),
                Val::I(i64::from(i.merge_unknown)),
            ]
        });
    let suffix = format!(
        " ON CONFLICT (repo_id, number) DO UPDATE SET is_pull = {}, author_id = COALESCE(gh_items.author_id, excluded.author_id), opened_at = {}, closed_at = {}, merged_at = {}, merge_unknown = {}",
        pick("gh_items.is_pull", "excluded.is_pull", ">"),
        pick("gh_items.opened_at", "excluded.opened_at", "<"),
        pick("gh_items.closed_at", "excluded.closed_at", ">"),
        pick("gh_items.merged_at", "excluded.merged_at", "<"),
        pick("gh_items.merge_unknown", "excluded.merge_unknown", ">"),
    );
    sink.rows(
        "gh_items",
        &[
            "repo_id",
            "number",
            "is_pull",
            "author_id",
            "opened_at",
            "closed_at",
            "merged_at",
            "merge_unknown",
        ],
        rows,
        &suffix,
    )
    .await?;

    // In the table's key order: (repository, month, number, developer).
    let rows = sorted(agg.item_activity.iter(), |((m, r, n, a), _)| {
        (*r, *m, *n, *a)
    })
    .into_iter()
    .map(|((m, repo, number, actor), a)| {
        [
            Val::I(*repo as i64),
            Val::I(i64::from(m.0)),
            Val::I(*number as i64),
            Val::I(*actor as i64),
            Val::I(i64::from(a.opened)),
            Val::I(i64::from(a.comments)),
            Val::I(i64::from(a.reviews)),
            Val::I(i64::from(a.review_comments)),
            Val::I(i64::from(a.closed)),
            opt(a.first_response_at),
        ]
    });
    let sums: Vec<String> = ["opened", "comments", "reviews", "review_comments", "closed"]
        .iter()
        .map(|c| format!("{c} = gh_item_activity.{c} + excluded.{c}"))
        .collect();
    let suffix =
        format!(
        " ON CONFLICT (repo_id, month, number, actor_id) DO UPDATE SET {}, first_response_at = {}",
        sums.join(", "),
        pick("gh_item_activity.first_response_at", "excluded.first_response_at", "<")
    );
    sink.rows(
        "gh_item_activity",
        &[
            "repo_id",
            "month",
            "number",
            "actor_id",
            "opened",
            "comments",
            "reviews",
            "review_comments",
            "closed",
            "first_response_at",
        ],
        rows,
        &suffix,
    )
    .await?;

    let rows = sorted(agg.stars.iter(), |(k, _)| **k)
        .into_iter()
        .map(|((repo, actor), t)| [Val::I(*repo as i64), Val::I(*actor as i64), Val::I(*t)]);
    let suffix = format!(
        " ON CONFLICT (repo_id, actor_id) DO UPDATE SET starred_at = {}",
        pick("gh_stars.starred_at", "excluded.starred_at", "<")
    );
    sink.rows(
        "gh_stars",
        &["repo_id", "actor_id", "starred_at"],
        rows,
        &suffix,
    )
    .await?;

    let rows = sorted(agg.actor_months.iter(), |(k, _)| **k)
        .into_iter()
        .map(|((actor, month), f)| {
            [
                Val::I(*actor as i64),
                Val::I(i64::from(month.0)),
                Val::I(i64::from(f.days)),
                Val::I(i64::from(f.actions)),
            ]
        });
    sink.rows(
        "gh_actor_months",
        &["actor_id", "month", "days", "actions"],
        rows,
        " ON CONFLICT (actor_id, month) DO UPDATE SET days = gh_actor_months.days | excluded.days, actions = gh_actor_months.actions + excluded.actions",
    )
    .await?;
    Ok(())
}

/// A month's stored metrics for one repository or developer.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    pub month: Month,
    pub id: i64,
    pub activity: f64,
    pub participants: i64,
    pub openrank: Option<f64>,
}

/// How a ranking is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankOrder {
    OpenRank,
    Activity,
    Participants,
}

/// A stargazer with its footprint in the whole data window.
#[derive(Debug, Clone, PartialEq)]
pub struct Stargazer {
    pub actor: i64,
    pub login: String,
    pub starred_at: Timestamp,
    pub footprint: Footprint,
}

/// A stored lockstep group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockstepRow {
    pub id: i64,
    pub accounts: i64,
    pub repositories: i64,
    pub from: Timestamp,
    pub to: Timestamp,
}

/// An issue or pull request with its first response by someone other
/// than its author.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub number: i64,
    pub item: Item,
    pub first_response_at: Option<Timestamp>,
}

impl Store {
    /// Every month's bitmap of imported event ids.
    pub async fn gh_seen(&self) -> Result<Vec<(Month, Vec<u8>)>> {
        let rows = sqlx::query("SELECT month, ids FROM gh_seen")
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    Month(r.i("month") as i32),
                    r.try_get::<Vec<u8>, _>("ids").unwrap_or_default(),
                )
            })
            .collect())
    }

    /// The names of the analytics tables' secondary indexes, sorted.
    pub async fn gh_index_names(&self) -> Result<Vec<String>> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name AS n FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE 'gh\\_%' ESCAPE '\\' ORDER BY name",
            Backend::Postgres => "SELECT CAST(indexname AS TEXT) AS n FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'gh\\_%' ESCAPE '\\' AND indexname NOT LIKE '%\\_pkey' ESCAPE '\\' ORDER BY indexname",
        };
        let rows = sqlx::query(sql).fetch_all(&self.read).await?;
        Ok(rows.iter().map(|r| r.s("n")).collect())
    }

    /// The database's size on disk, in bytes.
    pub async fn database_bytes(&self) -> Result<u64> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()"
            }
            Backend::Postgres => "SELECT pg_database_size(current_database()) AS n",
        };
        let r = sqlx::query(sql).fetch_one(&self.read).await?;
        Ok(r.i("n").max(0) as u64)
    }

    /// A writer for an import's flushes, on a connection of its own (see
    /// [`crate::sink`]).
    pub async fn gh_writer(&self) -> Result<BulkWriter> {
        self.bulk_writer(WRITER_CACHE_KIB).await
    }

    /// Adds an aggregate to the tables and records the bitmaps of the
    /// months it touched, in one transaction: an interrupted import leaves
    /// either all of a flush or none of it.
    pub async fn gh_apply(
        &self,
        writer: &mut BulkWriter,
        agg: &Aggregate,
        seen: &[(Month, Vec<u8>)],
    ) -> Result<()> {
        let mut tx = writer.begin().await?;
        write_flush(&mut tx, agg, seen).await?;
        let committing = std::time::Instant::now();
        tx.commit().await?;
        tracing::debug!(
            seconds = committing.elapsed().as_secs_f64(),
            "flush committed"
        );
        Ok(())
    }

    pub async fn gh_import_started(&self, source: &str) -> Result<i64> {
        let r =
            sqlx::query("INSERT INTO gh_imports (source, started_at) VALUES ($1, $2) RETURNING id")
                .bind(source)
                .bind(now())
                .fetch_one(&self.write)
                .await?;
        Ok(r.i("id"))
    }

    pub async fn gh_import_finished(&self, id: i64, events: u64, report: &str) -> Result<()> {
        sqlx::query(
            "UPDATE gh_imports SET finished_at = $1, events = $2, report = $3 WHERE id = $4",
        )
        .bind(now())
        .bind(events as i64)
        .bind(report)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Months with imported activity, oldest first.
    pub async fn gh_months(&self) -> Result<Vec<Month>> {
        let rows = sqlx::query("SELECT DISTINCT month FROM gh_monthly ORDER BY month")
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(|r| Month(r.i("month") as i32)).collect())
    }

    /// Every (repository, developer, counts) of a month.
    pub async fn gh_month_counts(&self, month: Month) -> Result<Vec<(i64, i64, Counts)>> {
        // Only rows that carry activity (most rows of a month are pushes,
        // stars and the like, which activity does not weigh), and only the
        // counts it weighs; packed per repository (see `packed`).
        let sql = format!(
            "SELECT repo_id, {} AS packed FROM gh_monthly WHERE month = $1
             AND (issue_comments > 0 OR issues_opened > 0 OR prs_opened > 0 OR review_comments > 0)
             GROUP BY repo_id",
            packed(
                self.backend,
                &[
                    "actor_id",
                    "issue_comments",
                    "issues_opened",
                    "prs_opened",
                    "review_comments"
                ]
            )
        );
        let mut out = Vec::new();
        for (repo, text) in self.fetch_packed(&sql, Some(i64::from(month.0))).await? {
            for [actor, ic, io, po, rc] in unpack::<5>(&text)? {
                let c = Counts {
                    issue_comments: ic as u32,
                    issues_opened: io as u32,
                    prs_opened: po as u32,
                    review_comments: rc as u32,
                    ..Counts::default()
                };
                out.push((repo, actor, c));
            }
        }
        Ok(out)
    }

    /// Runs a query of (key, packed rows), with a bound number if given.
    async fn fetch_packed(&self, sql: &str, bind: Option<i64>) -> Result<Vec<(i64, String)>> {
        let mut q = sqlx::query(sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let mut rows = q.fetch(self.reader());
        let mut out = Vec::new();
        while let Some(r) = rows.try_next().await? {
            out.push((r.try_get(0)?, r.try_get(1)?));
        }
        Ok(out)
    }

    /// How many of `actors` have any event in `month`.
    pub async fn gh_month_active(&self, month: Month, actors: &[i64]) -> Result<usize> {
        let mut n = 0;
        for chunk in actors.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let r = sqlx::query(&format!(
                "SELECT COUNT(DISTINCT actor_id) AS n FROM gh_monthly WHERE month = $1 AND actor_id IN ({})",
                list.join(", ")
            ))
            .bind(i64::from(month.0))
            .fetch_one(self.reader())
            .await?;
            n += r.i("n") as usize;
        }
        Ok(n)
    }

    pub async fn gh_month_merged(&self, month: Month) -> Result<Vec<(i64, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT repo_id, author_id, COUNT(*) AS n FROM gh_items
             WHERE is_pull = 1 AND merged_at >= $1 AND merged_at < $2 AND author_id IS NOT NULL
             GROUP BY repo_id, author_id",
        )
        .bind(month.start())
        .bind(month.end())
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.i("repo_id"), r.i("author_id"), r.i("n")))
            .collect())
    }

    /// Every account's login (bot rules are applied to logins).
    pub async fn gh_logins(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, login FROM gh_actors")
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(|r| (r.i("id"), r.s("login"))).collect())
    }

    pub async fn gh_repo_names(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, name FROM gh_repos")
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(|r| (r.i("id"), r.s("name"))).collect())
    }

    /// The latest OpenRank before `month` of every node: (kind, id) → (month, value).
    pub async fn gh_previous_ranks(&self, month: Month) -> Result<Vec<(String, i64, Month, f64)>> {
        let rows = sqlx::query(
            "SELECT kind, id, month, openrank FROM gh_rank r
             WHERE month < $1 AND openrank IS NOT NULL
               AND month = (SELECT MAX(month) FROM gh_rank p WHERE p.kind = r.kind AND p.id = r.id AND p.month < $1 AND p.openrank IS NOT NULL)",
        )
        .bind(i64::from(month.0))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.s("kind"),
                    r.i("id"),
                    Month(r.i("month") as i32),
                    r.try_get::<f64, _>("openrank").unwrap_or(0.0),
                )
            })
            .collect())
    }

    /// Replaces a month's computed metrics.
    pub async fn gh_store_month(
        &self,
        month: Month,
        ranks: &[(&str, i64, f64, i64, Option<f64>)],
        community: &[(i64, i64, f64)],
        iterations: usize,
        converged: bool,
        robots: &str,
    ) -> Result<()> {
        let m = i64::from(month.0);
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM gh_rank WHERE month = $1")
            .bind(m)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM gh_community_rank WHERE month = $1")
            .bind(m)
            .execute(&mut *tx)
            .await?;
        let rows: Vec<Vec<Val>> = ranks
            .iter()
            .map(|(kind, id, activity, participants, openrank)| {
                vec![
                    Val::I(m),
                    Val::S(kind),
                    Val::I(*id),
                    Val::F(*activity),
                    Val::I(*participants),
                    match openrank {
                        Some(v) => Val::F(*v),
                        None => Val::N(None),
                    },
                ]
            })
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "INSERT INTO gh_rank (month, kind, id, activity, participants, openrank)",
            6,
            &rows,
            "",
        )
        .await?;
        let rows: Vec<Vec<Val>> = community
            .iter()
            .map(|(repo, actor, v)| vec![Val::I(*repo), Val::I(m), Val::I(*actor), Val::F(*v)])
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "INSERT INTO gh_community_rank (repo_id, month, actor_id, openrank)",
            4,
            &rows,
            "",
        )
        .await?;
        sqlx::query(
            "INSERT INTO gh_computed (month, computed_at, iterations, converged, robots) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (month) DO UPDATE SET computed_at = excluded.computed_at, iterations = excluded.iterations, converged = excluded.converged, robots = excluded.robots",
        )
        .bind(m)
        .bind(now())
        .bind(iterations as i64)
        .bind(i64::from(converged))
        .bind(robots)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every issue and pull request: (repository, number, is pull request,
    /// merged at).
    pub async fn gh_item_kinds(&self) -> Result<Vec<(i64, i64, bool, Option<Timestamp>)>> {
        let sql = format!(
            "SELECT repo_id, {} AS packed FROM gh_items GROUP BY repo_id",
            packed(
                self.backend,
                &["number", "is_pull", "COALESCE(merged_at, -1)"]
            )
        );
        let mut out = Vec::new();
        for (repo, text) in self.fetch_packed(&sql, None).await? {
            for [number, is_pull, merged_at] in unpack::<3>(&text)? {
                out.push((
                    repo,
                    number,
                    is_pull != 0,
                    (merged_at >= 0).then_some(merged_at),
                ));
            }
        }
        Ok(out)
    }

    /// Every developer's part in every issue and pull request active in
    /// `month`: (repository, number, developer, part). Joined with the
    /// items by the caller: two scans beat a million index lookups.
    pub async fn gh_month_item_activity(
        &self,
        month: Month,
    ) -> Result<Vec<(i64, i64, i64, ItemActivity)>> {
        let sql = format!(
            "SELECT repo_id, {} AS packed FROM gh_item_activity WHERE month = $1 GROUP BY repo_id",
            packed(
                self.backend,
                &[
                    "number",
                    "actor_id",
                    "opened",
                    "comments",
                    "reviews",
                    "review_comments",
                    "closed"
                ]
            )
        );
        let mut out = Vec::new();
        for (repo, text) in self.fetch_packed(&sql, Some(i64::from(month.0))).await? {
            for [number, actor, o, c, r, rc, cl] in unpack::<7>(&text)? {
                let part = ItemActivity {
                    opened: o as u32,
                    comments: c as u32,
                    reviews: r as u32,
                    review_comments: rc as u32,
                    closed: cl as u32,
                    first_response_at: None,
                };
                out.push((repo, number, actor, part));
            }
        }
        Ok(out)
    }

    /// A repository's issues and pull requests, with first responses by
    /// someone other than the author (one pass over the repository's
    /// activity rows, which lead the table's key).
    pub async fn gh_items(&self, repo: i64) -> Result<Vec<ItemRow>> {
        let rows = sqlx::query(
            "SELECT i.number, i.is_pull, i.author_id, i.opened_at, i.closed_at, i.merged_at, i.merge_unknown,
                    f.first_response_at
             FROM gh_items i LEFT JOIN (
               SELECT a.number, MIN(a.first_response_at) AS first_response_at
               FROM gh_item_activity a
               JOIN gh_items j ON j.repo_id = a.repo_id AND j.number = a.number
               WHERE a.repo_id = $1 AND a.first_response_at IS NOT NULL
                 AND (j.author_id IS NULL OR a.actor_id <> j.author_id)
               GROUP BY a.number) f ON f.number = i.number
             WHERE i.repo_id = $1",
        )
        .bind(repo)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| ItemRow {
                number: r.i("number"),
                item: Item {
                    is_pull: r.i("is_pull") != 0,
                    author: r.oi("author_id").map(|a| a as u64),
                    opened_at: r.oi("opened_at"),
                    closed_at: r.oi("closed_at"),
                    merged_at: r.oi("merged_at"),
                    merge_unknown: r.i("merge_unknown") != 0,
                },
                first_response_at: r.oi("first_response_at"),
            })
            .collect())
    }

    /// A repository's or developer's stored monthly metrics, oldest first.
    pub async fn gh_rank_series(&self, kind: &str, id: i64) -> Result<Vec<RankRow>> {
        let rows = sqlx::query(
            "SELECT month, id, activity, participants, openrank FROM gh_rank WHERE kind = $1 AND id = $2 ORDER BY month",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.iter().map(rank_row).collect())
    }

    /// A repository's monthly counts summed over its developers.
    pub async fn gh_repo_monthly(&self, repo: i64) -> Result<Vec<(Month, Counts)>> {
        let sums: Vec<String> = Counts::COLUMNS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect();
        let sql = format!(
            "SELECT month, {} FROM gh_monthly WHERE month IN (SELECT month FROM gh_seen) AND repo_id = $1 GROUP BY month ORDER BY month",
            sums.join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(repo)
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| (Month(r.i("month") as i32), counts_of(r)))
            .collect())
    }

    /// Every (month, developer, counts) of a repository.
    pub async fn gh_repo_developers(&self, repo: i64) -> Result<Vec<(Month, i64, Counts)>> {
        let sql = format!(
            "SELECT month, actor_id, {} FROM gh_monthly WHERE month IN (SELECT month FROM gh_seen) AND repo_id = $1 ORDER BY month",
            Counts::COLUMNS.join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(repo)
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| (Month(r.i("month") as i32), r.i("actor_id"), counts_of(r)))
            .collect())
    }

    pub async fn gh_repo_by_name(&self, name: &str) -> Result<Option<(i64, String)>> {
        let r = sqlx::query("SELECT id, name FROM gh_repos WHERE LOWER(name) = LOWER($1) ORDER BY seen_at DESC LIMIT 1")
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        Ok(r.map(|r| (r.i("id"), r.s("name"))))
    }

    /// Community OpenRank of a repository's developers per month.
    pub async fn gh_repo_community(&self, repo: i64) -> Result<Vec<(Month, i64, f64)>> {
        let rows = sqlx::query(
            "SELECT month, actor_id, openrank FROM gh_community_rank WHERE repo_id = $1",
        )
        .bind(repo)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    Month(r.i("month") as i32),
                    r.i("actor_id"),
                    r.try_get::<f64, _>("openrank").unwrap_or(0.0),
                )
            })
            .collect())
    }

    /// The last month with imported events.
    pub async fn gh_last_month(&self) -> Result<Option<Month>> {
        let r = sqlx::query("SELECT MAX(month) AS m FROM gh_monthly")
            .fetch_one(self.reader())
            .await?;
        Ok(r.oi("m").map(|m| Month(m as i32)))
    }

    /// The months `compute` has ranked, oldest first.
    pub async fn gh_computed_months(&self) -> Result<Vec<Month>> {
        let rows = sqlx::query("SELECT month FROM gh_computed ORDER BY month")
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(|r| Month(r.i("month") as i32)).collect())
    }

    /// One month's ranking of repositories or developers, ordered by
    /// `by` (OpenRank, activity or participants), with names.
    pub async fn gh_ranking(
        &self,
        kind: &str,
        month: Month,
        by: RankOrder,
        limit: i64,
    ) -> Result<Vec<(RankRow, String)>> {
        let (names, name_col) = if kind == "repo" {
            ("gh_repos", "name")
        } else {
            ("gh_actors", "login")
        };
        let order = match by {
            RankOrder::OpenRank => "k.openrank DESC, k.activity DESC",
            RankOrder::Activity => "k.activity DESC, k.openrank DESC",
            RankOrder::Participants => "k.participants DESC, k.activity DESC",
        };
        let sql = format!(
            "SELECT k.month, k.id, k.activity, k.participants, k.openrank, COALESCE(n.{name_col}, '') AS name
             FROM gh_rank k LEFT JOIN {names} n ON n.id = k.id
             WHERE k.kind = $1 AND k.month = $2 ORDER BY {order}, k.id LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(kind)
            .bind(i64::from(month.0))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(|r| (rank_row(r), r.s("name"))).collect())
    }

    /// How many repositories or developers a month's ranking holds.
    pub async fn gh_ranked(&self, kind: &str, month: Month) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM gh_rank WHERE kind = $1 AND month = $2")
            .bind(kind)
            .bind(i64::from(month.0))
            .fetch_one(self.reader())
            .await?;
        Ok(r.i("n"))
    }

    pub async fn gh_actor_by_login(&self, login: &str) -> Result<Option<(i64, String)>> {
        let r = sqlx::query("SELECT id, login FROM gh_actors WHERE LOWER(login) = LOWER($1) ORDER BY seen_at DESC LIMIT 1")
            .bind(login)
            .fetch_optional(self.reader())
            .await?;
        Ok(r.map(|r| (r.i("id"), r.s("login"))))
    }

    /// Every (month, repository id, repository name, counts) of a developer.
    pub async fn gh_actor_repos(&self, actor: i64) -> Result<Vec<(Month, i64, String, Counts)>> {
        let cols: Vec<String> = Counts::COLUMNS.iter().map(|c| format!("m.{c}")).collect();
        let sql = format!(
            "SELECT m.month, m.repo_id, COALESCE(r.name, '') AS name, {} FROM gh_monthly m
             LEFT JOIN gh_repos r ON r.id = m.repo_id WHERE m.actor_id = $1 ORDER BY m.month",
            cols.join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(actor)
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    Month(r.i("month") as i32),
                    r.i("repo_id"),
                    r.s("name"),
                    counts_of(r),
                )
            })
            .collect())
    }

    /// A developer's merged pull requests: (repository, merged at).
    pub async fn gh_actor_merged(&self, actor: i64) -> Result<Vec<(i64, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT repo_id, merged_at FROM gh_items WHERE author_id = $1 AND merged_at IS NOT NULL",
        )
        .bind(actor)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.i("repo_id"), r.i("merged_at")))
            .collect())
    }

    /// A repository's stargazers (first star each), oldest first, with
    /// what each account did in the whole data window.
    pub async fn gh_stargazers(&self, repo: i64) -> Result<Vec<Stargazer>> {
        let sql = format!(
            "SELECT s.actor_id, s.starred_at, COALESCE(a.login, '') AS login,
               (SELECT CAST(COALESCE(SUM({}), 0) AS BIGINT) FROM gh_actor_months d WHERE d.actor_id = s.actor_id) AS days,
               (SELECT CAST(COALESCE(SUM(d.actions), 0) AS BIGINT) FROM gh_actor_months d WHERE d.actor_id = s.actor_id) AS actions,
               (SELECT COUNT(DISTINCT m.repo_id) FROM gh_monthly m WHERE m.actor_id = s.actor_id) AS repos
             FROM gh_stars s LEFT JOIN gh_actors a ON a.id = s.actor_id
             WHERE s.repo_id = $1 ORDER BY s.starred_at, s.actor_id",
            bit_count("d.days", 31)
        );
        let rows = sqlx::query(&sql)
            .bind(repo)
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| Stargazer {
                actor: r.i("actor_id"),
                login: r.s("login"),
                starred_at: r.i("starred_at"),
                footprint: Footprint {
                    active_days: r.i("days") as u32,
                    actions: r.i("actions") as u32,
                    repositories: r.i("repos") as u32,
                },
            })
            .collect())
    }

    /// The stars of every account that starred at least `min` repositories:
    /// the only accounts a lockstep group can hold.
    pub async fn gh_busy_stars(&self, min: i64) -> Result<Vec<(i64, i64, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT actor_id, repo_id, starred_at FROM gh_stars WHERE actor_id IN
               (SELECT actor_id FROM gh_stars GROUP BY actor_id HAVING COUNT(*) >= $1)",
        )
        .bind(min)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.i("actor_id"), r.i("repo_id"), r.i("starred_at")))
            .collect())
    }

    /// Replaces the stored lockstep groups.
    pub async fn gh_store_lockstep(&self, groups: &[LockstepGroup]) -> Result<()> {
        let mut tx = self.begin().await?;
        for t in [
            "gh_lockstep_groups",
            "gh_lockstep_members",
            "gh_lockstep_repos",
        ] {
            sqlx::query(&format!("DELETE FROM {t}"))
                .execute(&mut *tx)
                .await?;
        }
        let mut heads = Vec::new();
        let mut members = Vec::new();
        let mut repos = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            let id = i as i64 + 1;
            heads.push(vec![
                Val::I(id),
                Val::I(g.accounts.len() as i64),
                Val::I(g.repositories.len() as i64),
                Val::I(g.from),
                Val::I(g.to),
            ]);
            members.extend(
                g.accounts
                    .iter()
                    .map(|a| vec![Val::I(id), Val::I(*a as i64)]),
            );
            repos.extend(
                g.repositories
                    .iter()
                    .map(|r| vec![Val::I(id), Val::I(*r as i64)]),
            );
        }
        insert_rows(
            self.backend,
            &mut tx,
            "INSERT INTO gh_lockstep_groups (id, accounts, repositories, from_at, to_at)",
            5,
            &heads,
            "",
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            "INSERT INTO gh_lockstep_members (group_id, actor_id)",
            2,
            &members,
            "",
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            "INSERT INTO gh_lockstep_repos (group_id, repo_id)",
            2,
            &repos,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The lockstep groups that starred a repository, with the members
    /// that starred it: (group, member).
    pub async fn gh_repo_lockstep(&self, repo: i64) -> Result<Vec<(LockstepRow, i64)>> {
        let rows = sqlx::query(
            "SELECT g.id, g.accounts, g.repositories, g.from_at, g.to_at, m.actor_id
             FROM gh_lockstep_repos r JOIN gh_lockstep_groups g ON g.id = r.group_id
             JOIN gh_lockstep_members m ON m.group_id = g.id
             JOIN gh_stars s ON s.repo_id = r.repo_id AND s.actor_id = m.actor_id
             WHERE r.repo_id = $1 ORDER BY g.id, m.actor_id",
        )
        .bind(repo)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    LockstepRow {
                        id: r.i("id"),
                        accounts: r.i("accounts"),
                        repositories: r.i("repositories"),
                        from: r.i("from_at"),
                        to: r.i("to_at"),
                    },
                    r.i("actor_id"),
                )
            })
            .collect())
    }

    /// Test support: the number of rows of an analytics table.
    pub async fn gh_count(&self, table: &str) -> Result<i64> {
        debug_assert!(
            table.starts_with("gh_")
                && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        );
        let r = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(self.reader())
            .await?;
        Ok(r.i("n"))
    }
}

/// An aggregate packing a group's rows of integer columns into one text,
/// `a,b,c;a,b,c;…`. sqlx's SQLite driver hands each row across a thread
/// on its own (several microseconds a row), so reading millions of rows
/// one by one costs far more than the query; packed per repository they
/// cross in thousands of rows instead.
fn packed(backend: Backend, columns: &[&str]) -> String {
    let row = columns
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(" || ',' || ");
    match backend {
        Backend::Sqlite => format!("group_concat({row}, ';')"),
        Backend::Postgres => format!("string_agg({row}, ';')"),
    }
}

/// The rows of a `packed` text.
fn unpack<const N: usize>(text: &str) -> Result<Vec<[i64; N]>> {
    let bad = || StoreError::Db(sqlx::Error::Protocol(format!("packed rows: {text:.60}")));
    text.split(';')
        .filter(|r| !r.is_empty())
        .map(|r| {
            let mut out = [0i64; N];
            let mut it = r.split(',');
            for v in out.iter_mut() {
                *v = it.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
            }
            Ok(out)
        })
        .collect()
}

fn counts_of(r: &sqlx::any::AnyRow) -> Counts {
    let mut f = [0u32; 14];
    for (i, c) in Counts::COLUMNS.iter().enumerate() {
        f[i] = r.i(c) as u32;
    }
    Counts::from_fields(f)
}

fn rank_row(r: &sqlx::any::AnyRow) -> RankRow {
    RankRow {
        month: Month(r.i("month") as i32),
        id: r.i("id"),
        activity: r.try_get::<f64, _>("activity").unwrap_or(0.0),
        participants: r.i("participants"),
        openrank: r.try_get::<Option<f64>, _>("openrank").ok().flatten(),
    }
}

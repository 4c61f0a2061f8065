//! The reputation ledger: append rows (with the daily cap), reverse the rows
//! of an earlier action exactly, and read a member's history.

use crate::{now, Result, RowExt, Store, Tx};
use guildhall_domain::reputation::{PlannedEntry, Reason, ReputationRules};
use guildhall_domain::utc_day;
use serde::Serialize;

/// What caused a row: a vote event, an accept event, a deletion, an activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub kind: &'static str,
    pub id: Option<i64>,
    pub post_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub id: i64,
    pub amount: i64,
    pub requested: i64,
    pub reason: String,
    pub post_id: Option<i64>,
    /// The question a row's post belongs to (itself for questions), for links.
    pub question_id: Option<i64>,
    pub post_title: String,
    pub source: String,
    pub reverses_id: Option<i64>,
    pub created_at: i64,
}

/// Lock a member's row for the rest of the transaction (PostgreSQL) so the
/// daily-cap check and the append happen as one step.
pub(crate) async fn lock_user(tx: &mut Tx<'_>, user_id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET reputation = reputation WHERE id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn capped_gain_today(tx: &mut Tx<'_>, user_id: i64, day: i64) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM reputation_ledger WHERE user_id = $1 AND day = $2 AND capped = 1",
    )
    .bind(user_id)
    .bind(day)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.i("s"))
}

#[allow(clippy::too_many_arguments)]
async fn insert_row(
    tx: &mut Tx<'_>,
    user_id: i64,
    amount: i64,
    requested: i64,
    capped: bool,
    reason: &str,
    source: Source,
    reverses: Option<i64>,
    t: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reputation_ledger (user_id, amount, requested, capped, reason, post_id, source, source_id, reverses_id, day, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(user_id)
    .bind(amount)
    .bind(requested)
    .bind(i64::from(capped))
    .bind(reason)
    .bind(source.post_id)
    .bind(source.kind)
    .bind(source.id)
    .bind(reverses)
    .bind(utc_day(t))
    .bind(t)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Refresh the cached reputation of a member from the ledger.
pub(crate) async fn refresh_reputation(
    tx: &mut Tx<'_>,
    rules: &ReputationRules,
    user_id: i64,
) -> Result<()> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE((SELECT SUM(amount) FROM reputation_ledger WHERE user_id = $1), 0) AS BIGINT) AS s,
                activated_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    let shown = rules.shown(row.i("s"), row.oi("activated_at").is_some());
    sqlx::query("UPDATE users SET reputation = $1 WHERE id = $2")
        .bind(shown)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Append planned rows, applying the daily cap per member. Callers must
/// have locked the members (see [`lock_users`]).
pub(crate) async fn append(
    tx: &mut Tx<'_>,
    rules: &ReputationRules,
    entries: &[PlannedEntry],
    source: Source,
) -> Result<()> {
    let t = now();
    for e in entries {
        let capped = rules.is_capped(e.reason);
        let gained = if capped && e.amount > 0 {
            capped_gain_today(tx, e.user_id, utc_day(t)).await?
        } else {
            0
        };
        let credited = rules.credited(e.reason, e.amount, gained);
        insert_row(
            tx,
            e.user_id,
            credited,
            e.amount,
            capped,
            e.reason.key(),
            source,
            None,
            t,
        )
        .await?;
    }
    Ok(())
}

/// Append the exact negation of every row an earlier action created, and
/// return the members touched.
pub(crate) async fn reverse(tx: &mut Tx<'_>, previous: Source, by: Source) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id, user_id, amount, requested, capped, reason FROM reputation_ledger
         WHERE source = $1 AND source_id = $2 AND reverses_id IS NULL ORDER BY id",
    )
    .bind(previous.kind)
    .bind(previous.id)
    .fetch_all(&mut **tx)
    .await?;
    let mut users = Vec::new();
    for r in rows {
        reverse_row(tx, &r, by).await?;
        users.push(r.i("user_id"));
    }
    Ok(users)
}

/// Reverse the rows about a post that are not reversed yet, chosen by
/// source kind or by reason (empty: any). A post can be hidden, restored and
/// hidden again, or deleted and undeleted twice: each row is reversed once.
pub(crate) async fn reverse_open_on_post(
    tx: &mut Tx<'_>,
    post_id: i64,
    source: &str,
    reason: &str,
    by: Source,
) -> Result<()> {
    let rows = sqlx::query(
        "SELECT l.id, l.user_id, l.amount, l.requested, l.capped, l.reason FROM reputation_ledger l
         WHERE l.post_id = $1 AND ($2 = '' OR l.source = $2) AND ($3 = '' OR l.reason = $3)
           AND l.reverses_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM reputation_ledger r WHERE r.reverses_id = l.id)",
    )
    .bind(post_id)
    .bind(source)
    .bind(reason)
    .fetch_all(&mut **tx)
    .await?;
    for row in rows {
        reverse_row(tx, &row, by).await?;
    }
    Ok(())
}

/// Append the exact negation of one ledger row (selected with its id,
/// user_id, amount, requested, capped and reason).
async fn reverse_row(tx: &mut Tx<'_>, r: &sqlx::any::AnyRow, by: Source) -> Result<()> {
    insert_row(
        tx,
        r.i("user_id"),
        -r.i("amount"),
        -r.i("requested"),
        r.i("capped") == 1,
        &r.s("reason"),
        by,
        Some(r.i("id")),
        now(),
    )
    .await
}

/// Lock members in id order (a fixed order avoids deadlocks).
pub(crate) async fn lock_users(tx: &mut Tx<'_>, ids: &mut Vec<i64>) -> Result<()> {
    ids.sort_unstable();
    ids.dedup();
    for id in ids.iter() {
        lock_user(tx, *id).await?;
    }
    Ok(())
}

impl Store {
    /// A member's ledger, newest first.
    pub async fn reputation_history(
        &self,
        user_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LedgerRow>> {
        let rows = sqlx::query(
            "SELECT l.id, l.amount, l.requested, l.reason, l.post_id, l.source, l.reverses_id, l.created_at,
                    p.title AS ptitle, p.kind AS pkind, p.question_id AS pqid, q.title AS qtitle
             FROM reputation_ledger l
             LEFT JOIN posts p ON p.id = l.post_id
             LEFT JOIN posts q ON q.id = p.question_id
             WHERE l.user_id = $1 ORDER BY l.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let is_answer = r.oi("pkind") == Some(2);
                LedgerRow {
                    id: r.i("id"),
                    amount: r.i("amount"),
                    requested: r.i("requested"),
                    reason: r.s("reason"),
                    post_id: r.oi("post_id"),
                    question_id: if is_answer {
                        r.oi("pqid")
                    } else {
                        r.oi("post_id")
                    },
                    post_title: if is_answer {
                        r.s("qtitle")
                    } else {
                        r.s("ptitle")
                    },
                    source: r.s("source"),
                    reverses_id: r.oi("reverses_id"),
                    created_at: r.i("created_at"),
                }
            })
            .collect())
    }

    pub async fn ledger_sum(&self, user_id: i64) -> Result<i64> {
        let r = sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM reputation_ledger WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.reader())
            .await?;
        Ok(r.i("s"))
    }
}

pub fn reason_of(key: &str) -> Option<Reason> {
    Reason::from_key(key)
}

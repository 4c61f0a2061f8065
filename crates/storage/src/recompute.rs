//! Rebuild every cached counter from the ledgers and report differences.
//!
//! The ledgers (vote_events, imported_votes, accept_events, reputation_ledger, posts,
//! post_tags, comments) are the truth; users.reputation, posts.score /
//! upvotes / downvotes / answer_count / comment_count / accepted_answer_id,
//! votes (current state) and tags.question_count are caches.

use crate::{Result, RowExt, Store};
use guildhall_domain::reputation::ReputationRules;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    pub column: &'static str,
    pub id: i64,
    pub cached: i64,
    pub ledger: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReviewMismatch {
    pub item_id: i64,
    pub recorded: String,
    pub votes_say: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RecomputeReport {
    pub checked_users: i64,
    pub checked_posts: i64,
    pub checked_tags: i64,
    pub differences: Vec<Difference>,
    /// Decided review items whose recorded outcome is not what their votes say.
    pub review_mismatches: Vec<ReviewMismatch>,
    /// Whether the caches were rewritten (false for a dry run).
    pub repaired: bool,
}

/// Each check: (table, column, query yielding id, cached, truth, update statement).
const CHECKS: &[(&str, &str, &str, &str)] = &[
    (
        "votes",
        "value",
        // The current vote of each (post, voter) is its latest event.
        "SELECT v.event_id AS id, v.value AS cached,
                (SELECT e.value FROM vote_events e WHERE e.post_id = v.post_id AND e.voter_id = v.voter_id ORDER BY e.id DESC LIMIT 1) AS truth
         FROM votes v",
        "UPDATE votes SET value = (SELECT e.value FROM vote_events e WHERE e.post_id = votes.post_id AND e.voter_id = votes.voter_id ORDER BY e.id DESC LIMIT 1)",
    ),
    (
        "posts",
        "score",
        "SELECT p.id, p.score AS cached, CAST(COALESCE((SELECT SUM(v.value) FROM votes v WHERE v.post_id = p.id), 0) + COALESCE((SELECT SUM(i.value) FROM imported_votes i WHERE i.post_id = p.id), 0) AS BIGINT) AS truth FROM posts p",
        "UPDATE posts SET score = CAST(COALESCE((SELECT SUM(v.value) FROM votes v WHERE v.post_id = posts.id), 0) + COALESCE((SELECT SUM(i.value) FROM imported_votes i WHERE i.post_id = posts.id), 0) AS BIGINT)",
    ),
    (
        "posts",
        "upvotes",
        "SELECT p.id, p.upvotes AS cached, (SELECT COUNT(*) FROM votes v WHERE v.post_id = p.id AND v.value = 1) + (SELECT COUNT(*) FROM imported_votes i WHERE i.post_id = p.id AND i.value = 1) AS truth FROM posts p",
        "UPDATE posts SET upvotes = (SELECT COUNT(*) FROM votes v WHERE v.post_id = posts.id AND v.value = 1) + (SELECT COUNT(*) FROM imported_votes i WHERE i.post_id = posts.id AND i.value = 1)",
    ),
    (
        "posts",
        "downvotes",
        "SELECT p.id, p.downvotes AS cached, (SELECT COUNT(*) FROM votes v WHERE v.post_id = p.id AND v.value = -1) + (SELECT COUNT(*) FROM imported_votes i WHERE i.post_id = p.id AND i.value = -1) AS truth FROM posts p",
        "UPDATE posts SET downvotes = (SELECT COUNT(*) FROM votes v WHERE v.post_id = posts.id AND v.value = -1) + (SELECT COUNT(*) FROM imported_votes i WHERE i.post_id = posts.id AND i.value = -1)",
    ),
    (
        "posts",
        "answer_count",
        "SELECT p.id, p.answer_count AS cached, (SELECT COUNT(*) FROM posts a WHERE a.question_id = p.id AND a.kind = 2 AND a.deleted_at IS NULL AND a.status = 0) AS truth FROM posts p WHERE p.kind = 1",
        "UPDATE posts SET answer_count = (SELECT COUNT(*) FROM posts a WHERE a.question_id = posts.id AND a.kind = 2 AND a.deleted_at IS NULL AND a.status = 0) WHERE kind = 1",
    ),
    (
        "posts",
        "comment_count",
        "SELECT p.id, p.comment_count AS cached, (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id AND c.deleted_at IS NULL) AS truth FROM posts p",
        "UPDATE posts SET comment_count = (SELECT COUNT(*) FROM comments c WHERE c.post_id = posts.id AND c.deleted_at IS NULL)",
    ),
    (
        "posts",
        "accepted_answer_id",
        "SELECT p.id, COALESCE(p.accepted_answer_id, 0) AS cached,
                COALESCE((SELECT e.answer_id FROM accept_events e WHERE e.question_id = p.id ORDER BY e.id DESC LIMIT 1), 0) AS truth
         FROM posts p WHERE p.kind = 1",
        "UPDATE posts SET accepted_answer_id = (SELECT e.answer_id FROM accept_events e WHERE e.question_id = posts.id ORDER BY e.id DESC LIMIT 1) WHERE kind = 1",
    ),
    (
        "tags",
        "question_count",
        "SELECT t.id, t.question_count AS cached,
                (SELECT COUNT(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id WHERE pt.tag_id = t.id AND p.deleted_at IS NULL AND p.status = 0) AS truth
         FROM tags t",
        "UPDATE tags SET question_count = (SELECT COUNT(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id WHERE pt.tag_id = tags.id AND p.deleted_at IS NULL AND p.status = 0)",
    ),
];

impl Store {
    /// Compare every cache with its ledger; with `repair`, rewrite them.
    pub async fn recompute(
        &self,
        rules: &ReputationRules,
        repair: bool,
    ) -> Result<RecomputeReport> {
        let mut report = RecomputeReport {
            repaired: repair,
            ..Default::default()
        };
        let mut tx = self.begin().await?;
        for (table, column, check, fix) in CHECKS {
            let rows = sqlx::query(check).fetch_all(&mut *tx).await?;
            for r in &rows {
                let (cached, truth) = (r.i("cached"), r.oi("truth").unwrap_or(0));
                if cached != truth {
                    report.differences.push(Difference {
                        table,
                        column,
                        id: r.i("id"),
                        cached,
                        ledger: truth,
                    });
                }
            }
            if repair {
                sqlx::query(fix).execute(&mut *tx).await?;
            }
        }
        // Reputation: the floor depends on activation, so it is computed here.
        let users = sqlx::query(
            "SELECT u.id, u.reputation, u.activated_at, CAST(COALESCE((SELECT SUM(l.amount) FROM reputation_ledger l WHERE l.user_id = u.id), 0) AS BIGINT) AS s FROM users u",
        )
        .fetch_all(&mut *tx)
        .await?;
        for r in &users {
            let truth = rules.shown(r.i("s"), r.oi("activated_at").is_some());
            if truth != r.i("reputation") {
                report.differences.push(Difference {
                    table: "users",
                    column: "reputation",
                    id: r.i("id"),
                    cached: r.i("reputation"),
                    ledger: truth,
                });
                if repair {
                    sqlx::query("UPDATE users SET reputation = $1 WHERE id = $2")
                        .bind(truth)
                        .bind(r.i("id"))
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        report.checked_users = users.len() as i64;
        report.checked_posts = sqlx::query("SELECT COUNT(*) AS n FROM posts")
            .fetch_one(&mut *tx)
            .await?
            .i("n");
        report.checked_tags = sqlx::query("SELECT COUNT(*) AS n FROM tags")
            .fetch_one(&mut *tx)
            .await?
            .i("n");
        tx.commit().await?;
        Ok(report)
    }

    /// Test hook: corrupt a cache on purpose to prove recompute finds it.
    #[doc(hidden)]
    pub async fn corrupt_cache_for_test(&self, post_id: i64, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE posts SET score = score + 7 WHERE id = $1")
            .bind(post_id)
            .execute(&self.write)
            .await?;
        sqlx::query("UPDATE users SET reputation = reputation + 3 WHERE id = $1")
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

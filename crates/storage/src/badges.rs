//! Badge awards, and the facts their criteria look at: gathered here from
//! the ledgers and activity, decided by `guildhall_domain::badges::earned`.
//! Awards are unique per (member, badge, source), so inserting what is
//! earned is idempotent: the job can run any number of times.

use crate::moderation::notify;
use crate::{now, Result, RowExt, Store};
use guildhall_domain::badges::{earned, Activity, BadgeDef, PostFact, UserFacts};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BadgeAward {
    pub user_id: i64,
    pub badge: String,
    pub source_key: String,
    pub awarded_at: i64,
}

impl Store {
    /// Everything the badge criteria need about one member.
    pub async fn user_facts(&self, user_id: i64, at: i64) -> Result<Option<UserFacts>> {
        let db = self.reader();
        let Some(u) = sqlx::query(
            "SELECT created_at, about, location, website, activated_at FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(db)
        .await?
        else {
            return Ok(None);
        };
        let filled = [
            !u.s("about").trim().is_empty(),
            !u.s("location").trim().is_empty(),
            !u.s("website").trim().is_empty(),
            u.oi("activated_at").is_some(),
        ];
        let mut f = UserFacts {
            user_id,
            created_at: u.i("created_at"),
            now: at,
            profile_filled: filled.iter().filter(|x| **x).count() as i64,
            profile_fields: filled.len() as i64,
            ..Default::default()
        };
        f.questions = sqlx::query(
            "SELECT id, score, view_count, accepted_answer_id, created_at FROM posts
             WHERE author_id = $1 AND kind = 1 AND deleted_at IS NULL AND status = 0",
        )
        .bind(user_id)
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| PostFact {
            id: r.i("id"),
            score: r.i("score"),
            views: r.i("view_count"),
            accepted: r.oi("accepted_answer_id").is_some(),
            created_at: r.i("created_at"),
            question_created_at: r.i("created_at"),
            own_question: true,
        })
        .collect();
        f.answers = sqlx::query(
            "SELECT a.id, a.score, a.created_at, q.created_at AS qcreated, q.author_id AS qauthor,
                    CASE WHEN q.accepted_answer_id = a.id THEN 1 ELSE 0 END AS accepted
             FROM posts a JOIN posts q ON q.id = a.question_id
             WHERE a.author_id = $1 AND a.kind = 2 AND a.deleted_at IS NULL AND a.status = 0",
        )
        .bind(user_id)
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| PostFact {
            id: r.i("id"),
            score: r.i("score"),
            views: 0,
            accepted: r.i("accepted") == 1,
            created_at: r.i("created_at"),
            question_created_at: r.i("qcreated"),
            own_question: r.i("qauthor") == user_id,
        })
        .collect();
        let counts: [(Activity, &str); 10] = [
            (Activity::Edits, "SELECT COUNT(*) AS n FROM revisions WHERE author_id = $1 AND kind IN ('edit', 'rollback')"),
            (Activity::Rollbacks, "SELECT COUNT(*) AS n FROM revisions WHERE author_id = $1 AND kind = 'rollback'"),
            (Activity::Comments, "SELECT COUNT(*) AS n FROM comments WHERE author_id = $1 AND deleted_at IS NULL"),
            (Activity::VotesCast, "SELECT COUNT(*) AS n FROM votes WHERE voter_id = $1 AND value <> 0"),
            (Activity::UpvotesCast, "SELECT COUNT(*) AS n FROM votes WHERE voter_id = $1 AND value = 1"),
            (Activity::DownvotesCast, "SELECT COUNT(*) AS n FROM votes WHERE voter_id = $1 AND value = -1"),
            (Activity::QuestionVotesCast, "SELECT COUNT(*) AS n FROM votes v JOIN posts p ON p.id = v.post_id WHERE v.voter_id = $1 AND v.value <> 0 AND p.kind = 1"),
            (Activity::HelpfulFlags, "SELECT COUNT(*) AS n FROM flags WHERE flagger_id = $1 AND state = 'helpful'"),
            (Activity::Reviews, "SELECT COUNT(*) AS n FROM review_votes WHERE reviewer_id = $1"),
            (Activity::ApprovedTagEdits, "SELECT COUNT(*) AS n FROM suggested_edits e JOIN review_items i ON i.edit_id = e.id
                WHERE e.editor_id = $1 AND e.tag_id IS NOT NULL AND i.state = 'decided' AND i.outcome = 'approve'"),
        ];
        for (activity, sql) in counts {
            let n = sqlx::query(sql).bind(user_id).fetch_one(db).await?.i("n");
            f.counts.insert(activity, n);
        }
        for r in sqlx::query(
            "SELECT queue, COUNT(*) AS n FROM review_votes WHERE reviewer_id = $1 GROUP BY queue",
        )
        .bind(user_id)
        .fetch_all(db)
        .await?
        {
            f.queue_reviews.insert(r.s("queue"), r.i("n"));
        }
        f.visit_days = sqlx::query("SELECT day FROM user_visits WHERE user_id = $1 ORDER BY day")
            .bind(user_id)
            .fetch_all(db)
            .await?
            .iter()
            .map(|r| r.i("day"))
            .collect();
        for r in sqlx::query(
            "SELECT t.name, COUNT(*) AS n, CAST(COALESCE(SUM(a.score), 0) AS BIGINT) AS score
             FROM posts a JOIN post_tags pt ON pt.post_id = a.question_id JOIN tags t ON t.id = pt.tag_id
             WHERE a.author_id = $1 AND a.kind = 2 AND a.deleted_at IS NULL AND a.status = 0 GROUP BY t.name",
        )
        .bind(user_id)
        .fetch_all(db)
        .await?
        {
            f.tag_answers.insert(r.s("name"), (r.i("n"), r.i("score")));
        }
        Ok(Some(f))
    }

    /// Award every badge the member has earned and does not hold yet;
    /// returns the new awards (each also becomes a notification).
    pub async fn award_badges(&self, defs: &[BadgeDef], user_id: i64) -> Result<Vec<BadgeAward>> {
        let t = now();
        let Some(facts) = self.user_facts(user_id, t).await? else {
            return Ok(Vec::new());
        };
        let earned: Vec<(&BadgeDef, String)> = defs
            .iter()
            .flat_map(|d| earned(d, &facts).into_iter().map(move |k| (d, k)))
            .collect();
        if earned.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let mut new = Vec::new();
        for (def, key) in earned {
            let inserted = sqlx::query(
                "INSERT INTO badge_awards (user_id, badge, source_key, awarded_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (user_id, badge, source_key) DO NOTHING",
            )
            .bind(user_id)
            .bind(&def.key)
            .bind(&key)
            .bind(t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                let post_id = key
                    .strip_prefix("post:")
                    .and_then(|p| p.parse::<i64>().ok());
                notify(&mut tx, user_id, "badge_awarded", post_id, &def.key).await?;
                new.push(BadgeAward {
                    user_id,
                    badge: def.key.clone(),
                    source_key: key,
                    awarded_at: t,
                });
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Member ids in pages, for the full badge job.
    pub async fn user_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(
            sqlx::query("SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(self.reader())
                .await?
                .iter()
                .map(|r| r.i("id"))
                .collect(),
        )
    }

    pub async fn user_badges(&self, user_id: i64) -> Result<Vec<BadgeAward>> {
        Ok(sqlx::query(
            "SELECT user_id, badge, source_key, awarded_at FROM badge_awards WHERE user_id = $1 ORDER BY awarded_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| BadgeAward {
            user_id: r.i("user_id"),
            badge: r.s("badge"),
            source_key: r.s("source_key"),
            awarded_at: r.i("awarded_at"),
        })
        .collect())
    }

    /// Badge key → (awards, distinct holders).
    pub async fn badge_counts(&self) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query(
            "SELECT badge, COUNT(*) AS n, COUNT(DISTINCT user_id) AS holders FROM badge_awards GROUP BY badge",
        )
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| (r.s("badge"), r.i("n"), r.i("holders")))
        .collect())
    }

    /// Recent holders of one badge.
    pub async fn badge_holders(
        &self,
        badge: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query(
            "SELECT u.username, a.source_key, a.awarded_at FROM badge_awards a JOIN users u ON u.id = a.user_id
             WHERE a.badge = $1 ORDER BY a.awarded_at DESC, a.id DESC LIMIT $2",
        )
        .bind(badge)
        .bind(limit)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| (r.s("username"), r.s("source_key"), r.i("awarded_at")))
        .collect())
    }

    /// Record that a member visited on a UTC day (once per day).
    pub async fn record_visit(&self, user_id: i64, day: i64) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO user_visits (user_id, day) VALUES ($1, $2) ON CONFLICT (user_id, day) DO NOTHING",
        )
        .bind(user_id)
        .bind(day)
        .execute(&self.write)
        .await?
        .rows_affected()
            == 1)
    }

    /// Add counted page views to posts (buffered by the service layer).
    pub async fn add_views(&self, views: &[(i64, i64)]) -> Result<()> {
        if views.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (post_id, n) in views {
            sqlx::query("UPDATE posts SET view_count = view_count + $1 WHERE id = $2")
                .bind(n)
                .bind(post_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

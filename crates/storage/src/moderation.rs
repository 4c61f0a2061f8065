//! Flags, moderator actions, sanctions, the audit log and notifications.

use crate::content::{count_visible, not_found, status};
use crate::ledger::{self, Source};
use crate::{now, Result, RowExt, Store, Tx};
use guildhall_domain::inbox::Activity;
use guildhall_domain::moderation::{Capability, Sanctions};
use guildhall_domain::reputation::{PlannedEntry, Reason};
use guildhall_domain::review::{check_flag, flags_hide, require_moderator, FlagKind};
use guildhall_domain::votes::PostKind;
use guildhall_domain::{Actor, CommunitySettings, DomainError, ErrorCode};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Append an audit record.
pub(crate) async fn audit(
    tx: &mut Tx<'_>,
    actor: Option<i64>,
    action: &str,
    target_kind: &str,
    target_id: Option<i64>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, action, target_kind, target_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor)
    .bind(action)
    .bind(target_kind)
    .bind(target_id)
    .bind(detail)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Put a notification in a member's inbox (e-mail follows from the queue).
pub(crate) async fn notify(
    tx: &mut Tx<'_>,
    user_id: i64,
    kind: &str,
    post_id: Option<i64>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, post_id, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(kind)
    .bind(post_id)
    .bind(detail)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Tell a post's owner what another member did to it (the rule of who
/// hears of what is `guildhall_domain::inbox`); the detail is the actor's
/// name.
pub(crate) async fn notify_activity(
    tx: &mut Tx<'_>,
    activity: Activity,
    post_id: i64,
) -> Result<()> {
    let Some(n) = activity.notice() else {
        return Ok(());
    };
    let name = sqlx::query("SELECT username FROM users WHERE id = $1")
        .bind(n.actor)
        .fetch_one(&mut **tx)
        .await?
        .s("username");
    notify(tx, n.recipient, n.kind, Some(post_id), &name).await
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<i64>,
    pub detail: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub post_id: Option<i64>,
    /// The question the post belongs to (itself for questions), for links.
    pub question_id: Option<i64>,
    pub detail: String,
    pub created_at: i64,
    pub read: bool,
}

/// A notification waiting to be mailed, with its recipient.
#[derive(Debug, Clone)]
pub struct MailJob {
    pub notification: Notification,
    pub email: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagRecord {
    pub id: i64,
    pub post_id: i64,
    pub flagger_id: i64,
    pub flagger_name: String,
    pub kind: String,
    pub message: String,
    pub state: String,
    pub created_at: i64,
}

/// Posts with open flags, for the moderators' flag queue.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedPost {
    pub post_id: i64,
    pub question_id: i64,
    pub title: String,
    pub author_name: String,
    pub hidden: bool,
    pub oldest_flag_at: i64,
    pub flags: Vec<FlagRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagResult {
    pub flag_id: i64,
    /// The post was hidden by this flag.
    pub hidden: bool,
}

fn flag_from_row(r: &AnyRow) -> FlagRecord {
    FlagRecord {
        id: r.i("id"),
        post_id: r.i("post_id"),
        flagger_id: r.i("flagger_id"),
        flagger_name: r.s("username"),
        kind: r.s("kind"),
        message: r.s("message"),
        state: r.s("state"),
        created_at: r.i("created_at"),
    }
}

fn notification_from_row(r: &AnyRow) -> Notification {
    Notification {
        id: r.i("id"),
        user_id: r.i("user_id"),
        kind: r.s("kind"),
        post_id: r.oi("post_id"),
        question_id: r.oi("qid").or(r.oi("post_id")),
        detail: r.s("detail"),
        created_at: r.i("created_at"),
        read: r.oi("read_at").is_some(),
    }
}

const NOTIFICATION_COLS: &str =
    "n.id, n.user_id, n.kind, n.post_id, n.detail, n.created_at, n.read_at, p.question_id AS qid";

const FLAG_SOURCE: &str = "flags";

async fn lock_post(tx: &mut Tx<'_>, post_id: i64) -> Result<AnyRow> {
    sqlx::query(
        "UPDATE posts SET locked_at = locked_at WHERE id = $1 RETURNING author_id, kind, question_id, status, deleted_at, locked_at",
    )
    .bind(post_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| not_found("post"))
}

/// Restore a post hidden by flags and reverse the penalty it cost.
async fn unhide(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    post: &AnyRow,
    post_id: i64,
    by: i64,
) -> Result<()> {
    if post.i("status") != status::HIDDEN {
        return Ok(());
    }
    sqlx::query("UPDATE posts SET status = $1, locked_at = NULL WHERE id = $2")
        .bind(status::PUBLISHED)
        .bind(post_id)
        .execute(&mut **tx)
        .await?;
    if post.oi("deleted_at").is_none() {
        count_visible(
            tx,
            post_id,
            PostKind::from_i64(post.i("kind")),
            post.oi("question_id"),
            1,
        )
        .await?;
    }
    let author = post.i("author_id");
    ledger::lock_user(tx, author).await?;
    ledger::reverse_open_on_post(
        tx,
        post_id,
        FLAG_SOURCE,
        "",
        Source {
            kind: "flags_cleared",
            id: Some(by),
            post_id: Some(post_id),
        },
    )
    .await?;
    ledger::refresh_reputation(tx, &s.reputation, author).await?;
    Ok(())
}

impl Store {
    /// Flag a post. Enough severe flags hide it at once, lock it and cost
    /// its author the flag penalty.
    pub async fn flag_post(
        &self,
        s: &CommunitySettings,
        flagger: &Actor,
        post_id: i64,
        kind: FlagKind,
        message: &str,
    ) -> Result<FlagResult> {
        let t = now();
        let mut tx = self.begin().await?;
        let post = lock_post(&mut tx, post_id).await?;
        let author = post.i("author_id");
        let already = sqlx::query(
            "SELECT id FROM flags WHERE post_id = $1 AND flagger_id = $2 AND state = 'open'",
        )
        .bind(post_id)
        .bind(flagger.id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        let gone = post.oi("deleted_at").is_some()
            || !matches!(post.i("status"), status::PUBLISHED | status::HIDDEN);
        check_flag(&s.privileges, flagger, author, gone, already, kind, message)?;
        let flag_id = sqlx::query(
            "INSERT INTO flags (post_id, flagger_id, kind, message, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(post_id)
        .bind(flagger.id)
        .bind(kind.key())
        .bind(message)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        audit(
            &mut tx,
            Some(flagger.id),
            "flag",
            "post",
            Some(post_id),
            kind.key(),
        )
        .await?;
        let mut hidden = false;
        if kind.is_severe() && post.i("status") == status::PUBLISHED {
            let severe = sqlx::query(
                "SELECT COUNT(*) AS n FROM flags WHERE post_id = $1 AND state = 'open' AND kind IN ('spam', 'rude', 'violation')",
            )
            .bind(post_id)
            .fetch_one(&mut *tx)
            .await?
            .i("n");
            if flags_hide(&s.review, severe) {
                hidden = true;
                sqlx::query("UPDATE posts SET status = $1, locked_at = $2 WHERE id = $3")
                    .bind(status::HIDDEN)
                    .bind(t)
                    .bind(post_id)
                    .execute(&mut *tx)
                    .await?;
                count_visible(
                    &mut tx,
                    post_id,
                    PostKind::from_i64(post.i("kind")),
                    post.oi("question_id"),
                    -1,
                )
                .await?;
                let amount = s.reputation.post_flagged_away;
                if amount != 0 {
                    ledger::lock_user(&mut tx, author).await?;
                    ledger::append(
                        &mut tx,
                        &s.reputation,
                        &[PlannedEntry {
                            user_id: author,
                            reason: Reason::PostFlaggedAway,
                            amount,
                        }],
                        Source {
                            kind: FLAG_SOURCE,
                            id: Some(flag_id),
                            post_id: Some(post_id),
                        },
                    )
                    .await?;
                    ledger::refresh_reputation(&mut tx, &s.reputation, author).await?;
                }
                audit(
                    &mut tx,
                    None,
                    "post_hidden_by_flags",
                    "post",
                    Some(post_id),
                    &severe.to_string(),
                )
                .await?;
                notify(&mut tx, author, "post_hidden", Some(post_id), "").await?;
            }
        }
        tx.commit().await?;
        Ok(FlagResult { flag_id, hidden })
    }

    /// A moderator decides the open flags on a post: `confirm` marks them
    /// helpful and deletes the post; otherwise they are declined and a post
    /// hidden by them is restored with the penalty reversed.
    pub async fn resolve_flags(
        &self,
        s: &CommunitySettings,
        moderator: &Actor,
        post_id: i64,
        confirm: bool,
    ) -> Result<u64> {
        require_moderator(moderator)?;
        let t = now();
        let mut tx = self.begin().await?;
        let post = lock_post(&mut tx, post_id).await?;
        let state = if confirm { "helpful" } else { "declined" };
        let n = sqlx::query(
            "UPDATE flags SET state = $1, resolved_by = $2, resolved_at = $3 WHERE post_id = $4 AND state = 'open'",
        )
        .bind(state)
        .bind(moderator.id)
        .bind(t)
        .bind(post_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(DomainError::from(ErrorCode::ItemDecided).into());
        }
        if confirm {
            if post.oi("deleted_at").is_none() {
                sqlx::query("UPDATE posts SET deleted_at = $1, deleted_by = $2 WHERE id = $3")
                    .bind(t)
                    .bind(moderator.id)
                    .bind(post_id)
                    .execute(&mut *tx)
                    .await?;
                if post.i("status") == status::PUBLISHED {
                    count_visible(
                        &mut tx,
                        post_id,
                        PostKind::from_i64(post.i("kind")),
                        post.oi("question_id"),
                        -1,
                    )
                    .await?;
                }
            }
            audit(
                &mut tx,
                Some(moderator.id),
                "flags_confirmed",
                "post",
                Some(post_id),
                &n.to_string(),
            )
            .await?;
        } else {
            unhide(&mut tx, s, &post, post_id, moderator.id).await?;
            audit(
                &mut tx,
                Some(moderator.id),
                "flags_cleared",
                "post",
                Some(post_id),
                &n.to_string(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Lock or unlock a post (no edits, votes, comments or answers).
    pub async fn set_locked(&self, moderator: &Actor, post_id: i64, locked: bool) -> Result<()> {
        require_moderator(moderator)?;
        let mut tx = self.begin().await?;
        lock_post(&mut tx, post_id).await?;
        sqlx::query("UPDATE posts SET locked_at = $1 WHERE id = $2")
            .bind(locked.then(now))
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        let action = if locked { "lock" } else { "unlock" };
        audit(
            &mut tx,
            Some(moderator.id),
            action,
            "post",
            Some(post_id),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Undelete a post; an answer's deletion penalty is reversed.
    pub async fn undelete(
        &self,
        s: &CommunitySettings,
        moderator: &Actor,
        post_id: i64,
    ) -> Result<()> {
        require_moderator(moderator)?;
        let mut tx = self.begin().await?;
        let post = lock_post(&mut tx, post_id).await?;
        if post.oi("deleted_at").is_none() {
            return Err(DomainError::from(ErrorCode::NotEligible).into());
        }
        sqlx::query("UPDATE posts SET deleted_at = NULL, deleted_by = NULL WHERE id = $1")
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        if post.i("status") == status::PUBLISHED {
            count_visible(
                &mut tx,
                post_id,
                PostKind::from_i64(post.i("kind")),
                post.oi("question_id"),
                1,
            )
            .await?;
        }
        // Reverse the penalty of whichever deletion happened (by its author,
        // a moderator or delete votes).
        let author = post.i("author_id");
        ledger::lock_user(&mut tx, author).await?;
        let by = Source {
            kind: "undelete",
            id: Some(post_id),
            post_id: Some(post_id),
        };
        ledger::reverse_open_on_post(&mut tx, post_id, "", Reason::AnswerDeleted.key(), by).await?;
        ledger::refresh_reputation(&mut tx, &s.reputation, author).await?;
        audit(
            &mut tx,
            Some(moderator.id),
            "undelete",
            "post",
            Some(post_id),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Suspend a member until `until` (0 lifts the suspension).
    pub async fn suspend(
        &self,
        moderator: &Actor,
        user_id: i64,
        until: Option<i64>,
        reason: &str,
    ) -> Result<()> {
        require_moderator(moderator)?;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE users SET suspended_until = $1, suspension_reason = $2 WHERE id = $3",
        )
        .bind(until)
        .bind(reason)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(not_found("user"));
        }
        // A suspended member is logged out everywhere.
        if until.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let action = if until.is_some() {
            "suspend"
        } else {
            "unsuspend"
        };
        let detail = match until {
            Some(u) => format!("until {u}: {reason}"),
            None => String::new(),
        };
        audit(
            &mut tx,
            Some(moderator.id),
            action,
            "user",
            Some(user_id),
            &detail,
        )
        .await?;
        if until.is_some() {
            notify(&mut tx, user_id, "suspended", None, reason).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Switch single capabilities off (the list replaces the previous one).
    pub async fn set_blocked_capabilities(
        &self,
        moderator: &Actor,
        user_id: i64,
        caps: &[Capability],
    ) -> Result<()> {
        require_moderator(moderator)?;
        let mut tx = self.begin().await?;
        let list = Capability::format_list(caps);
        let n = sqlx::query("UPDATE users SET blocked_caps = $1 WHERE id = $2")
            .bind(&list)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(not_found("user"));
        }
        audit(
            &mut tx,
            Some(moderator.id),
            "set_capabilities",
            "user",
            Some(user_id),
            &list,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sanctions(&self, user_id: i64) -> Result<Sanctions> {
        let r = sqlx::query(
            "SELECT suspended_until, suspension_reason, blocked_caps FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| not_found("user"))?;
        Ok(Sanctions {
            suspended_until: r.oi("suspended_until"),
            suspension_reason: r.s("suspension_reason"),
            blocked: Capability::parse_list(&r.s("blocked_caps")),
        })
    }

    /// Merge one tag into another: its questions get the target tag.
    pub async fn merge_tags(&self, moderator: &Actor, from: &str, into: &str) -> Result<i64> {
        require_moderator(moderator)?;
        if from == into {
            return Err(DomainError::validation("into", "same", None).into());
        }
        let mut tx = self.begin().await?;
        let id_of =
            |name: &str| sqlx::query("SELECT id FROM tags WHERE name = $1").bind(name.to_string());
        let from_id = id_of(from)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("tag"))?
            .i("id");
        let into_id = id_of(into)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("tag"))?
            .i("id");
        let posts = sqlx::query("SELECT p.id, p.tags FROM posts p JOIN post_tags pt ON pt.post_id = p.id WHERE pt.tag_id = $1")
            .bind(from_id)
            .fetch_all(&mut *tx)
            .await?;
        for p in &posts {
            let mut tags: Vec<String> = Vec::new();
            for t in p.s("tags").split_whitespace() {
                let t = if t == from { into } else { t };
                if !tags.iter().any(|x| x == t) {
                    tags.push(t.to_string());
                }
            }
            sqlx::query("UPDATE posts SET tags = $1 WHERE id = $2")
                .bind(tags.join(" "))
                .bind(p.i("id"))
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM post_tags WHERE post_id = $1 AND tag_id = $2")
                .bind(p.i("id"))
                .bind(from_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO post_tags (post_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(p.i("id"))
            .bind(into_id)
            .execute(&mut *tx)
            .await?;
        }
        for id in [from_id, into_id] {
            sqlx::query(
                "UPDATE tags SET question_count = (SELECT COUNT(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id WHERE pt.tag_id = tags.id AND p.deleted_at IS NULL AND p.status = 0) WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        // The old name keeps working: it becomes a synonym of the new one,
        // and its synonyms and followers move along.
        sqlx::query("UPDATE tag_synonyms SET tag_id = $1 WHERE tag_id = $2")
            .bind(into_id)
            .bind(from_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tag_synonyms WHERE synonym = $1")
            .bind(from)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO tag_synonyms (synonym, tag_id, created_by, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(from)
        .bind(into_id)
        .bind(moderator.id)
        .bind(crate::now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO tag_follows (user_id, tag_id, created_at) SELECT user_id, $1, created_at FROM tag_follows WHERE tag_id = $2 ON CONFLICT DO NOTHING",
        )
        .bind(into_id)
        .bind(from_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM tag_follows WHERE tag_id = $1")
            .bind(from_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            Some(moderator.id),
            "merge_tags",
            "tag",
            Some(into_id),
            &format!("{from} -> {into}"),
        )
        .await?;
        tx.commit().await?;
        Ok(posts.len() as i64)
    }

    // Reads -----------------------------------------------------------------

    pub async fn flagged_posts(&self, limit: i64) -> Result<Vec<FlaggedPost>> {
        let rows = sqlx::query(
            "SELECT f.post_id, MIN(f.created_at) AS oldest FROM flags f WHERE f.state = 'open' GROUP BY f.post_id ORDER BY MIN(f.created_at) LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let post_id = r.i("post_id");
            let Some(p) = self.post(post_id).await? else {
                continue;
            };
            let question_id = p.question_id.unwrap_or(p.id);
            let title = if p.kind == PostKind::Answer {
                self.post(question_id)
                    .await?
                    .map(|q| q.title)
                    .unwrap_or_default()
            } else {
                p.title.clone()
            };
            out.push(FlaggedPost {
                post_id,
                question_id,
                title,
                author_name: p.author_name.clone(),
                hidden: p.status == status::HIDDEN,
                oldest_flag_at: r.i("oldest"),
                flags: self.flags_on(post_id, true).await?,
            });
        }
        Ok(out)
    }

    pub async fn flags_on(&self, post_id: i64, open_only: bool) -> Result<Vec<FlagRecord>> {
        let sql = format!(
            "SELECT f.id, f.post_id, f.flagger_id, u.username, f.kind, f.message, f.state, f.created_at
             FROM flags f JOIN users u ON u.id = f.flagger_id WHERE f.post_id = $1{} ORDER BY f.id",
            if open_only { " AND f.state = 'open'" } else { "" }
        );
        Ok(sqlx::query(&sql)
            .bind(post_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(flag_from_row)
            .collect())
    }

    /// Open flags and their oldest age, for the queue-health page.
    pub async fn flag_backlog(&self) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(DISTINCT post_id) AS n, CAST(COALESCE(MIN(created_at), 0) AS BIGINT) AS oldest FROM flags WHERE state = 'open'",
        )
        .fetch_one(self.reader())
        .await?;
        let week = sqlx::query(
            "SELECT COUNT(*) AS n FROM flags WHERE state <> 'open' AND resolved_at >= $1",
        )
        .bind(now() - 7 * 86_400)
        .fetch_one(self.reader())
        .await?
        .i("n");
        Ok((r.i("n"), r.i("oldest"), week))
    }

    pub async fn audit_log(&self, limit: i64, offset: i64) -> Result<Vec<AuditRecord>> {
        Ok(sqlx::query(
            "SELECT a.id, a.actor_id, COALESCE(u.username, '') AS username, a.action, a.target_kind, a.target_id, a.detail, a.created_at
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| AuditRecord {
            id: r.i("id"),
            actor_id: r.oi("actor_id"),
            actor_name: r.s("username"),
            action: r.s("action"),
            target_kind: r.s("target_kind"),
            target_id: r.oi("target_id"),
            detail: r.s("detail"),
            created_at: r.i("created_at"),
        })
        .collect())
    }

    pub async fn notifications(&self, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT {NOTIFICATION_COLS} FROM notifications n LEFT JOIN posts p ON p.id = n.post_id WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2"
        );
        Ok(sqlx::query(&sql)
            .bind(user_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(notification_from_row)
            .collect())
    }

    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await?
        .i("n"))
    }

    pub async fn mark_notifications_read(&self, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(now())
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Take the next notifications to mail: marks them handled and returns
    /// those whose recipient opted in. (At most once: a failed send is
    /// logged, the inbox still has it.)
    pub async fn take_mail_jobs(&self, limit: i64) -> Result<Vec<MailJob>> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT {NOTIFICATION_COLS}, u.email, u.username, u.notify_email FROM notifications n
             JOIN users u ON u.id = n.user_id LEFT JOIN posts p ON p.id = n.post_id
             WHERE n.mailed = 0 ORDER BY n.id LIMIT $1"
        );
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&mut *tx).await?;
        let mut jobs = Vec::new();
        for r in &rows {
            sqlx::query("UPDATE notifications SET mailed = 1 WHERE id = $1 AND mailed = 0")
                .bind(r.i("id"))
                .execute(&mut *tx)
                .await?;
            if r.i("notify_email") == 1 {
                jobs.push(MailJob {
                    notification: notification_from_row(r),
                    email: r.s("email"),
                    username: r.s("username"),
                });
            }
        }
        tx.commit().await?;
        Ok(jobs)
    }

    pub async fn set_notify_email(&self, user_id: i64, on: bool) -> Result<()> {
        sqlx::query("UPDATE users SET notify_email = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

//! The review center's storage: items, votes, skips, suggested edits, and
//! applying what a decided item says. The decision itself is
//! `guildhall_domain::review::tally`; this module records votes, calls it and
//! applies the outcome once, inside the transaction that recorded the
//! deciding vote (the item row is locked first, so two deciding votes cast
//! at the same instant serialize and the second finds the item decided).

use crate::content::{count_visible, edit_post_tx, not_found, status, PostInput, PostRecord};
use crate::ledger::{self, Source};
use crate::moderation::{audit, notify, notify_activity};
use crate::{now, Result, RowExt, Store, Tx};
use guildhall_domain::inbox::Activity;
use guildhall_domain::reputation::{PlannedEntry, Reason};
use guildhall_domain::review::{
    check_dispute, check_reason, check_reviewer, tally, winning_reason, CastVote, DecidedBy,
    DisputeTarget, ItemView, Outcome, Queue, Thresholds, Verdict,
};
use guildhall_domain::votes::PostKind;
use guildhall_domain::{utc_day, Actor, CommunitySettings, DomainError, ErrorCode, Role};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Where a new post waits: its queue and the thresholds fixed for it.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub queue: Queue,
    pub thresholds: Thresholds,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewVoteRecord {
    pub reviewer_id: i64,
    pub reviewer_name: String,
    pub verdict: String,
    pub reason: String,
    pub message: String,
    pub duplicate_of: Option<i64>,
    pub binding: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuggestedEdit {
    pub id: i64,
    pub post_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub editor_id: i64,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    pub tags: String,
    pub comment: String,
    pub base_rev: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub id: i64,
    pub queue: Queue,
    pub post_id: Option<i64>,
    pub edit_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub tag_name: String,
    pub author_id: i64,
    pub author_name: String,
    pub post_author_id: Option<i64>,
    pub thresholds: Thresholds,
    pub state: String,
    pub outcome: String,
    pub outcome_reason: String,
    pub outcome_message: String,
    pub decided_by: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    /// The post's (or question's) title, for lists.
    pub title: String,
    pub votes: Vec<ReviewVoteRecord>,
}

const ITEM_COLS: &str = "i.id, i.queue, i.post_id, i.edit_id, i.tag_id, i.author_id, u.username AS author_name, \
    i.post_author_id, i.approve_needed, i.changes_needed, i.reject_needed, i.state, i.outcome, i.outcome_reason, \
    i.outcome_message, i.decided_by, i.created_at, i.decided_at, \
    COALESCE(t.name, '') AS tag_name, \
    COALESCE(CASE WHEN p.kind = 2 THEN q.title ELSE p.title END, '') AS title";
const ITEM_FROM: &str = "review_items i JOIN users u ON u.id = i.author_id \
    LEFT JOIN posts p ON p.id = i.post_id LEFT JOIN posts q ON q.id = p.question_id \
    LEFT JOIN tags t ON t.id = i.tag_id";

impl ReviewItem {
    fn from_row(r: &AnyRow) -> ReviewItem {
        ReviewItem {
            id: r.i("id"),
            queue: Queue::from_key(&r.s("queue")).unwrap_or(Queue::FirstPosts),
            post_id: r.oi("post_id"),
            edit_id: r.oi("edit_id"),
            tag_id: r.oi("tag_id"),
            tag_name: r.s("tag_name"),
            author_id: r.i("author_id"),
            author_name: r.s("author_name"),
            post_author_id: r.oi("post_author_id"),
            thresholds: Thresholds {
                approve: r.i("approve_needed"),
                request_changes: r.i("changes_needed"),
                reject: r.i("reject_needed"),
            },
            state: r.s("state"),
            outcome: r.s("outcome"),
            outcome_reason: r.s("outcome_reason"),
            outcome_message: r.s("outcome_message"),
            decided_by: r.s("decided_by"),
            created_at: r.i("created_at"),
            decided_at: r.oi("decided_at"),
            title: r.s("title"),
            votes: Vec::new(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_item(
    tx: &mut Tx<'_>,
    queue: Queue,
    t: Thresholds,
    post_id: Option<i64>,
    edit_id: Option<i64>,
    tag_id: Option<i64>,
    author_id: i64,
    post_author_id: Option<i64>,
    at: i64,
) -> Result<i64> {
    // i64::MAX means "this verdict never decides"; store it as 0 ("never").
    let never = |n: i64| if n == i64::MAX { 0 } else { n };
    Ok(sqlx::query(
        "INSERT INTO review_items (queue, post_id, edit_id, tag_id, author_id, post_author_id, approve_needed, changes_needed, reject_needed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(queue.key())
    .bind(post_id)
    .bind(edit_id)
    .bind(tag_id)
    .bind(author_id)
    .bind(post_author_id)
    .bind(never(t.approve))
    .bind(never(t.request_changes))
    .bind(never(t.reject))
    .bind(at)
    .fetch_one(&mut **tx)
    .await?
    .i("id"))
}

pub(crate) async fn open_post_item(
    tx: &mut Tx<'_>,
    p: Placement,
    post_id: i64,
    author_id: i64,
    at: i64,
) -> Result<i64> {
    let id = insert_item(
        tx,
        p.queue,
        p.thresholds,
        Some(post_id),
        None,
        None,
        author_id,
        None,
        at,
    )
    .await?;
    audit(
        tx,
        Some(author_id),
        "review_item_opened",
        "review_item",
        Some(id),
        p.queue.key(),
    )
    .await?;
    Ok(id)
}

fn thresholds_of(item: &ReviewItem) -> Thresholds {
    let never = |n: i64| if n == 0 { i64::MAX } else { n };
    Thresholds {
        approve: never(item.thresholds.approve),
        request_changes: never(item.thresholds.request_changes),
        reject: never(item.thresholds.reject),
    }
}

/// The votes on an item in casting order, inside a transaction or not.
async fn item_votes<'e, E>(db: E, item_id: i64) -> Result<Vec<ReviewVoteRecord>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "SELECT v.reviewer_id, u.username, v.verdict, v.reason, v.message, v.duplicate_of, v.binding, v.created_at
         FROM review_votes v JOIN users u ON u.id = v.reviewer_id WHERE v.item_id = $1 ORDER BY v.id",
    )
    .bind(item_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(vote_from_row)
    .collect())
}

fn vote_from_row(r: &AnyRow) -> ReviewVoteRecord {
    ReviewVoteRecord {
        reviewer_id: r.i("reviewer_id"),
        reviewer_name: r.s("username"),
        verdict: r.s("verdict"),
        reason: r.s("reason"),
        message: r.s("message"),
        duplicate_of: r.oi("duplicate_of"),
        binding: r.i("binding") == 1,
        created_at: r.i("created_at"),
    }
}

fn cast_votes(votes: &[ReviewVoteRecord]) -> Vec<CastVote> {
    votes
        .iter()
        .filter_map(|v| {
            Some(CastVote {
                verdict: Verdict::from_key(&v.verdict)?,
                decides_alone: v.binding,
                at: v.created_at,
            })
        })
        .collect()
}

/// A review vote as the service layer passes it in.
#[derive(Debug, Clone, Default)]
pub struct VoteInput<'a> {
    pub reason: &'a str,
    pub message: &'a str,
    pub duplicate_of: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoteResult {
    pub item_id: i64,
    pub decided: Option<Outcome>,
}

async fn load_item_locked(tx: &mut Tx<'_>, item_id: i64) -> Result<ReviewItem> {
    // Lock the item: concurrent votes on it wait here.
    sqlx::query("UPDATE review_items SET state = state WHERE id = $1")
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    let sql = format!("SELECT {ITEM_COLS} FROM {ITEM_FROM} WHERE i.id = $1");
    let r = sqlx::query(&sql)
        .bind(item_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| not_found("review item"))?;
    Ok(ReviewItem::from_row(&r))
}

async fn dispute_target(tx: &mut Tx<'_>, post_id: i64) -> Result<DisputeTarget> {
    let r = sqlx::query(
        "SELECT kind, author_id, score, closed_at, deleted_at, locked_at, status FROM posts WHERE id = $1",
    )
    .bind(post_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| not_found("post"))?;
    Ok(DisputeTarget {
        kind: PostKind::from_i64(r.i("kind")),
        author_id: r.i("author_id"),
        score: r.i("score"),
        closed: r.oi("closed_at").is_some(),
        deleted: r.oi("deleted_at").is_some() || r.i("status") != status::PUBLISHED,
        locked: r.oi("locked_at").is_some(),
    })
}

/// Record one vote on an item and, if it decides the item, apply the outcome.
async fn vote_on_item(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    reviewer: &Actor,
    item: ReviewItem,
    verdict: Verdict,
    input: &VoteInput<'_>,
) -> Result<VoteResult> {
    let t = now();
    let rules = &s.review;
    let day = utc_day(t);
    let already: Option<AnyRow> =
        sqlx::query("SELECT id FROM review_votes WHERE item_id = $1 AND reviewer_id = $2")
            .bind(item.id)
            .bind(reviewer.id)
            .fetch_optional(&mut **tx)
            .await?;
    let today = sqlx::query(
        "SELECT COUNT(*) AS n FROM review_votes WHERE reviewer_id = $1 AND queue = $2 AND day = $3",
    )
    .bind(reviewer.id)
    .bind(item.queue.key())
    .bind(day)
    .fetch_one(&mut **tx)
    .await?
    .i("n");
    let view = ItemView {
        queue: item.queue,
        author_id: item.author_id,
        post_author_id: item.post_author_id,
        decided: item.state != "open",
        tag_wiki: item.tag_id.is_some(),
    };
    check_reviewer(
        rules,
        &s.privileges,
        reviewer,
        &view,
        already.is_some(),
        today,
    )?;
    check_reason(item.queue, verdict, input.reason, input.message)?;
    if matches!(item.queue, Queue::Close | Queue::Reopen | Queue::Delete) {
        if let Some(p) = item.post_id {
            check_dispute(rules, item.queue, &dispute_target(tx, p).await?)?;
        }
    }
    if input.reason == "duplicate" && item.queue == Queue::Close {
        let target = input
            .duplicate_of
            .filter(|d| Some(*d) != item.post_id)
            .ok_or(DomainError::validation("duplicate_of", "required", None))?;
        let exists = sqlx::query(
            "SELECT id FROM posts WHERE id = $1 AND kind = 1 AND deleted_at IS NULL AND status = 0",
        )
        .bind(target)
        .fetch_optional(&mut **tx)
        .await?;
        if exists.is_none() {
            return Err(DomainError::validation("duplicate_of", "not_found", None).into());
        }
    }
    let binding = reviewer.role.is_staff()
        || (item.queue == Queue::SuggestedEdits && item.post_author_id == Some(reviewer.id));
    sqlx::query(
        "INSERT INTO review_votes (item_id, queue, reviewer_id, verdict, reason, message, duplicate_of, binding, day, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(item.id)
    .bind(item.queue.key())
    .bind(reviewer.id)
    .bind(verdict.key())
    .bind(input.reason)
    .bind(input.message)
    .bind(input.duplicate_of.filter(|_| input.reason == "duplicate"))
    .bind(i64::from(binding))
    .bind(day)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    audit(
        tx,
        Some(reviewer.id),
        "review_vote",
        "review_item",
        Some(item.id),
        format!("{} {} {}", item.queue.key(), verdict.key(), input.reason).trim_end(),
    )
    .await?;
    let votes = item_votes(&mut **tx, item.id).await?;
    let decided = tally(
        rules,
        item.queue,
        thresholds_of(&item),
        &cast_votes(&votes),
        t,
    );
    if let Some(outcome) = decided {
        decide(tx, s, &item, outcome, &votes, t).await?;
    }
    Ok(VoteResult {
        item_id: item.id,
        decided,
    })
}

/// Apply a decided outcome and close the item.
async fn decide(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    item: &ReviewItem,
    outcome: Outcome,
    votes: &[ReviewVoteRecord],
    t: i64,
) -> Result<()> {
    let winners: Vec<&ReviewVoteRecord> = votes
        .iter()
        .filter(|v| v.verdict == outcome.verdict.key())
        .collect();
    let reason = winning_reason(winners.iter().map(|v| v.reason.as_str()));
    let message = winners
        .iter()
        .map(|v| v.message.trim())
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let decided_by = match outcome.by {
        DecidedBy::Votes => "votes",
        DecidedBy::Binding => "binding",
    };
    sqlx::query(
        "UPDATE review_items SET state = 'decided', outcome = $1, outcome_reason = $2, outcome_message = $3, decided_by = $4, decided_at = $5 WHERE id = $6",
    )
    .bind(outcome.verdict.key())
    .bind(&reason)
    .bind(&message)
    .bind(decided_by)
    .bind(t)
    .bind(item.id)
    .execute(&mut **tx)
    .await?;
    let source = Source {
        kind: "review",
        id: Some(item.id),
        post_id: item.post_id,
    };
    let verdict = outcome.verdict;
    match item.queue {
        Queue::FirstPosts | Queue::LateAnswers => {
            let post_id = item.post_id.unwrap_or_default();
            let new_status = match verdict {
                Verdict::Approve => status::PUBLISHED,
                Verdict::RequestChanges => status::CHANGES_REQUESTED,
                Verdict::Reject => status::REJECTED,
            };
            let r = sqlx::query(
                "UPDATE posts SET status = $1 WHERE id = $2 AND status = $3 RETURNING kind, question_id",
            )
            .bind(new_status)
            .bind(post_id)
            .bind(status::PENDING)
            .fetch_optional(&mut **tx)
            .await?;
            if let (Some(r), Verdict::Approve) = (r, verdict) {
                let kind = PostKind::from_i64(r.i("kind"));
                count_visible(tx, post_id, kind, r.oi("question_id"), 1).await?;
                let q = r.oi("question_id").unwrap_or(post_id);
                let asker = sqlx::query(
                    "UPDATE posts SET last_activity_at = $1 WHERE id = $2 RETURNING author_id",
                )
                .bind(t)
                .bind(q)
                .fetch_one(&mut **tx)
                .await?
                .i("author_id");
                if kind == PostKind::Answer {
                    let answered = Activity::Answered {
                        question_author: asker,
                        answerer: item.author_id,
                    };
                    notify_activity(tx, answered, post_id).await?;
                }
            }
            let kind = match verdict {
                Verdict::Approve => "post_approved",
                Verdict::RequestChanges => "post_changes_requested",
                Verdict::Reject => "post_rejected",
            };
            let detail = if verdict == Verdict::RequestChanges {
                message.clone()
            } else {
                reason.clone()
            };
            notify(tx, item.author_id, kind, item.post_id, &detail).await?;
        }
        Queue::SuggestedEdits => {
            let edit = load_edit(tx, item.edit_id.unwrap_or_default()).await?;
            let (reason_key, amount) = match (verdict, edit.tag_id.is_some()) {
                (Verdict::Approve, false) => (
                    Reason::SuggestedEditApproved,
                    s.reputation.suggested_edit_approved,
                ),
                (Verdict::Approve, true) => {
                    (Reason::TagEditApproved, s.reputation.tag_edit_approved)
                }
                _ => (
                    Reason::SuggestedEditRejected,
                    s.reputation.suggested_edit_rejected,
                ),
            };
            if verdict == Verdict::Approve {
                apply_edit(tx, s, &edit, t).await?;
            }
            if amount != 0 {
                ledger::lock_user(tx, edit.editor_id).await?;
                ledger::append(
                    tx,
                    &s.reputation,
                    &[PlannedEntry {
                        user_id: edit.editor_id,
                        reason: reason_key,
                        amount,
                    }],
                    source,
                )
                .await?;
                ledger::refresh_reputation(tx, &s.reputation, edit.editor_id).await?;
            }
            let kind = if verdict == Verdict::Approve {
                "edit_approved"
            } else {
                "edit_rejected"
            };
            notify(tx, edit.editor_id, kind, edit.post_id, &edit.comment).await?;
            if verdict == Verdict::Approve {
                if let Some(author) = item.post_author_id.filter(|a| *a != edit.editor_id) {
                    notify(tx, author, "post_edited", edit.post_id, "").await?;
                }
            }
        }
        Queue::Close | Queue::Reopen | Queue::Delete => {
            if verdict == Verdict::Approve {
                apply_dispute(tx, s, item, &reason, &winners, t).await?;
            }
        }
    }
    audit(
        tx,
        None,
        "review_decided",
        "review_item",
        Some(item.id),
        format!(
            "{} {} {} {}",
            item.queue.key(),
            verdict.key(),
            decided_by,
            reason
        )
        .trim_end(),
    )
    .await?;
    Ok(())
}

async fn apply_dispute(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    item: &ReviewItem,
    reason: &str,
    winners: &[&ReviewVoteRecord],
    t: i64,
) -> Result<()> {
    let post_id = item.post_id.unwrap_or_default();
    match item.queue {
        Queue::Close => {
            // The duplicate target most of the duplicate votes named.
            let dup = winners
                .iter()
                .filter_map(|v| v.duplicate_of)
                .map(|d| d.to_string())
                .collect::<Vec<_>>();
            let dup = winning_reason(dup.iter().map(String::as_str))
                .parse::<i64>()
                .ok()
                .filter(|_| reason == "duplicate");
            sqlx::query(
                "UPDATE posts SET closed_at = $1, close_reason = $2, duplicate_of = $3 WHERE id = $4",
            )
            .bind(t)
            .bind(reason)
            .bind(dup)
            .bind(post_id)
            .execute(&mut **tx)
            .await?;
            notify(tx, item.author_id, "post_closed", Some(post_id), reason).await?;
        }
        Queue::Reopen => {
            sqlx::query(
                "UPDATE posts SET closed_at = NULL, close_reason = '', duplicate_of = NULL WHERE id = $1",
            )
            .bind(post_id)
            .execute(&mut **tx)
            .await?;
            notify(tx, item.author_id, "post_reopened", Some(post_id), "").await?;
        }
        Queue::Delete => {
            let r = sqlx::query(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL RETURNING kind, question_id, status, author_id",
            )
            .bind(t)
            .bind(post_id)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(r) = r {
                let kind = PostKind::from_i64(r.i("kind"));
                if r.i("status") == status::PUBLISHED {
                    count_visible(tx, post_id, kind, r.oi("question_id"), -1).await?;
                }
                let amount = s.reputation.answer_deleted;
                if kind == PostKind::Answer && amount != 0 {
                    let author = r.i("author_id");
                    ledger::lock_user(tx, author).await?;
                    ledger::append(
                        tx,
                        &s.reputation,
                        &[PlannedEntry {
                            user_id: author,
                            reason: Reason::AnswerDeleted,
                            amount,
                        }],
                        Source {
                            kind: "review",
                            id: Some(item.id),
                            post_id: Some(post_id),
                        },
                    )
                    .await?;
                    ledger::refresh_reputation(tx, &s.reputation, author).await?;
                }
                notify(tx, item.author_id, "post_deleted", Some(post_id), "").await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn load_edit(tx: &mut Tx<'_>, id: i64) -> Result<SuggestedEdit> {
    let r = sqlx::query(
        "SELECT id, post_id, tag_id, editor_id, title, body_md, body_html, tags, comment, base_rev, created_at FROM suggested_edits WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| not_found("suggested edit"))?;
    Ok(edit_from_row(&r))
}

fn edit_from_row(r: &AnyRow) -> SuggestedEdit {
    SuggestedEdit {
        id: r.i("id"),
        post_id: r.oi("post_id"),
        tag_id: r.oi("tag_id"),
        editor_id: r.i("editor_id"),
        title: r.s("title"),
        body_md: r.s("body_md"),
        body_html: r.s("body_html"),
        tags: r.s("tags"),
        comment: r.s("comment"),
        base_rev: r.i("base_rev"),
        created_at: r.i("created_at"),
    }
}

/// Apply an approved suggested edit as a new revision by its editor.
async fn apply_edit(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    e: &SuggestedEdit,
    t: i64,
) -> Result<()> {
    let editor = sqlx::query("SELECT id, reputation, role FROM users WHERE id = $1")
        .bind(e.editor_id)
        .fetch_one(&mut **tx)
        .await?;
    let actor = Actor {
        id: editor.i("id"),
        reputation: editor.i("reputation"),
        role: Role::parse(&editor.s("role")).unwrap_or(Role::User),
    };
    if let Some(post_id) = e.post_id {
        let tags: Vec<String> = e.tags.split_whitespace().map(str::to_string).collect();
        let input = PostInput {
            title: &e.title,
            body_md: &e.body_md,
            body_html: &e.body_html,
            tags: &tags,
        };
        edit_post_tx(tx, s, &actor, post_id, &input, &e.comment, None, true).await?;
    } else if let Some(tag_id) = e.tag_id {
        set_tag_description_tx(tx, tag_id, e.editor_id, &e.body_md, t).await?;
    }
    Ok(())
}

/// Set a tag's description and keep the version.
pub(crate) async fn set_tag_description_tx(
    tx: &mut Tx<'_>,
    tag_id: i64,
    author_id: i64,
    description: &str,
    t: i64,
) -> Result<()> {
    sqlx::query("UPDATE tags SET description = $1 WHERE id = $2")
        .bind(description)
        .bind(tag_id)
        .execute(&mut **tx)
        .await?;
    let rev = sqlx::query(
        "SELECT CAST(COALESCE(MAX(rev), 0) + 1 AS BIGINT) AS n FROM tag_revisions WHERE tag_id = $1",
    )
    .bind(tag_id)
    .fetch_one(&mut **tx)
    .await?
    .i("n");
    sqlx::query(
        "INSERT INTO tag_revisions (tag_id, rev, author_id, description, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tag_id)
    .bind(rev)
    .bind(author_id)
    .bind(description)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A suggested edit as the service layer prepared it (validated, rendered).
pub struct EditSuggestion<'a> {
    pub title: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub tags: &'a [String],
    pub comment: &'a str,
}

/// Per-queue health: backlog, median age of open items, throughput.
#[derive(Debug, Clone, Serialize)]
pub struct QueueHealth {
    pub queue: String,
    pub backlog: i64,
    pub median_age_secs: i64,
    pub oldest_age_secs: i64,
    pub decided_last_day: i64,
    pub decided_last_week: i64,
}

impl Store {
    /// Suggest an edit of someone else's post; it waits in the suggested
    /// edits queue. One pending suggestion per post at a time.
    pub async fn suggest_post_edit(
        &self,
        s: &CommunitySettings,
        editor: &Actor,
        post_id: i64,
        e: &EditSuggestion<'_>,
    ) -> Result<i64> {
        let t = now();
        let mut tx = self.begin().await?;
        let p = sqlx::query(
            "UPDATE posts SET edited_at = edited_at WHERE id = $1 RETURNING author_id, deleted_at, status, locked_at",
        )
        .bind(post_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found("post"))?;
        if p.oi("deleted_at").is_some() || p.i("status") != status::PUBLISHED {
            return Err(DomainError::from(ErrorCode::Deleted).into());
        }
        if p.oi("locked_at").is_some() {
            return Err(DomainError::from(ErrorCode::Locked).into());
        }
        let pending = sqlx::query(
            "SELECT id FROM review_items WHERE post_id = $1 AND queue = 'suggested_edits' AND state = 'open'",
        )
        .bind(post_id)
        .fetch_optional(&mut *tx)
        .await?;
        if pending.is_some() {
            return Err(DomainError::from(ErrorCode::Conflict).into());
        }
        let base_rev = sqlx::query(
            "SELECT CAST(COALESCE(MAX(rev), 0) AS BIGINT) AS n FROM revisions WHERE post_id = $1",
        )
        .bind(post_id)
        .fetch_one(&mut *tx)
        .await?
        .i("n");
        let edit_id = sqlx::query(
            "INSERT INTO suggested_edits (post_id, editor_id, title, body_md, body_html, tags, comment, base_rev, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(post_id)
        .bind(editor.id)
        .bind(e.title)
        .bind(e.body_md)
        .bind(e.body_html)
        .bind(e.tags.join(" "))
        .bind(e.comment)
        .bind(base_rev)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        let item = insert_item(
            &mut tx,
            Queue::SuggestedEdits,
            s.review.thresholds(Queue::SuggestedEdits),
            Some(post_id),
            Some(edit_id),
            None,
            editor.id,
            Some(p.i("author_id")),
            t,
        )
        .await?;
        audit(
            &mut tx,
            Some(editor.id),
            "edit_suggested",
            "review_item",
            Some(item),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Suggest a new tag description; it waits in the suggested edits queue.
    pub async fn suggest_tag_edit(
        &self,
        s: &CommunitySettings,
        editor: &Actor,
        tag: &str,
        description: &str,
        comment: &str,
    ) -> Result<i64> {
        let t = now();
        let mut tx = self.begin().await?;
        let tag_id = sqlx::query("SELECT id FROM tags WHERE name = $1")
            .bind(tag)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("tag"))?
            .i("id");
        let pending = sqlx::query(
            "SELECT id FROM review_items WHERE tag_id = $1 AND queue = 'suggested_edits' AND state = 'open'",
        )
        .bind(tag_id)
        .fetch_optional(&mut *tx)
        .await?;
        if pending.is_some() {
            return Err(DomainError::from(ErrorCode::Conflict).into());
        }
        let edit_id = sqlx::query(
            "INSERT INTO suggested_edits (tag_id, editor_id, body_md, comment, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(tag_id)
        .bind(editor.id)
        .bind(description)
        .bind(comment)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        let item = insert_item(
            &mut tx,
            Queue::SuggestedEdits,
            s.review.thresholds(Queue::SuggestedEdits),
            None,
            Some(edit_id),
            Some(tag_id),
            editor.id,
            None,
            t,
        )
        .await?;
        audit(
            &mut tx,
            Some(editor.id),
            "tag_edit_suggested",
            "review_item",
            Some(item),
            tag,
        )
        .await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Edit a tag description directly (trusted users and staff).
    pub async fn edit_tag_description(
        &self,
        editor: &Actor,
        tag: &str,
        description: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let tag_id = sqlx::query("SELECT id FROM tags WHERE name = $1")
            .bind(tag)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("tag"))?
            .i("id");
        set_tag_description_tx(&mut tx, tag_id, editor.id, description, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cast a vote on a review item.
    pub async fn review_vote(
        &self,
        s: &CommunitySettings,
        reviewer: &Actor,
        item_id: i64,
        verdict: Verdict,
        input: &VoteInput<'_>,
    ) -> Result<VoteResult> {
        let mut tx = self.begin().await?;
        let item = load_item_locked(&mut tx, item_id).await?;
        let r = vote_on_item(&mut tx, s, reviewer, item, verdict, input).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Vote to close, reopen or delete a post from its page: joins the open
    /// item for that post and queue, or opens one.
    pub async fn dispute_vote(
        &self,
        s: &CommunitySettings,
        voter: &Actor,
        post_id: i64,
        queue: Queue,
        input: &VoteInput<'_>,
    ) -> Result<VoteResult> {
        if !matches!(queue, Queue::Close | Queue::Reopen | Queue::Delete) {
            return Err(DomainError::validation("queue", "unknown", None).into());
        }
        let t = now();
        let mut tx = self.begin().await?;
        // Lock the post so two first votes do not open two items.
        sqlx::query("UPDATE posts SET closed_at = closed_at WHERE id = $1")
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        let target = dispute_target(&mut tx, post_id).await?;
        s.privileges.require(voter, queue.privilege())?;
        check_dispute(&s.review, queue, &target)?;
        let open = sqlx::query(
            "SELECT id FROM review_items WHERE post_id = $1 AND queue = $2 AND state = 'open'",
        )
        .bind(post_id)
        .bind(queue.key())
        .fetch_optional(&mut *tx)
        .await?;
        let item_id = match open {
            Some(r) => r.i("id"),
            None => {
                let id = insert_item(
                    &mut tx,
                    queue,
                    s.review.thresholds(queue),
                    Some(post_id),
                    None,
                    None,
                    target.author_id,
                    None,
                    t,
                )
                .await?;
                audit(
                    &mut tx,
                    Some(voter.id),
                    "review_item_opened",
                    "review_item",
                    Some(id),
                    queue.key(),
                )
                .await?;
                id
            }
        };
        let item = load_item_locked(&mut tx, item_id).await?;
        let r = vote_on_item(&mut tx, s, voter, item, Verdict::Approve, input).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Skip an item: the reviewer moves on without a vote.
    pub async fn review_skip(&self, reviewer: i64, item_id: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO review_skips (item_id, reviewer_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(item_id)
        .bind(reviewer)
        .bind(now())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Resubmit a post whose review asked for changes (after the author
    /// edited it): it waits in the same queue again, as a new item.
    pub async fn resubmit_post(
        &self,
        s: &CommunitySettings,
        author: &Actor,
        post_id: i64,
    ) -> Result<i64> {
        let t = now();
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE posts SET status = $1 WHERE id = $2 AND author_id = $3 AND status = $4 AND deleted_at IS NULL RETURNING id",
        )
        .bind(status::PENDING)
        .bind(post_id)
        .bind(author.id)
        .bind(status::CHANGES_REQUESTED)
        .fetch_optional(&mut *tx)
        .await?;
        if r.is_none() {
            return Err(DomainError::from(ErrorCode::NotEligible).into());
        }
        let last = sqlx::query(
            "SELECT queue FROM review_items WHERE post_id = $1 AND queue IN ('first_posts', 'late_answers') ORDER BY id DESC LIMIT 1",
        )
        .bind(post_id)
        .fetch_optional(&mut *tx)
        .await?;
        let queue = last
            .and_then(|r| Queue::from_key(&r.s("queue")))
            .unwrap_or(Queue::FirstPosts);
        let id = open_post_item(
            &mut tx,
            Placement {
                queue,
                thresholds: s.review.thresholds(queue),
            },
            post_id,
            author.id,
            t,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Mark open close / reopen / delete items whose every vote has expired.
    pub async fn expire_review_items(&self, s: &CommunitySettings) -> Result<u64> {
        let cutoff = now() - s.review.vote_expiry_secs();
        let n = sqlx::query(
            "UPDATE review_items SET state = 'expired', decided_at = $1
             WHERE state = 'open' AND queue IN ('close', 'reopen', 'delete')
               AND NOT EXISTS (SELECT 1 FROM review_votes v WHERE v.item_id = review_items.id AND v.created_at >= $2)",
        )
        .bind(now())
        .bind(cutoff)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n)
    }

    // Reads -----------------------------------------------------------------

    pub async fn review_item(&self, id: i64) -> Result<Option<ReviewItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM {ITEM_FROM} WHERE i.id = $1");
        let Some(r) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
        else {
            return Ok(None);
        };
        let mut item = ReviewItem::from_row(&r);
        item.votes = item_votes(self.reader(), id).await?;
        Ok(Some(item))
    }

    pub async fn suggested_edit(&self, id: i64) -> Result<Option<SuggestedEdit>> {
        Ok(sqlx::query(
            "SELECT id, post_id, tag_id, editor_id, title, body_md, body_html, tags, comment, base_rev, created_at FROM suggested_edits WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .map(|r| edit_from_row(&r)))
    }

    /// Open items of a queue, oldest first.
    pub async fn queue_items(
        &self,
        queue: Queue,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ReviewItem>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM {ITEM_FROM} WHERE i.queue = $1 AND i.state = 'open'
             ORDER BY i.created_at, i.id LIMIT $2 OFFSET $3"
        );
        Ok(sqlx::query(&sql)
            .bind(queue.key())
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(ReviewItem::from_row)
            .collect())
    }

    /// The oldest open item this reviewer can act on: not their own, not
    /// voted on, not skipped.
    pub async fn next_review_item(&self, queue: Queue, reviewer: i64) -> Result<Option<i64>> {
        Ok(sqlx::query(
            "SELECT i.id FROM review_items i WHERE i.queue = $1 AND i.state = 'open' AND i.author_id <> $2
               AND NOT EXISTS (SELECT 1 FROM review_votes v WHERE v.item_id = i.id AND v.reviewer_id = $2)
               AND NOT EXISTS (SELECT 1 FROM review_skips k WHERE k.item_id = i.id AND k.reviewer_id = $2)
             ORDER BY i.created_at, i.id LIMIT 1",
        )
        .bind(queue.key())
        .bind(reviewer)
        .fetch_optional(self.reader())
        .await?
        .map(|r| r.i("id")))
    }

    /// Open items on one post (close / reopen / delete counts on its page).
    pub async fn open_items_for_post(&self, post_id: i64) -> Result<Vec<ReviewItem>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM {ITEM_FROM} WHERE i.post_id = $1 AND i.state = 'open' ORDER BY i.id"
        );
        let mut items: Vec<ReviewItem> = sqlx::query(&sql)
            .bind(post_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(ReviewItem::from_row)
            .collect();
        for item in &mut items {
            item.votes = item_votes(self.reader(), item.id).await?;
        }
        Ok(items)
    }

    /// The latest pre-publish item of a post (what its author sees).
    pub async fn latest_prepublish_item(&self, post_id: i64) -> Result<Option<ReviewItem>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM {ITEM_FROM} WHERE i.post_id = $1 AND i.queue IN ('first_posts', 'late_answers') ORDER BY i.id DESC LIMIT 1"
        );
        Ok(sqlx::query(&sql)
            .bind(post_id)
            .fetch_optional(self.reader())
            .await?
            .map(|r| ReviewItem::from_row(&r)))
    }

    /// A member's posts that are not published (waiting, changes requested,
    /// rejected, hidden), newest first.
    pub async fn unpublished_posts(&self, author_id: i64) -> Result<Vec<PostRecord>> {
        let ids: Vec<i64> = sqlx::query(
            "SELECT id FROM posts WHERE author_id = $1 AND status <> 0 AND deleted_at IS NULL ORDER BY id DESC LIMIT 50",
        )
        .bind(author_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| r.i("id"))
        .collect();
        let mut out = Vec::new();
        for id in ids {
            if let Some(p) = self.post(id).await? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Reviews a member did today in a queue.
    pub async fn reviews_today(&self, reviewer: i64, queue: Queue) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM review_votes WHERE reviewer_id = $1 AND queue = $2 AND day = $3",
        )
        .bind(reviewer)
        .bind(queue.key())
        .bind(utc_day(now()))
        .fetch_one(self.reader())
        .await?
        .i("n"))
    }

    pub async fn queue_health(&self) -> Result<Vec<QueueHealth>> {
        let t = now();
        let mut out = Vec::new();
        for q in Queue::ALL {
            let ages: Vec<i64> = sqlx::query(
                "SELECT created_at FROM review_items WHERE queue = $1 AND state = 'open' ORDER BY created_at DESC",
            )
            .bind(q.key())
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| t - r.i("created_at"))
            .collect();
            let decided = |since: i64| {
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM review_items WHERE queue = $1 AND state = 'decided' AND decided_at >= $2",
                )
                .bind(q.key())
                .bind(since)
            };
            let day = decided(t - 86_400).fetch_one(self.reader()).await?.i("n");
            let week = decided(t - 7 * 86_400)
                .fetch_one(self.reader())
                .await?
                .i("n");
            out.push(QueueHealth {
                queue: q.key().to_string(),
                backlog: ages.len() as i64,
                median_age_secs: median(&ages),
                oldest_age_secs: ages.last().copied().unwrap_or(0),
                decided_last_day: day,
                decided_last_week: week,
            });
        }
        Ok(out)
    }

    /// Re-tally every decided item from its votes and check that the
    /// recorded outcome and the post's state agree; returns the items that
    /// do not (item id, what is recorded, what the votes say).
    pub async fn verify_review_outcomes(
        &self,
        s: &CommunitySettings,
    ) -> Result<Vec<(i64, String, String)>> {
        let sql =
            format!("SELECT {ITEM_COLS} FROM {ITEM_FROM} WHERE i.state = 'decided' ORDER BY i.id");
        let items: Vec<ReviewItem> = sqlx::query(&sql)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(ReviewItem::from_row)
            .collect();
        let mut bad = Vec::new();
        for item in items {
            let votes: Vec<ReviewVoteRecord> = item_votes(self.reader(), item.id).await?;
            // Tally as of the decision: votes were live then.
            let at = item.decided_at.unwrap_or(0);
            let outcome = tally(
                &s.review,
                item.queue,
                thresholds_of(&item),
                &cast_votes(&votes),
                at,
            )
            .map(|o| o.verdict.key().to_string())
            .unwrap_or_else(|| "undecided".into());
            if outcome != item.outcome {
                bad.push((item.id, item.outcome.clone(), outcome));
            }
        }
        Ok(bad)
    }
}

fn median(v: &[i64]) -> i64 {
    if v.is_empty() {
        return 0;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    s[s.len() / 2]
}

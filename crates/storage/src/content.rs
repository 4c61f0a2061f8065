//! Questions, answers, comments, tags, revisions, votes and accepts.

use crate::ledger::{self, Source};
use crate::moderation::notify_activity;
use crate::review::{self, Placement};
use crate::{now, Result, RowExt, Store, StoreError, Tx};
use guildhall_domain::inbox::Activity;
use guildhall_domain::moderation::may_delete_comment;
use guildhall_domain::votes::{
    check_edit, plan_accept, plan_delete, plan_vote, AcceptTarget, AnswerRef, PostKind, VoteTarget,
    VoteValue,
};
use guildhall_domain::{Actor, CommunitySettings, DomainError, ErrorCode, Privilege};
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct PostRecord {
    pub id: i64,
    pub kind: PostKind,
    pub question_id: Option<i64>,
    pub author_id: i64,
    pub author_name: String,
    pub author_reputation: i64,
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body_md: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body_html: String,
    pub tags: Vec<String>,
    pub score: i64,
    pub upvotes: i64,
    pub downvotes: i64,
    pub answer_count: i64,
    pub comment_count: i64,
    pub accepted_answer_id: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub last_activity_at: i64,
    pub deleted_at: Option<i64>,
    /// 0 published, 1 waiting for review, 2 changes requested, 3 rejected, 4 hidden by flags.
    pub status: i64,
    pub closed_at: Option<i64>,
    pub close_reason: String,
    pub duplicate_of: Option<i64>,
    pub locked_at: Option<i64>,
    pub view_count: i64,
}

const POST_COLS: &str = "p.id, p.kind, p.question_id, p.author_id, u.username, u.reputation AS author_rep, p.title, \
    p.body_md, p.body_html, p.tags, p.score, p.upvotes, p.downvotes, p.answer_count, p.comment_count, \
    p.accepted_answer_id, p.created_at, p.edited_at, p.last_activity_at, p.deleted_at, \
    p.status, p.closed_at, p.close_reason, p.duplicate_of, p.locked_at, p.view_count";
/// The same columns without bodies, for lists.
const SUMMARY_COLS: &str = "p.id, p.kind, p.question_id, p.author_id, u.username, u.reputation AS author_rep, p.title, \
    '' AS body_md, '' AS body_html, p.tags, p.score, p.upvotes, p.downvotes, p.answer_count, p.comment_count, \
    p.accepted_answer_id, p.created_at, p.edited_at, p.last_activity_at, p.deleted_at, \
    p.status, p.closed_at, p.close_reason, p.duplicate_of, p.locked_at, p.view_count";

impl PostRecord {
    fn from_row(r: &AnyRow) -> PostRecord {
        let tags = r.s("tags");
        PostRecord {
            id: r.i("id"),
            kind: PostKind::from_i64(r.i("kind")),
            question_id: r.oi("question_id"),
            author_id: r.i("author_id"),
            author_name: r.s("username"),
            author_reputation: r.i("author_rep"),
            title: r.s("title"),
            body_md: r.s("body_md"),
            body_html: r.s("body_html"),
            tags: tags.split_whitespace().map(str::to_string).collect(),
            score: r.i("score"),
            upvotes: r.i("upvotes"),
            downvotes: r.i("downvotes"),
            answer_count: r.i("answer_count"),
            comment_count: r.i("comment_count"),
            accepted_answer_id: r.oi("accepted_answer_id"),
            created_at: r.i("created_at"),
            edited_at: r.oi("edited_at"),
            last_activity_at: r.i("last_activity_at"),
            deleted_at: r.oi("deleted_at"),
            status: r.i("status"),
            closed_at: r.oi("closed_at"),
            close_reason: r.s("close_reason"),
            duplicate_of: r.oi("duplicate_of"),
            locked_at: r.oi("locked_at"),
            view_count: r.i("view_count"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CommentRecord {
    pub id: i64,
    pub post_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body_html: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionPage {
    pub question: PostRecord,
    pub answers: Vec<PostRecord>,
    pub comments: Vec<CommentRecord>,
    /// The viewer's votes on the question and its answers (post id → -1/+1).
    pub my_votes: HashMap<i64, i64>,
    /// How many members bookmarked the question.
    pub bookmarks: i64,
    /// Whether the viewer did.
    pub bookmarked: bool,
}

/// A member's own lists of questions: those in the tags they follow, and
/// those they bookmarked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnList {
    Following,
    Bookmarks,
}

impl OwnList {
    /// Its name in addresses and message keys.
    pub fn key(self) -> &'static str {
        match self {
            OwnList::Following => "following",
            OwnList::Bookmarks => "bookmarks",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub id: i64,
    pub post_id: i64,
    pub rev: i64,
    pub author_id: i64,
    pub author_name: String,
    pub kind: String,
    pub title: String,
    pub body_md: String,
    pub tags: String,
    pub comment: String,
    pub rolled_back_to: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagRecord {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub question_count: i64,
}

pub(crate) const TAG_COLS: &str = "id, name, description, question_count";

impl TagRecord {
    pub(crate) fn from_row(r: &AnyRow) -> TagRecord {
        TagRecord {
            id: r.i("id"),
            name: r.s("name"),
            description: r.s("description"),
            question_count: r.i("question_count"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionSort {
    Newest,
    Active,
    Votes,
    Unanswered,
}

impl QuestionSort {
    pub fn parse(s: &str) -> Option<QuestionSort> {
        match s {
            "newest" => Some(QuestionSort::Newest),
            "active" => Some(QuestionSort::Active),
            "votes" => Some(QuestionSort::Votes),
            "unanswered" => Some(QuestionSort::Unanswered),
            _ => None,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            QuestionSort::Newest => "newest",
            QuestionSort::Active => "active",
            QuestionSort::Votes => "votes",
            QuestionSort::Unanswered => "unanswered",
        }
    }
}

/// New content as the service layer prepared it (validated, rendered).
pub struct PostInput<'a> {
    pub title: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub tags: &'a [String],
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct VoteOutcome {
    pub post_id: i64,
    pub value: VoteValue,
    pub score: i64,
    pub changed: bool,
    /// The post's author (whose badges a vote may change); not part of the API.
    #[serde(skip)]
    pub author_id: i64,
}

/// Post states (posts.status).
pub mod status {
    pub const PUBLISHED: i64 = 0;
    pub const PENDING: i64 = 1;
    pub const CHANGES_REQUESTED: i64 = 2;
    pub const REJECTED: i64 = 3;
    pub const HIDDEN: i64 = 4;
}

impl PostRecord {
    pub fn is_published(&self) -> bool {
        self.status == status::PUBLISHED && self.deleted_at.is_none()
    }
}

pub(crate) fn not_found(what: &'static str) -> StoreError {
    DomainError::NotFound(what).into()
}

/// Resolve tag names to ids, creating missing tags if the actor may.
async fn resolve_tags(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    actor: &Actor,
    names: &[String],
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let row = sqlx::query("SELECT id FROM tags WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        let id = match row {
            Some(r) => r.i("id"),
            None => {
                s.privileges.require(actor, Privilege::CreateTags)?;
                sqlx::query("INSERT INTO tags (name, created_by, created_at) VALUES ($1, $2, $3) RETURNING id")
                    .bind(name)
                    .bind(actor.id)
                    .bind(now())
                    .fetch_one(&mut **tx)
                    .await?
                    .i("id")
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Change a question's tags; `counted` says whether the question counts in
/// the tags' question counts (published and not deleted).
async fn set_post_tags(
    tx: &mut Tx<'_>,
    post_id: i64,
    old: &[i64],
    new: &[i64],
    counted: bool,
) -> Result<()> {
    let delta = i64::from(counted);
    for id in old.iter().filter(|id| !new.contains(id)) {
        sqlx::query("DELETE FROM post_tags WHERE post_id = $1 AND tag_id = $2")
            .bind(post_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE tags SET question_count = question_count - $2 WHERE id = $1")
            .bind(id)
            .bind(delta)
            .execute(&mut **tx)
            .await?;
    }
    for id in new.iter().filter(|id| !old.contains(id)) {
        sqlx::query("INSERT INTO post_tags (post_id, tag_id) VALUES ($1, $2)")
            .bind(post_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE tags SET question_count = question_count + $2 WHERE id = $1")
            .bind(id)
            .bind(delta)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Add `delta` (+1 or -1) to the counters a published post counts in: its
/// question's answer count, or its tags' question counts.
pub(crate) async fn count_visible(
    tx: &mut Tx<'_>,
    post_id: i64,
    kind: PostKind,
    question_id: Option<i64>,
    delta: i64,
) -> Result<()> {
    match kind {
        PostKind::Answer => {
            sqlx::query("UPDATE posts SET answer_count = answer_count + $2 WHERE id = $1")
                .bind(question_id)
                .bind(delta)
                .execute(&mut **tx)
                .await?;
        }
        PostKind::Question => {
            sqlx::query("UPDATE tags SET question_count = question_count + $2 WHERE id IN (SELECT tag_id FROM post_tags WHERE post_id = $1)")
                .bind(post_id)
                .bind(delta)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_revision(
    tx: &mut Tx<'_>,
    post_id: i64,
    author_id: i64,
    kind: &str,
    input: &PostInput<'_>,
    comment: &str,
    rolled_back_to: Option<i64>,
    t: i64,
) -> Result<i64> {
    let rev = sqlx::query(
        "SELECT CAST(COALESCE(MAX(rev), 0) + 1 AS BIGINT) AS n FROM revisions WHERE post_id = $1",
    )
    .bind(post_id)
    .fetch_one(&mut **tx)
    .await?
    .i("n");
    sqlx::query(
        "INSERT INTO revisions (post_id, rev, author_id, kind, title, body_md, tags, comment, rolled_back_to, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(post_id)
    .bind(rev)
    .bind(author_id)
    .bind(kind)
    .bind(input.title)
    .bind(input.body_md)
    .bind(input.tags.join(" "))
    .bind(comment)
    .bind(rolled_back_to)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    Ok(rev)
}

/// Edit a post inside a transaction. `via_review` is set when an approved
/// suggested edit is applied (the review decided, not the editor's privilege).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn edit_post_tx(
    tx: &mut Tx<'_>,
    s: &CommunitySettings,
    actor: &Actor,
    post_id: i64,
    input: &PostInput<'_>,
    comment: &str,
    rolled_back_to: Option<i64>,
    via_review: bool,
) -> Result<i64> {
    let t = now();
    let row = sqlx::query(
        "UPDATE posts SET edited_at = edited_at WHERE id = $1 RETURNING author_id, kind, question_id, deleted_at, status, locked_at",
    )
    .bind(post_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| not_found("post"))?;
    if row.oi("locked_at").is_some() && !actor.role.is_staff() {
        return Err(DomainError::from(ErrorCode::Locked).into());
    }
    if !via_review {
        check_edit(s, actor, row.i("author_id"), row.oi("deleted_at").is_some())?;
    }
    let counted = row.i("status") == status::PUBLISHED && row.oi("deleted_at").is_none();
    let kind = PostKind::from_i64(row.i("kind"));
    if kind == PostKind::Question {
        let old: Vec<i64> = sqlx::query("SELECT tag_id FROM post_tags WHERE post_id = $1")
            .bind(post_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.i("tag_id"))
            .collect();
        let new = resolve_tags(tx, s, actor, input.tags).await?;
        set_post_tags(tx, post_id, &old, &new, counted).await?;
    }
    sqlx::query(
        "UPDATE posts SET title = $1, body_md = $2, body_html = $3, tags = $4, edited_at = $5, last_activity_at = $5 WHERE id = $6",
    )
    .bind(input.title)
    .bind(input.body_md)
    .bind(input.body_html)
    .bind(input.tags.join(" "))
    .bind(t)
    .bind(post_id)
    .execute(&mut **tx)
    .await?;
    if let Some(q) = row.oi("question_id") {
        sqlx::query("UPDATE posts SET last_activity_at = $1 WHERE id = $2")
            .bind(t)
            .bind(q)
            .execute(&mut **tx)
            .await?;
    }
    let kind_s = if rolled_back_to.is_some() {
        "rollback"
    } else {
        "edit"
    };
    let rev = insert_revision(
        tx,
        post_id,
        actor.id,
        kind_s,
        input,
        comment,
        rolled_back_to,
        t,
    )
    .await?;
    Ok(rev)
}

impl Store {
    /// Create a question; `state` is [`status::PUBLISHED`] or
    /// [`status::PENDING`] (waiting in a pre-publish queue).
    pub async fn create_question(
        &self,
        s: &CommunitySettings,
        author: &Actor,
        input: &PostInput<'_>,
        review: Option<Placement>,
    ) -> Result<i64> {
        let state = if review.is_some() {
            status::PENDING
        } else {
            status::PUBLISHED
        };
        s.privileges.require(author, Privilege::Post)?;
        let t = now();
        let mut tx = self.begin().await?;
        let tag_ids = resolve_tags(&mut tx, s, author, input.tags).await?;
        let id = sqlx::query(
            "INSERT INTO posts (kind, author_id, title, body_md, body_html, tags, created_at, last_activity_at, status)
             VALUES (1, $1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
        )
        .bind(author.id)
        .bind(input.title)
        .bind(input.body_md)
        .bind(input.body_html)
        .bind(input.tags.join(" "))
        .bind(t)
        .bind(state)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        set_post_tags(&mut tx, id, &[], &tag_ids, state == status::PUBLISHED).await?;
        insert_revision(&mut tx, id, author.id, "initial", input, "", None, t).await?;
        if let Some(p) = review {
            review::open_post_item(&mut tx, p, id, author.id, t).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_answer(
        &self,
        s: &CommunitySettings,
        author: &Actor,
        question_id: i64,
        body_md: &str,
        body_html: &str,
        review: Option<Placement>,
    ) -> Result<i64> {
        s.privileges.require(author, Privilege::Post)?;
        let state = if review.is_some() {
            status::PENDING
        } else {
            status::PUBLISHED
        };
        let t = now();
        let mut tx = self.begin().await?;
        // A pending answer is not counted (nor does it bump the question) until published.
        let published = i64::from(state == status::PUBLISHED);
        let q = sqlx::query(
            "UPDATE posts SET answer_count = answer_count + $3,
                    last_activity_at = CASE WHEN $3 = 1 THEN $1 ELSE last_activity_at END
             WHERE id = $2 AND kind = 1 AND deleted_at IS NULL AND status = 0
             RETURNING author_id, closed_at, locked_at",
        )
        .bind(t)
        .bind(question_id)
        .bind(published)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found("question"))?;
        if q.oi("locked_at").is_some() {
            return Err(DomainError::from(ErrorCode::Locked).into());
        }
        if q.oi("closed_at").is_some() {
            return Err(DomainError::from(ErrorCode::Closed).into());
        }
        let id = sqlx::query(
            "INSERT INTO posts (kind, question_id, author_id, body_md, body_html, created_at, last_activity_at, status)
             VALUES (2, $1, $2, $3, $4, $5, $5, $6) RETURNING id",
        )
        .bind(question_id)
        .bind(author.id)
        .bind(body_md)
        .bind(body_html)
        .bind(t)
        .bind(state)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        let input = PostInput {
            title: "",
            body_md,
            body_html,
            tags: &[],
        };
        insert_revision(&mut tx, id, author.id, "initial", &input, "", None, t).await?;
        match review {
            Some(p) => {
                review::open_post_item(&mut tx, p, id, author.id, t).await?;
            }
            // A pending answer is announced when it is approved.
            None => {
                let answered = Activity::Answered {
                    question_author: q.i("author_id"),
                    answerer: author.id,
                };
                notify_activity(&mut tx, answered, id).await?;
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_comment(
        &self,
        s: &CommunitySettings,
        author: &Actor,
        post_id: i64,
        body_md: &str,
        body_html: &str,
    ) -> Result<i64> {
        s.privileges.require(author, Privilege::Post)?;
        let t = now();
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE posts SET comment_count = comment_count + 1 WHERE id = $1 AND deleted_at IS NULL AND status = 0 RETURNING author_id, kind, question_id, locked_at",
        )
        .bind(post_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found("post"))?;
        if row.oi("locked_at").is_some() {
            return Err(DomainError::from(ErrorCode::Locked).into());
        }
        let qid = row.oi("question_id").unwrap_or(post_id);
        sqlx::query("UPDATE posts SET last_activity_at = $1 WHERE id = $2")
            .bind(t)
            .bind(qid)
            .execute(&mut *tx)
            .await?;
        let id = sqlx::query(
            "INSERT INTO comments (post_id, author_id, body_md, body_html, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(post_id)
        .bind(author.id)
        .bind(body_md)
        .bind(body_html)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        let commented = Activity::Commented {
            post_author: row.i("author_id"),
            commenter: author.id,
        };
        notify_activity(&mut tx, commented, post_id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Remove a comment (the row stays, marked deleted): its author, or a
    /// moderator, which the audit log records. Returns the post it was on;
    /// removing it twice changes nothing.
    pub async fn delete_comment(&self, actor: &Actor, comment_id: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        let c = sqlx::query("SELECT post_id, author_id FROM comments WHERE id = $1")
            .bind(comment_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("comment"))?;
        let post_id = c.i("post_id");
        let by_moderator = may_delete_comment(actor, c.i("author_id"))?;
        let removed =
            sqlx::query("UPDATE comments SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(now())
                .bind(comment_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if removed == 1 {
            sqlx::query("UPDATE posts SET comment_count = comment_count - 1 WHERE id = $1")
                .bind(post_id)
                .execute(&mut *tx)
                .await?;
            if by_moderator {
                crate::moderation::audit(
                    &mut tx,
                    Some(actor.id),
                    "delete_comment",
                    "comment",
                    Some(comment_id),
                    "",
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(post_id)
    }

    /// Edit a post (or roll it back: `rolled_back_to` names the revision);
    /// every edit is a new revision.
    pub async fn edit_post(
        &self,
        s: &CommunitySettings,
        actor: &Actor,
        post_id: i64,
        input: &PostInput<'_>,
        comment: &str,
        rolled_back_to: Option<i64>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let rev = edit_post_tx(
            &mut tx,
            s,
            actor,
            post_id,
            input,
            comment,
            rolled_back_to,
            false,
        )
        .await?;
        tx.commit().await?;
        Ok(rev)
    }

    pub async fn delete_post(
        &self,
        s: &CommunitySettings,
        actor: &Actor,
        post_id: i64,
    ) -> Result<()> {
        let t = now();
        let mut tx = self.begin().await?;
        let row = sqlx::query("UPDATE posts SET deleted_at = deleted_at WHERE id = $1 RETURNING author_id, kind, question_id, deleted_at, status")
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("post"))?;
        let author = row.i("author_id");
        let kind = PostKind::from_i64(row.i("kind"));
        let entries = plan_delete(s, actor, author, kind, row.oi("deleted_at").is_some())?;
        sqlx::query("UPDATE posts SET deleted_at = $1, deleted_by = $2 WHERE id = $3")
            .bind(t)
            .bind(actor.id)
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        if row.i("status") == status::PUBLISHED {
            count_visible(&mut tx, post_id, kind, row.oi("question_id"), -1).await?;
        }
        if !entries.is_empty() {
            ledger::lock_user(&mut tx, author).await?;
            ledger::append(
                &mut tx,
                &s.reputation,
                &entries,
                Source {
                    kind: "delete",
                    id: Some(post_id),
                    post_id: Some(post_id),
                },
            )
            .await?;
            ledger::refresh_reputation(&mut tx, &s.reputation, author).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Set the voter's vote on a post to `requested` (up, down or none).
    pub async fn vote(
        &self,
        s: &CommunitySettings,
        voter: &Actor,
        post_id: i64,
        requested: VoteValue,
    ) -> Result<VoteOutcome> {
        let mut tx = self.begin().await?;
        // Lock the post first: concurrent votes on it wait here.
        let row = sqlx::query("UPDATE posts SET score = score WHERE id = $1 RETURNING author_id, kind, deleted_at, score, status, locked_at")
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found("post"))?;
        let target = VoteTarget {
            author_id: row.i("author_id"),
            kind: PostKind::from_i64(row.i("kind")),
            deleted: row.oi("deleted_at").is_some() || row.i("status") != status::PUBLISHED,
        };
        if row.oi("locked_at").is_some() {
            return Err(DomainError::from(ErrorCode::Locked).into());
        }
        let prev_row =
            sqlx::query("SELECT value, event_id FROM votes WHERE post_id = $1 AND voter_id = $2")
                .bind(post_id)
                .bind(voter.id)
                .fetch_optional(&mut *tx)
                .await?;
        let previous = prev_row
            .as_ref()
            .map(|r| VoteValue::from_i64(r.i("value")))
            .unwrap_or(VoteValue::None);
        let Some(plan) = plan_vote(s, voter, &target, previous, requested)? else {
            tx.rollback().await?;
            return Ok(VoteOutcome {
                post_id,
                value: previous,
                score: row.i("score"),
                changed: false,
                author_id: target.author_id,
            });
        };
        let t = now();
        let event = sqlx::query(
            "INSERT INTO vote_events (post_id, voter_id, value, previous, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(post_id)
        .bind(voter.id)
        .bind(plan.new_value.as_i64())
        .bind(previous.as_i64())
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        sqlx::query(
            "INSERT INTO votes (post_id, voter_id, value, event_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (post_id, voter_id) DO UPDATE SET value = excluded.value, event_id = excluded.event_id",
        )
        .bind(post_id)
        .bind(voter.id)
        .bind(plan.new_value.as_i64())
        .bind(event)
        .execute(&mut *tx)
        .await?;
        let score = sqlx::query(
            "UPDATE posts SET score = score + $1, upvotes = upvotes + $2, downvotes = downvotes + $3 WHERE id = $4 RETURNING score",
        )
        .bind(plan.score_delta)
        .bind(plan.upvotes_delta)
        .bind(plan.downvotes_delta)
        .bind(post_id)
        .fetch_one(&mut *tx)
        .await?
        .i("score");
        let source = Source {
            kind: "vote",
            id: Some(event),
            post_id: Some(post_id),
        };
        let mut users: Vec<i64> = plan.entries.iter().map(|e| e.user_id).collect();
        if plan.reverse_previous {
            // The previous vote's rows name the same two people (author, voter).
            users.extend([target.author_id, voter.id]);
        }
        ledger::lock_users(&mut tx, &mut users).await?;
        if plan.reverse_previous {
            let prev_event = prev_row.as_ref().map(|r| r.i("event_id"));
            ledger::reverse(
                &mut tx,
                Source {
                    kind: "vote",
                    id: prev_event,
                    post_id: Some(post_id),
                },
                source,
            )
            .await?;
        }
        ledger::append(&mut tx, &s.reputation, &plan.entries, source).await?;
        for u in &users {
            ledger::refresh_reputation(&mut tx, &s.reputation, *u).await?;
        }
        tx.commit().await?;
        Ok(VoteOutcome {
            post_id,
            value: plan.new_value,
            score,
            changed: true,
            author_id: target.author_id,
        })
    }

    /// Accept an answer on the actor's question, or undo with `None`.
    pub async fn accept(
        &self,
        s: &CommunitySettings,
        actor: &Actor,
        question_id: i64,
        answer_id: Option<i64>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let q = sqlx::query(
            "UPDATE posts SET accepted_answer_id = accepted_answer_id WHERE id = $1 AND kind = 1
             RETURNING author_id, deleted_at, accepted_answer_id",
        )
        .bind(question_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found("question"))?;
        let target = AcceptTarget {
            question_id,
            question_author: q.i("author_id"),
            question_deleted: q.oi("deleted_at").is_some(),
            currently_accepted: q.oi("accepted_answer_id"),
        };
        let answer = match answer_id {
            Some(aid) => {
                let a = sqlx::query("SELECT id, author_id, question_id, deleted_at FROM posts WHERE id = $1 AND kind = 2")
                    .bind(aid)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| not_found("answer"))?;
                Some(AnswerRef {
                    id: a.i("id"),
                    author_id: a.i("author_id"),
                    question_id: a.oi("question_id").unwrap_or(0),
                    deleted: a.oi("deleted_at").is_some(),
                })
            }
            None => None,
        };
        let Some(plan) = plan_accept(s, actor, &target, answer.as_ref())? else {
            tx.rollback().await?;
            return Ok(target.currently_accepted);
        };
        let prev_event = sqlx::query(
            "SELECT id FROM accept_events WHERE question_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(question_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.i("id"));
        let t = now();
        let event = sqlx::query(
            "INSERT INTO accept_events (question_id, answer_id, actor_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(question_id)
        .bind(plan.new_accepted)
        .bind(actor.id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .i("id");
        sqlx::query(
            "UPDATE posts SET accepted_answer_id = $1, last_activity_at = $2 WHERE id = $3",
        )
        .bind(plan.new_accepted)
        .bind(t)
        .bind(question_id)
        .execute(&mut *tx)
        .await?;
        let mut users: Vec<i64> = plan.entries.iter().map(|e| e.user_id).collect();
        if plan.reverse_previous {
            let prev_rows = sqlx::query(
                "SELECT user_id FROM reputation_ledger WHERE source = 'accept' AND source_id = $1",
            )
            .bind(prev_event)
            .fetch_all(&mut *tx)
            .await?;
            users.extend(prev_rows.iter().map(|r| r.i("user_id")));
        }
        ledger::lock_users(&mut tx, &mut users).await?;
        let source = Source {
            kind: "accept",
            id: Some(event),
            post_id: plan.new_accepted.or(target.currently_accepted),
        };
        if plan.reverse_previous {
            ledger::reverse(
                &mut tx,
                Source {
                    kind: "accept",
                    id: prev_event,
                    post_id: None,
                },
                source,
            )
            .await?;
        }
        ledger::append(&mut tx, &s.reputation, &plan.entries, source).await?;
        for u in &users {
            ledger::refresh_reputation(&mut tx, &s.reputation, *u).await?;
        }
        if let (Some(a), Some(id)) = (&answer, plan.new_accepted) {
            let accepted = Activity::Accepted {
                answer_author: a.author_id,
                acceptor: actor.id,
            };
            notify_activity(&mut tx, accepted, id).await?;
        }
        tx.commit().await?;
        Ok(plan.new_accepted)
    }

    // Reads -----------------------------------------------------------------

    pub async fn post(&self, id: i64) -> Result<Option<PostRecord>> {
        let sql = format!(
            "SELECT {POST_COLS} FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1"
        );
        Ok(sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .map(|r| PostRecord::from_row(&r)))
    }

    /// One page of questions; returns one more row than asked when there is
    /// a next page (cheaper than counting).
    pub async fn list_questions(
        &self,
        sort: QuestionSort,
        tag: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PostRecord>> {
        let order = match sort {
            QuestionSort::Newest | QuestionSort::Unanswered => "p.created_at DESC, p.id DESC",
            QuestionSort::Active => "p.last_activity_at DESC, p.id DESC",
            QuestionSort::Votes => "p.score DESC, p.id DESC",
        };
        let unanswered = if sort == QuestionSort::Unanswered {
            " AND p.answer_count = 0"
        } else {
            ""
        };
        let (join, bind_tag) = match tag {
            Some(_) => ("JOIN post_tags pt ON pt.post_id = p.id JOIN tags t ON t.id = pt.tag_id AND t.name = $3", true),
            None => ("", false),
        };
        let sql = format!(
            "SELECT {SUMMARY_COLS} FROM posts p JOIN users u ON u.id = p.author_id {join}
             WHERE p.kind = 1 AND p.deleted_at IS NULL AND p.status = 0{unanswered} ORDER BY {order} LIMIT $1 OFFSET $2"
        );
        let mut q = sqlx::query(&sql).bind(limit + 1).bind(offset);
        if bind_tag {
            q = q.bind(tag.unwrap_or_default());
        }
        Ok(q.fetch_all(self.reader())
            .await?
            .iter()
            .map(PostRecord::from_row)
            .collect())
    }

    pub async fn question_page(
        &self,
        id: i64,
        viewer: Option<i64>,
    ) -> Result<Option<QuestionPage>> {
        let sql = format!(
            "SELECT {POST_COLS} FROM posts p JOIN users u ON u.id = p.author_id
             WHERE (p.id = $1 AND p.kind = 1) OR (p.question_id = $1 AND p.kind = 2 AND p.deleted_at IS NULL AND p.status = 0)"
        );
        let mut posts: Vec<PostRecord> = sqlx::query(&sql)
            .bind(id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(PostRecord::from_row)
            .collect();
        let Some(qi) = posts
            .iter()
            .position(|p| p.id == id && p.kind == PostKind::Question)
        else {
            return Ok(None);
        };
        let question = posts.swap_remove(qi);
        let accepted = question.accepted_answer_id;
        // Accepted first, then by score, then oldest first.
        posts.sort_by(|a, b| {
            (Some(b.id) == accepted)
                .cmp(&(Some(a.id) == accepted))
                .then(b.score.cmp(&a.score))
                .then(a.created_at.cmp(&b.created_at))
                .then(a.id.cmp(&b.id))
        });
        let comments = sqlx::query(
            "SELECT c.id, c.post_id, c.author_id, u.username, c.body_html, c.created_at FROM comments c
             JOIN users u ON u.id = c.author_id
             WHERE c.post_id IN (SELECT id FROM posts WHERE id = $1 OR question_id = $1) AND c.deleted_at IS NULL
             ORDER BY c.created_at, c.id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| CommentRecord {
            id: r.i("id"),
            post_id: r.i("post_id"),
            author_id: r.i("author_id"),
            author_name: r.s("username"),
            body_html: r.s("body_html"),
            created_at: r.i("created_at"),
        })
        .collect();
        let (my_votes, bookmarked) = match viewer {
            Some(v) => self.viewer_state(v, id).await?,
            None => (HashMap::new(), false),
        };
        let bookmarks = sqlx::query("SELECT COUNT(*) AS n FROM bookmarks WHERE post_id = $1")
            .bind(id)
            .fetch_one(self.reader())
            .await?
            .i("n");
        Ok(Some(QuestionPage {
            question,
            answers: posts,
            comments,
            my_votes,
            bookmarks,
            bookmarked,
        }))
    }

    pub async fn is_bookmarked(&self, user_id: i64, question_id: i64) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 AS x FROM bookmarks WHERE user_id = $1 AND post_id = $2")
                .bind(user_id)
                .bind(question_id)
                .fetch_optional(self.reader())
                .await?
                .is_some(),
        )
    }

    /// Bookmark a published question, or remove the bookmark; doing it twice
    /// changes nothing. A bookmark is private to its member.
    pub async fn set_bookmark(&self, user_id: i64, question_id: i64, on: bool) -> Result<()> {
        if !on {
            sqlx::query("DELETE FROM bookmarks WHERE user_id = $1 AND post_id = $2")
                .bind(user_id)
                .bind(question_id)
                .execute(&self.write)
                .await?;
            return Ok(());
        }
        // Only a question anyone may see; the check and the insert are one
        // statement, so a question deleted meanwhile is not bookmarked.
        let done = sqlx::query(
            "INSERT INTO bookmarks (user_id, post_id, created_at)
             SELECT $1, id, $3 FROM posts WHERE id = $2 AND kind = 1 AND deleted_at IS NULL AND status = 0
             ON CONFLICT (user_id, post_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(question_id)
        .bind(now())
        .execute(&self.write)
        .await?
        .rows_affected();
        if done == 0 && !self.is_bookmarked(user_id, question_id).await? {
            return Err(not_found("question"));
        }
        Ok(())
    }

    /// A page of one of the member's own lists of visible questions (one
    /// more row than asked when there is a next page).
    pub async fn own_list(
        &self,
        list: OwnList,
        user_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PostRecord>> {
        let sql = match list {
            // Newest first.
            OwnList::Following => format!(
                "SELECT {SUMMARY_COLS} FROM posts p JOIN users u ON u.id = p.author_id
                 WHERE p.kind = 1 AND p.deleted_at IS NULL AND p.status = 0 AND p.id IN
                   (SELECT pt.post_id FROM post_tags pt JOIN tag_follows f ON f.tag_id = pt.tag_id WHERE f.user_id = $3)
                 ORDER BY p.created_at DESC, p.id DESC LIMIT $1 OFFSET $2"
            ),
            // Most recently bookmarked first.
            OwnList::Bookmarks => format!(
                "SELECT {SUMMARY_COLS} FROM bookmarks b JOIN posts p ON p.id = b.post_id JOIN users u ON u.id = p.author_id
                 WHERE b.user_id = $3 AND p.kind = 1 AND p.deleted_at IS NULL AND p.status = 0
                 ORDER BY b.created_at DESC, b.post_id DESC LIMIT $1 OFFSET $2"
            ),
        };
        Ok(sqlx::query(&sql)
            .bind(limit + 1)
            .bind(offset)
            .bind(user_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(PostRecord::from_row)
            .collect())
    }

    pub async fn revisions(&self, post_id: i64) -> Result<Vec<Revision>> {
        let rows = sqlx::query(
            "SELECT r.id, r.post_id, r.rev, r.author_id, u.username, r.kind, r.title, r.body_md, r.tags, r.comment, r.rolled_back_to, r.created_at
             FROM revisions r JOIN users u ON u.id = r.author_id WHERE r.post_id = $1 ORDER BY r.rev",
        )
        .bind(post_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Revision {
                id: r.i("id"),
                post_id: r.i("post_id"),
                rev: r.i("rev"),
                author_id: r.i("author_id"),
                author_name: r.s("username"),
                kind: r.s("kind"),
                title: r.s("title"),
                body_md: r.s("body_md"),
                tags: r.s("tags"),
                comment: r.s("comment"),
                rolled_back_to: r.oi("rolled_back_to"),
                created_at: r.i("created_at"),
            })
            .collect())
    }

    /// A member's questions or answers, newest first; answers carry their
    /// question's title.
    pub async fn user_posts(
        &self,
        user_id: i64,
        kind: PostKind,
        limit: i64,
    ) -> Result<Vec<PostRecord>> {
        let sql = format!(
            "SELECT {SUMMARY_COLS}, q.title AS qtitle FROM posts p JOIN users u ON u.id = p.author_id
             LEFT JOIN posts q ON q.id = p.question_id
             WHERE p.author_id = $1 AND p.kind = $2 AND p.deleted_at IS NULL AND p.status = 0 ORDER BY p.created_at DESC, p.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(kind.as_i64())
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut p = PostRecord::from_row(r);
                if p.kind == PostKind::Answer {
                    p.title = r.s("qtitle");
                }
                p
            })
            .collect())
    }

    pub async fn count_user_posts(&self, user_id: i64) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS q,
                    CAST(COALESCE(SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS a
             FROM posts WHERE author_id = $1 AND deleted_at IS NULL AND status = 0",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok((r.i("q"), r.i("a")))
    }

    pub async fn tag(&self, name: &str) -> Result<Option<TagRecord>> {
        let r = sqlx::query(&format!("SELECT {TAG_COLS} FROM tags WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        Ok(r.as_ref().map(TagRecord::from_row))
    }

    pub async fn set_tag_description(&self, name: &str, description: &str) -> Result<()> {
        sqlx::query("UPDATE tags SET description = $1 WHERE name = $2")
            .bind(description)
            .bind(name)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn error_if_missing<T>(v: Option<T>) -> Result<T> {
        v.ok_or_else(|| DomainError::Other(ErrorCode::NotFound).into())
    }
}

impl Store {
    /// Create a tag, or return the existing one of that name.
    pub async fn create_tag(
        &self,
        name: &str,
        description: &str,
        created_by: i64,
    ) -> Result<TagRecord> {
        sqlx::query("INSERT INTO tags (name, description, created_by, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(description)
            .bind(created_by)
            .bind(now())
            .execute(&self.write)
            .await?;
        self.tag(name).await?.ok_or_else(|| not_found("tag"))
    }
}

impl Store {
    /// A member's votes on a question and its answers (post id → -1/+1).
    /// What a question page shows of its viewer, in one round trip: their
    /// votes on the question and its answers (post id → -1/+1), and whether
    /// they bookmarked it (the row of value 0: votes are never 0 here).
    pub async fn viewer_state(
        &self,
        viewer: i64,
        question_id: i64,
    ) -> Result<(HashMap<i64, i64>, bool)> {
        let rows = sqlx::query(
            "SELECT post_id, value FROM votes WHERE voter_id = $1 AND value <> 0
             AND post_id IN (SELECT id FROM posts WHERE id = $2 OR question_id = $2)
             UNION ALL
             SELECT post_id, 0 AS value FROM bookmarks WHERE user_id = $1 AND post_id = $2",
        )
        .bind(viewer)
        .bind(question_id)
        .fetch_all(self.reader())
        .await?;
        let bookmarked = rows.iter().any(|r| r.i("value") == 0);
        let votes = rows
            .iter()
            .filter(|r| r.i("value") != 0)
            .map(|r| (r.i("post_id"), r.i("value")))
            .collect();
        Ok((votes, bookmarked))
    }
}

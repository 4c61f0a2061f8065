//! The review center (众审中心): who may review what, and what a set of
//! review votes decides.
//!
//! Three tiers, each gated by a privilege: pre-publish review of first posts
//! and late answers, review of suggested edits, and disputed content (close,
//! reopen and delete votes, flags). Storage records every vote and calls
//! [`tally`] after each one; the first vote that makes `tally` return an
//! outcome decides the item, and the outcome is applied once.

use crate::error::{DomainError, ErrorCode};
use crate::privileges::{Actor, Privilege, PrivilegeLadder};
use crate::votes::PostKind;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// The queues of the review center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    FirstPosts,
    LateAnswers,
    SuggestedEdits,
    Close,
    Reopen,
    Delete,
}

impl Queue {
    pub const ALL: [Queue; 6] = [
        Queue::FirstPosts,
        Queue::LateAnswers,
        Queue::SuggestedEdits,
        Queue::Close,
        Queue::Reopen,
        Queue::Delete,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Queue::FirstPosts => "first_posts",
            Queue::LateAnswers => "late_answers",
            Queue::SuggestedEdits => "suggested_edits",
            Queue::Close => "close",
            Queue::Reopen => "reopen",
            Queue::Delete => "delete",
        }
    }

    pub fn from_key(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.key() == s)
    }

    /// The privilege a reviewer of this queue needs. Tag-wiki edits need
    /// [`Privilege::ReviewTagWiki`] instead (see [`check_reviewer`]).
    pub fn privilege(self) -> Privilege {
        match self {
            Queue::FirstPosts | Queue::LateAnswers => Privilege::ReviewFirstPosts,
            Queue::SuggestedEdits | Queue::Close | Queue::Reopen | Queue::Delete => {
                Privilege::ReviewEdits
            }
        }
    }

    /// Pre-publish queues hold content that nobody but its author sees yet.
    pub fn is_prepublish(self) -> bool {
        matches!(self, Queue::FirstPosts | Queue::LateAnswers)
    }
}

/// What one reviewer says about an item. For close / reopen / delete items
/// `Approve` means "close" / "reopen" / "delete" and `Reject` means "leave
/// as it is".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    RequestChanges,
    Reject,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "request_changes",
            Verdict::Reject => "reject",
        }
    }
    pub fn from_key(s: &str) -> Option<Verdict> {
        [Verdict::Approve, Verdict::RequestChanges, Verdict::Reject]
            .into_iter()
            .find(|v| v.key() == s)
    }
}

/// Why a first post or late answer is rejected.
pub const REJECT_REASONS: [&str; 4] = ["spam", "duplicate", "incomplete", "off_topic"];
/// Why a question is closed.
pub const CLOSE_REASONS: [&str; 5] = [
    "duplicate",
    "needs_details",
    "off_topic",
    "opinion_based",
    "other",
];

/// What a flag says about a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    Spam,
    Rude,
    Violation,
    NotAnAnswer,
    NeedsModerator,
}

impl FlagKind {
    pub const ALL: [FlagKind; 5] = [
        FlagKind::Spam,
        FlagKind::Rude,
        FlagKind::Violation,
        FlagKind::NotAnAnswer,
        FlagKind::NeedsModerator,
    ];
    pub fn key(self) -> &'static str {
        match self {
            FlagKind::Spam => "spam",
            FlagKind::Rude => "rude",
            FlagKind::Violation => "violation",
            FlagKind::NotAnAnswer => "not_an_answer",
            FlagKind::NeedsModerator => "needs_moderator",
        }
    }
    pub fn from_key(s: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|f| f.key() == s)
    }
    /// Flags that count towards hiding a post at once.
    pub fn is_severe(self) -> bool {
        matches!(self, FlagKind::Spam | FlagKind::Rude | FlagKind::Violation)
    }
}

/// Every number of the review center, with the defaults of PRODUCT.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewRules {
    /// A new member's first questions / answers wait for review.
    pub first_questions_reviewed: i64,
    pub first_answers_reviewed: i64,
    /// An answer to a question older than this many days is a late answer
    /// (reviewed unless its author may review first posts themselves).
    pub late_answer_days: i64,
    pub first_posts_approvals: i64,
    pub first_posts_change_requests: i64,
    pub first_posts_rejections: i64,
    pub edit_approvals: i64,
    pub edit_rejections: i64,
    pub close_votes: i64,
    pub reopen_votes: i64,
    pub delete_votes: i64,
    /// "Leave open" / "keep" votes that dismiss a close, reopen or delete item.
    pub dismiss_votes: i64,
    /// Close, reopen and delete votes stop counting after this many days.
    pub vote_expiry_days: i64,
    /// Severe (spam / rude / violation) flags that hide a post at once.
    pub flags_to_hide: i64,
    /// Answers at or below this score may get delete votes.
    pub low_quality_answer_score: i64,
    /// Reviews one person may do per queue and UTC day.
    pub daily_review_limit: i64,
}

impl Default for ReviewRules {
    fn default() -> Self {
        ReviewRules {
            first_questions_reviewed: 1,
            first_answers_reviewed: 1,
            late_answer_days: 30,
            first_posts_approvals: 1,
            first_posts_change_requests: 1,
            first_posts_rejections: 2,
            edit_approvals: 2,
            edit_rejections: 2,
            close_votes: 3,
            reopen_votes: 3,
            delete_votes: 3,
            dismiss_votes: 3,
            vote_expiry_days: 14,
            flags_to_hide: 6,
            low_quality_answer_score: -1,
            daily_review_limit: 20,
        }
    }
}

/// How many agreeing votes decide each verdict, fixed on an item when it
/// is created so that later setting changes do not re-decide old items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub approve: i64,
    pub request_changes: i64,
    pub reject: i64,
}

impl ReviewRules {
    pub fn thresholds(&self, q: Queue) -> Thresholds {
        let t = |approve: i64, request_changes: i64, reject: i64| Thresholds {
            approve: approve.max(1),
            request_changes: request_changes.max(1),
            reject: reject.max(1),
        };
        match q {
            Queue::FirstPosts | Queue::LateAnswers => t(
                self.first_posts_approvals,
                self.first_posts_change_requests,
                self.first_posts_rejections,
            ),
            Queue::SuggestedEdits => t(self.edit_approvals, i64::MAX, self.edit_rejections),
            Queue::Close => t(self.close_votes, i64::MAX, self.dismiss_votes),
            Queue::Reopen => t(self.reopen_votes, i64::MAX, self.dismiss_votes),
            Queue::Delete => t(self.delete_votes, i64::MAX, self.dismiss_votes),
        }
    }

    pub fn vote_expiry_secs(&self) -> i64 {
        self.vote_expiry_days.max(1) * 86_400
    }
}

/// Where a new post goes: published at once, or into a pre-publish queue.
pub fn prepublish_queue(
    rules: &ReviewRules,
    ladder: &PrivilegeLadder,
    author: &Actor,
    kind: PostKind,
    earlier_posts_of_kind: i64,
    question_created_at: Option<Timestamp>,
    now: Timestamp,
) -> Option<Queue> {
    // Staff and people who review first posts themselves are trusted.
    if ladder.holds(author, Privilege::ReviewFirstPosts) {
        return None;
    }
    let first_n = match kind {
        PostKind::Question => rules.first_questions_reviewed,
        PostKind::Answer => rules.first_answers_reviewed,
    };
    if earlier_posts_of_kind < first_n {
        return Some(Queue::FirstPosts);
    }
    match question_created_at {
        Some(q) if kind == PostKind::Answer && now - q > rules.late_answer_days * 86_400 => {
            Some(Queue::LateAnswers)
        }
        _ => None,
    }
}

/// The item as a reviewer meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemView {
    pub queue: Queue,
    /// The person whose content is reviewed (for suggested edits: the editor).
    pub author_id: i64,
    /// For suggested edits: the author of the edited post, who decides alone.
    pub post_author_id: Option<i64>,
    pub decided: bool,
    /// Tag-wiki edits need the tag-wiki privilege.
    pub tag_wiki: bool,
}

/// May this reviewer vote on this item now? `reviews_today` counts their
/// votes in this queue today (skips excluded).
pub fn check_reviewer(
    rules: &ReviewRules,
    ladder: &PrivilegeLadder,
    reviewer: &Actor,
    item: &ItemView,
    already_voted: bool,
    reviews_today: i64,
) -> Result<(), DomainError> {
    let privilege = if item.tag_wiki {
        Privilege::ReviewTagWiki
    } else {
        item.queue.privilege()
    };
    // The author of an edited post decides on suggestions to it without the
    // review privilege.
    let post_author = item.post_author_id == Some(reviewer.id);
    if !post_author {
        ladder.require(reviewer, privilege)?;
    }
    if item.decided {
        return Err(ErrorCode::ItemDecided.into());
    }
    if reviewer.id == item.author_id {
        return Err(ErrorCode::OwnPost.into());
    }
    if already_voted {
        return Err(ErrorCode::AlreadyReviewed.into());
    }
    if !reviewer.role.is_staff() && !post_author && reviews_today >= rules.daily_review_limit {
        return Err(ErrorCode::ReviewLimit.into());
    }
    Ok(())
}

/// Is the reason given with a verdict one the queue knows? Approving needs
/// none except closing (which needs a close reason); rejecting a first post
/// needs a reject reason; requesting changes needs a message.
pub fn check_reason(
    queue: Queue,
    verdict: Verdict,
    reason: &str,
    message: &str,
) -> Result<(), DomainError> {
    let known = |list: &[&str]| list.contains(&reason);
    let ok = match (queue, verdict) {
        (Queue::Close, Verdict::Approve) => known(&CLOSE_REASONS),
        (q, Verdict::Reject) if q.is_prepublish() => known(&REJECT_REASONS),
        (q, Verdict::RequestChanges) if q.is_prepublish() => {
            if message.trim().is_empty() {
                return Err(DomainError::validation("message", "required", None));
            }
            true
        }
        (_, Verdict::RequestChanges) => false,
        _ => reason.is_empty() || known(&REJECT_REASONS) || known(&CLOSE_REASONS),
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::validation("reason", "unknown", None))
    }
}

/// One counted vote on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CastVote {
    pub verdict: Verdict,
    /// A moderator, or the edited post's author on a suggested edit, decides alone.
    pub decides_alone: bool,
    pub at: Timestamp,
}

/// How an item was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    Votes,
    Binding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub by: DecidedBy,
}

/// What the votes so far decide, if anything. Votes are in casting order;
/// for close / reopen / delete queues only votes younger than the expiry
/// count. The first verdict to reach its threshold wins.
pub fn tally(
    rules: &ReviewRules,
    queue: Queue,
    thresholds: Thresholds,
    votes: &[CastVote],
    now: Timestamp,
) -> Option<Outcome> {
    let expires = matches!(queue, Queue::Close | Queue::Reopen | Queue::Delete);
    let live = |v: &&CastVote| !expires || now - v.at < rules.vote_expiry_secs();
    let mut counts = [0i64; 3];
    for v in votes.iter().filter(live) {
        if v.decides_alone {
            return Some(Outcome {
                verdict: v.verdict,
                by: DecidedBy::Binding,
            });
        }
        let (i, needed) = match v.verdict {
            Verdict::Approve => (0, thresholds.approve),
            Verdict::RequestChanges => (1, thresholds.request_changes),
            Verdict::Reject => (2, thresholds.reject),
        };
        counts[i] += 1;
        if counts[i] >= needed {
            return Some(Outcome {
                verdict: v.verdict,
                by: DecidedBy::Votes,
            });
        }
    }
    None
}

/// The reason most votes for the winning verdict gave (ties: the first given).
pub fn winning_reason<'a>(reasons: impl IntoIterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in reasons.into_iter().filter(|r| !r.is_empty()) {
        match counts.iter_mut().find(|(k, _)| *k == r) {
            Some((_, n)) => *n += 1,
            None => counts.push((r, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(k, _)| k.to_string())
        .unwrap_or_default()
}

/// The state of a post that disputed-content votes look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisputeTarget {
    pub kind: PostKind,
    pub author_id: i64,
    pub score: i64,
    pub closed: bool,
    pub deleted: bool,
    pub locked: bool,
}

/// May a close / reopen / delete item be opened (or voted on) for this post?
pub fn check_dispute(
    rules: &ReviewRules,
    queue: Queue,
    target: &DisputeTarget,
) -> Result<(), DomainError> {
    if target.deleted {
        return Err(ErrorCode::Deleted.into());
    }
    if target.locked {
        return Err(ErrorCode::Locked.into());
    }
    let eligible = match queue {
        Queue::Close => target.kind == PostKind::Question && !target.closed,
        Queue::Reopen => target.kind == PostKind::Question && target.closed,
        Queue::Delete => match target.kind {
            PostKind::Question => target.closed || target.score < 0,
            PostKind::Answer => target.score <= rules.low_quality_answer_score,
        },
        _ => false,
    };
    if eligible {
        Ok(())
    } else {
        Err(ErrorCode::NotEligible.into())
    }
}

/// May this person flag this post? Flagging needs the flag privilege, a
/// visible post that is not one's own, and one open flag per person.
pub fn check_flag(
    ladder: &PrivilegeLadder,
    flagger: &Actor,
    post_author: i64,
    post_deleted: bool,
    already_flagged: bool,
    kind: FlagKind,
    message: &str,
) -> Result<(), DomainError> {
    ladder.require(flagger, Privilege::Flag)?;
    if post_deleted {
        return Err(ErrorCode::Deleted.into());
    }
    if flagger.id == post_author {
        return Err(ErrorCode::OwnPost.into());
    }
    if already_flagged {
        return Err(ErrorCode::AlreadyFlagged.into());
    }
    if kind == FlagKind::NeedsModerator && message.trim().is_empty() {
        return Err(DomainError::validation("message", "required", None));
    }
    Ok(())
}

/// Does this many open severe flags hide the post now?
pub fn flags_hide(rules: &ReviewRules, severe_open_flags: i64) -> bool {
    severe_open_flags >= rules.flags_to_hide.max(1)
}

/// Who may make a change to someone else's post: directly (trusted users,
/// staff), as a suggested edit that goes through review, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditRoute {
    Direct,
    Suggest,
}

pub fn edit_route(
    ladder: &PrivilegeLadder,
    actor: &Actor,
    post_author: i64,
) -> Result<EditRoute, DomainError> {
    if actor.id == post_author || ladder.holds(actor, Privilege::Trusted) {
        return Ok(EditRoute::Direct);
    }
    ladder.require(actor, Privilege::EditOthers)?;
    Ok(EditRoute::Suggest)
}

/// Tag descriptions (wikis): trusted users edit directly; people who may
/// edit tags suggest edits.
pub fn tag_wiki_route(ladder: &PrivilegeLadder, actor: &Actor) -> Result<EditRoute, DomainError> {
    if ladder.holds(actor, Privilege::Trusted) {
        return Ok(EditRoute::Direct);
    }
    ladder.require(actor, Privilege::EditTags)?;
    Ok(EditRoute::Suggest)
}

/// Is this a moderator action the actor may take?
pub fn require_moderator(actor: &Actor) -> Result<(), DomainError> {
    if actor.role.is_staff() {
        Ok(())
    } else {
        Err(ErrorCode::Forbidden.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privileges::Role;

    fn user(id: i64, reputation: i64) -> Actor {
        Actor {
            id,
            reputation,
            role: Role::User,
        }
    }
    fn moderator(id: i64) -> Actor {
        Actor {
            id,
            reputation: 1,
            role: Role::Moderator,
        }
    }
    fn vote(verdict: Verdict, at: Timestamp) -> CastVote {
        CastVote {
            verdict,
            decides_alone: false,
            at,
        }
    }
    const DAY: i64 = 86_400;

    #[test]
    fn first_posts_and_late_answers_are_queued() {
        let r = ReviewRules::default();
        let l = PrivilegeLadder::default();
        let newbie = user(1, 1);
        let now = 100 * DAY;
        let q = |kind, earlier, qat| prepublish_queue(&r, &l, &newbie, kind, earlier, qat, now);
        assert_eq!(q(PostKind::Question, 0, None), Some(Queue::FirstPosts));
        assert_eq!(q(PostKind::Question, 1, None), None);
        assert_eq!(
            q(PostKind::Answer, 0, Some(now - DAY)),
            Some(Queue::FirstPosts)
        );
        assert_eq!(q(PostKind::Answer, 3, Some(now - DAY)), None);
        assert_eq!(
            q(PostKind::Answer, 3, Some(now - 31 * DAY)),
            Some(Queue::LateAnswers)
        );
        // Reviewers and moderators publish at once.
        for a in [user(2, 500), moderator(3)] {
            assert_eq!(
                prepublish_queue(&r, &l, &a, PostKind::Answer, 0, Some(0), now),
                None
            );
        }
    }

    #[test]
    fn default_thresholds_match_the_product() {
        let r = ReviewRules::default();
        let first = r.thresholds(Queue::FirstPosts);
        assert_eq!((first.approve, first.reject), (1, 2));
        let edits = r.thresholds(Queue::SuggestedEdits);
        assert_eq!((edits.approve, edits.reject), (2, 2));
        assert_eq!(r.thresholds(Queue::Close).approve, 3);
        assert_eq!(r.thresholds(Queue::Reopen).approve, 3);
        assert_eq!(r.flags_to_hide, 6);
        assert_eq!(r.daily_review_limit, 20);
    }

    #[test]
    fn tally_decides_at_the_threshold() {
        let r = ReviewRules::default();
        let t = r.thresholds(Queue::Close);
        let now = 10 * DAY;
        let two = [vote(Verdict::Approve, now), vote(Verdict::Approve, now)];
        assert_eq!(tally(&r, Queue::Close, t, &two, now), None);
        let three = [
            vote(Verdict::Approve, now),
            vote(Verdict::Reject, now),
            vote(Verdict::Approve, now),
            vote(Verdict::Approve, now),
        ];
        assert_eq!(
            tally(&r, Queue::Close, t, &three, now),
            Some(Outcome {
                verdict: Verdict::Approve,
                by: DecidedBy::Votes
            })
        );
        // One approval publishes a first post; one reject does not decide.
        let f = r.thresholds(Queue::FirstPosts);
        let one_reject = [vote(Verdict::Reject, now)];
        assert_eq!(tally(&r, Queue::FirstPosts, f, &one_reject, now), None);
        let then_approve = [vote(Verdict::Reject, now), vote(Verdict::Approve, now)];
        assert_eq!(
            tally(&r, Queue::FirstPosts, f, &then_approve, now)
                .unwrap()
                .verdict,
            Verdict::Approve
        );
    }

    #[test]
    fn a_binding_vote_decides_alone() {
        let r = ReviewRules::default();
        let t = r.thresholds(Queue::SuggestedEdits);
        let v = [CastVote {
            verdict: Verdict::Reject,
            decides_alone: true,
            at: 0,
        }];
        assert_eq!(
            tally(&r, Queue::SuggestedEdits, t, &v, 0),
            Some(Outcome {
                verdict: Verdict::Reject,
                by: DecidedBy::Binding
            })
        );
    }

    #[test]
    fn close_votes_expire() {
        let r = ReviewRules::default();
        let t = r.thresholds(Queue::Close);
        let now = 30 * DAY;
        let old = now - 15 * DAY;
        let v = [
            vote(Verdict::Approve, old),
            vote(Verdict::Approve, now - DAY),
            vote(Verdict::Approve, now),
        ];
        assert_eq!(tally(&r, Queue::Close, t, &v, now), None);
        // Pre-publish votes never expire.
        let f = r.thresholds(Queue::FirstPosts);
        let p = [vote(Verdict::Approve, 0)];
        assert!(tally(&r, Queue::FirstPosts, f, &p, now).is_some());
    }

    #[test]
    fn reviewer_checks() {
        let r = ReviewRules::default();
        let l = PrivilegeLadder::default();
        let item = ItemView {
            queue: Queue::Close,
            author_id: 9,
            post_author_id: None,
            decided: false,
            tag_wiki: false,
        };
        let ok = user(1, 2000);
        assert!(check_reviewer(&r, &l, &ok, &item, false, 0).is_ok());
        let err = |a: &Actor, item: &ItemView, voted, today| {
            check_reviewer(&r, &l, a, item, voted, today)
                .unwrap_err()
                .code()
        };
        assert_eq!(
            err(&user(1, 1999), &item, false, 0),
            ErrorCode::PrivilegeMissing
        );
        assert_eq!(err(&ok, &item, true, 0), ErrorCode::AlreadyReviewed);
        assert_eq!(err(&ok, &item, false, 20), ErrorCode::ReviewLimit);
        assert_eq!(err(&user(9, 5000), &item, false, 0), ErrorCode::OwnPost);
        let decided = ItemView {
            decided: true,
            ..item
        };
        assert_eq!(err(&ok, &decided, false, 0), ErrorCode::ItemDecided);
        // Moderators have no daily limit; the post's author needs no privilege.
        assert!(check_reviewer(&r, &l, &moderator(5), &item, false, 99).is_ok());
        let edit = ItemView {
            queue: Queue::SuggestedEdits,
            post_author_id: Some(7),
            ..item
        };
        assert!(check_reviewer(&r, &l, &user(7, 1), &edit, false, 0).is_ok());
        let wiki = ItemView {
            tag_wiki: true,
            ..edit
        };
        assert_eq!(
            err(&user(1, 2000), &wiki, false, 0),
            ErrorCode::PrivilegeMissing
        );
    }

    #[test]
    fn reasons_are_checked() {
        assert!(check_reason(Queue::Close, Verdict::Approve, "duplicate", "").is_ok());
        assert!(check_reason(Queue::Close, Verdict::Approve, "because", "").is_err());
        assert!(check_reason(Queue::FirstPosts, Verdict::Reject, "spam", "").is_ok());
        assert!(check_reason(Queue::FirstPosts, Verdict::Reject, "", "").is_err());
        assert!(check_reason(Queue::FirstPosts, Verdict::RequestChanges, "", " ").is_err());
        assert!(check_reason(Queue::FirstPosts, Verdict::RequestChanges, "", "add code").is_ok());
        assert!(check_reason(Queue::Close, Verdict::RequestChanges, "", "x").is_err());
        assert!(check_reason(Queue::Close, Verdict::Reject, "", "").is_ok());
    }

    #[test]
    fn disputes_need_an_eligible_post() {
        let r = ReviewRules::default();
        let q = DisputeTarget {
            kind: PostKind::Question,
            author_id: 1,
            score: 0,
            closed: false,
            deleted: false,
            locked: false,
        };
        assert!(check_dispute(&r, Queue::Close, &q).is_ok());
        assert!(check_dispute(&r, Queue::Reopen, &q).is_err());
        assert!(check_dispute(&r, Queue::Delete, &q).is_err());
        let closed = DisputeTarget { closed: true, ..q };
        assert!(check_dispute(&r, Queue::Reopen, &closed).is_ok());
        assert!(check_dispute(&r, Queue::Delete, &closed).is_ok());
        let negative = DisputeTarget { score: -1, ..q };
        assert!(check_dispute(&r, Queue::Delete, &negative).is_ok());
        let answer = DisputeTarget {
            kind: PostKind::Answer,
            ..q
        };
        assert!(check_dispute(&r, Queue::Close, &answer).is_err());
        assert!(check_dispute(&r, Queue::Delete, &answer).is_err());
        let bad_answer = DisputeTarget {
            score: -1,
            ..answer
        };
        assert!(check_dispute(&r, Queue::Delete, &bad_answer).is_ok());
        let locked = DisputeTarget { locked: true, ..q };
        assert_eq!(
            check_dispute(&r, Queue::Close, &locked).unwrap_err().code(),
            ErrorCode::Locked
        );
    }

    #[test]
    fn flag_rules() {
        let l = PrivilegeLadder::default();
        let r = ReviewRules::default();
        let f = user(1, 1);
        assert!(check_flag(&l, &f, 2, false, false, FlagKind::Spam, "").is_ok());
        let code = |res: Result<(), DomainError>| res.unwrap_err().code();
        assert_eq!(
            code(check_flag(&l, &f, 1, false, false, FlagKind::Spam, "")),
            ErrorCode::OwnPost
        );
        assert_eq!(
            code(check_flag(&l, &f, 2, true, false, FlagKind::Spam, "")),
            ErrorCode::Deleted
        );
        assert_eq!(
            code(check_flag(&l, &f, 2, false, true, FlagKind::Rude, "")),
            ErrorCode::AlreadyFlagged
        );
        assert_eq!(
            code(check_flag(
                &l,
                &f,
                2,
                false,
                false,
                FlagKind::NeedsModerator,
                ""
            )),
            ErrorCode::Validation
        );
        assert_eq!(
            code(check_flag(
                &l,
                &user(1, 0),
                2,
                false,
                false,
                FlagKind::Spam,
                ""
            )),
            ErrorCode::PrivilegeMissing
        );
        assert!(!flags_hide(&r, 5));
        assert!(flags_hide(&r, 6));
        assert!(!FlagKind::NotAnAnswer.is_severe());
    }

    #[test]
    fn edit_routes() {
        let l = PrivilegeLadder::default();
        assert_eq!(edit_route(&l, &user(1, 1), 1), Ok(EditRoute::Direct));
        assert_eq!(edit_route(&l, &user(1, 200), 2), Ok(EditRoute::Suggest));
        assert_eq!(edit_route(&l, &user(1, 20000), 2), Ok(EditRoute::Direct));
        assert_eq!(edit_route(&l, &moderator(1), 2), Ok(EditRoute::Direct));
        assert_eq!(
            edit_route(&l, &user(1, 199), 2).unwrap_err().code(),
            ErrorCode::PrivilegeMissing
        );
        assert_eq!(tag_wiki_route(&l, &user(1, 100)), Ok(EditRoute::Suggest));
        assert!(tag_wiki_route(&l, &user(1, 99)).is_err());
    }

    #[test]
    fn winning_reason_is_the_most_given() {
        assert_eq!(
            winning_reason(["off_topic", "duplicate", "duplicate"]),
            "duplicate"
        );
        assert_eq!(winning_reason(["needs_details", "other"]), "needs_details");
        assert_eq!(winning_reason([""]), "");
    }
}

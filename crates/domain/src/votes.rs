//! What a vote, an accept or a deletion changes: score deltas and ledger rows.
//!
//! These functions only decide. Storage locks the rows involved, reads the
//! previous state, calls them, and appends what they return; a reversal is
//! always "append the negation of the rows the previous action created".

use crate::error::{DomainError, ErrorCode};
use crate::privileges::{Actor, Privilege};
use crate::reputation::{PlannedEntry, Reason};
use crate::settings::CommunitySettings;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    Question,
    Answer,
}

impl PostKind {
    pub fn as_i64(self) -> i64 {
        match self {
            PostKind::Question => 1,
            PostKind::Answer => 2,
        }
    }
    pub fn from_i64(v: i64) -> PostKind {
        if v == 2 {
            PostKind::Answer
        } else {
            PostKind::Question
        }
    }
}

/// A vote's state: -1 down, 0 none, +1 up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteValue {
    Up,
    Down,
    None,
}

impl VoteValue {
    pub fn as_i64(self) -> i64 {
        match self {
            VoteValue::Up => 1,
            VoteValue::Down => -1,
            VoteValue::None => 0,
        }
    }
    pub fn from_i64(v: i64) -> VoteValue {
        match v.signum() {
            1 => VoteValue::Up,
            -1 => VoteValue::Down,
            _ => VoteValue::None,
        }
    }
    pub fn parse(s: &str) -> Option<VoteValue> {
        match s {
            "up" => Some(VoteValue::Up),
            "down" => Some(VoteValue::Down),
            "none" | "undo" => Some(VoteValue::None),
            _ => None,
        }
    }
}

/// The post being voted on, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteTarget {
    pub author_id: i64,
    pub kind: PostKind,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VotePlan {
    pub new_value: VoteValue,
    pub score_delta: i64,
    pub upvotes_delta: i64,
    pub downvotes_delta: i64,
    /// Append the negation of the ledger rows the previous vote created.
    pub reverse_previous: bool,
    pub entries: Vec<PlannedEntry>,
}

/// Decide a vote change from `previous` to `requested`. `Ok(None)` means
/// nothing changes (the same vote again).
pub fn plan_vote(
    settings: &CommunitySettings,
    voter: &Actor,
    target: &VoteTarget,
    previous: VoteValue,
    requested: VoteValue,
) -> Result<Option<VotePlan>, DomainError> {
    if target.deleted {
        return Err(ErrorCode::Deleted.into());
    }
    if voter.id == target.author_id {
        return Err(ErrorCode::OwnPost.into());
    }
    if previous == requested {
        return Ok(None);
    }
    match requested {
        VoteValue::Up => settings.privileges.require(voter, Privilege::Upvote)?,
        VoteValue::Down => settings.privileges.require(voter, Privilege::Downvote)?,
        // Taking a vote back is always allowed.
        VoteValue::None => {}
    }
    let count = |v: VoteValue, which: VoteValue| i64::from(v == which);
    let mut entries = Vec::new();
    // A vote moves reputation only if the voter's own reputation reaches the
    // up-vote threshold (staff with low reputation vote, but move nothing).
    let moves_reputation = voter.reputation >= settings.privileges.threshold(Privilege::Upvote);
    if moves_reputation {
        let rules = &settings.reputation;
        let mut push = |user_id, reason| {
            let amount = rules.amount(reason);
            if amount != 0 {
                entries.push(PlannedEntry {
                    user_id,
                    reason,
                    amount,
                });
            }
        };
        match (requested, target.kind) {
            (VoteValue::Up, PostKind::Question) => push(target.author_id, Reason::QuestionUpvoted),
            (VoteValue::Up, PostKind::Answer) => push(target.author_id, Reason::AnswerUpvoted),
            (VoteValue::Down, PostKind::Question) => {
                push(target.author_id, Reason::QuestionDownvoted)
            }
            (VoteValue::Down, PostKind::Answer) => {
                push(target.author_id, Reason::AnswerDownvoted);
                push(voter.id, Reason::DownvotedAnAnswer);
            }
            (VoteValue::None, _) => {}
        }
    }
    Ok(Some(VotePlan {
        new_value: requested,
        score_delta: requested.as_i64() - previous.as_i64(),
        upvotes_delta: count(requested, VoteValue::Up) - count(previous, VoteValue::Up),
        downvotes_delta: count(requested, VoteValue::Down) - count(previous, VoteValue::Down),
        reverse_previous: previous != VoteValue::None,
        entries,
    }))
}

/// The question and answer an accept is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptTarget {
    pub question_id: i64,
    pub question_author: i64,
    pub question_deleted: bool,
    pub currently_accepted: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerRef {
    pub id: i64,
    pub author_id: i64,
    pub question_id: i64,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptPlan {
    pub new_accepted: Option<i64>,
    pub reverse_previous: bool,
    pub entries: Vec<PlannedEntry>,
}

/// Decide accepting `answer` (or un-accepting with `None`). Only the asker
/// accepts; accepting one's own answer earns nothing.
pub fn plan_accept(
    settings: &CommunitySettings,
    actor: &Actor,
    q: &AcceptTarget,
    answer: Option<&AnswerRef>,
) -> Result<Option<AcceptPlan>, DomainError> {
    if q.question_deleted {
        return Err(ErrorCode::Deleted.into());
    }
    if actor.id != q.question_author {
        return Err(ErrorCode::NotQuestionOwner.into());
    }
    if let Some(a) = answer {
        if a.question_id != q.question_id {
            return Err(ErrorCode::AnswerNotOfQuestion.into());
        }
        if a.deleted {
            return Err(ErrorCode::Deleted.into());
        }
    }
    let new_accepted = answer.map(|a| a.id);
    if new_accepted == q.currently_accepted {
        return Ok(None);
    }
    let mut entries = Vec::new();
    if let Some(a) = answer {
        if a.author_id != actor.id {
            let r = &settings.reputation;
            entries.push(PlannedEntry {
                user_id: a.author_id,
                reason: Reason::AnswerAccepted,
                amount: r.answer_accepted,
            });
            entries.push(PlannedEntry {
                user_id: actor.id,
                reason: Reason::AcceptedOthersAnswer,
                amount: r.accepted_others_answer,
            });
        }
    }
    entries.retain(|e| e.amount != 0);
    Ok(Some(AcceptPlan {
        new_accepted,
        reverse_previous: q.currently_accepted.is_some(),
        entries,
    }))
}

/// Who may delete a post and what it costs. Authors delete their own posts;
/// staff delete any. Deleting an answer costs its author (also when they
/// delete it themselves).
pub fn plan_delete(
    settings: &CommunitySettings,
    actor: &Actor,
    author_id: i64,
    kind: PostKind,
    deleted: bool,
) -> Result<Vec<PlannedEntry>, DomainError> {
    if deleted {
        return Err(ErrorCode::Deleted.into());
    }
    if actor.id != author_id && !actor.role.is_staff() {
        return Err(ErrorCode::Forbidden.into());
    }
    let amount = settings.reputation.answer_deleted;
    Ok(match kind {
        PostKind::Answer if amount != 0 => vec![PlannedEntry {
            user_id: author_id,
            reason: Reason::AnswerDeleted,
            amount,
        }],
        _ => vec![],
    })
}

/// May the actor edit this post directly? Authors edit their own; others
/// need the edit privilege (suggested edits through review come with the
/// review center).
pub fn check_edit(
    settings: &CommunitySettings,
    actor: &Actor,
    author_id: i64,
    deleted: bool,
) -> Result<(), DomainError> {
    if deleted {
        return Err(ErrorCode::Deleted.into());
    }
    if actor.id == author_id {
        return Ok(());
    }
    settings.privileges.require(actor, Privilege::EditOthers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privileges::Role;

    fn actor(id: i64, rep: i64) -> Actor {
        Actor {
            id,
            reputation: rep,
            role: Role::User,
        }
    }
    fn answer_by(author: i64) -> VoteTarget {
        VoteTarget {
            author_id: author,
            kind: PostKind::Answer,
            deleted: false,
        }
    }
    fn question_by(author: i64) -> VoteTarget {
        VoteTarget {
            author_id: author,
            kind: PostKind::Question,
            deleted: false,
        }
    }
    type Case = (
        i64,
        VoteTarget,
        VoteValue,
        VoteValue,
        i64,
        Vec<(i64, Reason, i64)>,
    );

    fn amounts(p: &VotePlan) -> Vec<(i64, Reason, i64)> {
        p.entries
            .iter()
            .map(|e| (e.user_id, e.reason, e.amount))
            .collect()
    }

    #[test]
    fn vote_table() {
        let s = CommunitySettings::default();
        use VoteValue::*;
        // (voter rep, target, previous, requested, score delta, entries)
        let cases: Vec<Case> = vec![
            (
                15,
                answer_by(2),
                None,
                Up,
                1,
                vec![(2, Reason::AnswerUpvoted, 10)],
            ),
            (
                15,
                question_by(2),
                None,
                Up,
                1,
                vec![(2, Reason::QuestionUpvoted, 10)],
            ),
            (
                125,
                question_by(2),
                None,
                Down,
                -1,
                vec![(2, Reason::QuestionDownvoted, -2)],
            ),
            (
                125,
                answer_by(2),
                None,
                Down,
                -1,
                vec![
                    (2, Reason::AnswerDownvoted, -2),
                    (1, Reason::DownvotedAnAnswer, -1),
                ],
            ),
            (
                125,
                answer_by(2),
                Up,
                Down,
                -2,
                vec![
                    (2, Reason::AnswerDownvoted, -2),
                    (1, Reason::DownvotedAnAnswer, -1),
                ],
            ),
            (15, answer_by(2), Up, None, -1, vec![]),
            (1, answer_by(2), Down, None, 1, vec![]),
        ];
        for (rep, target, prev, req, delta, want) in cases {
            let plan = plan_vote(&s, &actor(1, rep), &target, prev, req)
                .unwrap()
                .unwrap();
            assert_eq!(plan.score_delta, delta, "{prev:?}->{req:?}");
            assert_eq!(amounts(&plan), want, "{prev:?}->{req:?}");
            assert_eq!(plan.reverse_previous, prev != None);
        }
    }

    #[test]
    fn vote_refusals() {
        let s = CommunitySettings::default();
        let e = plan_vote(
            &s,
            &actor(2, 999),
            &answer_by(2),
            VoteValue::None,
            VoteValue::Up,
        );
        assert_eq!(e.unwrap_err().code(), ErrorCode::OwnPost);
        let e = plan_vote(
            &s,
            &actor(1, 14),
            &answer_by(2),
            VoteValue::None,
            VoteValue::Up,
        );
        assert_eq!(
            e.unwrap_err(),
            DomainError::PrivilegeMissing {
                privilege: Privilege::Upvote,
                required: 15,
                have: 14
            }
        );
        let e = plan_vote(
            &s,
            &actor(1, 100),
            &answer_by(2),
            VoteValue::None,
            VoteValue::Down,
        );
        assert!(matches!(
            e,
            Err(DomainError::PrivilegeMissing { required: 125, .. })
        ));
        let same = plan_vote(
            &s,
            &actor(1, 100),
            &answer_by(2),
            VoteValue::Up,
            VoteValue::Up,
        );
        assert_eq!(same, Ok(Option::None));
        let dead = VoteTarget {
            deleted: true,
            ..answer_by(2)
        };
        assert!(plan_vote(&s, &actor(1, 100), &dead, VoteValue::None, VoteValue::Up).is_err());
    }

    #[test]
    fn low_reputation_staff_votes_move_no_reputation() {
        let s = CommunitySettings::default();
        let m = Actor {
            id: 1,
            reputation: 1,
            role: Role::Moderator,
        };
        let plan = plan_vote(&s, &m, &answer_by(2), VoteValue::None, VoteValue::Down)
            .unwrap()
            .unwrap();
        assert_eq!(plan.score_delta, -1);
        assert!(plan.entries.is_empty());
    }

    #[test]
    fn accept_rules() {
        let s = CommunitySettings::default();
        let q = AcceptTarget {
            question_id: 10,
            question_author: 1,
            question_deleted: false,
            currently_accepted: None,
        };
        let a = AnswerRef {
            id: 11,
            author_id: 2,
            question_id: 10,
            deleted: false,
        };
        let plan = plan_accept(&s, &actor(1, 1), &q, Some(&a))
            .unwrap()
            .unwrap();
        assert_eq!(plan.new_accepted, Some(11));
        assert_eq!(
            plan.entries,
            vec![
                PlannedEntry {
                    user_id: 2,
                    reason: Reason::AnswerAccepted,
                    amount: 15
                },
                PlannedEntry {
                    user_id: 1,
                    reason: Reason::AcceptedOthersAnswer,
                    amount: 2
                },
            ]
        );
        // Own answer: accepted, nothing earned.
        let own = AnswerRef { author_id: 1, ..a };
        assert!(plan_accept(&s, &actor(1, 1), &q, Some(&own))
            .unwrap()
            .unwrap()
            .entries
            .is_empty());
        // Someone else's question.
        let e = plan_accept(&s, &actor(3, 5000), &q, Some(&a)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotQuestionOwner);
        // Answer of another question.
        let other = AnswerRef {
            question_id: 99,
            ..a
        };
        let e = plan_accept(&s, &actor(1, 1), &q, Some(&other)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::AnswerNotOfQuestion);
        // Undo and change.
        let accepted = AcceptTarget {
            currently_accepted: Some(11),
            ..q
        };
        let undo = plan_accept(&s, &actor(1, 1), &accepted, None)
            .unwrap()
            .unwrap();
        assert!(undo.reverse_previous && undo.entries.is_empty() && undo.new_accepted.is_none());
        assert_eq!(plan_accept(&s, &actor(1, 1), &accepted, Some(&a)), Ok(None));
    }

    #[test]
    fn delete_costs_answers_only() {
        let s = CommunitySettings::default();
        let e = plan_delete(&s, &actor(1, 1), 1, PostKind::Answer, false).unwrap();
        assert_eq!(
            e,
            vec![PlannedEntry {
                user_id: 1,
                reason: Reason::AnswerDeleted,
                amount: -5
            }]
        );
        assert!(plan_delete(&s, &actor(1, 1), 1, PostKind::Question, false)
            .unwrap()
            .is_empty());
        assert!(plan_delete(&s, &actor(2, 1), 1, PostKind::Question, false).is_err());
    }

    #[test]
    fn edit_needs_privilege_for_others_posts() {
        let s = CommunitySettings::default();
        assert!(check_edit(&s, &actor(1, 1), 1, false).is_ok());
        assert!(matches!(
            check_edit(&s, &actor(2, 199), 1, false),
            Err(DomainError::PrivilegeMissing {
                privilege: Privilege::EditOthers,
                required: 200,
                ..
            })
        ));
        assert!(check_edit(&s, &actor(2, 200), 1, false).is_ok());
    }
}

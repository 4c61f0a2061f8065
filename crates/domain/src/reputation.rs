//! Reputation: the amounts each event is worth, the daily cap and the floor.
//!
//! Reputation is an append-only ledger. A user's reputation is the sum of
//! their rows, shown floored at [`ReputationRules::floor`] once activated.
//! The floor is applied to the shown number, never by clamping rows, so that
//! undoing a vote or an accept can always append the exact negation of the
//! row it created.
//!
//! Daily cap: rows whose reason is capped count toward `daily_cap` per UTC
//! day (net: a reversal made the same day frees its room again). A gain that
//! would cross the cap is credited partially, up to the cap, and the row
//! keeps both the amount earned (`requested`) and the amount credited.
//! Accepted answers are exempt.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Activation,
    AnswerAccepted,
    AcceptedOthersAnswer,
    QuestionUpvoted,
    AnswerUpvoted,
    QuestionDownvoted,
    AnswerDownvoted,
    DownvotedAnAnswer,
    AnswerDeleted,
    SuggestedEditApproved,
    TagEditApproved,
    SuggestedEditRejected,
    PostFlaggedAway,
}

impl Reason {
    pub const ALL: [Reason; 13] = [
        Reason::Activation,
        Reason::AnswerAccepted,
        Reason::AcceptedOthersAnswer,
        Reason::QuestionUpvoted,
        Reason::AnswerUpvoted,
        Reason::QuestionDownvoted,
        Reason::AnswerDownvoted,
        Reason::DownvotedAnAnswer,
        Reason::AnswerDeleted,
        Reason::SuggestedEditApproved,
        Reason::TagEditApproved,
        Reason::SuggestedEditRejected,
        Reason::PostFlaggedAway,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Reason::Activation => "activation",
            Reason::AnswerAccepted => "answer_accepted",
            Reason::AcceptedOthersAnswer => "accepted_others_answer",
            Reason::QuestionUpvoted => "question_upvoted",
            Reason::AnswerUpvoted => "answer_upvoted",
            Reason::QuestionDownvoted => "question_downvoted",
            Reason::AnswerDownvoted => "answer_downvoted",
            Reason::DownvotedAnAnswer => "downvoted_an_answer",
            Reason::AnswerDeleted => "answer_deleted",
            Reason::SuggestedEditApproved => "suggested_edit_approved",
            Reason::TagEditApproved => "tag_edit_approved",
            Reason::SuggestedEditRejected => "suggested_edit_rejected",
            Reason::PostFlaggedAway => "post_flagged_away",
        }
    }

    pub fn from_key(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.key() == s)
    }
}

/// The reputation table (PRODUCT.md §1, SegmentFault's amounts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReputationRules {
    pub activation: i64,
    pub answer_accepted: i64,
    pub accepted_others_answer: i64,
    pub question_upvoted: i64,
    pub answer_upvoted: i64,
    pub question_downvoted: i64,
    pub answer_downvoted: i64,
    pub downvoted_an_answer: i64,
    pub answer_deleted: i64,
    pub suggested_edit_approved: i64,
    pub tag_edit_approved: i64,
    pub suggested_edit_rejected: i64,
    pub post_flagged_away: i64,
    /// Most a member can gain from capped reasons in one UTC day.
    pub daily_cap: i64,
    /// Reasons the cap does not apply to.
    pub cap_exempt: Vec<Reason>,
    /// Lowest reputation shown for an activated member.
    pub floor: i64,
}

impl Default for ReputationRules {
    fn default() -> Self {
        ReputationRules {
            activation: 1,
            answer_accepted: 15,
            accepted_others_answer: 2,
            question_upvoted: 10,
            answer_upvoted: 10,
            question_downvoted: -2,
            answer_downvoted: -2,
            downvoted_an_answer: -1,
            answer_deleted: -5,
            suggested_edit_approved: 2,
            tag_edit_approved: 2,
            suggested_edit_rejected: -2,
            post_flagged_away: -100,
            daily_cap: 200,
            cap_exempt: vec![Reason::AnswerAccepted, Reason::Activation],
            floor: 1,
        }
    }
}

impl ReputationRules {
    pub fn amount(&self, r: Reason) -> i64 {
        match r {
            Reason::Activation => self.activation,
            Reason::AnswerAccepted => self.answer_accepted,
            Reason::AcceptedOthersAnswer => self.accepted_others_answer,
            Reason::QuestionUpvoted => self.question_upvoted,
            Reason::AnswerUpvoted => self.answer_upvoted,
            Reason::QuestionDownvoted => self.question_downvoted,
            Reason::AnswerDownvoted => self.answer_downvoted,
            Reason::DownvotedAnAnswer => self.downvoted_an_answer,
            Reason::AnswerDeleted => self.answer_deleted,
            Reason::SuggestedEditApproved => self.suggested_edit_approved,
            Reason::TagEditApproved => self.tag_edit_approved,
            Reason::SuggestedEditRejected => self.suggested_edit_rejected,
            Reason::PostFlaggedAway => self.post_flagged_away,
        }
    }

    pub fn is_capped(&self, r: Reason) -> bool {
        !self.cap_exempt.contains(&r)
    }

    /// How much of a new row is credited, given the net capped gain the
    /// member already has today. Losses are never capped.
    pub fn credited(&self, reason: Reason, requested: i64, capped_gain_today: i64) -> i64 {
        if requested <= 0 || !self.is_capped(reason) {
            return requested;
        }
        requested.min((self.daily_cap - capped_gain_today).max(0))
    }

    /// The reputation shown for a ledger sum.
    pub fn shown(&self, ledger_sum: i64, activated: bool) -> i64 {
        if activated {
            ledger_sum.max(self.floor)
        } else {
            ledger_sum
        }
    }
}

/// A row to append, before the cap is applied (storage knows today's total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedEntry {
    pub user_id: i64,
    pub reason: Reason,
    pub amount: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_table_defaults() {
        let r = ReputationRules::default();
        let table = [
            (Reason::AnswerAccepted, 15),
            (Reason::AnswerUpvoted, 10),
            (Reason::QuestionUpvoted, 10),
            (Reason::SuggestedEditApproved, 2),
            (Reason::TagEditApproved, 2),
            (Reason::AcceptedOthersAnswer, 2),
            (Reason::Activation, 1),
            (Reason::DownvotedAnAnswer, -1),
            (Reason::QuestionDownvoted, -2),
            (Reason::AnswerDownvoted, -2),
            (Reason::AnswerDeleted, -5),
            (Reason::PostFlaggedAway, -100),
            (Reason::SuggestedEditRejected, -2),
        ];
        for (reason, amount) in table {
            assert_eq!(r.amount(reason), amount, "{reason:?}");
        }
        assert_eq!(r.daily_cap, 200);
    }

    #[test]
    fn cap_credits_partially_and_exempts_accepts() {
        let r = ReputationRules::default();
        // (reason, requested, gained today, credited)
        let cases = [
            (Reason::AnswerUpvoted, 10, 0, 10),
            (Reason::AnswerUpvoted, 10, 190, 10),
            (Reason::AnswerUpvoted, 10, 195, 5),
            (Reason::AnswerUpvoted, 10, 200, 0),
            (Reason::AnswerUpvoted, 10, 250, 0),
            (Reason::AnswerAccepted, 15, 200, 15),
            (Reason::AnswerDownvoted, -2, 200, -2),
            (Reason::AcceptedOthersAnswer, 2, 199, 1),
        ];
        for (reason, req, today, want) in cases {
            assert_eq!(
                r.credited(reason, req, today),
                want,
                "{reason:?} {req} {today}"
            );
        }
    }

    #[test]
    fn floor_applies_once_activated() {
        let r = ReputationRules::default();
        assert_eq!(r.shown(0, false), 0);
        assert_eq!(r.shown(-7, true), 1);
        assert_eq!(r.shown(1, true), 1);
        assert_eq!(r.shown(42, true), 42);
    }

    #[test]
    fn reason_keys_roundtrip() {
        for reason in Reason::ALL {
            assert_eq!(Reason::from_key(reason.key()), Some(reason));
        }
    }
}

//! Sanctions a moderator can place on one person: a suspension for a period
//! (with a reason shown to them) and single capabilities switched off.

use crate::error::{DomainError, ErrorCode};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// What a person can be stopped from doing, one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Ask,
    Answer,
    Comment,
    Vote,
    Flag,
    /// Edits, suggested edits and review votes.
    Review,
}

impl Capability {
    pub const ALL: [Capability; 6] = [
        Capability::Ask,
        Capability::Answer,
        Capability::Comment,
        Capability::Vote,
        Capability::Flag,
        Capability::Review,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Capability::Ask => "ask",
            Capability::Answer => "answer",
            Capability::Comment => "comment",
            Capability::Vote => "vote",
            Capability::Flag => "flag",
            Capability::Review => "review",
        }
    }
    pub fn from_key(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.key() == s)
    }
    /// Parse a stored space-separated list, ignoring unknown words.
    pub fn parse_list(s: &str) -> Vec<Capability> {
        s.split_whitespace()
            .filter_map(Capability::from_key)
            .collect()
    }
    pub fn format_list(list: &[Capability]) -> String {
        list.iter().map(|c| c.key()).collect::<Vec<_>>().join(" ")
    }
}

/// A person's current sanctions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sanctions {
    pub suspended_until: Option<Timestamp>,
    pub suspension_reason: String,
    pub blocked: Vec<Capability>,
}

impl Sanctions {
    pub fn suspended_at(&self, now: Timestamp) -> bool {
        self.suspended_until.is_some_and(|u| u > now)
    }

    /// May the person use this capability now? A suspension stops every
    /// capability until it ends; a switched-off capability stays off until a
    /// moderator switches it on again.
    pub fn check(&self, cap: Capability, now: Timestamp) -> Result<(), DomainError> {
        if self.suspended_at(now) {
            return Err(ErrorCode::Suspended.into());
        }
        if self.blocked.contains(&cap) {
            return Err(ErrorCode::CapabilityBlocked.into());
        }
        Ok(())
    }
}

/// Longest suspension a moderator may set in one action (ten years).
pub const MAX_SUSPENSION_DAYS: i64 = 3650;

/// Validate a suspension request.
/// Who may remove a comment: its author, or a moderator. Returns whether
/// it is a moderator acting on someone else's comment (that goes in the
/// audit log).
pub fn may_delete_comment(actor: &crate::Actor, author_id: i64) -> Result<bool, DomainError> {
    if actor.id == author_id {
        Ok(false)
    } else if actor.role.is_staff() {
        Ok(true)
    } else {
        Err(crate::ErrorCode::Forbidden.into())
    }
}

pub fn check_suspension(days: i64, reason: &str) -> Result<(), DomainError> {
    if !(1..=MAX_SUSPENSION_DAYS).contains(&days) {
        return Err(DomainError::validation(
            "days",
            "range",
            Some(MAX_SUSPENSION_DAYS),
        ));
    }
    if reason.trim().is_empty() {
        return Err(DomainError::validation("reason", "required", None));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspension_stops_everything_until_it_ends() {
        let s = Sanctions {
            suspended_until: Some(100),
            suspension_reason: "spam".into(),
            blocked: vec![],
        };
        for cap in Capability::ALL {
            assert_eq!(s.check(cap, 99).unwrap_err().code(), ErrorCode::Suspended);
            assert!(s.check(cap, 100).is_ok());
        }
    }

    #[test]
    fn single_capabilities() {
        let s = Sanctions {
            blocked: Capability::parse_list("vote flag nonsense"),
            ..Default::default()
        };
        assert_eq!(s.blocked, vec![Capability::Vote, Capability::Flag]);
        assert_eq!(
            s.check(Capability::Vote, 0).unwrap_err().code(),
            ErrorCode::CapabilityBlocked
        );
        assert!(s.check(Capability::Ask, 0).is_ok());
        assert_eq!(Capability::format_list(&s.blocked), "vote flag");
    }

    #[test]
    fn suspension_requests_are_validated() {
        assert!(check_suspension(7, "spam").is_ok());
        assert!(check_suspension(0, "spam").is_err());
        assert!(check_suspension(4000, "spam").is_err());
        assert!(check_suspension(7, "  ").is_err());
    }

    #[test]
    fn comments_are_removed_by_their_author_or_a_moderator() {
        use crate::{Actor, ErrorCode, Role};
        let who = |id, role| Actor {
            id,
            reputation: 1,
            role,
        };
        assert_eq!(may_delete_comment(&who(1, Role::User), 1), Ok(false));
        assert_eq!(may_delete_comment(&who(2, Role::Moderator), 1), Ok(true));
        assert_eq!(
            may_delete_comment(&who(3, Role::Administrator), 1),
            Ok(true)
        );
        let e = may_delete_comment(&who(4, Role::User), 1).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden);
    }
}

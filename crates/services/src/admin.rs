//! Administration: community settings (presets, thresholds, amounts),
//! roles, and the cache rebuild.

use crate::{App, Result};
use guildhall_domain::privileges::LadderPreset;
use guildhall_domain::reputation::Reason;
use guildhall_domain::{CommunitySettings, DomainError, ErrorCode, Privilege, Role};
use guildhall_storage::recompute::{RecomputeReport, ReviewMismatch};
use guildhall_storage::users::UserRecord;

/// A change an administrator asks for. Unknown keys are refused.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub preset: Option<String>,
    /// privilege key → threshold
    pub thresholds: Vec<(String, i64)>,
    /// reason key → amount, plus "daily_cap" and "floor"
    pub amounts: Vec<(String, i64)>,
    /// review rule key (a field of `ReviewRules`) → number
    pub review: Vec<(String, i64)>,
    /// search rule key (a field of `SearchRules`) → number
    pub search: Vec<(String, f64)>,
}

fn require_admin(u: &UserRecord) -> Result<()> {
    if u.role == Role::Administrator && u.activated_at.is_some() {
        Ok(())
    } else {
        Err(ErrorCode::Forbidden.into())
    }
}

/// Apply a change to settings (pure: validated, nothing saved).
pub fn apply_change(mut s: CommunitySettings, c: &SettingsChange) -> Result<CommunitySettings> {
    if let Some(p) = &c.preset {
        if !p.is_empty() && p != "custom" {
            let preset = LadderPreset::from_key(p)
                .ok_or(DomainError::validation("preset", "unknown", None))?;
            s.privileges = preset.ladder();
        }
    }
    let mut custom = false;
    for (k, v) in &c.thresholds {
        let p =
            Privilege::from_key(k).ok_or(DomainError::validation("threshold", "unknown", None))?;
        if !(0..=10_000_000).contains(v) {
            return Err(
                DomainError::validation("threshold", "out_of_range", Some(10_000_000)).into(),
            );
        }
        if s.privileges.threshold(p) != *v {
            s.privileges.thresholds.insert(p, *v);
            custom = true;
        }
    }
    if custom {
        s.privileges.preset = None;
    }
    for (k, v) in &c.amounts {
        if !(-100_000..=100_000).contains(v) {
            return Err(DomainError::validation("amount", "out_of_range", Some(100_000)).into());
        }
        let r = &mut s.reputation;
        match k.as_str() {
            "daily_cap" => r.daily_cap = (*v).max(0),
            "floor" => r.floor = *v,
            other => {
                let reason = Reason::from_key(other)
                    .ok_or(DomainError::validation("amount", "unknown", None))?;
                let slot = match reason {
                    Reason::Activation => &mut r.activation,
                    Reason::AnswerAccepted => &mut r.answer_accepted,
                    Reason::AcceptedOthersAnswer => &mut r.accepted_others_answer,
                    Reason::QuestionUpvoted => &mut r.question_upvoted,
                    Reason::AnswerUpvoted => &mut r.answer_upvoted,
                    Reason::QuestionDownvoted => &mut r.question_downvoted,
                    Reason::AnswerDownvoted => &mut r.answer_downvoted,
                    Reason::DownvotedAnAnswer => &mut r.downvoted_an_answer,
                    Reason::AnswerDeleted => &mut r.answer_deleted,
                    Reason::SuggestedEditApproved => &mut r.suggested_edit_approved,
                    Reason::TagEditApproved => &mut r.tag_edit_approved,
                    Reason::SuggestedEditRejected => &mut r.suggested_edit_rejected,
                    Reason::PostFlaggedAway => &mut r.post_flagged_away,
                };
                *slot = *v;
            }
        }
    }
    if !c.review.is_empty() {
        // Review rules are plain numbers: edit them through their serde names.
        let mut map = match serde_json::to_value(&s.review) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(ErrorCode::Internal.into()),
        };
        for (k, v) in &c.review {
            if !map.contains_key(k) {
                return Err(DomainError::validation("review", "unknown", None).into());
            }
            if !(-1_000_000..=1_000_000).contains(v) {
                return Err(
                    DomainError::validation("review", "out_of_range", Some(1_000_000)).into(),
                );
            }
            map.insert(k.clone(), serde_json::json!(v));
        }
        s.review = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|_| DomainError::validation("review", "malformed", None))?;
    }
    if !c.search.is_empty() {
        let mut map = match serde_json::to_value(&s.search) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(ErrorCode::Internal.into()),
        };
        for (k, v) in &c.search {
            let Some(old) = map.get(k) else {
                return Err(DomainError::validation("search", "unknown", None).into());
            };
            if !v.is_finite() || !(0.0..=1_000_000.0).contains(v) {
                return Err(
                    DomainError::validation("search", "out_of_range", Some(1_000_000)).into(),
                );
            }
            // Counts stay integers; weights may be fractions.
            let value = if old.is_u64() {
                serde_json::json!(v.round() as u64)
            } else {
                serde_json::json!(v)
            };
            map.insert(k.clone(), value);
        }
        let rules: guildhall_domain::search::SearchRules =
            serde_json::from_value(serde_json::Value::Object(map))
                .map_err(|_| DomainError::validation("search", "malformed", None))?;
        s.search = rules.clamp();
    }
    Ok(s)
}

impl App {
    pub async fn update_settings(
        &self,
        admin: &UserRecord,
        change: &SettingsChange,
    ) -> Result<CommunitySettings> {
        require_admin(admin)?;
        let next = apply_change((*self.settings()).clone(), change)?;
        self.store.save_settings(&next, Some(admin.id)).await?;
        self.reload_settings().await?;
        self.wrote().await;
        tracing::info!(admin = admin.id, "settings changed");
        Ok(next)
    }

    pub async fn set_role(&self, admin: &UserRecord, username: &str, role: Role) -> Result<()> {
        require_admin(admin)?;
        let u = self
            .store
            .user_by_username(username)
            .await?
            .ok_or(DomainError::NotFound("user"))?;
        self.store.set_role(u.id, role).await?;
        Ok(())
    }

    pub async fn users(&self, admin: &UserRecord, page: i64) -> Result<Vec<UserRecord>> {
        require_admin(admin)?;
        Ok(self.store.list_users(50, (page.max(1) - 1) * 50).await?)
    }

    /// Compare caches with ledgers; with `repair`, rebuild them.
    /// The settings in force, for an administrator.
    pub fn settings_for(&self, admin: &UserRecord) -> Result<std::sync::Arc<CommunitySettings>> {
        require_admin(admin)?;
        Ok(self.settings())
    }

    /// Rebuild the caches from the ledgers, on an administrator's request.
    pub async fn recompute_by(&self, admin: &UserRecord, repair: bool) -> Result<RecomputeReport> {
        require_admin(admin)?;
        self.recompute(repair).await
    }

    /// Check every cache against its ledger (and rewrite it with `repair`),
    /// and every decided review item against its votes.
    pub async fn recompute(&self, repair: bool) -> Result<RecomputeReport> {
        let s = self.settings();
        let mut report = self.store.recompute(&s.reputation, repair).await?;
        report.review_mismatches = self
            .store
            .verify_review_outcomes(&s)
            .await?
            .into_iter()
            .map(|(item_id, recorded, votes_say)| ReviewMismatch {
                item_id,
                recorded,
                votes_say,
            })
            .collect();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_custom_values() {
        let s = CommunitySettings::default();
        let so = apply_change(
            s.clone(),
            &SettingsChange {
                preset: Some("stack_overflow".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(so.privileges.preset, Some(LadderPreset::StackOverflow));
        assert_eq!(so.privileges.threshold(Privilege::EditOthers), 2000);
        let custom = apply_change(
            s.clone(),
            &SettingsChange {
                thresholds: vec![("upvote".into(), 50)],
                amounts: vec![("answer_upvoted".into(), 5), ("daily_cap".into(), 100)],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(custom.privileges.preset, None);
        assert_eq!(custom.privileges.threshold(Privilege::Upvote), 50);
        assert_eq!(custom.reputation.answer_upvoted, 5);
        assert_eq!(custom.reputation.daily_cap, 100);
        assert!(apply_change(
            s.clone(),
            &SettingsChange {
                preset: Some("nope".into()),
                ..Default::default()
            }
        )
        .is_err());
        assert!(apply_change(
            s,
            &SettingsChange {
                amounts: vec![("bogus".into(), 1)],
                ..Default::default()
            }
        )
        .is_err());
    }
}

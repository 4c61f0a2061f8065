//! Every number a community runs on, in one typed struct with the defaults
//! of PRODUCT.md. Stored as JSON in the database, edited by administrators.

use crate::badges::{default_badges, BadgeDef};
use crate::privileges::PrivilegeLadder;
use crate::reputation::ReputationRules;
use crate::review::ReviewRules;
use crate::search::SearchRules;
use crate::validation::ContentLimits;
use guildhall_analytics::rules::AnalyticsRules;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunitySettings {
    pub reputation: ReputationRules,
    pub privileges: PrivilegeLadder,
    pub limits: ContentLimits,
    pub review: ReviewRules,
    pub badges: Vec<BadgeDef>,
    pub search: SearchRules,
    /// GitHub analytics: activity weights, OpenRank parameters, bots,
    /// tracked repositories, vanity thresholds.
    pub analytics: AnalyticsRules,
}

impl Default for CommunitySettings {
    fn default() -> Self {
        CommunitySettings {
            reputation: ReputationRules::default(),
            privileges: PrivilegeLadder::default(),
            limits: ContentLimits::default(),
            review: ReviewRules::default(),
            badges: default_badges(),
            search: SearchRules::default(),
            analytics: AnalyticsRules::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_falls_back_to_defaults() {
        let s: CommunitySettings =
            serde_json::from_str(r#"{"reputation":{"answer_upvoted":5}}"#).unwrap();
        assert_eq!(s.reputation.answer_upvoted, 5);
        assert_eq!(s.reputation.question_upvoted, 10);
        assert_eq!(s.privileges, PrivilegeLadder::default());
    }
}

//! Every number the analytics run on, with the defaults of the issue and of
//! OpenDigger's published definitions. Stored with the community settings
//! (under `analytics`) and changeable by an administrator; nothing below
//! is repeated as a literal elsewhere.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsRules {
    pub activity: ActivityWeights,
    pub global: GlobalOpenRankRules,
    pub community: CommunityOpenRankRules,
    pub bots: BotRules,
    pub tracking: Tracking,
    pub health: HealthRules,
    pub vanity: VanityRules,
}

/// OpenDigger's activity: `sqrt(Σ weight · count)` per developer,
/// repository and month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityWeights {
    pub issue_comment: f64,
    pub issue_opened: f64,
    pub pull_opened: f64,
    pub review_comment: f64,
    /// Per merged pull request, credited to its author.
    pub pull_merged: f64,
}

impl Default for ActivityWeights {
    fn default() -> Self {
        ActivityWeights {
            issue_comment: 0.5252,
            issue_opened: 2.2235,
            pull_opened: 4.0679,
            review_comment: 0.7427,
            pull_merged: 2.0339,
        }
    }
}

/// Global OpenRank on the developer–repository graph, per month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GlobalOpenRankRules {
    pub developer_retention: f64,
    pub repository_retention: f64,
    pub background_retention: f64,
    /// Share of a node's value that flows along its activity edges; the
    /// rest (`1 − activity_share`) goes to the background node.
    pub activity_share: f64,
    /// Last month's value × `decay` per month elapsed is a node's start.
    pub decay: f64,
    /// A developer's start adds `1 / (1 + e^(steepness·(midpoint − activity)))`.
    pub sigmoid_steepness: f64,
    pub sigmoid_midpoint: f64,
    /// Developers active in more repositories than this in a month are
    /// treated as robots and left out.
    pub robot_repositories: usize,
    pub tolerance: f64,
    pub max_iterations: usize,
}

impl Default for GlobalOpenRankRules {
    fn default() -> Self {
        GlobalOpenRankRules {
            developer_retention: 0.5,
            repository_retention: 0.3,
            background_retention: 0.15,
            activity_share: 0.95,
            decay: 0.85,
            sigmoid_steepness: 0.10425,
            sigmoid_midpoint: 44.08,
            robot_repositories: 300,
            tolerance: 0.01,
            max_iterations: 100,
        }
    }
}

/// Community OpenRank: inside one repository, per month, on the graph of
/// developers and the issues and pull requests they worked on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunityOpenRankRules {
    pub retention: f64,
    pub issue_init: f64,
    pub pull_init: f64,
    pub merged_pull_init: f64,
    /// Share of a node's value that flows along its activity edges; the
    /// rest goes to the repository's background node.
    pub activity_share: f64,
    /// A developer's part in an issue or pull request.
    pub opened: f64,
    pub comment: f64,
    pub review: f64,
    pub review_comment: f64,
    pub closed: f64,
    pub tolerance: f64,
    pub max_iterations: usize,
}

impl Default for CommunityOpenRankRules {
    fn default() -> Self {
        let a = ActivityWeights::default();
        CommunityOpenRankRules {
            retention: 0.15,
            issue_init: 1.0,
            pull_init: 1.0,
            merged_pull_init: 1.5,
            activity_share: 0.95,
            // Opening weighs as an issue opened (pull requests' larger
            // weight comes from their start value); the rest as activity.
            opened: a.issue_opened,
            comment: a.issue_comment,
            review: a.review_comment,
            review_comment: a.review_comment,
            closed: a.issue_comment,
            tolerance: 0.01,
            max_iterations: 100,
        }
    }
}

/// Accounts left out of developer metrics and shown apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BotRules {
    /// Logins ending with one of these are bots.
    pub suffixes: Vec<String>,
    /// Further bot logins (case-insensitive).
    pub logins: Vec<String>,
}

impl Default for BotRules {
    fn default() -> Self {
        BotRules {
            suffixes: vec!["[bot]".into()],
            logins: vec![
                "dependabot-preview".into(),
                "greenkeeperio-bot".into(),
                "k8s-ci-robot".into(),
                "codecov-io".into(),
            ],
        }
    }
}

impl BotRules {
    pub fn is_bot(&self, login: &str) -> bool {
        let lower = login.to_ascii_lowercase();
        self.suffixes
            .iter()
            .any(|s| lower.ends_with(&s.to_ascii_lowercase()))
            || self.logins.iter().any(|l| l.eq_ignore_ascii_case(login))
    }
}

/// Which repositories an import keeps. Empty lists keep everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tracking {
    /// `owner/name`, case-insensitive.
    pub repositories: Vec<String>,
    /// Owners (organizations or users) whose every repository is kept.
    pub organizations: Vec<String>,
}

impl Tracking {
    pub fn keeps(&self, repo_name: &str) -> bool {
        if self.repositories.is_empty() && self.organizations.is_empty() {
            return true;
        }
        let owner = repo_name.split('/').next().unwrap_or("");
        self.repositories
            .iter()
            .any(|r| r.eq_ignore_ascii_case(repo_name))
            || self
                .organizations
                .iter()
                .any(|o| o.eq_ignore_ascii_case(owner))
    }
}

/// Contributor and responsiveness metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthRules {
    /// Response times longer than this count as this long.
    pub response_cap_days: f64,
    /// A contributor with no contribution in this many trailing months is
    /// inactive.
    pub inactive_months: i32,
    /// The bus factor covers this share of the activity.
    pub bus_factor_share: f64,
    /// Attention = stars + `fork_weight` × forks.
    pub fork_weight: f64,
}

impl Default for HealthRules {
    fn default() -> Self {
        HealthRules {
            response_cap_days: 15.0,
            inactive_months: 6,
            bus_factor_share: 0.5,
            fork_weight: 2.0,
        }
    }
}

/// Signs of bought or fake stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VanityRules {
    /// A stargazer is low-activity when, in the data window, it was active
    /// on at most this many days…
    pub low_activity_days: u32,
    /// …with at most this many actions…
    pub low_activity_actions: u32,
    /// …in at most this many repositories.
    pub low_activity_repositories: u32,
    /// A lockstep group: at least this many accounts…
    pub lockstep_accounts: usize,
    /// …that starred the same at least this many repositories…
    pub lockstep_repositories: usize,
    /// …each within this many days of the others.
    pub lockstep_window_days: u32,
    /// Attention divergence: attention grew by at least this factor over
    /// the window…
    pub divergence_attention_growth: f64,
    /// …while activity changed by less than this share.
    pub divergence_activity_change: f64,
}

impl Default for VanityRules {
    fn default() -> Self {
        VanityRules {
            low_activity_days: 1,
            low_activity_actions: 2,
            low_activity_repositories: 1,
            lockstep_accounts: 50,
            lockstep_repositories: 10,
            lockstep_window_days: 15,
            divergence_attention_growth: 2.0,
            divergence_activity_change: 0.2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_rules_keep_defaults() {
        let r: AnalyticsRules =
            serde_json::from_str(r#"{"activity":{"issue_comment":1.0}}"#).unwrap();
        assert_eq!(r.activity.issue_comment, 1.0);
        assert_eq!(r.activity.pull_opened, 4.0679);
        assert_eq!(r.global, GlobalOpenRankRules::default());
    }

    #[test]
    fn bots_and_tracking() {
        let b = BotRules::default();
        assert!(
            b.is_bot("dependabot[bot]") && b.is_bot("Renovate[BOT]") && b.is_bot("K8S-CI-ROBOT")
        );
        assert!(!b.is_bot("octocat") && !b.is_bot("robotics-fan"));
        let t = Tracking {
            repositories: vec!["rust-lang/rust".into()],
            organizations: vec!["Tokio-RS".into()],
        };
        assert!(t.keeps("rust-lang/rust") && t.keeps("tokio-rs/axum"));
        assert!(!t.keeps("rust-lang/cargo"));
        assert!(Tracking::default().keeps("any/thing"));
    }
}

//! OpenDigger's activity of one developer in one repository and month.

use crate::aggregate::Counts;
use crate::rules::ActivityWeights;

/// `sqrt(w₁·issue comments + w₂·issues opened + w₃·pull requests opened +
/// w₄·review comments + w₅·pull requests merged)`; `merged` counts the
/// developer's own pull requests merged that month.
pub fn activity(w: &ActivityWeights, c: &Counts, merged: u32) -> f64 {
    (w.issue_comment * f64::from(c.issue_comments)
        + w.issue_opened * f64::from(c.issues_opened)
        + w.pull_opened * f64::from(c.prs_opened)
        + w.review_comment * f64::from(c.review_comments)
        + w.pull_merged * f64::from(merged))
    .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        let w = ActivityWeights::default();
        // 3 comments, 1 issue, 2 PRs, 4 review comments, 1 merged:
        // 3·0.5252 + 2.2235 + 2·4.0679 + 4·0.7427 + 2.0339
        //   = 1.5756 + 2.2235 + 8.1358 + 2.9708 + 2.0339 = 16.9396
        let c = Counts {
            issue_comments: 3,
            issues_opened: 1,
            prs_opened: 2,
            review_comments: 4,
            ..Counts::default()
        };
        assert!((activity(&w, &c, 1) - 16.9396f64.sqrt()).abs() < 1e-12);
        // Stars, pushes and forks are attention, not activity.
        let c = Counts {
            stars: 5,
            pushes: 9,
            forks: 2,
            ..Counts::default()
        };
        assert_eq!(activity(&w, &c, 0), 0.0);
        // One comment: sqrt(0.5252) ≈ 0.7247
        let c = Counts {
            issue_comments: 1,
            ..Counts::default()
        };
        assert!((activity(&w, &c, 0) - 0.724707).abs() < 1e-6);
    }
}

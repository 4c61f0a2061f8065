//! Contributor and responsiveness metrics of a repository over a period.

use crate::aggregate::Item;
use crate::time::Timestamp;

const DAY: f64 = 86_400.0;

/// The smallest number of developers whose activity together covers at
/// least `share` of the total (developers sorted by activity, largest
/// first). 0 when there is no activity.
pub fn bus_factor(activities: &[f64], share: f64) -> usize {
    let mut a: Vec<f64> = activities.iter().copied().filter(|x| *x > 0.0).collect();
    let total: f64 = a.iter().sum();
    if total <= 0.0 {
        return 0;
    }
    a.sort_by(|x, y| y.total_cmp(x));
    let mut sum = 0.0;
    for (i, x) in a.iter().enumerate() {
        sum += x;
        // A little slack so that exact halves are not lost to rounding.
        if sum >= share * total - 1e-9 * total {
            return i + 1;
        }
    }
    a.len()
}

/// Days from opening to the first response by someone other than the
/// author (`first_response`), capped at `cap_days`. An item nobody answered
/// counts as the cap once the cap has passed by `now` (the end of the
/// data); before that it has no response time yet.
pub fn response_days(
    opened: Timestamp,
    first_response: Option<Timestamp>,
    cap_days: f64,
    now: Timestamp,
) -> Option<f64> {
    match first_response {
        Some(t) => Some(((t - opened).max(0) as f64 / DAY).min(cap_days)),
        None if (now - opened) as f64 >= cap_days * DAY => Some(cap_days),
        None => None,
    }
}

/// Days from opening to closing (merging counts as closing).
pub fn resolution_days(item: &Item) -> Option<f64> {
    let opened = item.opened_at?;
    let closed = item.merged_at.or(item.closed_at)?;
    Some((closed - opened).max(0) as f64 / DAY)
}

/// How a pull request ended, as far as the events tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    Open,
    Merged(Timestamp),
    Declined(Timestamp),
    /// Closed by a slim event that did not say.
    ClosedUnknown(Timestamp),
}

pub fn pull_outcome(item: &Item) -> PullOutcome {
    match (item.merged_at, item.closed_at) {
        (Some(t), _) => PullOutcome::Merged(t),
        (None, Some(t)) if item.merge_unknown => PullOutcome::ClosedUnknown(t),
        (None, Some(t)) => PullOutcome::Declined(t),
        (None, None) => PullOutcome::Open,
    }
}

/// The median of `xs` (the mean of the middle two for an even count).
pub fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_factor_by_hand() {
        // Total 10; sorted 5, 3, 1, 1: 5 < 5? no — 5 ≥ 5 covers half alone.
        assert_eq!(bus_factor(&[1.0, 3.0, 5.0, 1.0], 0.5), 1);
        // Total 10; 4 < 5, 4 + 3 = 7 ≥ 5 → 2.
        assert_eq!(bus_factor(&[3.0, 4.0, 2.0, 1.0], 0.5), 2);
        // Four equal: two cover exactly half.
        assert_eq!(bus_factor(&[1.0; 4], 0.5), 2);
        assert_eq!(bus_factor(&[], 0.5), 0);
        assert_eq!(bus_factor(&[0.0, 0.0], 0.5), 0);
    }

    fn item(author: u64, opened: i64) -> Item {
        Item {
            author: Some(author),
            opened_at: Some(opened),
            ..Item::default()
        }
    }

    #[test]
    fn response_times_by_hand() {
        let d = 86_400;
        // First response by another developer at day 3.
        assert_eq!(response_days(0, Some(3 * d), 15.0, 100 * d), Some(3.0));
        // Answered after 40 days: capped at 15.
        assert_eq!(response_days(0, Some(40 * d), 15.0, 100 * d), Some(15.0));
        // Unanswered: the cap once 15 days have passed, unknown before.
        assert_eq!(response_days(0, None, 15.0, 20 * d), Some(15.0));
        assert_eq!(response_days(0, None, 15.0, 10 * d), None);
        // Resolution: opened day 0, closed day 2.5.
        let mut c = item(1, 0);
        c.closed_at = Some(5 * d / 2);
        assert_eq!(resolution_days(&c), Some(2.5));
        assert_eq!(pull_outcome(&c), PullOutcome::Declined(5 * d / 2));
        c.merge_unknown = true;
        assert_eq!(pull_outcome(&c), PullOutcome::ClosedUnknown(5 * d / 2));
        c.merged_at = Some(d);
        assert_eq!(pull_outcome(&c), PullOutcome::Merged(d));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}

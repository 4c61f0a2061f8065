//! Vanity metrics: stars that are likely bought or faked, and attention
//! that grows without the activity behind it. Every suspect carries the
//! reasons it was flagged, so a person can check the call.

use crate::aggregate::{ActorId, RepoId};
use crate::rules::VanityRules;
use crate::time::{day_of, Timestamp};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// What an account did in the whole data window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    pub active_days: u32,
    pub actions: u32,
    pub repositories: u32,
}

/// Why a stargazer is suspected.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Active on `days` day(s) with `actions` action(s) in `repositories`
    /// repository(ies) in the whole window.
    LowActivity {
        days: u32,
        actions: u32,
        repositories: u32,
    },
    /// Member of lockstep group `group`: with `accounts` accounts it
    /// starred the same `repositories` repositories between `from` and `to`.
    Lockstep {
        group: usize,
        accounts: usize,
        repositories: usize,
        from: Timestamp,
        to: Timestamp,
    },
}

pub fn low_activity(r: &VanityRules, f: &Footprint) -> Option<Reason> {
    (f.active_days <= r.low_activity_days
        && f.actions <= r.low_activity_actions
        && f.repositories <= r.low_activity_repositories)
        .then_some(Reason::LowActivity {
            days: f.active_days,
            actions: f.actions,
            repositories: f.repositories,
        })
}

/// A set of accounts that starred the same repositories at about the same
/// time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockstepGroup {
    pub accounts: Vec<ActorId>,
    pub repositories: Vec<RepoId>,
    pub from: Timestamp,
    pub to: Timestamp,
}

/// Finds lockstep groups among `stars` (account, repository, time): for
/// every window of `lockstep_window_days` days (sliding by a day), the
/// accounts that starred at least `lockstep_repositories` repositories in
/// it are pruned together with the repositories they starred until every
/// remaining account starred at least `lockstep_repositories` of the
/// remaining repositories and every remaining repository was starred by at
/// least `lockstep_accounts` remaining accounts (a dense core). Cores
/// sharing accounts are merged into one group.
pub fn lockstep_groups(
    r: &VanityRules,
    stars: &[(ActorId, RepoId, Timestamp)],
) -> Vec<LockstepGroup> {
    let min_repos = r.lockstep_repositories.max(1);
    let min_accounts = r.lockstep_accounts.max(1);
    let window = i64::from(r.lockstep_window_days.max(1));
    // Only accounts with enough stars overall can be in a group.
    let mut per_account: FxHashMap<ActorId, usize> = FxHashMap::default();
    for s in stars {
        *per_account.entry(s.0).or_default() += 1;
    }
    let mut cand: Vec<(ActorId, RepoId, i64, Timestamp)> = stars
        .iter()
        .filter(|s| per_account[&s.0] >= min_repos)
        .map(|s| (s.0, s.1, day_of(s.2), s.2))
        .collect();
    if cand.len() < min_repos * min_accounts {
        return Vec::new();
    }
    cand.sort_by_key(|c| c.2);
    let (first, last) = (cand[0].2, cand[cand.len() - 1].2);
    let mut cores: Vec<LockstepGroup> = Vec::new();
    let mut lo = 0;
    let mut start = first;
    let final_start = (last - window + 1).max(first);
    while start <= final_start {
        while lo < cand.len() && cand[lo].2 < start {
            lo += 1;
        }
        let hi = cand[lo..].partition_point(|c| c.2 < start + window) + lo;
        if hi - lo >= min_repos * min_accounts {
            if let Some(core) = dense_core(&cand[lo..hi], min_accounts, min_repos) {
                if !cores.last().is_some_and(|c| {
                    c.accounts == core.accounts && c.repositories == core.repositories
                }) {
                    cores.push(core);
                }
            }
        }
        start += 1;
    }
    merge_groups(cores)
}

fn dense_core(
    stars: &[(ActorId, RepoId, i64, Timestamp)],
    min_accounts: usize,
    min_repos: usize,
) -> Option<LockstepGroup> {
    let mut accounts: FxHashSet<ActorId> = stars.iter().map(|s| s.0).collect();
    let mut repos: FxHashSet<RepoId> = stars.iter().map(|s| s.1).collect();
    loop {
        let mut repos_of: FxHashMap<ActorId, FxHashSet<RepoId>> = FxHashMap::default();
        let mut accounts_of: FxHashMap<RepoId, FxHashSet<ActorId>> = FxHashMap::default();
        for s in stars {
            if accounts.contains(&s.0) && repos.contains(&s.1) {
                repos_of.entry(s.0).or_default().insert(s.1);
                accounts_of.entry(s.1).or_default().insert(s.0);
            }
        }
        let keep_a: FxHashSet<ActorId> = repos_of
            .iter()
            .filter(|(_, r)| r.len() >= min_repos)
            .map(|(a, _)| *a)
            .collect();
        let keep_r: FxHashSet<RepoId> = accounts_of
            .iter()
            .filter(|(_, a)| a.len() >= min_accounts)
            .map(|(r, _)| *r)
            .collect();
        if keep_a.is_empty() || keep_r.is_empty() {
            return None;
        }
        if keep_a.len() == accounts.len() && keep_r.len() == repos.len() {
            let mut accounts: Vec<_> = accounts.into_iter().collect();
            let mut repositories: Vec<_> = repos.into_iter().collect();
            accounts.sort_unstable();
            repositories.sort_unstable();
            let times = stars
                .iter()
                .filter(|s| repos_of.get(&s.0).is_some_and(|r| r.contains(&s.1)))
                .map(|s| s.3);
            let (from, to) = times.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
            return Some(LockstepGroup {
                accounts,
                repositories,
                from,
                to,
            });
        }
        accounts = keep_a;
        repos = keep_r;
    }
}

fn merge_groups(mut cores: Vec<LockstepGroup>) -> Vec<LockstepGroup> {
    let mut out: Vec<LockstepGroup> = Vec::new();
    while let Some(mut g) = cores.pop() {
        let mut merged = true;
        while merged {
            merged = false;
            let mut i = 0;
            while i < cores.len() {
                let shares = cores[i]
                    .accounts
                    .iter()
                    .any(|a| g.accounts.binary_search(a).is_ok());
                if shares {
                    let o = cores.swap_remove(i);
                    g.accounts.extend(o.accounts);
                    g.accounts.sort_unstable();
                    g.accounts.dedup();
                    g.repositories.extend(o.repositories);
                    g.repositories.sort_unstable();
                    g.repositories.dedup();
                    g.from = g.from.min(o.from);
                    g.to = g.to.max(o.to);
                    merged = true;
                } else {
                    i += 1;
                }
            }
        }
        out.push(g);
    }
    out.sort_by_key(|g| (g.from, g.accounts.first().copied()));
    out
}

/// Attention that grows while activity stays flat: `attention` and
/// `activity` are per-period series, oldest first. Compares the first and
/// last period.
pub fn diverges(r: &VanityRules, attention: &[f64], activity: &[f64]) -> bool {
    let (Some(a0), Some(a1)) = (attention.first(), attention.last()) else {
        return false;
    };
    let (Some(c0), Some(c1)) = (activity.first(), activity.last()) else {
        return false;
    };
    if attention.len() < 2 || *a1 <= 0.0 {
        return false;
    }
    let grew = if *a0 > 0.0 {
        a1 / a0 >= r.divergence_attention_growth
    } else {
        true
    };
    let flat = if *c0 > 0.0 {
        ((c1 - c0) / c0).abs() < r.divergence_activity_change
    } else {
        *c1 <= 0.0
    };
    grew && flat
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn low_activity_by_the_rules() {
        let r = VanityRules::default();
        assert!(low_activity(
            &r,
            &Footprint {
                active_days: 1,
                actions: 2,
                repositories: 1
            }
        )
        .is_some());
        assert!(low_activity(
            &r,
            &Footprint {
                active_days: 2,
                actions: 2,
                repositories: 1
            }
        )
        .is_none());
        assert!(low_activity(
            &r,
            &Footprint {
                active_days: 1,
                actions: 3,
                repositories: 1
            }
        )
        .is_none());
        assert!(low_activity(
            &r,
            &Footprint {
                active_days: 1,
                actions: 2,
                repositories: 2
            }
        )
        .is_none());
    }

    /// Deterministic pseudo-random numbers for the cases below.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    }

    #[test]
    fn a_ring_of_sixty_fresh_accounts_is_caught() {
        let r = VanityRules::default();
        let mut seed = 7;
        let mut stars = Vec::new();
        // 60 accounts (ids 1000..1060) star the same 12 repositories
        // (ids 1..=12) within one week starting on day 100.
        for a in 1000..1060 {
            for repo in 1..=12 {
                let t = 100 * DAY + (lcg(&mut seed) % (7 * DAY as u64)) as i64;
                stars.push((a, repo, t));
            }
        }
        // Background: 2,000 ordinary accounts starring a few of 500
        // repositories (including the ring's) at random over 60 days.
        for a in 5000..7000 {
            for _ in 0..1 + lcg(&mut seed) % 5 {
                let repo = 1 + lcg(&mut seed) % 500;
                stars.push((
                    a,
                    repo,
                    80 * DAY + (lcg(&mut seed) % (60 * DAY as u64)) as i64,
                ));
            }
        }
        let groups = lockstep_groups(&r, &stars);
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].accounts, (1000..1060).collect::<Vec<_>>());
        assert_eq!(groups[0].repositories, (1..=12).collect::<Vec<_>>());
        assert!(groups[0].from >= 100 * DAY && groups[0].to < 107 * DAY);
    }

    #[test]
    fn sixty_ordinary_developers_are_not() {
        let r = VanityRules::default();
        let mut seed = 11;
        let mut stars = Vec::new();
        // 60 developers who each star 12 of 40 popular repositories over
        // a year: many overlaps, but never the same ten within 15 days.
        for a in 1..=60 {
            let mut repos: Vec<u64> = Vec::new();
            while repos.len() < 12 {
                let r = 1 + lcg(&mut seed) % 40;
                if !repos.contains(&r) {
                    repos.push(r);
                }
            }
            for repo in repos {
                stars.push((a, repo, (lcg(&mut seed) % (365 * DAY as u64)) as i64));
            }
        }
        assert!(lockstep_groups(&r, &stars).is_empty());
        // The same 60 starring the same 12 repositories spread over a year
        // are not in lockstep either.
        let same: Vec<_> = (1..=60u64)
            .flat_map(|a| {
                (1..=12u64).map(move |repo| (a, repo, ((a * 7 + repo * 31) % 365) as i64 * DAY))
            })
            .collect();
        assert!(lockstep_groups(&r, &same).is_empty());
    }

    #[test]
    fn divergence() {
        let r = VanityRules::default();
        assert!(diverges(&r, &[10.0, 15.0, 30.0], &[5.0, 5.2, 5.1]));
        assert!(
            !diverges(&r, &[10.0, 15.0, 30.0], &[5.0, 7.0, 9.0]),
            "activity grew too"
        );
        assert!(
            !diverges(&r, &[10.0, 12.0, 14.0], &[5.0, 5.0, 5.0]),
            "attention grew little"
        );
        assert!(!diverges(&r, &[10.0], &[5.0]));
    }
}

//! Global and community OpenRank for one month, built on the generic solver
//! in [`crate::openrank`].

use crate::aggregate::{ActorId, RepoId};
use crate::openrank::{solve, Incoming};
use crate::rules::{CommunityOpenRankRules, GlobalOpenRankRules};
use crate::time::Month;
use rustc_hash::FxHashMap;

/// A node's value in an earlier month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Previous {
    pub month: Month,
    pub value: f64,
}

/// The start value carried over from an earlier month: the value × decay
/// per month elapsed.
pub fn carried(decay: f64, prev: Option<&Previous>, month: Month) -> f64 {
    prev.map_or(0.0, |p| p.value * decay.powi((month.0 - p.month.0).max(0)))
}

pub fn sigmoid(r: &GlobalOpenRankRules, activity: f64) -> f64 {
    1.0 / (1.0 + (r.sigmoid_steepness * (r.sigmoid_midpoint - activity)).exp())
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GlobalRank {
    pub developers: FxHashMap<ActorId, f64>,
    pub repositories: FxHashMap<RepoId, f64>,
    /// Developers left out as robots (active in too many repositories).
    pub robots: Vec<ActorId>,
    pub iterations: usize,
    pub converged: bool,
}

/// Global OpenRank of `month` from its activity edges
/// `(repository, developer, activity)` (bots already removed, activity > 0)
/// and the values of earlier months.
pub fn global(
    r: &GlobalOpenRankRules,
    month: Month,
    edges: &[(RepoId, ActorId, f64)],
    prev_developers: &FxHashMap<ActorId, Previous>,
    prev_repositories: &FxHashMap<RepoId, Previous>,
) -> GlobalRank {
    let mut repos_of: FxHashMap<ActorId, usize> = FxHashMap::default();
    for &(_, a, _) in edges {
        *repos_of.entry(a).or_default() += 1;
    }
    let mut robots: Vec<ActorId> = repos_of
        .iter()
        .filter(|(_, n)| **n > r.robot_repositories)
        .map(|(a, _)| *a)
        .collect();
    robots.sort_unstable();
    let edges: Vec<_> = edges
        .iter()
        .filter(|e| e.2 > 0.0 && robots.binary_search(&e.1).is_err())
        .collect();
    // Node indices: developers, then repositories, then the background.
    let mut dev_index: FxHashMap<ActorId, u32> = FxHashMap::default();
    let mut devs: Vec<ActorId> = Vec::new();
    let mut repo_index: FxHashMap<RepoId, u32> = FxHashMap::default();
    let mut repos: Vec<RepoId> = Vec::new();
    for &&(repo, actor, _) in &edges {
        dev_index.entry(actor).or_insert_with(|| {
            devs.push(actor);
            devs.len() as u32 - 1
        });
        repo_index.entry(repo).or_insert_with(|| {
            repos.push(repo);
            repos.len() as u32 - 1
        });
    }
    let nd = devs.len();
    let n = nd + repos.len() + 1;
    if edges.is_empty() {
        return GlobalRank {
            robots,
            converged: true,
            ..GlobalRank::default()
        };
    }
    let bg = (n - 1) as u32;
    let mut dev_total = vec![0.0; nd];
    let mut repo_total = vec![0.0; repos.len()];
    for &&(repo, actor, a) in &edges {
        dev_total[dev_index[&actor] as usize] += a;
        repo_total[repo_index[&repo] as usize] += a;
    }
    let mut list: Vec<(u32, u32, f64)> = Vec::with_capacity(2 * edges.len() + 2 * n);
    for &&(repo, actor, a) in &edges {
        let d = dev_index[&actor];
        let ri = repo_index[&repo];
        let rn = nd as u32 + ri;
        list.push((d, rn, r.activity_share * a / dev_total[d as usize]));
        list.push((rn, d, r.activity_share * a / repo_total[ri as usize]));
    }
    let to_background = 1.0 - r.activity_share;
    let from_background = 1.0 / (n - 1) as f64;
    for i in 0..bg {
        list.push((i, bg, to_background));
        list.push((bg, i, from_background));
    }
    let incoming = Incoming::from_edges(n, &list);
    let mut init = vec![0.0; n];
    let mut retention = vec![r.background_retention; n];
    for (i, a) in devs.iter().enumerate() {
        init[i] = carried(r.decay, prev_developers.get(a), month) + sigmoid(r, dev_total[i]);
        retention[i] = r.developer_retention;
    }
    for (i, repo) in repos.iter().enumerate() {
        init[nd + i] = carried(r.decay, prev_repositories.get(repo), month);
        retention[nd + i] = r.repository_retention;
    }
    let (v, iterations, converged) =
        solve(&init, &retention, &incoming, r.tolerance, r.max_iterations);
    let share = v[bg as usize] / (n - 1) as f64;
    GlobalRank {
        developers: devs
            .iter()
            .enumerate()
            .map(|(i, a)| (*a, v[i] + share))
            .collect(),
        repositories: repos
            .iter()
            .enumerate()
            .map(|(i, x)| (*x, v[nd + i] + share))
            .collect(),
        robots,
        iterations,
        converged,
    }
}

/// One issue or pull request in a community graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemNode {
    pub number: u64,
    pub is_pull: bool,
    pub merged: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommunityRank {
    pub developers: FxHashMap<ActorId, f64>,
    pub items: FxHashMap<u64, f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// Community OpenRank of one repository and month: developers and the
/// issues and pull requests they worked on, linked by each developer's part
/// (`(item, developer, weight)`), with the repository as background node.
/// Issues start at `issue_init`, pull requests at `pull_init`, merged ones
/// at `merged_pull_init`, developers at their carried-over value. The values
/// are scaled so that the developers' sum is `total` (the repository's
/// global OpenRank that month), which makes them comparable across
/// repositories; with `total` ≤ 0 they are left unscaled.
pub fn community(
    r: &CommunityOpenRankRules,
    decay: f64,
    month: Month,
    items: &[ItemNode],
    edges: &[(u64, ActorId, f64)],
    prev_developers: &FxHashMap<ActorId, Previous>,
    total: f64,
) -> CommunityRank {
    let item_index: FxHashMap<u64, u32> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.number, i as u32))
        .collect();
    let edges: Vec<_> = edges
        .iter()
        .filter(|e| e.2 > 0.0 && item_index.contains_key(&e.0))
        .collect();
    if edges.is_empty() {
        return CommunityRank {
            converged: true,
            ..CommunityRank::default()
        };
    }
    let ni = items.len();
    let mut dev_index: FxHashMap<ActorId, u32> = FxHashMap::default();
    let mut devs: Vec<ActorId> = Vec::new();
    for e in &edges {
        dev_index.entry(e.1).or_insert_with(|| {
            devs.push(e.1);
            (ni + devs.len() - 1) as u32
        });
    }
    let n = ni + devs.len() + 1;
    let bg = (n - 1) as u32;
    let mut total_of = vec![0.0; n];
    for &&(item, actor, w) in &edges {
        total_of[item_index[&item] as usize] += w;
        total_of[dev_index[&actor] as usize] += w;
    }
    let mut list = Vec::with_capacity(2 * edges.len() + 2 * n);
    for &&(item, actor, w) in &edges {
        let (i, d) = (item_index[&item], dev_index[&actor]);
        list.push((i, d, r.activity_share * w / total_of[i as usize]));
        list.push((d, i, r.activity_share * w / total_of[d as usize]));
    }
    let from_background = 1.0 / (n - 1) as f64;
    for i in 0..bg {
        // Items without edges keep all their value for the background.
        let out = if total_of[i as usize] > 0.0 {
            1.0 - r.activity_share
        } else {
            1.0
        };
        list.push((i, bg, out));
        list.push((bg, i, from_background));
    }
    let incoming = Incoming::from_edges(n, &list);
    let mut init = vec![0.0; n];
    for (i, it) in items.iter().enumerate() {
        init[i] = match (it.is_pull, it.merged) {
            (true, true) => r.merged_pull_init,
            (true, false) => r.pull_init,
            (false, _) => r.issue_init,
        };
    }
    for (k, a) in devs.iter().enumerate() {
        init[ni + k] = carried(decay, prev_developers.get(a), month);
    }
    let retention = vec![r.retention; n];
    let (v, iterations, converged) =
        solve(&init, &retention, &incoming, r.tolerance, r.max_iterations);
    let share = v[bg as usize] / (n - 1) as f64;
    let dev_sum: f64 = (0..devs.len()).map(|k| v[ni + k] + share).sum();
    let scale = if total > 0.0 && dev_sum > 0.0 {
        total / dev_sum
    } else {
        1.0
    };
    CommunityRank {
        developers: devs
            .iter()
            .enumerate()
            .map(|(k, a)| (*a, (v[ni + k] + share) * scale))
            .collect(),
        items: items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.number, (v[i] + share) * scale))
            .collect(),
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One developer with activity 44.08 (the sigmoid's midpoint, so it
    /// starts at exactly 0.5) in one repository, nothing carried over.
    /// Nodes d, r and the background b; edges d→r and r→d 0.95, d→b and
    /// r→b 0.05, b→d and b→r 1/2. The fixed point:
    ///   d = 0.5·0.5 + 0.5·(0.95·r + 0.5·b)
    ///   r = 0.3·0   + 0.7·(0.95·d + 0.5·b)
    ///   b = 0.15·0  + 0.85·(0.05·d + 0.05·r) = 0.0425·(d + r)
    /// Substituting b: r = 0.679875·d / 0.985125 = k·d, and
    ///   d·(1 − 0.010625) = 0.25 + (0.475 + 0.010625)·k·d
    ///   d = 0.25 / (0.989375 − 0.485625·k)
    /// Then b is shared: each of d and r gets b / 2 on top.
    #[test]
    fn global_by_hand() {
        let mut r = GlobalOpenRankRules {
            tolerance: 1e-13,
            max_iterations: 10_000,
            ..Default::default()
        };
        r.robot_repositories = 300;
        let month = Month::new(2026, 10);
        let g = global(
            &r,
            month,
            &[(7, 1, 44.08)],
            &FxHashMap::default(),
            &FxHashMap::default(),
        );
        assert!(g.converged);
        let k = 0.679875 / 0.985125;
        let d = 0.25 / (0.989375 - 0.485625 * k);
        let rr = k * d;
        let b = 0.0425 * (d + rr);
        assert!(
            (g.developers[&1] - (d + b / 2.0)).abs() < 1e-9,
            "{} vs {}",
            g.developers[&1],
            d + b / 2.0
        );
        assert!((g.repositories[&7] - (rr + b / 2.0)).abs() < 1e-9);
    }

    #[test]
    fn carried_values_and_robots() {
        let r = GlobalOpenRankRules::default();
        let m = Month::new(2026, 10);
        // Two months later: 2 × 0.85² = 1.445.
        let p = Previous {
            month: Month::new(2026, 8),
            value: 2.0,
        };
        assert!((carried(r.decay, Some(&p), m) - 1.445).abs() < 1e-12);
        assert_eq!(carried(r.decay, None, m), 0.0);
        // sigmoid(44.08) = 1/2; sigmoid(0) = 1/(1 + e^(4.5953…)) ≈ 0.01000.
        assert!((sigmoid(&r, 44.08) - 0.5).abs() < 1e-12);
        assert!((sigmoid(&r, 0.0) - 1.0 / (1.0 + (0.10425f64 * 44.08).exp())).abs() < 1e-15);
        // A developer active in 301 repositories is left out as a robot.
        let mut edges: Vec<(u64, u64, f64)> = (0..301).map(|repo| (repo, 9, 1.0)).collect();
        edges.push((0, 1, 1.0));
        let g = global(&r, m, &edges, &FxHashMap::default(), &FxHashMap::default());
        assert_eq!(g.robots, vec![9]);
        assert!(!g.developers.contains_key(&9) && g.developers.contains_key(&1));
        assert_eq!(
            g.repositories.len(),
            1,
            "only repository 0 keeps a developer"
        );
    }

    #[test]
    fn community_scales_to_the_repository() {
        let r = CommunityOpenRankRules::default();
        let items = [
            ItemNode {
                number: 1,
                is_pull: false,
                merged: false,
            },
            ItemNode {
                number: 2,
                is_pull: true,
                merged: true,
            },
        ];
        let edges = [(1, 10, 2.0), (1, 11, 0.5), (2, 11, 4.0)];
        let c = community(
            &r,
            0.85,
            Month::new(2026, 10),
            &items,
            &edges,
            &FxHashMap::default(),
            3.0,
        );
        assert!(c.converged);
        let sum: f64 = c.developers.values().sum();
        assert!(
            (sum - 3.0).abs() < 1e-9,
            "developers share the repository's OpenRank: {sum}"
        );
        // 11 worked on both items and on the merged pull request (start 1.5).
        assert!(c.developers[&11] > c.developers[&10]);
        assert!(c.items[&2] > 0.0);
    }
}

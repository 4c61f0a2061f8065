//! OpenRank on any weighted graph (X-lab's definition, as OpenDigger uses
//! it): a node's value is `v = r·v0 + (1 − r)·Σ w·v_src` over its incoming
//! edges, iterated from `v0` until no value moves by `tolerance` or more,
//! at most `max_iterations` times. `r` is the node's retention factor, `v0`
//! its initial value; edge weights are used as given (callers normalize).
//! Every step uses the previous step's values (Jacobi iteration), so the
//! result does not depend on node order.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    pub id: String,
    pub init: f64,
    pub retention: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub weight: f64,
}

fn default_tolerance() -> f64 {
    0.01
}
fn default_max_iterations() -> usize {
    100
}

/// The input file of `guildhall analytics openrank`.
#[derive(Debug, Clone, Deserialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    #[serde(default = "default_max_iterations")]
    pub max_iterations: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenRank {
    pub values: BTreeMap<String, f64>,
    pub iterations: usize,
    /// Whether the last step moved every value by less than the tolerance.
    pub converged: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GraphError {
    #[error("node {0:?} appears twice")]
    DuplicateNode(String),
    #[error("edge {from:?} -> {to:?} names an unknown node")]
    UnknownNode { from: String, to: String },
    #[error("node {0:?}: retention must be within 0..=1")]
    Retention(String),
    #[error("{0} must be a finite number")]
    NotFinite(String),
    #[error("tolerance must be positive")]
    Tolerance,
}

impl Graph {
    fn check(&self) -> Result<HashMap<&str, usize>, GraphError> {
        if !(self.tolerance > 0.0 && self.tolerance.is_finite()) {
            return Err(GraphError::Tolerance);
        }
        let mut index = HashMap::with_capacity(self.nodes.len());
        for (i, n) in self.nodes.iter().enumerate() {
            if index.insert(n.id.as_str(), i).is_some() {
                return Err(GraphError::DuplicateNode(n.id.clone()));
            }
            if !(0.0..=1.0).contains(&n.retention) {
                return Err(GraphError::Retention(n.id.clone()));
            }
            if !n.init.is_finite() {
                return Err(GraphError::NotFinite(format!("init of {}", n.id)));
            }
        }
        for e in &self.edges {
            if !index.contains_key(e.from.as_str()) || !index.contains_key(e.to.as_str()) {
                return Err(GraphError::UnknownNode {
                    from: e.from.clone(),
                    to: e.to.clone(),
                });
            }
            if !e.weight.is_finite() {
                return Err(GraphError::NotFinite(format!(
                    "weight of {} -> {}",
                    e.from, e.to
                )));
            }
        }
        Ok(index)
    }
}

/// Incoming edges of every node in compressed rows: the sources and
/// weights of node `i`'s incoming edges are at `offsets[i]..offsets[i + 1]`.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    pub offsets: Vec<usize>,
    pub sources: Vec<u32>,
    pub weights: Vec<f64>,
}

impl Incoming {
    /// From `(from, to, weight)` triples over `n` nodes.
    pub fn from_edges(n: usize, edges: &[(u32, u32, f64)]) -> Incoming {
        let mut offsets = vec![0usize; n + 1];
        for &(_, to, _) in edges {
            offsets[to as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut sources = vec![0u32; edges.len()];
        let mut weights = vec![0f64; edges.len()];
        for &(from, to, w) in edges {
            let at = &mut fill[to as usize];
            sources[*at] = from;
            weights[*at] = w;
            *at += 1;
        }
        Incoming {
            offsets,
            sources,
            weights,
        }
    }
}

/// The iteration itself over nodes `0..init.len()`; returns the values, the
/// number of iterations and whether they converged.
pub fn solve(
    init: &[f64],
    retention: &[f64],
    incoming: &Incoming,
    tolerance: f64,
    max_iterations: usize,
) -> (Vec<f64>, usize, bool) {
    let n = init.len();
    let mut v = init.to_vec();
    let mut next = vec![0.0; n];
    let mut iterations = 0;
    let mut converged = n == 0;
    while iterations < max_iterations && !converged {
        iterations += 1;
        let mut delta: f64 = 0.0;
        for i in 0..n {
            let (a, b) = (incoming.offsets[i], incoming.offsets[i + 1]);
            let flow: f64 = incoming.sources[a..b]
                .iter()
                .zip(&incoming.weights[a..b])
                .map(|(s, w)| w * v[*s as usize])
                .sum();
            next[i] = retention[i] * init[i] + (1.0 - retention[i]) * flow;
            delta = delta.max((next[i] - v[i]).abs());
        }
        std::mem::swap(&mut v, &mut next);
        converged = delta < tolerance;
    }
    (v, iterations, converged)
}

/// Compute OpenRank for every node of `g`.
pub fn compute(g: &Graph) -> Result<OpenRank, GraphError> {
    let index = g.check()?;
    let edges: Vec<(u32, u32, f64)> = g
        .edges
        .iter()
        .map(|e| {
            (
                index[e.from.as_str()] as u32,
                index[e.to.as_str()] as u32,
                e.weight,
            )
        })
        .collect();
    let incoming = Incoming::from_edges(g.nodes.len(), &edges);
    let init: Vec<f64> = g.nodes.iter().map(|n| n.init).collect();
    let retention: Vec<f64> = g.nodes.iter().map(|n| n.retention).collect();
    let (v, iterations, converged) =
        solve(&init, &retention, &incoming, g.tolerance, g.max_iterations);
    let values = g
        .nodes
        .iter()
        .zip(&v)
        .map(|(n, x)| (n.id.clone(), *x))
        .collect();
    Ok(OpenRank {
        values,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(json: &str) -> Graph {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_lone_node_keeps_its_retained_share() {
        let r = compute(&graph(
            r#"{"nodes":[{"id":"a","init":2.0,"retention":0.3}]}"#,
        ))
        .unwrap();
        assert!((r.values["a"] - 0.6).abs() < 1e-12);
        assert_eq!(r.iterations, 2);
        assert!(r.converged);
    }

    #[test]
    fn a_balanced_cycle_is_a_fixed_point() {
        let r = compute(&graph(
            r#"{"nodes":[{"id":"a","init":1,"retention":0.5},{"id":"b","init":1,"retention":0.5}],
                "edges":[{"from":"a","to":"b","weight":1},{"from":"b","to":"a","weight":1}]}"#,
        ))
        .unwrap();
        assert_eq!(r.iterations, 1);
        assert!((r.values["a"] - 1.0).abs() < 1e-12 && (r.values["b"] - 1.0).abs() < 1e-12);
    }

    /// Against the closed form: v = R·v0 + (I − R)·Wᵀ·v, solved exactly for
    /// a developer–repository graph of three nodes.
    #[test]
    fn matches_the_linear_solution() {
        let g = graph(
            r#"{"nodes":[{"id":"u1","init":1.0,"retention":0.5},{"id":"u2","init":0.5,"retention":0.5},{"id":"r1","init":1.0,"retention":0.3}],
                "edges":[{"from":"u1","to":"r1","weight":1.0},{"from":"u2","to":"r1","weight":1.0},
                         {"from":"r1","to":"u1","weight":0.75},{"from":"r1","to":"u2","weight":0.25}],
                "tolerance":1e-12,"max_iterations":1000}"#,
        );
        let r = compute(&g).unwrap();
        assert!(r.converged);
        // u1 = 0.5 + 0.5·0.75·r1, u2 = 0.25 + 0.5·0.25·r1, r1 = 0.3 + 0.7·(u1 + u2)
        // ⇒ r1 = 0.3 + 0.7·(0.75 + 0.5·r1) = 0.825 + 0.35·r1 ⇒ r1 = 0.825 / 0.65
        let r1 = 0.825 / 0.65;
        let u1 = 0.5 + 0.375 * r1;
        let u2 = 0.25 + 0.125 * r1;
        for (k, want) in [("r1", r1), ("u1", u1), ("u2", u2)] {
            assert!(
                (r.values[k] - want).abs() < 1e-9,
                "{k}: {} vs {want}",
                r.values[k]
            );
        }
    }

    /// Solves `a·x = b` by Gaussian elimination with partial pivoting.
    fn solve_dense(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for c in 0..n {
            let p = (c..n)
                .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
                .unwrap();
            a.swap(c, p);
            b.swap(c, p);
            let pivot = a[c].clone();
            for r in c + 1..n {
                let f = a[r][c] / pivot[c];
                for (x, p) in a[r][c..].iter_mut().zip(&pivot[c..]) {
                    *x -= f * p;
                }
                b[r] -= f * b[c];
            }
        }
        let mut x = vec![0.0; n];
        for r in (0..n).rev() {
            let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
            x[r] = (b[r] - s) / a[r][r];
        }
        x
    }

    /// On random graphs the iteration converges to the closed form
    /// v = (I − A·S)⁻¹ (I − A)·v0, where A = diag(1 − r) and S[i][j] is the
    /// weight of the edge j → i (out-weights of a node sum to at most 1).
    #[test]
    fn matches_the_closed_form_on_random_graphs() {
        let mut seed = 42u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..50 {
            let n = 2 + (next() * 9.0) as usize;
            let mut nodes = Vec::new();
            let mut edges = Vec::new();
            for i in 0..n {
                nodes.push(Node {
                    id: format!("n{i}"),
                    init: next() * 2.0,
                    retention: 0.05 + next() * 0.9,
                });
                // Random out-edges, normalized to a random total ≤ 1.
                let targets: Vec<usize> = (0..n).filter(|&j| j != i && next() < 0.5).collect();
                let raw: Vec<f64> = targets.iter().map(|_| next() + 0.01).collect();
                let total: f64 = raw.iter().sum();
                let share = next();
                for (j, w) in targets.iter().zip(raw) {
                    edges.push(Edge {
                        from: format!("n{i}"),
                        to: format!("n{j}"),
                        weight: share * w / total,
                    });
                }
            }
            let g = Graph {
                nodes: nodes.clone(),
                edges: edges.clone(),
                tolerance: 1e-13,
                max_iterations: 100_000,
            };
            let got = compute(&g).unwrap();
            assert!(got.converged);
            let idx = |s: &str| s[1..].parse::<usize>().unwrap();
            let mut m = vec![vec![0.0; n]; n];
            for (i, row) in m.iter_mut().enumerate() {
                row[i] = 1.0;
            }
            for e in &edges {
                let (i, j) = (idx(&e.to), idx(&e.from));
                m[i][j] -= (1.0 - nodes[i].retention) * e.weight;
            }
            let b: Vec<f64> = nodes.iter().map(|x| x.retention * x.init).collect();
            let want = solve_dense(m, b);
            for (i, w) in want.iter().enumerate() {
                let v = got.values[&format!("n{i}")];
                assert!((v - w).abs() < 1e-8, "node {i}: {v} vs {w}");
            }
        }
    }

    #[test]
    fn stops_at_max_iterations() {
        let g = graph(
            r#"{"nodes":[{"id":"a","init":1,"retention":0.0},{"id":"b","init":0,"retention":0.0}],
                "edges":[{"from":"a","to":"b","weight":1},{"from":"b","to":"a","weight":1}],"max_iterations":7}"#,
        );
        let r = compute(&g).unwrap();
        assert_eq!(
            (r.iterations, r.converged),
            (7, false),
            "a zero-retention swap never settles"
        );
    }

    #[test]
    fn bad_graphs_are_refused() {
        assert_eq!(
            compute(&graph(r#"{"nodes":[{"id":"a","init":1,"retention":1.5}]}"#)).unwrap_err(),
            GraphError::Retention("a".into())
        );
        assert!(matches!(
            compute(&graph(
                r#"{"nodes":[{"id":"a","init":1,"retention":0.5}],"edges":[{"from":"a","to":"x","weight":1}]}"#
            )),
            Err(GraphError::UnknownNode { .. })
        ));
        assert!(matches!(
            compute(&graph(
                r#"{"nodes":[{"id":"a","init":1,"retention":0.5},{"id":"a","init":1,"retention":0.5}]}"#
            )),
            Err(GraphError::DuplicateNode(_))
        ));
        assert_eq!(
            compute(&graph(r#"{"nodes":[],"tolerance":0}"#)).unwrap_err(),
            GraphError::Tolerance
        );
    }
}

//! Shared test helpers: data generators and two independent exact solvers.
#![allow(dead_code)]

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub type TestRng = Xoshiro256PlusPlus;

pub fn rng(seed: u64) -> TestRng {
    TestRng::seed_from_u64(seed)
}

pub fn cost(d2: ArrayView2<f64>, labels: &[u32]) -> f64 {
    labels.iter().enumerate().map(|(i, &l)| d2[[i, l as usize]]).sum()
}

pub fn counts(labels: &[u32], k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    for &l in labels {
        c[l as usize] += 1;
    }
    c
}

pub fn assert_bounds(labels: &[u32], lo: &[usize], hi: &[usize]) {
    let k = lo.len();
    assert!(labels.iter().all(|&l| (l as usize) < k), "label out of range");
    let c = counts(labels, k);
    for j in 0..k {
        assert!(lo[j] <= c[j] && c[j] <= hi[j], "segment {j}: count {} not in [{}, {}]", c[j], lo[j], hi[j]);
    }
}

pub fn nearest(d2: ArrayView2<f64>) -> Vec<u32> {
    d2.outer_iter()
        .map(|row| {
            let mut b = 0;
            for j in 1..row.len() {
                if row[j] < row[b] {
                    b = j;
                }
            }
            b as u32
        })
        .collect()
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

// ------------------------------------------------------------------ generators

/// Kinds of cost matrices.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// i.i.d. uniform [0, 10).
    Uniform,
    /// Small integers 0..=3: massive exact ties.
    SmallInt,
    /// A few distinct rows repeated (duplicated customers), integer-valued.
    Duplicates,
    /// Gaussian blobs in 3 dims, one blob much heavier; real squared distances.
    Blobs,
}

pub const KINDS: [Kind; 4] = [Kind::Uniform, Kind::SmallInt, Kind::Duplicates, Kind::Blobs];

pub fn normal(r: &mut TestRng) -> f64 {
    // Box-Muller
    let u1: f64 = 1.0 - r.gen::<f64>();
    let u2: f64 = r.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

pub fn gen_d2(r: &mut TestRng, n: usize, k: usize, kind: Kind) -> Array2<f64> {
    match kind {
        Kind::Uniform => Array2::from_shape_fn((n, k), |_| r.gen_range(0.0..10.0)),
        Kind::SmallInt => Array2::from_shape_fn((n, k), |_| r.gen_range(0..4) as f64),
        Kind::Duplicates => {
            let distinct = r.gen_range(1..=4);
            let rows: Vec<Vec<f64>> =
                (0..distinct).map(|_| (0..k).map(|_| r.gen_range(0..6) as f64).collect()).collect();
            let pick: Vec<usize> = (0..n).map(|_| r.gen_range(0..distinct)).collect();
            Array2::from_shape_fn((n, k), |(i, j)| rows[pick[i]][j])
        }
        Kind::Blobs => {
            let dim = 3;
            let centers: Vec<Vec<f64>> = (0..k).map(|_| (0..dim).map(|_| r.gen_range(-5.0..5.0)).collect()).collect();
            let pts: Vec<Vec<f64>> = (0..n)
                .map(|_| {
                    let c = if r.gen::<f64>() < 0.6 { 0 } else { r.gen_range(0..k) };
                    centers[c].iter().map(|&x| x + normal(r)).collect()
                })
                .collect();
            let cents: Vec<Vec<f64>> =
                centers.iter().map(|c| c.iter().map(|&x| x + 0.3 * normal(r)).collect()).collect();
            Array2::from_shape_fn((n, k), |(i, j)| pts[i].iter().zip(&cents[j]).map(|(a, b)| (a - b) * (a - b)).sum())
        }
    }
}

/// Random feasible bounds of several flavours.
pub fn gen_bounds(r: &mut TestRng, n: usize, k: usize) -> (Vec<usize>, Vec<usize>) {
    let flavour = r.gen_range(0..6);
    let (mut lo, mut hi): (Vec<usize>, Vec<usize>) = match flavour {
        // exact sizes (lo == hi): a random composition of n
        0 => {
            let mut parts = vec![0usize; k];
            for _ in 0..n {
                parts[r.gen_range(0..k)] += 1;
            }
            (parts.clone(), parts)
        }
        // shares, as the CLI does it
        1 => {
            let min_s = r.gen_range(0.0..(1.0 / k as f64));
            let max_s = r.gen_range((1.0 / k as f64)..=1.0);
            super::bounds_from_shares(n, k, min_s, max_s)
        }
        // some segments forced empty
        2 => {
            let mut lo = vec![0; k];
            let mut hi = vec![n; k];
            for j in 0..k {
                if r.gen_bool(0.3) {
                    hi[j] = 0;
                } else if r.gen_bool(0.5) {
                    lo[j] = r.gen_range(0..=n / k);
                    hi[j] = lo[j] + r.gen_range(0..=n / k + 1);
                }
            }
            (lo, hi)
        }
        // tight-ish around n/k
        3 => {
            let avg = n / k;
            let lo = (0..k).map(|_| avg.saturating_sub(r.gen_range(0..=1))).collect();
            let hi = (0..k).map(|_| avg + r.gen_range(0..=1)).collect();
            (lo, hi)
        }
        // fully random
        _ => {
            let lo: Vec<usize> = (0..k).map(|_| r.gen_range(0..=n / k + 1)).collect();
            let hi = lo.iter().map(|&l| l + r.gen_range(0..=n)).collect();
            (lo, hi)
        }
    };
    // repair feasibility: sum lo <= n <= sum hi
    while lo.iter().sum::<usize>() > n {
        let j = r.gen_range(0..k);
        if lo[j] > 0 {
            lo[j] -= 1;
        }
    }
    while hi.iter().sum::<usize>() < n {
        let j = r.gen_range(0..k);
        hi[j] += 1;
    }
    (lo, hi)
}

// ------------------------------------------------------------------ exact solvers

/// Brute force over all k^n labelings (n <= 8, k <= 3). Returns the optimal cost.
pub fn brute_force(d2: ArrayView2<f64>, lo: &[usize], hi: &[usize]) -> Option<f64> {
    let (n, k) = d2.dim();
    let total = k.pow(n as u32);
    let mut best: Option<f64> = None;
    let mut lab = vec![0usize; n];
    for code in 0..total {
        let mut c = code;
        for l in lab.iter_mut() {
            *l = c % k;
            c /= k;
        }
        let mut cnt = vec![0usize; k];
        for &l in &lab {
            cnt[l] += 1;
        }
        if (0..k).all(|j| lo[j] <= cnt[j] && cnt[j] <= hi[j]) {
            let s: f64 = lab.iter().enumerate().map(|(i, &l)| d2[[i, l]]).sum();
            if best.is_none_or(|b| s < b) {
                best = Some(s);
            }
        }
    }
    best
}

/// Min-cost flow by successive shortest paths with Bellman-Ford (queue-based) on the FULL
/// bipartite network (no compression, no potentials, no warm start):
///   SS -> point (cap 1, 0), point -> seg (cap 1, d2), seg -> TT (cap lo, 0) [lower bound],
///   seg -> T (cap hi - lo, 0), T -> TT (cap n - sum lo, 0).
/// Max flow n saturates every arc into TT, i.e. exactly the labelings respecting the bounds.
/// Returns (optimal cost, labels).
pub fn mcf(d2: ArrayView2<f64>, lo: &[usize], hi: &[usize]) -> Option<(f64, Vec<u32>)> {
    let (n, k) = d2.dim();
    let ss = 0;
    let pt = |i: usize| 1 + i;
    let sg = |j: usize| 1 + n + j;
    let t = 1 + n + k;
    let tt = t + 1;
    let nv = tt + 1;
    let mut g = Graph::new(nv);
    for i in 0..n {
        g.add(ss, pt(i), 1, 0.0);
    }
    let mut assign_edges = vec![vec![0usize; k]; n];
    for i in 0..n {
        for j in 0..k {
            assign_edges[i][j] = g.add(pt(i), sg(j), 1, d2[[i, j]]);
        }
    }
    let sum_lo: usize = lo.iter().sum();
    for j in 0..k {
        g.add(sg(j), tt, lo[j] as i64, 0.0);
        g.add(sg(j), t, (hi[j] - lo[j]) as i64, 0.0);
    }
    g.add(t, tt, (n - sum_lo) as i64, 0.0);
    let flow = g.min_cost_flow(ss, tt);
    if flow != n as i64 {
        return None;
    }
    let mut labels = vec![u32::MAX; n];
    for (label, edges) in labels.iter_mut().zip(&assign_edges) {
        for (j, &e) in edges.iter().enumerate() {
            if g.cap[e] == 0 {
                *label = j as u32; // the unit arc is saturated: the point goes to segment j
            }
        }
    }
    Some((cost(d2, &labels), labels))
}

struct Graph {
    head: Vec<usize>,
    next: Vec<usize>,
    to: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<f64>,
}

impl Graph {
    fn new(nv: usize) -> Self {
        Graph { head: vec![usize::MAX; nv], next: vec![], to: vec![], cap: vec![], cost: vec![] }
    }
    fn add(&mut self, u: usize, v: usize, cap: i64, cost: f64) -> usize {
        let e = self.to.len();
        for (a, b, c, w) in [(u, v, cap, cost), (v, u, 0, -cost)] {
            self.to.push(b);
            self.cap.push(c);
            self.cost.push(w);
            self.next.push(self.head[a]);
            self.head[a] = self.to.len() - 1;
        }
        e
    }
    fn min_cost_flow(&mut self, s: usize, t: usize) -> i64 {
        let nv = self.head.len();
        let mut flow = 0;
        loop {
            let mut dist = vec![f64::INFINITY; nv];
            let mut inq = vec![false; nv];
            let mut pe = vec![usize::MAX; nv];
            let mut q = std::collections::VecDeque::new();
            dist[s] = 0.0;
            q.push_back(s);
            inq[s] = true;
            while let Some(u) = q.pop_front() {
                inq[u] = false;
                let mut e = self.head[u];
                while e != usize::MAX {
                    let v = self.to[e];
                    if self.cap[e] > 0 {
                        let nd = dist[u] + self.cost[e];
                        // small slack so float rounding cannot create an endless relaxation cycle
                        if nd < dist[v] - 1e-12 {
                            dist[v] = nd;
                            pe[v] = e;
                            if !inq[v] {
                                inq[v] = true;
                                q.push_back(v);
                            }
                        }
                    }
                    e = self.next[e];
                }
            }
            if dist[t].is_infinite() {
                return flow;
            }
            let mut f = i64::MAX;
            let mut v = t;
            while v != s {
                let e = pe[v];
                f = f.min(self.cap[e]);
                v = self.to[e ^ 1];
            }
            let mut v = t;
            while v != s {
                let e = pe[v];
                self.cap[e] -= f;
                self.cap[e ^ 1] += f;
                v = self.to[e ^ 1];
            }
            flow += f;
        }
    }
}

/// Independent optimality certificate for large n: a feasible labeling is optimal iff the
/// residual graph (segments + sink t) has no negative cycle. Arc a->b costs
/// min_{i in a} d2[i,b]-d2[i,a] (brute force over all points); a->t exists iff count_a < hi_a,
/// t->a iff count_a > lo_a (cost 0). Checked with Floyd-Warshall and a relative tolerance.
/// Returns the most negative cycle weight found (>= -tol means optimal).
pub fn most_negative_cycle(d2: ArrayView2<f64>, labels: &[u32], lo: &[usize], hi: &[usize]) -> f64 {
    let (_, k) = d2.dim();
    let nn = k + 1;
    let inf = f64::INFINITY;
    let mut w = vec![vec![inf; nn]; nn];
    for (i, &l) in labels.iter().enumerate() {
        let a = l as usize;
        for b in 0..k {
            if b != a {
                let key = d2[[i, b]] - d2[[i, a]];
                if key < w[a][b] {
                    w[a][b] = key;
                }
            }
        }
    }
    let c = counts(labels, k);
    for j in 0..k {
        if c[j] < hi[j] {
            w[j][k] = 0.0;
        }
        if c[j] > lo[j] {
            w[k][j] = 0.0;
        }
    }
    // Floyd-Warshall with d[v][v] = inf initially so that the diagonal ends as the best cycle.
    let mut d = w.clone();
    for m in 0..nn {
        for u in 0..nn {
            for v in 0..nn {
                let x = d[u][m] + d[m][v];
                if x < d[u][v] {
                    d[u][v] = x;
                }
            }
        }
    }
    (0..nn).map(|v| d[v][v]).fold(inf, f64::min)
}

pub fn max_abs(d2: ArrayView2<f64>) -> f64 {
    d2.iter().fold(0.0f64, |m, &x| m.max(x.abs()))
}

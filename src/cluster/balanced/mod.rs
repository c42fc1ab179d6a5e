//! Exact size-constrained assignment ("balance by construction").
//!
//! Given `n` points, `k` centroids and the row-major matrix `d2[i, j]` of squared distances
//! (shape `(n, k)`), [`constrained_assign`] returns labels minimising `Σ_i d2[i, label_i]`
//! subject to `lo[j] <= |{i : label_i = j}| <= hi[j]` for every segment `j`.
//!
//! # The problem as a flow
//!
//! This is a transportation problem: every point supplies one unit, segment `j` must receive
//! between `lo[j]` and `hi[j]` units. Its LP has a totally unimodular matrix, so an optimal
//! *integral* solution exists and is the optimum over labelings. We solve it as a min-cost flow
//! on a compressed residual graph with `k + 1` nodes: the `k` segments plus one node `t`
//! (the sink).
//!
//! * With labels fixed, moving one point `i` from segment `a` to segment `b` costs
//!   `key = d2[i, b] - d2[i, a]`; the residual arc `a -> b` of the full bipartite network
//!   (segment `a` -> point `i` -> segment `b`) therefore has cost `min_{i in a} key`. A simple
//!   path visits a segment at most once, so it uses each point at most once and shortest paths
//!   on the compressed graph are shortest paths of the full network.
//! * Lower bounds are removed in the textbook way: segment `j` sends `lo[j]` units to its own
//!   demand and `y[j] ∈ [0, hi[j] - lo[j]]` units over an arc `j -> t` of cost 0; `t` demands
//!   `n - Σ lo`. Residual arcs: `j -> t` while `y[j] < hi[j] - lo[j]`, `t -> j` while `y[j] > 0`.
//!   Node excesses are `e_j = count_j - lo[j] - y[j]` and `e_t = Σ y - (n - Σ lo)`, and a flow
//!   with all excesses zero is exactly a labeling that respects the bounds.
//!
//! # Algorithm: successive shortest paths (SSP) with node potentials, warm-started
//!
//! 1. Nearest-centroid labels (lowest index wins ties). If they respect the bounds they are
//!    optimal (every point is at its own minimum) and are returned unchanged.
//! 2. Warm start (large `n` only): solve the same problem exactly on a deterministic
//!    pseudo-random 1/`sample_ratio` sample of the rows with proportionally scaled bounds
//!    (recursively, with this very algorithm) and take its final node potentials `φ` as prices.
//!    Relabel every point to `argmin_j d2[i, j] - φ_j` (lowest index wins ties).
//! 3. Choose `φ_t` and the `y[j]` so that every residual arc has non-negative reduced cost
//!    (`j -> t` needs `φ_j >= φ_t`, `t -> j` needs `φ_t >= φ_j`): `y[j] = cap` if `φ_j < φ_t`,
//!    `0` if `φ_j > φ_t`, free (chosen to cancel `e_j`) if equal. Any `φ_t` is valid; we take the
//!    one among `{φ_j}` that minimises the remaining imbalance.
//! 4. SSP: while some node has positive excess, run Dijkstra (dense, `k + 1` nodes, reduced
//!    costs `c(u, v) + φ_u - φ_v >= 0`) from all excess nodes to the nearest deficit node,
//!    update `φ_v += min(dist_v, dist_sink)`, and push flow along the path: every segment arc
//!    moves the cheapest point(s) of its candidate heap, `t`-arcs change `y`.
//!
//! The candidate heaps hold, per ordered pair `(a, b)`, entries `(key, point)` of points in `a`,
//! ordered by `(key, point index)`, with lazy deletion of points that have left `a`. To avoid
//! building `n (k - 1)` entries at the top level, a heap may be *partial*: it then stores every
//! point of `a` whose key is `<= kappa[a, b]` (plus any point that entered `a` later), so every
//! point missing from it has `key > kappa`. If its smallest valid key is `<= kappa` that key is
//! the exact arc cost; otherwise `kappa` is used as a *lower bound* on the arc cost. If Dijkstra's
//! chosen path uses such a lower-bound arc, that heap is rebuilt with twice as many candidates
//! and Dijkstra is re-run; a path made only of exact arcs is a true shortest path, because
//! lowering the cost of other arcs can only shorten other paths.
//!
//! # Why the result is exact
//!
//! SSP invariant: there are potentials `φ` under which every residual arc has non-negative
//! reduced cost (reduced-cost optimality). It holds initially (step 2 labels every point at its
//! minimum of `d2 - φ`; step 3 sets the `t` arcs accordingly), Dijkstra's distance update keeps
//! it (triangle inequality), and augmenting along a shortest path only creates reverse arcs of
//! reduced cost zero. Moving several points at once is allowed only when they have *exactly*
//! the same key (parallel shortest paths, all admissible). When all excesses are zero, the flow
//! is feasible and satisfies reduced-cost optimality, hence it is a minimum-cost flow, i.e. an
//! optimal labeling. The warm start only changes the *starting point* (and therefore the
//! running time), never the optimality argument. Every augmentation lowers the total excess
//! by at least one and every heap can be rebuilt only `O(log n)` times, so the loop terminates.
//! Floating point: reduced costs are clamped at zero before Dijkstra, so rounding can only
//! change the result by rounding-level amounts (relative ~1e-15 per operation).
//!
//! # Determinism
//!
//! Parallel work (the `O(nk)` passes) is split into fixed-size chunks whose results are combined
//! in chunk order, and no floating-point value is reduced across points, so the output does not
//! depend on the number of rayon threads. All ties are broken by lowest point index, then lowest
//! segment index; the sample uses a fixed hash of the row index.
//!
//! # Cost
//!
//! Four parallel `O(nk)` passes over `d2` at the top level (nearest centroid, sampling, priced
//! argmin, candidate collection) plus a recursive solve of a 1/16 sample; the SSP then only
//! repairs the sampling error (typically a few thousand augmentations of `O(k^2)` each). Heavily
//! tied data (e.g. many identical rows) can need many more point moves, but tied points move in
//! batches; stale heap entries are purged in bulk once they are at least half of a heap.

#![forbid(unsafe_code)]

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use ndarray::ArrayView2;
use rayon::prelude::*;

/// Rows per parallel work item. Fixed (never derived from the thread count) so that results are
/// combined in the same order whatever the pool size.
const CHUNK: usize = 8192;

/// Marker for "no predecessor" in Dijkstra.
const NONE: usize = usize::MAX;

/// Why [`constrained_assign`] could not produce labels.
#[derive(Debug, Clone, PartialEq)]
pub enum BalanceError {
    /// `lo` and `hi` must both have one entry per column of `d2`.
    ShapeMismatch { k: usize, lo_len: usize, hi_len: usize },
    /// `lo[segment] > hi[segment]`.
    EmptyRange { segment: usize, lo: usize, hi: usize },
    /// No labeling can satisfy the bounds: need `Σ lo <= n <= Σ hi`.
    Infeasible { n: usize, sum_lo: u128, sum_hi: u128 },
    /// `d2[row, col]` is NaN or infinite.
    NonFinite { row: usize, col: usize },
    /// More than `u32::MAX` rows or columns.
    TooLarge { n: usize, k: usize },
    /// An internal invariant failed (a bug); never expected on valid input.
    Internal(&'static str),
}

impl fmt::Display for BalanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BalanceError::ShapeMismatch { k, lo_len, hi_len } => write!(
                f,
                "size bounds do not match the number of segments: k = {k}, lo has {lo_len}, hi has {hi_len}"
            ),
            BalanceError::EmptyRange { segment, lo, hi } => {
                write!(f, "segment {segment} has lower bound {lo} above upper bound {hi}")
            }
            BalanceError::Infeasible { n, sum_lo, sum_hi } => write!(
                f,
                "size bounds are infeasible for {n} points: need sum(lo) = {sum_lo} <= {n} <= sum(hi) = {sum_hi}"
            ),
            BalanceError::NonFinite { row, col } => {
                write!(f, "distance matrix entry [{row}, {col}] is not finite")
            }
            BalanceError::TooLarge { n, k } => {
                write!(f, "problem too large: {n} points x {k} segments (limit u32::MAX each)")
            }
            BalanceError::Internal(what) => write!(f, "internal error in balanced assignment: {what}"),
        }
    }
}

impl std::error::Error for BalanceError {}

/// Performance knobs. They never change the optimal cost, only the running time (and, where
/// several labelings are optimal, possibly which one is returned — deterministically).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Problems with at most this many points are solved from the nearest-centroid start
    /// without a sampled warm start.
    pub base_size: usize,
    /// The warm-start sample keeps about one row in `sample_ratio` (values < 2 disable it).
    pub sample_ratio: usize,
    /// Initial partial heaps aim at `candidate_factor * imbalance + candidate_floor` entries in
    /// total (all pairs together) ...
    pub candidate_factor: usize,
    /// ... and a rebuilt heap holds at least `candidate_floor` (and twice its previous size).
    pub candidate_floor: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { base_size: 32_768, sample_ratio: 16, candidate_factor: 8, candidate_floor: 4096 }
    }
}

/// Counters describing one solve (for logging and tuning).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignStats {
    /// Number of problem levels solved (1 = no warm-start recursion).
    pub levels: usize,
    /// Total positive excess at the start of the top-level SSP (0 if nearest-centroid fits).
    pub top_imbalance: u64,
    /// Augmenting paths over all levels.
    pub augmentations: u64,
    /// Candidate heap rebuilds over all levels.
    pub rebuilds: u64,
}

/// Per-segment size bounds from shares of `n`.
///
/// Rounding: `lo = ceil(min_share * n)` and `hi = floor(max_share * n)`, each computed with a
/// relative slack of 1e-9 so that decimal shares such as `0.05 * 1_000_000` are not pushed to the
/// next integer by binary representation error. Shares are clamped to `[0, 1]` (NaN means 0 for
/// `min_share`, 1 for `max_share`). The result is then made feasible for `k` equal segments:
/// `hi >= ceil(n / k)`, `hi <= n`, `lo <= floor(n / k)` and `lo <= hi`, which guarantees
/// `k * lo <= n <= k * hi`. All segments get the same bounds. `k == 0` gives empty vectors.
pub fn bounds_from_shares(n: usize, k: usize, min_share: f64, max_share: f64) -> (Vec<usize>, Vec<usize>) {
    if k == 0 {
        return (Vec::new(), Vec::new());
    }
    let clean = |s: f64, if_nan: f64| if s.is_nan() { if_nan } else { s.clamp(0.0, 1.0) };
    let (min_s, max_s) = (clean(min_share, 0.0), clean(max_share, 1.0));
    let nf = n as f64;
    let lo_x = min_s * nf;
    let hi_x = max_s * nf;
    // `as usize` saturates and maps negatives to 0.
    let lo_raw = (lo_x - 1e-9 * lo_x.max(1.0)).ceil() as usize;
    let hi_raw = (hi_x + 1e-9 * hi_x.max(1.0)).floor() as usize;
    let hi = hi_raw.max(n.div_ceil(k)).min(n);
    let lo = lo_raw.min(n / k).min(hi);
    (vec![lo; k], vec![hi; k])
}

/// Exact minimum-cost labeling under per-segment size bounds (see the module docs).
///
/// `d2` has shape `(n, k)`; `lo` and `hi` have length `k`. Returns labels in `0..k`, or an error
/// if the input is malformed or the bounds are infeasible (`Σ lo > n`, `Σ hi < n`, `lo > hi`).
/// Any memory layout of `d2` is accepted (non-standard layouts are copied once).
pub fn constrained_assign(d2: ArrayView2<f64>, lo: &[usize], hi: &[usize]) -> Result<Vec<u32>, BalanceError> {
    constrained_assign_detailed(d2, lo, hi, &Tuning::default()).map(|(labels, _)| labels)
}

/// [`constrained_assign`] with explicit [`Tuning`], also returning [`AssignStats`].
pub fn constrained_assign_detailed(
    d2: ArrayView2<f64>,
    lo: &[usize],
    hi: &[usize],
    tuning: &Tuning,
) -> Result<(Vec<u32>, AssignStats), BalanceError> {
    let (n, k) = d2.dim();
    if lo.len() != k || hi.len() != k {
        return Err(BalanceError::ShapeMismatch { k, lo_len: lo.len(), hi_len: hi.len() });
    }
    if n > u32::MAX as usize || k > u32::MAX as usize {
        return Err(BalanceError::TooLarge { n, k });
    }
    if let Some(j) = (0..k).find(|&j| lo[j] > hi[j]) {
        return Err(BalanceError::EmptyRange { segment: j, lo: lo[j], hi: hi[j] });
    }
    let sum_lo: u128 = lo.iter().map(|&v| v as u128).sum();
    let sum_hi: u128 = hi.iter().map(|&v| v as u128).sum();
    if sum_lo > n as u128 || sum_hi < n as u128 {
        return Err(BalanceError::Infeasible { n, sum_lo, sum_hi });
    }
    let mut stats = AssignStats::default();
    if n == 0 {
        return Ok((Vec::new(), stats));
    }
    // A segment can never hold more than n points; clamping keeps all arithmetic small.
    let hi_c: Vec<usize> = hi.iter().map(|&h| h.min(n)).collect();
    let d2s = d2.as_standard_layout();
    let data = d2s.as_slice().ok_or(BalanceError::Internal("standard layout without a slice"))?;
    let problem = Problem { data, n, k, lo, hi: &hi_c };
    let (labels, _phi) = solve_level(&problem, tuning, 0, true, &mut stats)?;
    Ok((labels, stats))
}

/// `Σ_i d2[i, labels[i]]`, summed sequentially in row order (deterministic).
/// Labels out of range contribute `+inf`.
pub fn assignment_cost(d2: ArrayView2<f64>, labels: &[u32]) -> f64 {
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| d2.get((i, l as usize)).copied().unwrap_or(f64::INFINITY))
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

/// One (sub)problem: row-major `n x k` costs and bounds (`hi[j] <= n`, feasible).
struct Problem<'a> {
    data: &'a [f64],
    n: usize,
    k: usize,
    lo: &'a [usize],
    hi: &'a [usize],
}

/// Heap entry: a candidate move of point `idx` with cost `key`. `Ord` is *reversed* so that
/// `BinaryHeap` (a max-heap) pops the smallest `(key, idx)` first: cheapest move, lowest index.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: f64,
    idx: u32,
}

impl Entry {
    /// Ascending `(key, idx)` order (the "natural" order; `Ord` is its reverse).
    fn asc(a: &Entry, b: &Entry) -> Ordering {
        a.key.total_cmp(&b.key).then(a.idx.cmp(&b.idx))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        Entry::asc(other, self)
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}

/// SplitMix64 finaliser: a fixed, well-mixed hash used to pick the warm-start sample.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Labels every row with `argmin_j row[j] - phi[j]` (lowest `j` wins ties) and counts segment
/// sizes. With `check_finite`, reports the first non-finite entry (lowest row, then column).
fn argmin_pass(
    data: &[f64],
    k: usize,
    phi: &[f64],
    labels: &mut [u32],
    check_finite: bool,
) -> Result<Vec<usize>, BalanceError> {
    let (counts, bad) = labels
        .par_chunks_mut(CHUNK)
        .zip(data.par_chunks(CHUNK * k))
        .enumerate()
        .map(|(c, (labs, rows))| {
            let mut counts = vec![0usize; k];
            let mut bad: Option<(usize, usize)> = None;
            for (r, (lab, row)) in labs.iter_mut().zip(rows.chunks_exact(k)).enumerate() {
                if check_finite && bad.is_none() {
                    if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                        bad = Some((c * CHUNK + r, j));
                    }
                }
                let mut best = 0usize;
                let mut best_v = row[0] - phi[0];
                for (j, (&v, &p)) in row.iter().zip(phi).enumerate().skip(1) {
                    let v = v - p;
                    if v < best_v {
                        best_v = v;
                        best = j;
                    }
                }
                *lab = best as u32;
                counts[best] += 1;
            }
            (counts, bad)
        })
        .reduce(
            || (vec![0usize; k], None),
            |(mut ca, ba), (cb, bb)| {
                for (x, y) in ca.iter_mut().zip(&cb) {
                    *x += *y;
                }
                let bad = match (ba, bb) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                (ca, bad)
            },
        );
    if let Some((row, col)) = bad {
        return Err(BalanceError::NonFinite { row, col });
    }
    Ok(counts)
}

fn within_bounds(counts: &[usize], lo: &[usize], hi: &[usize]) -> bool {
    counts.iter().zip(lo).zip(hi).all(|((&c, &l), &h)| l <= c && c <= h)
}

/// Step 3 of the algorithm: pick `φ_t` among the segment potentials and the `y[j]` consistent with
/// it, minimising the total positive excess. Returns `(y, excess[0..=k], φ_t, imbalance)`.
fn init_flow(counts: &[usize], lo: &[usize], hi: &[usize], phi: &[f64], n: usize) -> (Vec<usize>, Vec<i64>, f64, u64) {
    let k = counts.len();
    let t_demand = (n - lo.iter().sum::<usize>()) as i64;
    let mut best: Option<(Vec<usize>, Vec<i64>, f64, u64)> = None;
    for &pt in &phi[..k] {
        let mut y = vec![0usize; k];
        let mut ex = vec![0i64; k + 1];
        for j in 0..k {
            let cap = hi[j] - lo[j];
            y[j] = match phi[j].total_cmp(&pt) {
                Ordering::Less => cap,
                Ordering::Greater => 0,
                Ordering::Equal => (counts[j].saturating_sub(lo[j])).min(cap),
            };
            ex[j] = counts[j] as i64 - lo[j] as i64 - y[j] as i64;
        }
        ex[k] = y.iter().sum::<usize>() as i64 - t_demand;
        let imb: u64 = ex.iter().filter(|&&e| e > 0).map(|&e| e as u64).sum();
        if best.as_ref().is_none_or(|b| imb < b.3) {
            best = Some((y, ex, pt, imb));
        }
    }
    // k >= 1 here (n > 0 and feasible), so `best` is set; fall back to an all-free start anyway.
    best.unwrap_or_else(|| (vec![0; k], vec![0; k + 1], 0.0, 0))
}

/// Deterministic ~1/ratio sample of the rows: returns the sampled rows (row-major) and their count.
fn sample_rows(data: &[f64], k: usize, ratio: usize, level: u32) -> (Vec<f64>, usize) {
    let salt = splitmix64(0xC0FF_EE00 ^ level as u64);
    let parts: Vec<Vec<f64>> = data
        .par_chunks(CHUNK * k)
        .enumerate()
        .map(|(c, rows)| {
            let mut out = Vec::new();
            for (r, row) in rows.chunks_exact(k).enumerate() {
                let i = (c * CHUNK + r) as u64;
                if splitmix64(i ^ salt).is_multiple_of(ratio as u64) {
                    out.extend_from_slice(row);
                }
            }
            out
        })
        .collect();
    let rows = parts.concat();
    let m = rows.len() / k;
    (rows, m)
}

/// Reduced-cost threshold `τ` such that, judging from the sample, about `target` (point, other
/// segment) pairs of the full problem have reduced cost `<= τ`. Only a heuristic for heap sizes.
fn estimate_tau(rows: &[f64], k: usize, phi: &[f64], n_full: usize, target: usize) -> f64 {
    let m = rows.len() / k;
    let total = m * (k - 1);
    let q = ((target as u128 * m as u128).div_ceil(n_full.max(1) as u128)) as usize;
    if q >= total {
        return f64::INFINITY;
    }
    let mut r = Vec::with_capacity(total);
    for row in rows.chunks_exact(k) {
        let mut a = 0;
        for j in 1..k {
            if row[j] - phi[j] < row[a] - phi[a] {
                a = j;
            }
        }
        let ra = row[a] - phi[a];
        r.extend((0..k).filter(|&b| b != a).map(|b| (row[b] - phi[b]) - ra));
    }
    r.select_nth_unstable_by(q, f64::total_cmp);
    r[q]
}

/// Builds the candidate heaps: for each pair `(a, b)`, all points labelled `a` whose move key
/// `d2[i, b] - d2[i, a]` is `<= kappa[a*k + b]`.
fn collect_candidates(data: &[f64], k: usize, labels: &[u32], kappa: &[f64]) -> Vec<BinaryHeap<Entry>> {
    let parts: Vec<Vec<Vec<Entry>>> = data
        .par_chunks(CHUNK * k)
        .zip(labels.par_chunks(CHUNK))
        .enumerate()
        .map(|(c, (rows, labs))| {
            let mut out: Vec<Vec<Entry>> = vec![Vec::new(); k * k];
            for (r, (row, &l)) in rows.chunks_exact(k).zip(labs).enumerate() {
                let a = l as usize;
                let da = row[a];
                let idx = (c * CHUNK + r) as u32;
                for b in 0..k {
                    if b != a {
                        let key = row[b] - da;
                        if key <= kappa[a * k + b] {
                            out[a * k + b].push(Entry { key, idx });
                        }
                    }
                }
            }
            out
        })
        .collect();
    (0..k * k)
        .map(|p| {
            let len = parts.iter().map(|part| part[p].len()).sum();
            let mut v = Vec::with_capacity(len);
            for part in &parts {
                v.extend_from_slice(&part[p]);
            }
            BinaryHeap::from(v)
        })
        .collect()
}

/// Solves one level exactly; returns labels and final potentials `φ` (length `k + 1`, `φ[k]`
/// belongs to `t`), which satisfy reduced-cost optimality for the returned labels.
fn solve_level(
    p: &Problem,
    tuning: &Tuning,
    level: u32,
    check_finite: bool,
    stats: &mut AssignStats,
) -> Result<(Vec<u32>, Vec<f64>), BalanceError> {
    let Problem { data, n, k, lo, hi } = *p;
    stats.levels = stats.levels.max(level as usize + 1);
    let mut labels = vec![0u32; n];
    let mut counts = argmin_pass(data, k, &vec![0.0; k], &mut labels, check_finite)?;
    if within_bounds(&counts, lo, hi) {
        // Every point sits at its own minimum: optimal, and exactly nearest-centroid.
        return Ok((labels, vec![0.0; k + 1]));
    }

    let mut phi = vec![0.0; k + 1];
    // Warm start from an exactly solved sample (only ever changes the starting point).
    let mut warm: Option<Vec<f64>> = None;
    if n > tuning.base_size && tuning.sample_ratio >= 2 && level < 32 {
        let (rows, m) = sample_rows(data, k, tuning.sample_ratio, level);
        if m > 0 && m < n {
            // floor / ceil scaling keeps the sample feasible: Σ lo_s <= m <= Σ hi_s.
            let lo_s: Vec<usize> = lo.iter().map(|&l| (l as u128 * m as u128 / n as u128) as usize).collect();
            let hi_s: Vec<usize> =
                hi.iter().map(|&h| ((h as u128 * m as u128).div_ceil(n as u128)) as usize).collect();
            let sub = Problem { data: &rows, n: m, k, lo: &lo_s, hi: &hi_s };
            let (_sub_labels, sub_phi) = solve_level(&sub, tuning, level + 1, false, stats)?;
            phi[..k].copy_from_slice(&sub_phi[..k]);
            counts = argmin_pass(data, k, &phi[..k], &mut labels, false)?;
            warm = Some(rows);
        }
    }

    let (y, excess, phi_t, imbalance) = init_flow(&counts, lo, hi, &phi[..k], n);
    phi[k] = phi_t;
    if level == 0 {
        stats.top_imbalance = imbalance;
    }

    // Candidate heaps: complete at the base level, partial (threshold kappa) after a warm start.
    let mut kappa = vec![f64::INFINITY; k * k];
    if let Some(rows) = &warm {
        let target = tuning.candidate_factor.saturating_mul(imbalance as usize).saturating_add(tuning.candidate_floor);
        let tau = estimate_tau(rows, k, &phi[..k], n, target);
        if tau.is_finite() {
            for a in 0..k {
                for b in 0..k {
                    if a != b {
                        kappa[a * k + b] = tau + phi[b] - phi[a];
                    }
                }
            }
        }
    }
    let heaps = collect_candidates(data, k, &labels, &kappa);
    let built = heaps.iter().map(|h| h.len()).collect();

    let mut ssp = Ssp {
        data,
        k,
        labels,
        counts,
        lo,
        hi,
        y,
        excess,
        phi,
        heaps,
        kappa,
        built,
        stale: vec![0; k * k],
        floor: tuning.candidate_floor.max(1),
        augmentations: 0,
        rebuilds: 0,
    };
    let result = ssp.run(imbalance);
    stats.augmentations += ssp.augmentations;
    stats.rebuilds += ssp.rebuilds;
    result?;
    debug_assert!(within_bounds(&ssp.counts, lo, hi));
    Ok((ssp.labels, ssp.phi))
}

/// Arc `a -> b` of the compressed graph as seen through a (possibly partial) candidate heap.
enum Arc {
    /// No point in `a`.
    Absent,
    /// Exact cost (the smallest key of a point in `a`).
    Exact(f64),
    /// Only a lower bound on the cost is known (heap must be rebuilt if this arc is used).
    Bound(f64),
}

/// Successive-shortest-path state for one level.
struct Ssp<'a> {
    data: &'a [f64],
    k: usize,
    labels: Vec<u32>,
    counts: Vec<usize>,
    lo: &'a [usize],
    hi: &'a [usize],
    /// Flow on `j -> t` beyond the lower bound, in `0..=hi[j]-lo[j]`.
    y: Vec<usize>,
    /// Excess of segments `0..k` and of `t` (index `k`); sums to zero.
    excess: Vec<i64>,
    /// Node potentials; reduced cost of arc `u -> v` is `c(u, v) + φ_u - φ_v >= 0`.
    phi: Vec<f64>,
    /// Candidate heaps, index `a * k + b` (diagonal unused).
    heaps: Vec<BinaryHeap<Entry>>,
    /// Completeness threshold per heap: every point of `a` not in the heap has key `> kappa`.
    kappa: Vec<f64>,
    /// Heap size right after its last (re)build, to size the next rebuild.
    built: Vec<usize>,
    /// Upper bound on the number of stale entries per heap (points that left `a` since the last
    /// cleanup). When it exceeds half the heap, the heap is filtered in one `O(len)` pass instead
    /// of popping stale entries one by one (amortised `O(1)` per departure).
    stale: Vec<usize>,
    floor: usize,
    augmentations: u64,
    rebuilds: u64,
}

impl Ssp<'_> {
    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.k..(i + 1) * self.k]
    }

    /// Current arc `a -> b` (drops stale heap tops lazily).
    fn arc(&mut self, a: usize, b: usize) -> Arc {
        let ab = a * self.k + b;
        let heap = &mut self.heaps[ab];
        if self.stale[ab] > 64 && self.stale[ab] * 2 > heap.len() {
            let labels = &self.labels;
            heap.retain(|e| labels[e.idx as usize] as usize == a);
            self.stale[ab] = 0;
        }
        while let Some(top) = heap.peek() {
            if self.labels[top.idx as usize] as usize == a {
                break;
            }
            heap.pop();
        }
        let kappa = self.kappa[ab];
        match heap.peek() {
            Some(top) if top.key <= kappa => Arc::Exact(top.key),
            // Points outside the heap have key > kappa; the heap's own minimum is larger still.
            Some(_) => Arc::Bound(kappa),
            None if self.counts[a] == 0 || kappa == f64::INFINITY => Arc::Absent,
            None => Arc::Bound(kappa),
        }
    }

    /// Rebuilds heap `(a, b)` from scratch with the `max(2 * previous, floor)` cheapest points of
    /// `a` (plus ties), or all of them (then it is complete forever: `kappa = +inf`).
    fn rebuild(&mut self, a: usize, b: usize) {
        self.rebuilds += 1;
        let (k, data) = (self.k, self.data);
        let ab = a * k + b;
        let target = self.built[ab].saturating_mul(2).max(self.floor);
        let mut all: Vec<Entry> = self
            .labels
            .par_iter()
            .enumerate()
            .filter(|&(_, &l)| l as usize == a)
            .map(|(i, _)| Entry { key: data[i * k + b] - data[i * k + a], idx: i as u32 })
            .collect();
        if all.len() <= target {
            self.kappa[ab] = f64::INFINITY;
        } else {
            all.select_nth_unstable_by(target - 1, Entry::asc);
            let kap = all[target - 1].key;
            let (head, tail) = all.split_at(target);
            let mut keep = head.to_vec();
            keep.extend(tail.iter().filter(|e| e.key <= kap));
            all = keep;
            self.kappa[ab] = kap;
        }
        self.built[ab] = all.len();
        self.stale[ab] = 0;
        self.heaps[ab] = BinaryHeap::from(all);
    }

    /// Pops up to `limit` distinct valid points of heap `(a, b)` that share its minimal key
    /// (exact equality). Returns that key; `out` is sorted by point index.
    fn pop_ties(&mut self, a: usize, b: usize, limit: usize, out: &mut Vec<u32>) -> f64 {
        out.clear();
        let heap = &mut self.heaps[a * self.k + b];
        let mut key0: Option<f64> = None;
        while out.len() < limit {
            let Some(&top) = heap.peek() else { break };
            if self.labels[top.idx as usize] as usize != a {
                heap.pop(); // stale: the point has left `a`
                continue;
            }
            match key0 {
                None => key0 = Some(top.key),
                Some(k0) if top.key.total_cmp(&k0) != Ordering::Equal => break,
                Some(_) => {}
            }
            heap.pop();
            if out.last() != Some(&top.idx) {
                out.push(top.idx); // duplicates (a point that re-entered `a`) are adjacent
            }
        }
        key0.unwrap_or(f64::NAN)
    }

    /// Moves point `i` from segment `a` to `b` and registers its moves out of `b`
    /// (its entries in the heaps of `a` become stale and are dropped lazily).
    fn move_point(&mut self, i: usize, a: usize, b: usize) {
        self.labels[i] = b as u32;
        self.counts[a] -= 1;
        self.counts[b] += 1;
        let k = self.k;
        for x in 0..k {
            if x != a {
                self.stale[a * k + x] += 1;
            }
            if x != b {
                let key = self.row(i)[x] - self.row(i)[b];
                // A partial heap only has to hold the points of `b` with key <= kappa.
                if key <= self.kappa[b * k + x] {
                    self.heaps[b * k + x].push(Entry { key, idx: i as u32 });
                }
            }
        }
    }

    fn run(&mut self, imbalance: u64) -> Result<(), BalanceError> {
        let k = self.k;
        let t = k;
        let nn = k + 1;
        // Each augmentation removes >= 1 unit of excess; each heap is rebuilt O(log n) times.
        let max_steps = imbalance + (k * k * 80) as u64 + 16;
        let mut steps = 0u64;
        let mut dist = vec![0.0f64; nn];
        let mut prev = vec![NONE; nn];
        let mut prev_bound = vec![false; nn];
        let mut done = vec![false; nn];
        let mut path: Vec<(usize, usize)> = Vec::with_capacity(nn);

        while self.excess.iter().any(|&e| e > 0) {
            steps += 1;
            if steps > max_steps {
                return Err(BalanceError::Internal("successive shortest paths did not converge"));
            }
            // --- Dijkstra from all excess nodes (dense, O(k^2)) ---
            for v in 0..nn {
                dist[v] = if self.excess[v] > 0 { 0.0 } else { f64::INFINITY };
                prev[v] = NONE;
                prev_bound[v] = false;
                done[v] = false;
            }
            let mut sink = NONE;
            loop {
                let mut u = NONE;
                let mut best = f64::INFINITY;
                for v in 0..nn {
                    if !done[v] && dist[v] < best {
                        best = dist[v];
                        u = v;
                    }
                }
                if u == NONE {
                    break;
                }
                done[u] = true;
                if self.excess[u] < 0 {
                    sink = u;
                    break;
                }
                if u == t {
                    for w in 0..k {
                        if !done[w] && self.y[w] > 0 {
                            let nd = dist[u] + (self.phi[t] - self.phi[w]).max(0.0);
                            if nd < dist[w] {
                                dist[w] = nd;
                                prev[w] = u;
                                prev_bound[w] = false;
                            }
                        }
                    }
                } else {
                    for w in 0..k {
                        if w == u || done[w] {
                            continue;
                        }
                        let (c, bound) = match self.arc(u, w) {
                            Arc::Absent => continue,
                            Arc::Exact(c) => (c, false),
                            Arc::Bound(c) => (c, true),
                        };
                        let nd = dist[u] + (c + self.phi[u] - self.phi[w]).max(0.0);
                        if nd < dist[w] {
                            dist[w] = nd;
                            prev[w] = u;
                            prev_bound[w] = bound;
                        }
                    }
                    if !done[t] && self.y[u] < self.hi[u] - self.lo[u] {
                        let nd = dist[u] + (self.phi[u] - self.phi[t]).max(0.0);
                        if nd < dist[t] {
                            dist[t] = nd;
                            prev[t] = u;
                            prev_bound[t] = false;
                        }
                    }
                }
            }
            if sink == NONE {
                return Err(BalanceError::Internal("no augmenting path"));
            }

            // --- path; rebuild partial heaps whose lower bound was used, then retry ---
            path.clear();
            let mut v = sink;
            let mut retry = false;
            while prev[v] != NONE {
                let u = prev[v];
                if prev_bound[v] {
                    self.rebuild(u, v);
                    retry = true;
                }
                path.push((u, v));
                v = u;
            }
            if retry {
                continue;
            }
            let src = v;
            path.reverse();

            // --- potentials: keeps every reduced cost >= 0, path arcs become 0 ---
            let d_sink = dist[sink];
            for (p, &d) in self.phi.iter_mut().zip(&dist) {
                *p += d.min(d_sink);
            }

            // --- amount: limited by excess/deficit, t-arc capacities, and tied points ---
            let mut delta = self.excess[src].min(-self.excess[sink]) as usize;
            for &(u, w) in &path {
                if w == t {
                    delta = delta.min(self.hi[u] - self.lo[u] - self.y[u]);
                } else if u == t {
                    delta = delta.min(self.y[w]);
                }
            }
            // Segment arcs: the cheapest point(s) of each heap; several only on exact key ties.
            let mut groups: Vec<(usize, usize, f64, Vec<u32>)> = Vec::new();
            for &(u, w) in &path {
                if u != t && w != t {
                    let mut pts = Vec::new();
                    let key = self.pop_ties(u, w, delta, &mut pts);
                    delta = delta.min(pts.len());
                    groups.push((u, w, key, pts));
                }
            }
            if delta == 0 {
                return Err(BalanceError::Internal("empty augmentation"));
            }
            for (a, b, key, pts) in &groups {
                for &i in &pts[..delta] {
                    self.move_point(i as usize, *a, *b);
                }
                for &idx in &pts[delta..] {
                    self.heaps[a * k + b].push(Entry { key: *key, idx }); // not used this time
                }
            }
            for &(u, w) in &path {
                if w == t {
                    self.y[u] += delta;
                } else if u == t {
                    self.y[w] -= delta;
                }
            }
            self.excess[src] -= delta as i64;
            self.excess[sink] += delta as i64;
            self.augmentations += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

//! The k-means kernel: k-means++ initialisation and Lloyd iterations over fixed row blocks.
//!
//! Determinism: rows are cut into blocks of [`BLOCK`] rows whatever the thread count; each block's
//! centroid sums are computed on its own and the blocks are added in block order, so every result is
//! bit-identical with 1 thread or many.

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per block: small enough to spread over threads and stay in cache, fixed for determinism.
pub const BLOCK: usize = 4096;

/// A fitted k-means model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fit {
    pub centroids: Array2<f64>,
    pub labels: Vec<u32>,
    /// Sum of squared distances of every row to its centroid.
    pub inertia: f64,
    pub iterations: usize,
}

#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let d = x - y;
        s += d * d;
    }
    s
}

/// A storage type of the feature matrix: f64, or f32 for half the memory traffic. Distances are
/// summed in the storage type; centroid sums, centroids and inertia are always f64.
pub trait Element: Copy + Send + Sync + PartialOrd + Default + Into<f64> + 'static {
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn add(self, o: Self) -> Self;
    fn of(v: f64) -> Self;
    const INFINITY: Self;
}

impl Element for f64 {
    #[inline(always)]
    fn sub(self, o: f64) -> f64 {
        self - o
    }
    #[inline(always)]
    fn mul(self, o: f64) -> f64 {
        self * o
    }
    #[inline(always)]
    fn add(self, o: f64) -> f64 {
        self + o
    }
    #[inline(always)]
    fn of(v: f64) -> f64 {
        v
    }
    const INFINITY: f64 = f64::INFINITY;
}

impl Element for f32 {
    #[inline(always)]
    fn sub(self, o: f32) -> f32 {
        self - o
    }
    #[inline(always)]
    fn mul(self, o: f32) -> f32 {
        self * o
    }
    #[inline(always)]
    fn add(self, o: f32) -> f32 {
        self + o
    }
    #[inline(always)]
    fn of(v: f64) -> f32 {
        v as f32
    }
    const INFINITY: f32 = f32::INFINITY;
}

/// Centroids laid out for the assignment kernel: column-major in groups of [`LANES`] centroids
/// (`ct[g][j][c]` = coordinate `j` of centroid `g * LANES + c`), padded with zeros, so that the inner
/// loop computes one coordinate's contribution to eight distances at once: a loop the compiler turns
/// into SIMD instructions.
pub struct Centres<T: Element = f64> {
    ct: Vec<T>,
    k: usize,
    d: usize,
}

const LANES: usize = 8;

impl<T: Element> Centres<T> {
    pub fn new(centroids: &[f64], k: usize, d: usize) -> Centres<T> {
        let groups = k.div_ceil(LANES);
        let mut ct = vec![T::default(); groups * d * LANES];
        for c in 0..k {
            let (g, lane) = (c / LANES, c % LANES);
            for j in 0..d {
                ct[(g * d + j) * LANES + lane] = T::of(centroids[c * d + j]);
            }
        }
        Centres { ct, k, d }
    }
}

/// Nearest centroid of one row (lowest index on ties) and the squared distance to it. Each distance is
/// summed coordinate by coordinate in order, `s += (x_j − c_j)²`, exactly as a scalar loop would: the
/// vectorization runs across centroids, never inside one sum, so results are bit-identical on every
/// CPU and with or without AVX2.
#[inline(always)]
fn nearest_in<T: Element>(row: &[T], centres: &Centres<T>) -> (u32, T) {
    let d = centres.d;
    let mut best = (0u32, T::INFINITY);
    for (g, group) in centres.ct.chunks_exact(d * LANES).enumerate() {
        let mut acc = [T::default(); LANES];
        for (j, cj) in group.chunks_exact(LANES).enumerate() {
            let xj = row[j];
            for c in 0..LANES {
                let t = xj.sub(cj[c]);
                acc[c] = acc[c].add(t.mul(t));
            }
        }
        for (c, &dist) in acc.iter().enumerate().take(centres.k - g * LANES) {
            if dist < best.1 {
                best = ((g * LANES + c) as u32, dist);
            }
        }
    }
    best
}

/// [`nearest_in`] for every row of a block, compiled for the CPU at hand.
fn nearest_block<T: Element>(rows: &[T], centres: &Centres<T>, labels: &mut [u32], dists: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { nearest_block_avx2(rows, centres, labels, dists) };
            return;
        }
    }
    nearest_block_generic(rows, centres, labels, dists);
}

/// [`nearest_in`] for two rows at once: the same sums, in the same order, but two independent chains
/// of additions in flight instead of one. With k ≤ 8 in f32 a single row is one chain of `d`
/// dependent additions, bound by the adder's latency rather than its throughput.
#[inline(always)]
fn nearest_in_pair<T: Element>(a: &[T], b: &[T], centres: &Centres<T>) -> ((u32, T), (u32, T)) {
    let d = centres.d;
    let mut best_a = (0u32, T::INFINITY);
    let mut best_b = (0u32, T::INFINITY);
    for (g, group) in centres.ct.chunks_exact(d * LANES).enumerate() {
        let mut acc_a = [T::default(); LANES];
        let mut acc_b = [T::default(); LANES];
        for (j, cj) in group.chunks_exact(LANES).enumerate() {
            let (xa, xb) = (a[j], b[j]);
            for c in 0..LANES {
                let ta = xa.sub(cj[c]);
                acc_a[c] = acc_a[c].add(ta.mul(ta));
                let tb = xb.sub(cj[c]);
                acc_b[c] = acc_b[c].add(tb.mul(tb));
            }
        }
        for c in 0..LANES.min(centres.k - g * LANES) {
            if acc_a[c] < best_a.1 {
                best_a = ((g * LANES + c) as u32, acc_a[c]);
            }
            if acc_b[c] < best_b.1 {
                best_b = ((g * LANES + c) as u32, acc_b[c]);
            }
        }
    }
    (best_a, best_b)
}

#[inline(always)]
fn nearest_block_generic<T: Element>(rows: &[T], centres: &Centres<T>, labels: &mut [u32], dists: &mut [f64]) {
    let d = centres.d;
    let n = labels.len();
    let mut i = 0;
    while i + 1 < n {
        let ((la, da), (lb, db)) = nearest_in_pair(&rows[i * d..(i + 1) * d], &rows[(i + 1) * d..(i + 2) * d], centres);
        labels[i] = la;
        dists[i] = da.into();
        labels[i + 1] = lb;
        dists[i + 1] = db.into();
        i += 2;
    }
    if i < n {
        let (j, dist) = nearest_in(&rows[i * d..(i + 1) * d], centres);
        labels[i] = j;
        dists[i] = dist.into();
    }
}

/// AVX2 only (no FMA, which would round differently): the same arithmetic, four lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nearest_block_avx2<T: Element>(rows: &[T], centres: &Centres<T>, labels: &mut [u32], dists: &mut [f64]) {
    nearest_block_generic(rows, centres, labels, dists)
}

fn rows_of<'a, T: Element>(x: &'a ArrayView2<'_, T>) -> std::borrow::Cow<'a, [T]> {
    match x.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(x.iter().copied().collect()),
    }
}

/// Assigns every row to its nearest centroid: labels and squared distances.
pub fn assign<T: Element>(x: ArrayView2<T>, centroids: ArrayView2<f64>) -> (Vec<u32>, Vec<f64>) {
    let d = x.ncols();
    let data = rows_of(&x);
    let c = centroids.as_standard_layout().to_owned();
    let centres = Centres::<T>::new(c.as_slice().expect("standard layout"), c.nrows(), d);
    let mut labels = vec![0u32; x.nrows()];
    let mut dists = vec![0f64; x.nrows()];
    labels
        .par_chunks_mut(BLOCK)
        .zip(dists.par_chunks_mut(BLOCK))
        .enumerate()
        .for_each(|(b, (lab, dis))| {
            let rows = &data[b * BLOCK * d..b * BLOCK * d + lab.len() * d];
            nearest_block(rows, &centres, lab, dis);
        });
    (labels, dists)
}

/// Squared distance of every row to the centroid of its label.
pub fn assigned_d2(x: ArrayView2<f64>, centroids: ArrayView2<f64>, labels: &[u32]) -> Vec<f64> {
    let d = x.ncols();
    let data = rows_of(&x);
    let c = centroids.as_standard_layout().to_owned();
    let c = c.as_slice().expect("standard layout");
    let mut out = vec![0f64; labels.len()];
    out.par_chunks_mut(BLOCK).zip(labels.par_chunks(BLOCK)).enumerate().for_each(|(b, (o, lab))| {
        let rows = &data[b * BLOCK * d..];
        for (i, (v, &l)) in o.iter_mut().zip(lab).enumerate() {
            *v = sq_dist(&rows[i * d..(i + 1) * d], &c[l as usize * d..(l as usize + 1) * d]);
        }
    });
    out
}

struct Partial {
    sums: Vec<f64>,
    counts: Vec<u64>,
    inertia: f64,
}

/// One assignment pass that also accumulates the centroid sums, block by block.
fn assign_and_sum<T: Element>(data: &[T], d: usize, centroids: &[f64], k: usize, labels: &mut [u32], dists: &mut [f64]) -> Partial {
    let centres = Centres::<T>::new(centroids, k, d);
    let partials: Vec<Partial> = labels
        .par_chunks_mut(BLOCK)
        .zip(dists.par_chunks_mut(BLOCK))
        .enumerate()
        .map(|(b, (lab, dis))| {
            let rows = &data[b * BLOCK * d..b * BLOCK * d + lab.len() * d];
            nearest_block(rows, &centres, lab, dis);
            let mut p = Partial { sums: vec![0.0; k * d], counts: vec![0; k], inertia: 0.0 };
            for (i, (&j, &dist)) in lab.iter().zip(dis.iter()).enumerate() {
                let j = j as usize;
                p.inertia += dist;
                p.counts[j] += 1;
                for (acc, &v) in p.sums[j * d..(j + 1) * d].iter_mut().zip(&rows[i * d..(i + 1) * d]) {
                    *acc += Into::<f64>::into(v);
                }
            }
            p
        })
        .collect();
    let mut total = Partial { sums: vec![0.0; k * d], counts: vec![0; k], inertia: 0.0 };
    for p in partials {
        for (a, b) in total.sums.iter_mut().zip(&p.sums) {
            *a += b;
        }
        for (a, b) in total.counts.iter_mut().zip(&p.counts) {
            *a += b;
        }
        total.inertia += p.inertia;
    }
    total
}

/// Mean of the per-column variances: the scale the convergence tolerance is relative to.
pub fn mean_variance<T: Element>(x: ArrayView2<T>) -> f64 {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return 0.0;
    }
    let data = rows_of(&x);
    // Two passes (mean, then squared deviations), each block-parallel and added in block order.
    let add_blocks = |partials: Vec<Vec<f64>>| {
        let mut total = vec![0.0; d];
        for p in partials {
            total.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
        }
        total
    };
    let sums = add_blocks(
        data.par_chunks(BLOCK * d)
            .map(|rows| {
                let mut acc = vec![0.0; d];
                for row in rows.chunks_exact(d) {
                    acc.iter_mut().zip(row).for_each(|(a, &v)| *a += Into::<f64>::into(v));
                }
                acc
            })
            .collect(),
    );
    let means: Vec<f64> = sums.into_iter().map(|s| s / n as f64).collect();
    let var = add_blocks(
        data.par_chunks(BLOCK * d)
            .map(|rows| {
                let mut acc = vec![0.0; d];
                for row in rows.chunks_exact(d) {
                    for ((a, &v), m) in acc.iter_mut().zip(row).zip(&means) {
                        let t = Into::<f64>::into(v) - m;
                        *a += t * t;
                    }
                }
                acc
            })
            .collect(),
    );
    var.iter().sum::<f64>() / n as f64 / d as f64
}

/// Lloyd iterations from the given centroids until no centroid moves more than `tol` (relative to the
/// mean column variance) or `max_iter` is reached. An emptied segment takes the row farthest from its
/// centroid (lowest index on ties). Works on f64 or f32 rows (see [`Element`]).
pub fn lloyd<T: Element>(x: ArrayView2<T>, init: Array2<f64>, max_iter: usize, tol: f64) -> Fit {
    let (n, d) = x.dim();
    let k = init.nrows();
    let data = rows_of(&x);
    let tol_abs = tol * mean_variance(x);
    let mut centroids = init.as_standard_layout().to_owned().into_raw_vec_and_offset().0;
    let mut labels = vec![0u32; n];
    let mut dists = vec![0f64; n];
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let p = assign_and_sum(&data, d, &centroids, k, &mut labels, &mut dists);
        let mut next = vec![0.0; k * d];
        let mut taken: Vec<usize> = Vec::new();
        for j in 0..k {
            if p.counts[j] > 0 {
                for t in 0..d {
                    next[j * d + t] = p.sums[j * d + t] / p.counts[j] as f64;
                }
            } else {
                // Re-seed an empty segment with the farthest row not already used for that.
                let far = (0..n)
                    .filter(|i| !taken.contains(i))
                    .fold((usize::MAX, f64::NEG_INFINITY), |best, i| if dists[i] > best.1 { (i, dists[i]) } else { best })
                    .0;
                if far != usize::MAX {
                    taken.push(far);
                    for (t, &v) in next[j * d..(j + 1) * d].iter_mut().zip(&data[far * d..(far + 1) * d]) {
                        *t = v.into();
                    }
                    dists[far] = 0.0;
                }
            }
        }
        let shift: f64 = centroids.iter().zip(&next).map(|(a, b)| (a - b) * (a - b)).sum();
        centroids = next;
        if shift <= tol_abs && taken.is_empty() {
            break;
        }
    }
    // Final labels agree with the returned centroids.
    let p = assign_and_sum(&data, d, &centroids, k, &mut labels, &mut dists);
    Fit { centroids: Array2::from_shape_vec((k, d), centroids).expect("k × d"), labels, inertia: p.inertia, iterations }
}

/// One Lloyd iteration from `centroids`: an assignment pass that also sums each segment, then the means
/// (an empty segment keeps its centroid). Returns the new centroids and the inertia of the assignment.
/// What the kernel benchmarks time; [`lloyd`] adds convergence checks and empty-segment reseeding.
pub fn lloyd_iteration<T: Element>(x: ArrayView2<T>, centroids: &Array2<f64>) -> (Array2<f64>, f64) {
    let (n, d) = x.dim();
    let k = centroids.nrows();
    let data = rows_of(&x);
    let c = centroids.as_standard_layout().to_owned();
    let c = c.as_slice().expect("standard layout");
    let (mut labels, mut dists) = (vec![0u32; n], vec![0f64; n]);
    let p = assign_and_sum(&data, d, c, k, &mut labels, &mut dists);
    let next = Array2::from_shape_fn((k, d), |(j, t)| if p.counts[j] > 0 { p.sums[j * d + t] / p.counts[j] as f64 } else { c[j * d + t] });
    (next, p.inertia)
}

/// Squared distances of every row to every centroid (n × k, row-major), block-parallel.
pub fn distance_matrix(x: ArrayView2<f64>, centroids: ArrayView2<f64>) -> Array2<f64> {
    let (n, d) = x.dim();
    let k = centroids.nrows();
    let data = rows_of(&x);
    let c = centroids.as_standard_layout().to_owned();
    let c = c.as_slice().expect("standard layout");
    let mut out = vec![0f64; n * k];
    out.par_chunks_mut(BLOCK * k).enumerate().for_each(|(b, chunk)| {
        let rows = &data[b * BLOCK * d..];
        for (i, r) in chunk.chunks_exact_mut(k).enumerate() {
            let row = &rows[i * d..(i + 1) * d];
            for (j, v) in r.iter_mut().enumerate() {
                *v = sq_dist(row, &c[j * d..(j + 1) * d]);
            }
        }
    });
    Array2::from_shape_vec((n, k), out).expect("n × k")
}

/// Segment sums and counts for fixed labels, block by block and added in block order (deterministic).
fn sums_by_label(data: &[f64], d: usize, labels: &[u32], k: usize) -> (Vec<f64>, Vec<u64>) {
    let partials: Vec<(Vec<f64>, Vec<u64>)> = labels
        .par_chunks(BLOCK)
        .enumerate()
        .map(|(b, lab)| {
            let rows = &data[b * BLOCK * d..];
            let (mut sums, mut counts) = (vec![0.0; k * d], vec![0u64; k]);
            for (i, &l) in lab.iter().enumerate() {
                let j = l as usize;
                counts[j] += 1;
                for (acc, v) in sums[j * d..(j + 1) * d].iter_mut().zip(&rows[i * d..(i + 1) * d]) {
                    *acc += v;
                }
            }
            (sums, counts)
        })
        .collect();
    let (mut sums, mut counts) = (vec![0.0; k * d], vec![0u64; k]);
    for (s, c) in partials {
        sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
        counts.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
    }
    (sums, counts)
}

/// Size-constrained k-means ("balance by construction"): Lloyd iterations whose assignment step is the
/// exact size-constrained assignment of [`super::balanced`] (every segment between `lo[j]` and `hi[j]`
/// rows), and whose update step is the mean. Both steps can only lower the inertia, so it converges;
/// it stops when the labels no longer change, no centroid moves more than `tol` (relative to the mean
/// column variance), or after `max_iter` iterations. The labels returned are the optimal constrained
/// assignment to the returned centroids. A segment that ends up empty (only when `lo` allows it) keeps
/// its previous centroid.
pub fn lloyd_balanced(
    x: ArrayView2<f64>,
    init: Array2<f64>,
    lo: &[usize],
    hi: &[usize],
    max_iter: usize,
    tol: f64,
) -> Result<Fit, super::balanced::BalanceError> {
    let (_, d) = x.dim();
    let k = init.nrows();
    let data = rows_of(&x);
    let tol_abs = tol * mean_variance(x);
    let mut centroids = init.as_standard_layout().to_owned();
    let mut labels: Vec<u32> = Vec::new();
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let d2 = distance_matrix(x, centroids.view());
        let next = super::balanced::constrained_assign(d2.view(), lo, hi)?;
        if next == labels {
            break;
        }
        labels = next;
        let (sums, counts) = sums_by_label(&data, d, &labels, k);
        let mut moved = Array2::zeros((k, d));
        for j in 0..k {
            for t in 0..d {
                moved[[j, t]] = if counts[j] > 0 { sums[j * d + t] / counts[j] as f64 } else { centroids[[j, t]] };
            }
        }
        let shift: f64 = centroids.iter().zip(moved.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
        centroids = moved;
        if shift <= tol_abs {
            break;
        }
    }
    let d2 = distance_matrix(x, centroids.view());
    let labels = super::balanced::constrained_assign(d2.view(), lo, hi)?;
    let inertia = super::balanced::assignment_cost(d2.view(), &labels);
    Ok(Fit { centroids, labels, inertia, iterations })
}

/// Greedy k-means++ (as scikit-learn does it): each new centre is the best of `2 + ln k` candidates
/// drawn with probability proportional to the squared distance to the nearest centre so far.
pub fn kmeans_plus_plus(x: ArrayView2<f64>, k: usize, rng: &mut Xoshiro256PlusPlus) -> Array2<f64> {
    let (n, d) = x.dim();
    let data = rows_of(&x);
    let row = |i: usize| &data[i * d..(i + 1) * d];
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centres: Vec<usize> = vec![rng.gen_range(0..n)];
    let first = row(centres[0]).to_vec();
    let mut closest: Vec<f64> = (0..n).into_par_iter().map(|i| sq_dist(row(i), &first)).collect();
    while centres.len() < k {
        let total = block_sum(&closest);
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let cand = if total > 0.0 { sample_weighted(&closest, rng.gen::<f64>() * total) } else { rng.gen_range(0..n) };
            let c = row(cand).to_vec();
            let updated: Vec<f64> = closest.par_iter().enumerate().map(|(i, &old)| old.min(sq_dist(row(i), &c))).collect();
            let potential = block_sum(&updated);
            if best.as_ref().is_none_or(|b| potential < b.0) {
                best = Some((potential, cand, updated));
            }
        }
        let (_, cand, updated) = best.expect("at least one trial");
        centres.push(cand);
        closest = updated;
    }
    let mut out = Array2::zeros((k, d));
    for (j, &i) in centres.iter().enumerate() {
        out.row_mut(j).assign(&x.row(i));
    }
    out
}

/// Sum in fixed blocks, so that it does not depend on the thread count.
fn block_sum(v: &[f64]) -> f64 {
    let parts: Vec<f64> = v.par_chunks(BLOCK).map(|c| c.iter().sum::<f64>()).collect();
    parts.iter().sum()
}

/// The index at which the running sum of `weights` passes `target`.
fn sample_weighted(weights: &[f64], target: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if acc > target && *w > 0.0 {
            return i;
        }
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// Parameters of a full fit.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub k: usize,
    pub restarts: usize,
    pub max_iter: usize,
    pub tol: f64,
    pub seed: u64,
}

/// The random stream of restart `r` of a fit: seeded from the run seed and what is being fitted.
pub fn rng_for(seed: u64, stream: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The k-means++ start of restart `r`.
fn start(x: ArrayView2<f64>, p: &Params, r: usize) -> Array2<f64> {
    let mut rng = rng_for(p.seed, (p.k * 1000 + r) as u64);
    kmeans_plus_plus(x, p.k, &mut rng)
}

/// Best of `restarts` k-means++ starts (lowest inertia; the first on ties). At least one start is
/// fitted, whatever `restarts` says.
pub fn fit(x: ArrayView2<f64>, p: Params) -> Fit {
    let mut best = lloyd(x, start(x, &p, 0), p.max_iter, p.tol);
    for r in 1..p.restarts {
        let f = lloyd(x, start(x, &p, r), p.max_iter, p.tol);
        if f.inertia < best.inertia {
            best = f;
        }
    }
    best
}

/// Best of `restarts` size-constrained fits, each from a k-means++ start (the same starts as [`fit`])
/// straight into [`lloyd_balanced`]: lowest inertia, the first on ties.
pub fn fit_balanced(x: ArrayView2<f64>, p: Params, lo: &[usize], hi: &[usize]) -> Result<Fit, super::balanced::BalanceError> {
    let mut best = lloyd_balanced(x, start(x, &p, 0), lo, hi, p.max_iter, p.tol)?;
    for r in 1..p.restarts {
        let f = lloyd_balanced(x, start(x, &p, r), lo, hi, p.max_iter, p.tol)?;
        if f.inertia < best.inertia {
            best = f;
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Axis;
    use linfa::traits::{Fit as _, Predict as _};
    use ndarray::Array2;

    /// Gaussian blobs around `k` well-spread centres.
    fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let centres: Vec<Vec<f64>> = (0..k).map(|_| (0..d).map(|_| rng.gen_range(-6.0..6.0)).collect()).collect();
        Array2::from_shape_fn((n, d), |(i, j)| {
            let u1: f64 = rng.gen::<f64>().max(1e-12);
            let u2: f64 = rng.gen();
            centres[i % k][j] + (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
    }

    #[test]
    fn lloyd_agrees_with_linfa_from_the_same_start() {
        for (seed, k) in [(1u64, 3usize), (2, 5), (3, 7)] {
            let x = blobs(3000, 6, k, seed);
            let init = kmeans_plus_plus(x.view(), k, &mut rng_for(seed, 9));
            let ours = lloyd(x.view(), init.clone(), 1000, 0.0);
            let data = linfa::DatasetBase::from(x.clone());
            let theirs = linfa_clustering::KMeans::params_with_rng(k, rand_xoshiro::Xoshiro256Plus::seed_from_u64(0))
                .init_method(linfa_clustering::KMeansInit::Precomputed(init))
                .n_runs(1)
                .tolerance(1e-12)
                .max_n_iterations(1000)
                .fit(&data)
                .expect("linfa fit");
            let their_inertia = theirs.inertia() * x.nrows() as f64;
            assert!(
                (ours.inertia - their_inertia).abs() <= 1e-9 * their_inertia,
                "k={k}: inertia {} vs linfa {}",
                ours.inertia,
                their_inertia
            );
            let their_labels = theirs.predict(&x);
            let same = ours.labels.iter().zip(their_labels.iter()).filter(|(a, b)| **a as usize == **b).count();
            assert_eq!(same, x.nrows(), "k={k}: labels differ from linfa's");
        }
    }

    #[test]
    fn reaches_the_brute_force_optimum_on_a_small_case() {
        // Every 2-partition of 10 points: the best inertia k-means can reach.
        let x = blobs(10, 2, 2, 4);
        let n = x.nrows();
        let mut best = f64::INFINITY;
        for mask in 1u32..(1 << n) - 1 {
            let labels: Vec<u32> = (0..n).map(|i| (mask >> i) & 1).collect();
            let (c, _) = crate::cluster::metrics::centroids_of(x.view(), &labels, 2);
            let inertia: f64 = (0..n).map(|i| sq_dist(&x.row(i).to_vec(), &c.row(labels[i] as usize).to_vec())).sum();
            best = best.min(inertia);
        }
        let f = fit(x.view(), Params { k: 2, restarts: 10, max_iter: 100, tol: 0.0, seed: 1 });
        assert!((f.inertia - best).abs() < 1e-9, "k-means {} vs brute force {}", f.inertia, best);
    }

    #[test]
    fn results_are_identical_with_one_and_two_threads() {
        let x = blobs(3 * BLOCK + 123, 8, 5, 6);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| fit(x.view(), Params { k: 5, restarts: 2, max_iter: 100, tol: 1e-6, seed: 3 }))
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
        assert!(a.centroids.iter().zip(b.centroids.iter()).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn kmeans_plus_plus_picks_distinct_rows() {
        let x = blobs(500, 3, 4, 8);
        let c = kmeans_plus_plus(x.view(), 4, &mut rng_for(1, 1));
        for i in 0..4 {
            for j in 0..i {
                assert!(c.row(i) != c.row(j));
            }
            assert!(x.outer_iter().any(|r| r == c.row(i)), "a centre is not a data row");
        }
    }

    #[test]
    fn an_emptied_segment_is_reseeded() {
        // Two identical starting centroids: one segment starts empty.
        let x = blobs(400, 2, 2, 10);
        let mut init = Array2::zeros((2, 2));
        init.row_mut(0).assign(&x.row(0));
        init.row_mut(1).assign(&x.row(0));
        let f = lloyd(x.view(), init, 100, 0.0);
        let counts = (0..2).map(|j| f.labels.iter().filter(|&&l| l == j).count()).collect::<Vec<_>>();
        assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    }

    /// Rows of blob 0 make up `big` of the data, the others share the rest.
    fn unbalanced(n: usize, d: usize, k: usize, big: f64, seed: u64) -> Array2<f64> {
        let x = blobs(n * k, d, k, seed);
        let mut rows: Vec<usize> = (0..x.nrows()).filter(|i| i % k == 0).take((n as f64 * big) as usize).collect();
        rows.extend((0..x.nrows()).filter(|i| i % k != 0).take(n - rows.len()));
        x.select(Axis(0), &rows)
    }

    #[test]
    fn balanced_lloyd_keeps_every_segment_within_bounds_and_ends_at_a_fixed_point() {
        let x = unbalanced(6000, 5, 4, 0.7, 21);
        let init = kmeans_plus_plus(x.view(), 4, &mut rng_for(3, 3));
        let plain = lloyd(x.view(), init.clone(), 300, 0.0);
        let (lo, hi) = (vec![900; 4], vec![2000; 4]);
        let f = lloyd_balanced(x.view(), init, &lo, &hi, 300, 0.0).unwrap();
        for j in 0..4u32 {
            let c = f.labels.iter().filter(|&&l| l == j).count();
            assert!((900..=2000).contains(&c), "segment {j}: {c}");
        }
        // The plain fit breaks the bounds on this data.
        assert!((0..4u32).any(|j| plain.labels.iter().filter(|&&l| l == j).count() > 2000));
        // Labels are the optimal constrained assignment to the returned centroids, and the centroids are
        // the means of their labels (a fixed point).
        let d2 = distance_matrix(x.view(), f.centroids.view());
        let again = super::super::balanced::constrained_assign(d2.view(), &lo, &hi).unwrap();
        assert_eq!(again, f.labels);
        let (means, _) = crate::cluster::metrics::centroids_of(x.view(), &f.labels, 4);
        assert!(means.iter().zip(f.centroids.iter()).all(|(a, b)| (a - b).abs() < 1e-9));
    }

    #[test]
    fn balanced_lloyd_with_loose_bounds_is_plain_lloyd() {
        let x = blobs(3000, 4, 5, 22);
        let init = kmeans_plus_plus(x.view(), 5, &mut rng_for(4, 4));
        let plain = lloyd(x.view(), init.clone(), 300, 0.0);
        let f = lloyd_balanced(x.view(), init, &[0; 5], &[3000; 5], 300, 0.0).unwrap();
        assert_eq!(f.labels, plain.labels);
        assert!((f.inertia - plain.inertia).abs() <= 1e-9 * plain.inertia);
    }

    #[test]
    fn balanced_fits_are_identical_with_one_and_two_threads() {
        let x = unbalanced(20_000, 6, 5, 0.6, 23);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                fit_balanced(x.view(), Params { k: 5, restarts: 2, max_iter: 100, tol: 1e-6, seed: 5 }, &[1000; 5], &[6000; 5]).unwrap()
            })
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
        assert!(a.centroids.iter().zip(b.centroids.iter()).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn the_vectorized_assignment_equals_the_scalar_loop_bit_for_bit() {
        // k across one, several and partly filled groups of eight lanes; d not a multiple of anything.
        for k in [1usize, 3, 7, 8, 9, 17] {
            let x = blobs(3001, 13, k.max(2), 30 + k as u64); // odd: rows are taken in pairs, and one is left
            let c = kmeans_plus_plus(x.view(), k, &mut rng_for(k as u64, 1));
            let (labels, d2) = assign(x.view(), c.view());
            for i in 0..x.nrows() {
                let row = x.row(i).to_vec();
                let mut best = (0u32, f64::INFINITY);
                for j in 0..k {
                    let dist = sq_dist(&row, &c.row(j).to_vec());
                    if dist < best.1 {
                        best = (j as u32, dist);
                    }
                }
                assert_eq!((labels[i], d2[i].to_bits()), (best.0, best.1.to_bits()), "k = {k}, row {i}");
            }
        }
    }

    #[test]
    fn f32_storage_finds_the_same_fit_as_f64() {
        let x = blobs(20_000, 30, 7, 31);
        let x32 = x.mapv(|v| v as f32);
        let init = kmeans_plus_plus(x.view(), 7, &mut rng_for(2, 2));
        let a = lloyd(x.view(), init.clone(), 300, 1e-8);
        let b = lloyd(x32.view(), init, 300, 1e-8);
        let same = a.labels.iter().zip(&b.labels).filter(|(p, q)| p == q).count();
        assert_eq!(same, a.labels.len());
        assert!((a.inertia - b.inertia).abs() <= 1e-5 * a.inertia, "{} vs {}", a.inertia, b.inertia);
        assert!(a.centroids.iter().zip(b.centroids.iter()).all(|(p, q)| (p - q).abs() < 1e-4));
    }
}

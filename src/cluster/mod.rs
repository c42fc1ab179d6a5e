//! Stage 3, cluster: chooses the number of segments on a sample, then fits every customer.
//!
//! For each candidate k the sample is fitted (`restarts` k-means++ starts) and scored: inertia,
//! silhouette (on a sub-sample), Calinski–Harabasz, Davies–Bouldin, stability (mean adjusted Rand index
//! between fits on pairs of disjoint half-samples, each scored on the whole sample: adjusted Rand index,
//! and per segment the best Jaccard match) and segment shares. A k is *balanced* when every segment
//! holds at least `min_share` and the largest is at most `max_size_ratio` times the smallest; *stable*
//! when even its least reproducible segment reaches a Jaccard of `min_stability` (0.75 is Hennig's
//! "stable" mark for cluster-wise bootstrap stability).
//! Stability is the *median* over `stability_resamples` pairs (default 10), with a 95% interval from
//! the resamples' order statistics: one pair of half-sample fits caught in a poor local optimum is an
//! outlier, not a shift, so the choice does not flip on resampling noise the way a mean of three did.
//! **Rule**: the largest k that is balanced and stable, and whose silhouette is no more than
//! [`SEPARATION_MARGIN`] (0.005) below the best of the smaller balanced, stable k (with k fixed: that
//! k, if balanced). Ties: a median exactly at `min_stability` is stable, and a silhouette exactly at
//! the margin passes; among the k that pass, the larger wins. Plain silhouette over every k favours
//! 2–3 segments on customer data and merges real personas: the larger k it refuses are the ones
//! resamples do not reproduce, and only stable k compete here. The margin refuses a split that
//! reproduces but separates customers worse than fewer segments did (one kind of customer cut in two
//! along a whole-number count, say complaints 0 or 1). The margin was on Calinski–Harabasz before:
//! that index rewards a strong two-way split (homeowners and renters) so much that, once household
//! attributes weigh in, it refused the planted six personas for two segments. Validated on
//! `sample-data --personas 4..7` over 20 seeds each (see the README).

pub mod balanced;
pub mod kmeans;
pub mod metrics;
mod params;

use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use kmeans::Fit;
pub use params::{check_k, BalanceMode, ClusterParams, ClusteringSettings, ParamError, Precision, MAX_SEGMENTS, MIN_SEGMENTS};

/// What can go wrong while clustering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Too few customers for the numbers of segments asked for (exit 3).
    #[error("only {customers} customers have bills in the window: too few to segment")]
    TooFewCustomers { customers: usize },
    /// No number of segments passed the balance and stability checks (exit 4; diagnostics are
    /// written).
    #[error("{0}")]
    NoSegmentation(String),
    /// The size-constrained assignment failed: its bounds are feasible by construction and features
    /// are finite, so this is a bug (exit 1).
    #[error("size-constrained assignment: {0}")]
    Balance(#[from] balanced::BalanceError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Diagnostics of one candidate k.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Candidate {
    pub k: usize,
    /// Sum of squared distances to centroids, over the selection sample.
    pub inertia: f64,
    pub silhouette: f64,
    pub calinski_harabasz: f64,
    pub davies_bouldin: f64,
    /// Mean adjusted Rand index between fits on disjoint half-samples.
    pub stability: f64,
    /// Median over resamples of the worst segment's best Jaccard match: does every segment reproduce?
    pub segment_stability: f64,
    /// Its confidence interval (at least 95%, from the resamples' order statistics).
    #[serde(default)]
    pub segment_stability_interval: [f64; 2],
    /// Segment shares on the selection sample, largest first.
    pub shares: Vec<f64>,
    pub balanced: bool,
    pub stable: bool,
    pub chosen: bool,
}

/// The outcome of k selection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Selection {
    pub rule: Rule,
    /// With `--previous`: the previous run's k, and whether this run kept it (it is kept while it
    /// passes the balance and stability checks, whatever a larger k does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_k: Option<usize>,
    #[serde(default)]
    pub kept_previous_k: bool,
    pub sample_size: usize,
    pub silhouette_sample_size: usize,
    /// Rows of the sample on which stability was measured.
    #[serde(default)]
    pub stability_sample_size: usize,
    pub candidates: Vec<Candidate>,
    pub chosen_k: Option<usize>,
}

/// The rule that decided the number of segments, with its settings (reports phrase it in their
/// language).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// `clustering.k`: that k, if balanced.
    Fixed { k: usize, enforced_shares: Option<[f64; 2]> },
    /// The largest balanced and stable k of the range.
    Largest { k_min: usize, k_max: usize, min_share: f64, max_size_ratio: f64, min_stability: f64, enforced_shares: Option<[f64; 2]> },
    /// `custseg assign`: no selection, customers scored with a saved model.
    Scored { model: String, enforced: bool },
}

/// Segment shares sorted largest first.
fn shares(labels: &[u32], k: usize) -> Vec<f64> {
    let mut counts = vec![0usize; k];
    for &l in labels {
        counts[l as usize] += 1;
    }
    let n = labels.len().max(1) as f64;
    let mut s: Vec<f64> = counts.iter().map(|&c| c as f64 / n).collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// Sorted row indices of a seeded random sample of `size` rows (all rows if there are fewer).
pub fn sample_rows(n: usize, size: usize, seed: u64, stream: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    if size < n {
        let mut rng = kmeans::rng_for(seed, stream);
        idx.partial_shuffle(&mut rng, size);
        idx.truncate(size);
        idx.sort_unstable();
    }
    idx
}

/// Sorted row indices of a sample of about `size` rows stratified by label: each segment contributes
/// in proportion to its size (largest remainders get the rounding), rows drawn at random within it.
/// All rows when there are no more than `size`.
pub fn stratified_rows(labels: &[u32], k: usize, size: usize, seed: u64, stream: u64) -> Vec<usize> {
    let n = labels.len();
    if size >= n {
        return (0..n).collect();
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        members[l as usize].push(i);
    }
    let exact: Vec<f64> = members.iter().map(|m| m.len() as f64 * size as f64 / n as f64).collect();
    let mut quota: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    let missing = size - quota.iter().sum::<usize>();
    for &j in order.iter().take(missing) {
        quota[j] += 1;
    }
    let mut rng = kmeans::rng_for(seed, stream);
    let mut out = Vec::with_capacity(size);
    for (j, m) in members.iter_mut().enumerate() {
        let q = quota[j].min(m.len());
        m.partial_shuffle(&mut rng, q);
        out.extend_from_slice(&m[..q]);
    }
    out.sort_unstable();
    out
}

fn take_rows(x: ArrayView2<f64>, rows: &[usize]) -> Array2<f64> {
    x.select(Axis(0), rows)
}

fn params(k: usize, restarts: usize, s: &ClusterParams, seed: u64) -> kmeans::Params {
    kmeans::Params { k, restarts, max_iter: s.max_iter(), tol: s.tolerance(), seed }
}

/// A k-means fit of `x`: plain, or with `balance = "enforce"` size-constrained k-means from the same
/// k-means++ starts, within the share bounds for `x`'s rows.
fn fit_k(x: ArrayView2<f64>, k: usize, restarts: usize, s: &ClusterParams, seed: u64) -> Result<Fit> {
    Ok(match s.balance() {
        BalanceMode::Check => kmeans::fit(x, params(k, restarts, s, seed)),
        BalanceMode::Enforce => {
            let (lo, hi) = s.size_bounds(x.nrows(), k, false);
            kmeans::fit_balanced(x, params(k, restarts, s, seed), &lo, &hi)?
        }
    })
}

/// Labels of every row of `x` for the given centroids: nearest centre, or with `balance = "enforce"`
/// the size-constrained assignment within the share bounds.
fn label_all(x: ArrayView2<f64>, centroids: ArrayView2<f64>, s: &ClusterParams) -> Result<Vec<u32>> {
    Ok(match s.balance() {
        BalanceMode::Check => kmeans::assign(x, centroids).0,
        BalanceMode::Enforce => {
            let (lo, hi) = s.size_bounds(x.nrows(), centroids.nrows(), false);
            balanced::constrained_assign(kmeans::distance_matrix(x, centroids).view(), &lo, &hi)?
        }
    })
}

/// Scores every candidate k on a sample and picks one by the rule above; with `previous_k` (a previous
/// run's k, `--previous`) that k while it is balanced and stable (with `keep_k`, only that k). Returns
/// the selection and the sample fit of the chosen k (whose centroids start the final fit).
pub fn select(x: ArrayView2<f64>, s: &ClusterParams, seed: u64, previous_k: Option<usize>) -> Result<(Selection, Option<Fit>)> {
    let n = x.nrows();
    let needed = 2 * s.k_range().start();
    if n < needed {
        return Err(Error::TooFewCustomers { customers: n });
    }
    let sample_idx = sample_rows(n, s.selection_sample(), seed, 1);
    let sample = take_rows(x, &sample_idx);
    let m = sample.nrows();

    // Candidates are independent: score them in parallel (each is deterministic on its own, and the
    // results are collected in k order).
    // Stability on at most `stability_sample` of these rows: the statistic's noise depends on the
    // halves' size, not on the population's, and its resample fits are most of the selection's cost.
    let stability_rows = (m > s.stability_sample()).then(|| take_rows(sample.view(), &sample_rows(m, s.stability_sample(), seed, 3)));
    let stability_x = stability_rows.as_ref().map_or(sample.view(), |r| r.view());
    let ks: Vec<usize> = s.k_range().filter(|&k| k <= m).collect();
    let scored: Vec<(Candidate, Fit)> = ks
        .par_iter()
        .map(|&k| {
            let fit = fit_k(sample.view(), k, s.restarts(), s, seed)?;
            let sil_idx = stratified_rows(&fit.labels, k, s.silhouette_sample(), seed, 2 + k as u64);
            let sil_rows = take_rows(sample.view(), &sil_idx);
            let sil_labels: Vec<u32> = sil_idx.iter().map(|&i| fit.labels[i]).collect();
            let st = stability(stability_x, k, s, seed)?;
            let sh = shares(&fit.labels, k);
            // Enforced bounds hold by construction.
            let balanced = s.balance() == BalanceMode::Enforce || s.is_balanced(&sh);
            let (calinski_harabasz, davies_bouldin) = metrics::calinski_harabasz_and_davies_bouldin(sample.view(), &fit.labels, k);
            let candidate = Candidate {
                k,
                inertia: fit.inertia,
                silhouette: metrics::silhouette(sil_rows.view(), &sil_labels, k),
                calinski_harabasz,
                davies_bouldin,
                stability: st.ari,
                segment_stability: st.jaccard,
                segment_stability_interval: [st.jaccard_low, st.jaccard_high],
                shares: sh,
                balanced,
                stable: st.jaccard >= s.min_stability(),
                chosen: false,
            };
            Ok((candidate, fit))
        })
        .collect::<Result<_>>()?;
    let (mut candidates, mut fits): (Vec<Candidate>, Vec<Fit>) = scored.into_iter().unzip();
    let previous_k = previous_k.filter(|_| s.fixed_k().is_none());
    let previous = previous_k.and_then(|k| candidates.iter().position(|c| c.k == k));
    let kept = previous.filter(|&i| candidates[i].balanced && candidates[i].stable);
    let chosen = match (kept, previous_k) {
        (Some(i), _) => Some(i),
        (None, Some(_)) if s.keep_k() => None,
        _ => choose(&candidates, s.fixed_k().is_some()),
    };
    if let Some(i) = chosen {
        candidates[i].chosen = true;
    }
    let enforced_shares = (s.balance() == BalanceMode::Enforce).then(|| [s.min_share(), s.enforced_max_share()]);
    let rule = match s.fixed_k() {
        Some(k) => Rule::Fixed { k, enforced_shares },
        None => Rule::Largest {
            k_min: *s.k_range().start(),
            k_max: *s.k_range().end(),
            min_share: s.min_share(),
            max_size_ratio: s.max_size_ratio(),
            min_stability: s.min_stability(),
            enforced_shares,
        },
    };
    let chosen_k = chosen.map(|i| candidates[i].k);
    let fit = chosen.map(|i| fits.swap_remove(i));
    let selection = Selection {
        rule,
        previous_k,
        kept_previous_k: kept.is_some(),
        sample_size: m,
        silhouette_sample_size: s.silhouette_sample().min(m),
        stability_sample_size: s.stability_sample().min(m),
        candidates,
        chosen_k,
    };
    Ok((selection, fit))
}

/// Why a k (the previous run's) did not pass the checks.
#[derive(Debug, Clone, PartialEq)]
pub enum KFailure {
    /// It is outside `k_min..=k_max` (not tried).
    OutOfRange,
    /// Its segments are not balanced: their shares, largest first.
    Unbalanced(Vec<f64>),
    /// Its least reproducible segment's median match.
    Unstable(f64),
}

impl std::fmt::Display for KFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KFailure::OutOfRange => f.write_str("it is outside k_min..=k_max"),
            KFailure::Unbalanced(shares) => write!(
                f,
                "its segments are no longer balanced (shares {})",
                shares.iter().map(|s| crate::format::percent(*s)).collect::<Vec<_>>().join(", ")
            ),
            KFailure::Unstable(m) => write!(f, "its segments are no longer stable (median worst-segment match {m:.2}, below clustering.min_stability)"),
        }
    }
}

/// Why candidate `k` of `candidates` did not pass (None when it passed).
pub fn k_failure(candidates: &[Candidate], k: usize) -> Option<KFailure> {
    match candidates.iter().find(|c| c.k == k) {
        None => Some(KFailure::OutOfRange),
        Some(c) if !c.balanced => Some(KFailure::Unbalanced(c.shares.clone())),
        Some(c) if !c.stable => Some(KFailure::Unstable(c.segment_stability)),
        Some(_) => None,
    }
}

/// How much lower a larger k's silhouette may be than the best smaller k that passed, for the larger
/// k to be chosen: the margin of the rule (see the module docs). Absolute, in silhouette units (the
/// index runs from −1 to 1). The silhouette is measured on a sub-sample: on `sample-data`, one fit's
/// silhouette on different 4,000-customer sub-samples has a standard deviation of 0.0015–0.0027, so
/// the margin is about 1.5–2 standard deviations of the difference between two k's.
pub const SEPARATION_MARGIN: f64 = 0.005;

/// The index of the chosen candidate: with k fixed, the candidate if balanced; else, walking k upwards
/// over the balanced and stable candidates, the last one whose silhouette is within
/// [`SEPARATION_MARGIN`] of the best among those passed so far (a tie is within the margin).
fn choose(candidates: &[Candidate], fixed: bool) -> Option<usize> {
    if fixed {
        return candidates.iter().rposition(|c| c.balanced);
    }
    let mut best = f64::NEG_INFINITY;
    let mut chosen = None;
    for (i, c) in candidates.iter().enumerate().filter(|(_, c)| c.balanced && c.stable) {
        best = best.max(c.silhouette);
        if c.silhouette >= best - SEPARATION_MARGIN {
            chosen = Some(i);
        }
    }
    chosen
}

/// Agreement between fits on two disjoint random halves of the rows, both used to label every row,
/// over `stability_resamples` pairs (see [`Stability`]). The worst segment's Jaccard catches a segment
/// that resamples split arbitrarily, which the adjusted Rand index hides when the other segments agree.
pub fn stability(x: ArrayView2<f64>, k: usize, s: &ClusterParams, seed: u64) -> Result<Stability> {
    let n = x.nrows();
    let mut ari = Vec::new();
    let mut jaccard = Vec::new();
    let restarts = s.restarts().min(2);
    for b in 0..s.stability_resamples() {
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut kmeans::rng_for(seed, 100 + (k * 100 + b) as u64));
        let (h1, h2) = idx.split_at(n / 2);
        let (mut h1, mut h2) = (h1.to_vec(), h2.to_vec());
        h1.sort_unstable();
        h2.sort_unstable();
        let f1 = fit_k(take_rows(x, &h1).view(), k, restarts, s, seed ^ (b as u64 + 1))?;
        let f2 = fit_k(take_rows(x, &h2).view(), k, restarts, s, seed ^ (b as u64 + 101))?;
        let l1 = label_all(x, f1.centroids.view(), s)?;
        let l2 = label_all(x, f2.centroids.view(), s)?;
        ari.push(metrics::adjusted_rand_index(&l1, &l2));
        jaccard.push(metrics::worst_segment_jaccard(&l1, &l2, k));
    }
    Ok(Stability::of(&ari, &jaccard))
}

/// A k's stability over its resample pairs: the mean adjusted Rand index, and the median of the worst
/// segment's Jaccard with a distribution-free confidence interval for that median (order statistics of
/// the resamples, at least 95% coverage; see [`median_interval`]). The median, not the mean: a pair of
/// half-sample fits that lands in a poor local optimum is one outlier, not a shift of the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stability {
    pub ari: f64,
    pub jaccard: f64,
    pub jaccard_low: f64,
    pub jaccard_high: f64,
}

impl Stability {
    fn of(ari: &[f64], jaccard: &[f64]) -> Stability {
        let mut sorted = jaccard.to_vec();
        sorted.sort_by(f64::total_cmp);
        let b = sorted.len();
        let median = if b % 2 == 1 { sorted[b / 2] } else { (sorted[b / 2 - 1] + sorted[b / 2]) / 2.0 };
        let (lo, hi) = median_interval(b);
        Stability { ari: ari.iter().sum::<f64>() / b as f64, jaccard: median, jaccard_low: sorted[lo], jaccard_high: sorted[hi] }
    }
}

/// The 0-based ranks (lo, hi) of the order statistics that bracket the median of `b` resamples with
/// at least 95% probability: [X(r), X(b−1−r)] covers it with probability 1 − 2·P(Binomial(b, ½) ≤ r),
/// so r is the largest rank with P(Binomial(b, ½) ≤ r) ≤ 2.5% (the whole range when b is too small
/// for that: fewer than 6 resamples).
pub fn median_interval(b: usize) -> (usize, usize) {
    let total = 2f64.powi(b as i32);
    // P(Bin ≤ i) for i = 0, 1, …
    let mut cumulative = 0.0;
    let mut choose = 1.0f64;
    let mut r = 0;
    for i in 0..b.div_ceil(2) {
        cumulative += choose / total;
        choose = choose * (b - i) as f64 / (i + 1) as f64;
        if cumulative > 0.025 {
            break;
        }
        r = i;
    }
    (r, b - 1 - r)
}

/// What enforcing the size bounds cost on the final fit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnforcedBalance {
    /// The bounds every segment was kept within, in customers.
    pub size_min: usize,
    pub size_max: usize,
    pub inertia: f64,
    /// Inertia of plain k-means from the same start.
    pub unconstrained_inertia: f64,
    /// `inertia / unconstrained_inertia − 1`: the extra within-segment spread the bounds cost.
    pub inertia_cost: f64,
    /// Segment shares plain k-means would have given, largest first.
    pub unconstrained_shares: Vec<f64>,
}

/// Fits every customer from the sample's centroids, then numbers segments by size (largest = 0), ties
/// by centroid coordinates, so that the numbering does not depend on the order k-means found them in.
/// With `balance = "enforce"`, the fit is size-constrained and plain k-means from the same start is
/// fitted too, for the cost of the bounds. With `precision = "f32"`, the plain fit iterates on an f32
/// copy of the matrix (not with enforced balance, which always runs on f64); its final labels and
/// inertia are computed in f64. The result says which storage the iterations ran on.
pub fn final_fit(x: ArrayView2<f64>, init: Array2<f64>, s: &ClusterParams) -> Result<FinalFit> {
    let plain = match s.precision() {
        Precision::F64 => kmeans::lloyd(x, init.clone(), s.max_iter(), s.tolerance()),
        Precision::F32 => {
            let x32 = x.mapv(|v| v as f32);
            let fit = kmeans::lloyd(x32.view(), init.clone(), s.max_iter(), s.tolerance());
            // Labels and inertia in f64 from the f32 fit's centroids, as every output reports them.
            let (labels, d2) = kmeans::assign(x, fit.centroids.view());
            Fit { labels, inertia: d2.iter().sum(), ..fit }
        }
    };
    Ok(match s.balance() {
        BalanceMode::Check => FinalFit { fit: by_size(plain), balance: None, storage: s.precision() },
        BalanceMode::Enforce => {
            let k = init.nrows();
            let (lo, hi) = s.size_bounds(x.nrows(), k, true);
            let fit = kmeans::lloyd_balanced(x, init, &lo, &hi, s.max_iter(), s.tolerance())?;
            let cost = EnforcedBalance {
                size_min: lo[0],
                size_max: hi[0],
                inertia: fit.inertia,
                unconstrained_inertia: plain.inertia,
                inertia_cost: if plain.inertia > 0.0 { fit.inertia / plain.inertia - 1.0 } else { 0.0 },
                unconstrained_shares: fit_shares(&plain),
            };
            FinalFit { fit: by_size(fit), balance: Some(cost), storage: Precision::F64 }
        }
    })
}

/// The chosen k fitted on every customer, or why no segmentation passed the checks.
pub enum Outcome {
    Fitted(FinalFit),
    /// No k passed on the sample, or the chosen k was not balanced on every customer.
    Failed(String),
}

/// The final fit of the k [`select`] chose, from its sample fit's centroids, and the balance check on
/// every customer (the sample may have been balanced where the population is not).
pub fn fit_chosen(x: ArrayView2<f64>, selection: &Selection, sample_fit: Option<Fit>, s: &ClusterParams) -> Result<Outcome> {
    let (Some(k), Some(sample_fit)) = (selection.chosen_k, sample_fit) else {
        if let (Some(pk), true) = (selection.previous_k, s.keep_k()) {
            let why = k_failure(&selection.candidates, pk).map_or_else(String::new, |f| f.to_string());
            return Ok(Outcome::Failed(format!(
                "clustering.keep_k: the previous run's k = {pk} no longer passes the checks ({why}); \
                 remove keep_k to let the run choose another k"
            )));
        }
        let tried: Vec<String> = selection
            .candidates
            .iter()
            .map(|c| format!("k={}: {}{}", c.k, if c.balanced { "balanced" } else { "unbalanced" }, if c.stable { ", stable" } else { ", unstable" }))
            .collect();
        return Ok(Outcome::Failed(format!("no number of segments passed the checks ({})", tried.join("; "))));
    };
    let fitted = final_fit(x, sample_fit.centroids, s)?;
    let shares = fit_shares(&fitted.fit);
    if fitted.balance.is_some() || s.is_balanced(&shares) {
        Ok(Outcome::Fitted(fitted))
    } else {
        Ok(Outcome::Failed(format!(
            "k = {k} was balanced on the selection sample but not on all customers (segment shares {})",
            shares.iter().map(|s| crate::format::percent(*s)).collect::<Vec<_>>().join(", ")
        )))
    }
}

/// The fit of every customer.
#[derive(Debug, Clone)]
pub struct FinalFit {
    pub fit: Fit,
    /// With `balance = "enforce"`: the bounds kept and what they cost.
    pub balance: Option<EnforcedBalance>,
    /// The storage the fitted iterations ran on.
    pub storage: Precision,
}

/// Renumbers segments by size (largest = 0), ties by centroid coordinates.
fn by_size(fit: Fit) -> Fit {
    let k = fit.centroids.nrows();
    let mut counts = vec![0usize; k];
    for &l in &fit.labels {
        counts[l as usize] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        counts[b].cmp(&counts[a]).then_with(|| {
            let (ca, cb) = (fit.centroids.row(a), fit.centroids.row(b));
            ca.iter().zip(cb.iter()).map(|(p, q)| p.total_cmp(q)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let mut new_of_old = vec![0u32; k];
    for (new, &old) in order.iter().enumerate() {
        new_of_old[old] = new as u32;
    }
    let centroids = fit.centroids.select(Axis(0), &order);
    let labels = fit.labels.iter().map(|&l| new_of_old[l as usize]).collect();
    Fit { centroids, labels, inertia: fit.inertia, iterations: fit.iterations }
}

/// Shares of the final fit, largest first.
pub fn fit_shares(fit: &Fit) -> Vec<f64> {
    shares(&fit.labels, fit.centroids.nrows())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(k: usize, balanced: bool, stability: f64, silhouette: f64) -> Candidate {
        Candidate {
            k,
            inertia: 0.0,
            silhouette,
            calinski_harabasz: 0.0,
            davies_bouldin: 0.0,
            stability: 0.0,
            segment_stability: stability,
            segment_stability_interval: [stability, stability],
            shares: Vec::new(),
            balanced,
            stable: stability >= 0.75,
            chosen: false,
        }
    }

    #[test]
    fn the_rule_takes_the_largest_passing_k_within_the_separation_margin() {
        let c = |v: &[(bool, f64, f64)]| -> Vec<Candidate> { v.iter().enumerate().map(|(i, &(b, s, sil))| candidate(i + 2, b, s, sil)).collect() };
        let k = |v: &[Candidate]| choose(v, false).map(|i| v[i].k);
        // A stable split that separates customers clearly worse (silhouette 0.02 below k = 4's) is refused.
        assert_eq!(k(&c(&[(true, 0.5, 0.20), (true, 0.5, 0.26), (true, 0.99, 0.30), (true, 0.99, 0.28)])), Some(4));
        // Within the margin, the larger k wins; exactly at the margin (the same subtraction the rule
        // makes) is within it.
        assert_eq!(k(&c(&[(true, 0.99, 0.25), (true, 0.99, 0.248)])), Some(3));
        assert_eq!(k(&c(&[(true, 0.99, 0.25), (true, 0.99, 0.25 - SEPARATION_MARGIN)])), Some(3));
        assert_eq!(k(&c(&[(true, 0.99, 0.25), (true, 0.99, 0.244)])), Some(2));
        // A stable strong two-way split does not hold back a stable larger k that separates better.
        assert_eq!(k(&c(&[(true, 0.99, 0.19), (true, 0.4, 0.20), (true, 0.4, 0.21), (true, 0.4, 0.24), (true, 0.99, 0.25), (true, 0.4, 0.23)])), Some(6));
        // Unstable or unbalanced k neither count nor set the best silhouette.
        assert_eq!(k(&c(&[(true, 0.99, 0.20), (true, 0.6, 0.5), (false, 0.99, 0.5), (true, 0.9, 0.196)])), Some(5));
        // Negative silhouettes compare the same way (the margin is absolute, not relative).
        assert_eq!(k(&c(&[(true, 0.99, -0.10), (true, 0.99, -0.104)])), Some(3));
        assert_eq!(k(&c(&[(true, 0.99, -0.10), (true, 0.99, -0.11)])), Some(2));
        // A median exactly at the threshold is stable.
        assert_eq!(k(&c(&[(true, 0.75, 0.1)])), Some(2));
        assert_eq!(k(&c(&[(true, 0.7499, 0.1)])), None);
        // With k fixed, balance alone decides.
        assert_eq!(choose(&c(&[(true, 0.1, 0.1)]), true), Some(0));
    }

    /// Three separated blobs of `n` rows in 2 dimensions, seeded (noise: a sum of uniforms).
    fn blobs(n: usize) -> Array2<f64> {
        use rand::Rng;
        let mut rng = kmeans::rng_for(5, 5);
        Array2::from_shape_fn((n, 2), |(i, j)| {
            let centre = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]][i % 3][j];
            centre + (0..4).map(|_| rng.gen::<f64>() - 0.5).sum::<f64>() * 2.0
        })
    }

    #[test]
    fn stability_is_measured_on_at_most_stability_sample_rows() {
        let x = blobs(3_000);
        let settings = |stability_sample: usize| ClusteringSettings { k_max: 4, stability_resamples: 3, stability_sample, ..Default::default() }.check().unwrap();
        // Fewer rows than the setting: every row of the sample, and the candidates are those of the
        // whole sample.
        let (all, _) = select(x.view(), &settings(100_000), 1, None).unwrap();
        assert_eq!((all.sample_size, all.stability_sample_size), (3_000, 3_000));
        let (same, _) = select(x.view(), &settings(3_000), 1, None).unwrap();
        assert_eq!(same.stability_sample_size, 3_000);
        let stab = |s: &Selection| s.candidates.iter().map(|c| c.segment_stability).collect::<Vec<f64>>();
        assert_eq!(stab(&all), stab(&same));
        // More: a subsample of that many rows, and the three blobs are still found and stable.
        let (sub, _) = select(x.view(), &settings(600), 1, None).unwrap();
        assert_eq!((sub.sample_size, sub.stability_sample_size), (3_000, 600));
        // The resample fits ran on other rows: k = 4's split of a blob reproduces differently.
        assert_ne!(stab(&sub), stab(&all));
        assert_eq!(sub.chosen_k, Some(3));
        assert!(sub.candidates.iter().find(|c| c.k == 3).is_some_and(|c| c.stable));
        // Below 100 rows is refused, naming the key.
        let e = ClusteringSettings { stability_sample: 99, ..Default::default() }.check().unwrap_err();
        assert!(e.to_string().contains("clustering.stability_sample"), "{e}");
    }

    #[test]
    fn the_median_interval_covers_at_least_95_percent() {
        // P(X(r) < median < X(b-1-r)) = 1 - 2 P(Bin(b, 1/2) <= r) (0-based ranks).
        let coverage = |b: usize, r: usize| {
            let mut c = 1.0f64;
            let mut below = 0.0;
            for i in 0..=r {
                below += c / 2f64.powi(b as i32);
                c = c * (b - i) as f64 / (i + 1) as f64;
            }
            1.0 - 2.0 * below
        };
        assert_eq!(median_interval(10), (1, 8));
        assert_eq!(median_interval(3), (0, 2));
        assert_eq!(median_interval(1), (0, 0));
        for b in 1..=100 {
            let (lo, hi) = median_interval(b);
            assert_eq!(lo + hi, b - 1);
            assert!(b < 6 && lo == 0 || coverage(b, lo) >= 0.95, "b = {b}");
            // The next narrower interval would not cover 95%.
            if lo < (b - 1) / 2 {
                assert!(coverage(b, lo + 1) < 0.95, "b = {b}: {lo} is not the narrowest");
            }
        }
        let s = Stability::of(&[0.9; 4], &[0.2, 0.99, 0.98, 0.97]);
        assert_eq!((s.jaccard, s.jaccard_low, s.jaccard_high), (0.975, 0.2, 0.99));
    }

    #[test]
    fn stratified_samples_keep_segment_proportions() {
        let labels: Vec<u32> = (0..10_000).map(|i| if i % 10 < 7 { 0 } else if i % 10 < 9 { 1 } else { 2 }).collect();
        let rows = stratified_rows(&labels, 3, 1000, 1, 2);
        assert_eq!(rows.len(), 1000);
        let count = |j: u32| rows.iter().filter(|&&i| labels[i] == j).count();
        assert_eq!((count(0), count(1), count(2)), (700, 200, 100));
        assert!(rows.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(rows, stratified_rows(&labels, 3, 1000, 1, 2));
        assert_eq!(stratified_rows(&labels[..50], 3, 1000, 1, 2), (0..50).collect::<Vec<_>>());
    }
}

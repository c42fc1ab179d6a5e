//! Stage 3, cluster: chooses the number of segments on a sample, then fits every customer.
//!
//! For each candidate k the sample is fitted (`restarts` k-means++ starts) and scored: inertia,
//! silhouette (on a sub-sample), Calinski–Harabasz, Davies–Bouldin, stability (mean adjusted Rand index
//! between fits on pairs of disjoint half-samples, each scored on the whole sample: adjusted Rand index,
//! and per segment the best Jaccard match) and segment shares. A k is *balanced* when every segment
//! holds at least `min_share` and the largest is at most `max_size_ratio` times the smallest; *stable*
//! when even its least reproducible segment reaches a Jaccard of `min_stability` (0.75 is Hennig's
//! "stable" mark for cluster-wise bootstrap stability).
//! **Rule**: the largest k that is balanced and stable (with k fixed: that k, if balanced). Plain
//! silhouette favours 2–3 segments on customer data and merges real personas; the largest balanced,
//! stable k keeps them apart while refusing splits that resamples do not reproduce.

pub mod kmeans;
pub mod metrics;

use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::profile::ClusteringSettings;
pub use kmeans::Fit;

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
    /// Mean over resamples of the worst segment's best Jaccard match: does every segment reproduce?
    pub segment_stability: f64,
    /// Segment shares on the selection sample, largest first.
    pub shares: Vec<f64>,
    pub balanced: bool,
    pub stable: bool,
    pub chosen: bool,
}

/// The outcome of k selection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Selection {
    pub rule: String,
    pub sample_size: usize,
    pub silhouette_sample_size: usize,
    pub candidates: Vec<Candidate>,
    pub chosen_k: Option<usize>,
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

/// Whether segment shares pass the balance checks.
pub fn is_balanced(shares: &[f64], settings: &ClusteringSettings) -> bool {
    let min = shares.iter().copied().fold(f64::INFINITY, f64::min);
    let max = shares.iter().copied().fold(0.0, f64::max);
    min >= settings.min_share && min > 0.0 && max / min <= settings.max_size_ratio
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

fn take_rows(x: ArrayView2<f64>, rows: &[usize]) -> Array2<f64> {
    x.select(Axis(0), rows)
}

fn params(k: usize, restarts: usize, s: &ClusteringSettings, seed: u64) -> kmeans::Params {
    kmeans::Params { k, restarts, max_iter: s.max_iter, tol: s.tolerance, seed }
}

/// Scores every candidate k on a sample and picks one by the rule above. Returns the selection and the
/// sample fit of the chosen k (whose centroids start the final fit).
pub fn select(x: ArrayView2<f64>, s: &ClusteringSettings, seed: u64) -> (Selection, Option<Fit>) {
    let n = x.nrows();
    let sample_idx = sample_rows(n, s.selection_sample, seed, 1);
    let sample = take_rows(x, &sample_idx);
    let m = sample.nrows();
    let sil_idx = sample_rows(m, s.silhouette_sample, seed, 2);
    let sil_rows = take_rows(sample.view(), &sil_idx);

    // Candidates are independent: score them in parallel (each is deterministic on its own, and the
    // results are collected in k order).
    let ks: Vec<usize> = s.k_range().filter(|&k| k <= m).collect();
    let scored: Vec<(Candidate, Fit)> = ks
        .par_iter()
        .map(|&k| {
            let fit = kmeans::fit(sample.view(), params(k, s.restarts, s, seed));
            let sil_labels: Vec<u32> = sil_idx.iter().map(|&i| fit.labels[i]).collect();
            let (stability, segment_stability) = stability(sample.view(), k, s, seed);
            let sh = shares(&fit.labels, k);
            let balanced = is_balanced(&sh, s);
            let candidate = Candidate {
                k,
                inertia: fit.inertia,
                silhouette: metrics::silhouette(sil_rows.view(), &sil_labels, k),
                calinski_harabasz: metrics::calinski_harabasz(sample.view(), &fit.labels, k),
                davies_bouldin: metrics::davies_bouldin(sample.view(), &fit.labels, k),
                stability,
                segment_stability,
                shares: sh,
                balanced,
                stable: segment_stability >= s.min_stability,
                chosen: false,
            };
            (candidate, fit)
        })
        .collect();
    let (mut candidates, mut fits): (Vec<Candidate>, Vec<Fit>) = scored.into_iter().unzip();
    let chosen = candidates
        .iter()
        .rposition(|c| c.balanced && (s.k.is_some() || c.stable));
    if let Some(i) = chosen {
        candidates[i].chosen = true;
    }
    let rule = if s.k.is_some() {
        "k fixed by the profile; accepted if balanced".to_string()
    } else {
        format!(
            "largest k in {}..={} whose segments are balanced (each >= {:.0}% of customers, largest <= {} x smallest) and stable (every segment reproduced on resamples with Jaccard >= {})",
            s.k_min,
            s.k_max,
            s.min_share * 100.0,
            s.max_size_ratio,
            s.min_stability
        )
    };
    let chosen_k = chosen.map(|i| candidates[i].k);
    let fit = chosen.map(|i| fits.swap_remove(i));
    (
        Selection { rule, sample_size: m, silhouette_sample_size: sil_idx.len(), candidates, chosen_k },
        fit,
    )
}

/// Agreement between fits on two disjoint random halves of the rows, both used to label every row,
/// over `stability_resamples` pairs: the mean adjusted Rand index, and the mean of the worst segment's
/// best Jaccard match (in either direction). The second catches a segment that resamples split
/// arbitrarily, which the first hides when the other segments agree.
pub fn stability(x: ArrayView2<f64>, k: usize, s: &ClusteringSettings, seed: u64) -> (f64, f64) {
    let n = x.nrows();
    let mut total = 0.0;
    let mut total_jaccard = 0.0;
    let restarts = s.restarts.min(2);
    for b in 0..s.stability_resamples {
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut kmeans::rng_for(seed, 100 + (k * 100 + b) as u64));
        let (h1, h2) = idx.split_at(n / 2);
        let (mut h1, mut h2) = (h1.to_vec(), h2.to_vec());
        h1.sort_unstable();
        h2.sort_unstable();
        let f1 = kmeans::fit(take_rows(x, &h1).view(), params(k, restarts, s, seed ^ (b as u64 + 1)));
        let f2 = kmeans::fit(take_rows(x, &h2).view(), params(k, restarts, s, seed ^ (b as u64 + 101)));
        let (l1, _) = kmeans::assign(x, f1.centroids.view());
        let (l2, _) = kmeans::assign(x, f2.centroids.view());
        total += metrics::adjusted_rand_index(&l1, &l2);
        total_jaccard += metrics::worst_segment_jaccard(&l1, &l2, k);
    }
    let r = s.stability_resamples as f64;
    (total / r, total_jaccard / r)
}

/// Fits every customer from the sample's centroids, then numbers segments by size (largest = 0), ties
/// by centroid coordinates, so that the numbering does not depend on the order k-means found them in.
pub fn final_fit(x: ArrayView2<f64>, init: Array2<f64>, s: &ClusteringSettings) -> Fit {
    let fit = kmeans::lloyd(x, init, s.max_iter, s.tolerance);
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

//! Clustering parameters: the profile's `[clustering]` table as written ([`ClusteringSettings`]), and the
//! checked form the stage runs on ([`ClusterParams`], made only by [`ClusteringSettings::check`]), as
//! linfa's params → checked params. Every default and range rule of clustering lives here.

use std::num::NonZeroUsize;

use serde::{Deserialize, Serialize};

/// The most segments any profile may ask for: utility practice cannot act on more.
pub const MAX_SEGMENTS: usize = 7;

/// The fewest segments a segmentation has.
pub const MIN_SEGMENTS: usize = 2;

/// Floating-point storage of the final fit's feature matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F64,
    F32,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// How segment sizes are kept balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BalanceMode {
    #[default]
    Check,
    Enforce,
}

/// `[clustering]` as the profile writes it (unchecked).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusteringSettings {
    /// Fix the number of segments; overrides `k_min`/`k_max`.
    pub k: Option<usize>,
    pub k_min: usize,
    pub k_max: usize,
    /// k-means++ starts per fit; the fit with the lowest inertia wins.
    pub restarts: usize,
    pub max_iter: usize,
    /// Stop when no centroid moves more than this (relative to the data's total variance).
    pub tolerance: f64,
    /// Balance: every segment holds at least this share of customers.
    pub min_share: f64,
    /// Balance: the largest segment is at most this many times the smallest.
    pub max_size_ratio: f64,
    /// Stability: the median over resamples of the worst segment's Jaccard match that a k must reach.
    pub min_stability: f64,
    /// Number of resample pairs behind the stability figure.
    pub stability_resamples: usize,
    /// Customers sampled for k selection; the final fit always uses every customer.
    pub selection_sample: usize,
    /// Customers of the selection sample on which stability is measured (halves of this size are fitted).
    pub stability_sample: usize,
    /// Customers sampled for the silhouette (exact, quadratic in this size).
    pub silhouette_sample: usize,
    /// `check`: balance is a pass/fail check on plain k-means; `enforce`: k-means whose assignment
    /// keeps every segment within the size bounds.
    pub balance: BalanceMode,
    /// Enforce: the largest share a segment may hold (default `min_share × max_size_ratio`, at most 1).
    pub max_share: Option<f64>,
    /// Enforce: explicit segment size bounds in customers (override the shares on the final fit).
    pub size_min: Option<usize>,
    pub size_max: Option<usize>,
    /// Storage of the feature matrix in the final fit over every customer: `f64`, or `f32` for half
    /// the memory traffic (centroids and sums stay f64).
    pub precision: Precision,
    /// With `--previous`: the previous run's k must still pass the balance and stability checks, or
    /// the run fails (exit 4) instead of choosing another k.
    pub keep_k: bool,
}

impl Default for ClusteringSettings {
    fn default() -> Self {
        ClusteringSettings {
            k: None,
            k_min: MIN_SEGMENTS,
            k_max: MAX_SEGMENTS,
            restarts: 4,
            max_iter: 300,
            tolerance: 1e-6,
            min_share: 0.05,
            max_size_ratio: 5.0,
            min_stability: 0.75,
            stability_resamples: 10,
            selection_sample: 50_000,
            stability_sample: 20_000,
            silhouette_sample: 4_000,
            balance: BalanceMode::Check,
            max_share: None,
            size_min: None,
            size_max: None,
            precision: Precision::F64,
            keep_k: false,
        }
    }
}

/// A clustering setting out of range: the key (`clustering.k`) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    pub key: &'static str,
    pub message: String,
}

/// Whether `k` is a number of segments a run may have.
pub fn check_k(k: usize) -> Result<(), String> {
    if k > MAX_SEGMENTS {
        Err(format!("at most {MAX_SEGMENTS} segments are allowed (practice cannot act on more)"))
    } else if k < MIN_SEGMENTS {
        Err(format!("at least {MIN_SEGMENTS} segments are needed"))
    } else {
        Ok(())
    }
}

/// The most k-means++ starts per fit, Lloyd iterations per fit and stability resamples a profile may ask
/// for: far above what changes a result, well below a run that never ends.
pub const MAX_RESTARTS: usize = 1000;
pub const MAX_ITER: usize = 100_000;
pub const MAX_RESAMPLES: usize = 100;

impl ClusteringSettings {
    /// The checked parameters, or the first setting out of range.
    pub fn check(&self) -> Result<ClusterParams, ParamError> {
        let fail = |key: &'static str, message: String| Err(ParamError { key, message });
        if let Some(k) = self.k {
            if let Err(why) = check_k(k) {
                return fail("clustering.k", format!("clustering.k = {k}: {why}"));
            }
        }
        if self.k_max > MAX_SEGMENTS {
            return fail("clustering.k_max", format!("clustering.k_max = {}: at most {MAX_SEGMENTS} segments are allowed", self.k_max));
        }
        if self.k_min < MIN_SEGMENTS || self.k_min > self.k_max {
            return fail(
                "clustering.k_min",
                format!("clustering.k_min = {} and k_max = {}: need {MIN_SEGMENTS} <= k_min <= k_max", self.k_min, self.k_max),
            );
        }
        let (Some(restarts), Some(max_iter)) = (NonZeroUsize::new(self.restarts), NonZeroUsize::new(self.max_iter)) else {
            return fail("clustering.restarts", "clustering.restarts and clustering.max_iter must be at least 1".into());
        };
        // Upper bounds keep a typing slip (restarts = 40000000) from becoming a job that never ends.
        if restarts.get() > MAX_RESTARTS || max_iter.get() > MAX_ITER {
            return fail(
                "clustering.restarts",
                format!(
                    "clustering.restarts = {} and max_iter = {}: at most {MAX_RESTARTS} restarts and {MAX_ITER} iterations",
                    self.restarts, self.max_iter
                ),
            );
        }
        if !(self.min_share > 0.0 && self.min_share < 0.5) {
            return fail("clustering.min_share", format!("clustering.min_share = {}: must be between 0 and 0.5", self.min_share));
        }
        if !(self.max_size_ratio >= 1.0) {
            return fail("clustering.max_size_ratio", format!("clustering.max_size_ratio = {}: must be at least 1", self.max_size_ratio));
        }
        if !(0.0..=1.0).contains(&self.min_stability) {
            return fail("clustering.min_stability", format!("clustering.min_stability = {}: must be between 0 and 1", self.min_stability));
        }
        if self.stability_resamples == 0 || self.selection_sample < 100 || self.silhouette_sample < 10 {
            return fail(
                "clustering.stability_resamples",
                "clustering.stability_resamples >= 1, selection_sample >= 100 and silhouette_sample >= 10 are needed".into(),
            );
        }
        if self.stability_sample < 100 {
            return fail(
                "clustering.stability_sample",
                format!("clustering.stability_sample = {}: at least 100 customers are needed", self.stability_sample),
            );
        }
        if self.stability_resamples > MAX_RESAMPLES {
            return fail(
                "clustering.stability_resamples",
                format!("clustering.stability_resamples = {}: at most {MAX_RESAMPLES}", self.stability_resamples),
            );
        }
        if !(self.tolerance >= 0.0) {
            return fail("clustering.tolerance", format!("clustering.tolerance = {}: must be >= 0", self.tolerance));
        }
        if let Some(m) = self.max_share.filter(|m| !(*m > 0.0 && *m <= 1.0)) {
            return fail("clustering.max_share", format!("clustering.max_share = {m}: must be above 0 and at most 1"));
        }
        if let (Some(a), Some(b)) = (self.size_min, self.size_max) {
            if a > b {
                return fail("clustering.size_min", format!("clustering.size_min = {a} is above size_max = {b}"));
            }
        }
        if self.balance == BalanceMode::Check && (self.max_share.is_some() || self.size_min.is_some() || self.size_max.is_some()) {
            return fail(
                "clustering.balance",
                "clustering.max_share, size_min and size_max apply only with balance = \"enforce\"".into(),
            );
        }
        Ok(ClusterParams { settings: self.clone(), restarts, max_iter })
    }
}

/// Checked clustering parameters: every value within its range (see [`ClusteringSettings::check`]),
/// so fitting needs no assumption about what another module validated.
#[derive(Debug, Clone)]
pub struct ClusterParams {
    settings: ClusteringSettings,
    restarts: NonZeroUsize,
    max_iter: NonZeroUsize,
}

impl ClusterParams {
    /// The settings these parameters were checked from (as the profile and reports state them).
    pub fn settings(&self) -> &ClusteringSettings {
        &self.settings
    }

    pub fn fixed_k(&self) -> Option<usize> {
        self.settings.k
    }

    pub fn restarts(&self) -> usize {
        self.restarts.get()
    }

    pub fn max_iter(&self) -> usize {
        self.max_iter.get()
    }

    pub fn tolerance(&self) -> f64 {
        self.settings.tolerance
    }

    pub fn balance(&self) -> BalanceMode {
        self.settings.balance
    }

    pub fn precision(&self) -> Precision {
        self.settings.precision
    }

    pub fn min_share(&self) -> f64 {
        self.settings.min_share
    }

    pub fn keep_k(&self) -> bool {
        self.settings.keep_k
    }

    pub fn max_size_ratio(&self) -> f64 {
        self.settings.max_size_ratio
    }

    pub fn min_stability(&self) -> f64 {
        self.settings.min_stability
    }

    pub fn stability_resamples(&self) -> usize {
        self.settings.stability_resamples
    }

    pub fn selection_sample(&self) -> usize {
        self.settings.selection_sample
    }

    pub fn stability_sample(&self) -> usize {
        self.settings.stability_sample
    }

    pub fn silhouette_sample(&self) -> usize {
        self.settings.silhouette_sample
    }

    /// The candidate numbers of segments, in increasing order.
    pub fn k_range(&self) -> std::ops::RangeInclusive<usize> {
        match self.settings.k {
            Some(k) => k..=k,
            None => self.settings.k_min..=self.settings.k_max,
        }
    }

    /// Enforce mode: the largest share a segment may hold.
    pub fn enforced_max_share(&self) -> f64 {
        self.settings.max_share.unwrap_or((self.settings.min_share * self.settings.max_size_ratio).min(1.0))
    }

    /// Enforce mode: per-segment size bounds for `n` customers in `k` segments. `size_min`/`size_max`
    /// apply as given when `n` is the population (`explicit`), shares otherwise (selection samples);
    /// bounds are made feasible as [`super::balanced::bounds_from_shares`] documents.
    pub fn size_bounds(&self, n: usize, k: usize, explicit: bool) -> (Vec<usize>, Vec<usize>) {
        let (mut lo, mut hi) = super::balanced::bounds_from_shares(n, k, self.settings.min_share, self.enforced_max_share());
        if explicit {
            if let Some(m) = self.settings.size_min {
                lo = vec![m.min(n / k.max(1)); k];
            }
            if let Some(m) = self.settings.size_max {
                hi = vec![m.max(n.div_ceil(k.max(1))).min(n); k];
            }
        }
        (lo, hi)
    }

    /// Whether segment shares pass the balance checks.
    pub fn is_balanced(&self, shares: &[f64]) -> bool {
        let min = shares.iter().copied().fold(f64::INFINITY, f64::min);
        let max = shares.iter().copied().fold(0.0, f64::max);
        min >= self.settings.min_share && min > 0.0 && max / min <= self.settings.max_size_ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_each_rule_names_its_key() {
        let ok = ClusteringSettings::default().check().unwrap();
        assert_eq!(ok.k_range(), 2..=7);
        let bad = |edit: fn(&mut ClusteringSettings)| {
            let mut s = ClusteringSettings::default();
            edit(&mut s);
            s.check().unwrap_err()
        };
        assert_eq!(bad(|s| s.k = Some(8)).key, "clustering.k");
        assert!(bad(|s| s.k = Some(8)).message.contains("at most 7"));
        assert_eq!(bad(|s| s.k = Some(1)).key, "clustering.k");
        assert_eq!(bad(|s| s.k_max = 9).key, "clustering.k_max");
        assert_eq!(bad(|s| s.k_min = 1).key, "clustering.k_min");
        assert_eq!(bad(|s| { s.k_min = 5; s.k_max = 4 }).key, "clustering.k_min");
        assert_eq!(bad(|s| s.restarts = 0).key, "clustering.restarts");
        // A typing slip cannot make a job that never ends.
        assert!(bad(|s| s.restarts = 40_000_000).message.contains("at most 1000 restarts"));
        assert_eq!(bad(|s| s.max_iter = MAX_ITER + 1).key, "clustering.restarts");
        assert_eq!(bad(|s| s.stability_resamples = MAX_RESAMPLES + 1).key, "clustering.stability_resamples");
        ClusteringSettings { restarts: MAX_RESTARTS, max_iter: MAX_ITER, stability_resamples: MAX_RESAMPLES, ..Default::default() }.check().unwrap();
        assert_eq!(bad(|s| s.min_share = 0.5).key, "clustering.min_share");
        assert_eq!(bad(|s| s.max_size_ratio = f64::NAN).key, "clustering.max_size_ratio");
        assert_eq!(bad(|s| s.size_min = Some(3)).key, "clustering.balance");
        let fixed = ClusteringSettings { k: Some(4), ..Default::default() }.check().unwrap();
        assert_eq!(fixed.k_range(), 4..=4);
    }
}

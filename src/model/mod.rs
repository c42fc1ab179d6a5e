//! `model.json`: everything needed to score customers later without refitting (`custseg assign`) and to
//! carry segment ids and names from one run to the next (`custseg run --previous`): the saved model,
//! drift against it, the previous run ([`previous`]) and the migration from it ([`migration`]).

pub mod migration;
pub mod previous;

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::features::{FeatureSpec, ScaledFeature};
use crate::ingest::Window;
use crate::profile::Profile;

/// What can go wrong with a saved model or a previous run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder or file named on the command line is not there, not a run, or a run that does not
    /// go with the model (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The file is there but is not a usable model or run output: corrupt, inconsistent, or from
    /// another line of runs (exit 3).
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// A monthly gate: too many customers changed segment, or lie beyond the model's reach (exit 5,
    /// after every output is written).
    #[error("{0}")]
    Gate(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The saved model of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub tool: String,
    pub version: String,
    pub profile_path: String,
    pub profile: Profile,
    pub seed: u64,
    pub window: Window,
    pub features: Vec<FeatureSpec>,
    pub scaler: Vec<ScaledFeature>,
    /// k rows of scaled coordinates, in the order of `segment_ids`.
    pub centroids: Vec<Vec<f64>>,
    /// The segment id of each centroid: 1..k on a first run; kept from the previous run for matched
    /// segments with `--previous`, so ids need not be contiguous. (Models written before ids existed
    /// read as 1..k.)
    #[serde(default)]
    pub segment_ids: Vec<usize>,
    /// Segment names in both languages (plain strings in models written before Chinese reports).
    pub segment_names: Vec<crate::i18n::Text>,
    /// The smallest id never used in this model's lineage: a new segment takes it, so an id that
    /// disappeared is never given to a different kind of customer later.
    #[serde(default)]
    pub next_segment_id: usize,
    /// Per segment, the 99th percentile and the largest distance of a member to its centroid on the
    /// fitted customers (unclipped coordinates, see [`unclipped_d2`]): what "beyond what the model saw"
    /// means when scoring new data. Empty in models written before drift existed.
    #[serde(default)]
    pub distance_p99: Vec<f64>,
    #[serde(default)]
    pub distance_max: Vec<f64>,
    /// Customers the model was fitted on.
    #[serde(default)]
    pub customers: usize,
    /// SHA-256 of the profile file the model was fitted with.
    #[serde(default)]
    pub profile_sha256: String,
}

impl Model {
    /// Reads and checks a `model.json` (every centroid and scaler value finite, ids and names
    /// distinct, the embedded profile and feature definitions valid).
    pub fn load(path: &Path) -> Result<Model> {
        Model::read(path).map(|(_, model)| model)
    }

    /// [`Model::load`], with the file's bytes.
    pub fn read(path: &Path) -> Result<(Vec<u8>, Model)> {
        let bytes = std::fs::read(path).map_err(|e| Error::Usage(format!("{}: cannot read the model: {e}", path.display())))?;
        let model = Model::from_bytes(&bytes, path)?;
        Ok((bytes, model))
    }

    /// [`Model::load`] on the file's bytes; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
        let corrupt = |message: String| Error::Corrupt { path: path.to_path_buf(), message };
        let mut model: Model = serde_json::from_slice(bytes).map_err(|e| {
            corrupt(format!("not a custseg model.json (line {}, column {}): {e}", e.line(), e.column()))
        })?;
        let k = model.centroids.len();
        if model.segment_ids.is_empty() {
            model.segment_ids = (1..=k).collect();
        }
        model.next_segment_id = model.next_segment_id.max(model.segment_ids.iter().copied().max().unwrap_or(0) + 1);
        let d = model.scaler.len();
        let bad = |why: String| Err(corrupt(format!("the model is inconsistent: {why}")));
        if k < 1 || model.centroids.iter().any(|c| c.len() != d) || model.features.len() != d {
            return bad(format!("{k} centroids, {d} scaled features, {} feature definitions", model.features.len()));
        }
        if model.segment_ids.len() != k || model.segment_names.len() != k {
            return bad(format!("{k} centroids but {} ids and {} names", model.segment_ids.len(), model.segment_names.len()));
        }
        let distances = [model.distance_p99.len(), model.distance_max.len()];
        if distances != [k, k] && distances != [0, 0] {
            return bad(format!("{k} centroids but distances for {} and {} segments", distances[0], distances[1]));
        }
        let mut ids = model.segment_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let mut names: Vec<&str> = model.segment_names.iter().map(|n| n.en.as_str()).collect();
        names.sort();
        names.dedup();
        if ids.len() != k || names.len() != k {
            return bad("segment ids and names must be distinct".into());
        }
        if let Some((f, s)) = model.features.iter().zip(&model.scaler).find(|(f, s)| f.name != s.name) {
            return bad(format!("feature {} is scaled as {}", f.name, s.name));
        }
        let finite = model.centroids.iter().flatten().all(|v| v.is_finite())
            && model.scaler.iter().all(|s| s.mean.is_finite() && s.std.is_finite() && s.std > 0.0 && s.scale.is_finite() && s.fill.is_finite());
        if !finite {
            return bad("a centroid or scaler value is not a finite number (or a standard deviation is not positive)".into());
        }
        if let Some(s) = model.scaler.iter().find(|s| !(s.clip_low <= s.clip_high)) {
            return bad(format!("feature {} is clipped to [{}, {}]: the lower bound must not be above the upper", s.name, s.clip_low, s.clip_high));
        }
        model.profile.check(path).map_err(|e| corrupt(format!("the profile saved in the model is not valid: {}", e.message)))?;
        let used = crate::features::FeaturePlan { features: &model.features, groups: &model.profile.groups, transform: &model.profile.transform };
        used.check().map_err(|e| corrupt(format!("the model's feature definitions are not valid: {e}")))?;
        Ok(model)
    }

    /// The model of a fit: its segments' centroids (`centroids`, rows in fit order), ids and names,
    /// the features and scaler it was fitted with, and the distances of the fitted customers (for
    /// drift). A new segment's id continues `previous_next_id` (the previous run's lineage).
    pub fn fitted(parts: FittedModel<'_>) -> Model {
        let fm = parts.features;
        let k = parts.centroids.nrows();
        let unclipped = unclipped_d2(fm, parts.centroids, parts.labels);
        let (distance_p99, distance_max) = distance_profile(parts.labels, &unclipped, k);
        Model {
            tool: "custseg".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile_path: parts.profile_path.to_string(),
            profile: parts.profile.clone(),
            seed: parts.profile.run.seed,
            window: parts.window,
            features: fm.specs.clone(),
            scaler: fm.scaler.clone(),
            centroids: parts.centroids.outer_iter().map(|r| r.to_vec()).collect(),
            segment_ids: parts.ids.to_vec(),
            segment_names: parts.names,
            next_segment_id: parts.previous_next_id.max(parts.ids.iter().copied().max().unwrap_or(0) + 1),
            profile_sha256: parts.profile_sha256.to_string(),
            distance_p99,
            distance_max,
            customers: fm.customer_ids.len(),
        }
    }

    /// Each customer's segment (index into the centroids) and squared distance to its centre: the
    /// nearest centre, or with `bounds` (`--enforce-balance`) the size-constrained assignment.
    pub fn score(&self, scaled: ArrayView2<f64>, bounds: Option<(&[usize], &[usize])>) -> std::result::Result<(Vec<u32>, Vec<f64>), crate::cluster::Error> {
        let centroids = self.centroid_matrix();
        Ok(match bounds {
            None => crate::cluster::kmeans::assign(scaled, centroids.view()),
            Some((lo, hi)) => {
                let all = crate::cluster::kmeans::distance_matrix(scaled, centroids.view());
                let labels = crate::cluster::balanced::constrained_assign(all.view(), lo, hi)
                    .map_err(|e| crate::cluster::Error::NoSegmentation(format!("--enforce-balance: {e}")))?;
                let d2 = labels.iter().enumerate().map(|(i, &l)| all[[i, l as usize]]).collect();
                (labels, d2)
            }
        })
    }

    pub fn k(&self) -> usize {
        self.centroids.len()
    }

    pub fn centroid_matrix(&self) -> Array2<f64> {
        let d = self.scaler.len();
        Array2::from_shape_fn((self.k(), d), |(i, j)| self.centroids[i][j])
    }
}

/// What [`Model::fitted`] is made of.
pub struct FittedModel<'a> {
    pub profile: &'a Profile,
    pub profile_path: &'a str,
    pub profile_sha256: &'a str,
    pub window: Window,
    pub features: &'a crate::features::FeatureMatrix,
    pub centroids: ArrayView2<'a, f64>,
    pub labels: &'a [u32],
    pub ids: &'a [usize],
    pub names: Vec<crate::i18n::Text>,
    pub previous_next_id: usize,
}

/// Squared distances of every customer to its segment's centre, from coordinates that are not clipped
/// at the fitted bounds: clipping would pull a customer whose bills grew tenfold back inside what the
/// model saw, and hide exactly the drift this measures.
pub fn unclipped_d2(fm: &crate::features::FeatureMatrix, centroids: ArrayView2<f64>, labels: &[u32]) -> Vec<f64> {
    use rayon::prelude::*;
    let d = fm.scaler.len();
    (0..labels.len())
        .into_par_iter()
        .map(|i| {
            let c = centroids.row(labels[i] as usize);
            (0..d)
                .map(|j| {
                    let v = fm.scaler[j].apply_unclipped(fm.raw.get(i, j)) - c[j];
                    v * v
                })
                .sum()
        })
        .collect()
}

/// Per-segment 99th percentile and maximum of the distances (not squared) of members to their centroid.
pub fn distance_profile(labels: &[u32], d2: &[f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut p99 = Vec::with_capacity(k);
    let mut max = Vec::with_capacity(k);
    // One segment's distances at a time: a copy of every customer's would cost 8 bytes each.
    for s in 0..k as u32 {
        let mut v: Vec<f64> = labels.iter().zip(d2).filter(|(&l, _)| l == s).map(|(_, &d)| d.sqrt()).collect();
        if v.is_empty() {
            p99.push(0.0);
            max.push(0.0);
            continue;
        }
        max.push(v.iter().copied().fold(0.0, f64::max));
        p99.push(crate::features::quantile(&mut v, 0.99));
    }
    (p99, max)
}

/// How far new customers sit from the segments they were scored into, against the fitted customers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Drift {
    /// Share of customers farther from their segment's centre than any fitted customer of that segment.
    pub beyond_max_share: f64,
    /// Share farther than the fitted segment's 99th percentile (about 1 % when nothing has changed).
    pub beyond_p99_share: f64,
    pub customers: usize,
}

impl Drift {
    /// The drift gate: more customers beyond the farthest fitted customer than `max` allows.
    pub fn gate(&self, max: Option<f64>) -> Option<Error> {
        let max = max.filter(|max| self.beyond_max_share > *max)?;
        Some(Error::Gate(format!(
            "{} of customers lie beyond the farthest fitted customer of their segment, more than \
             quality.max_drift_share = {}: the model no longer describes these customers; fit a new one with `custseg run`",
            crate::format::percent(self.beyond_max_share),
            crate::format::percent(max)
        )))
    }
}

/// `None` for a model written before drift existed (no fitted distances).
pub fn drift(model: &Model, labels: &[u32], d2: &[f64]) -> Option<Drift> {
    if model.distance_max.is_empty() {
        return None;
    }
    let (mut beyond_max, mut beyond_p99) = (0usize, 0usize);
    for (&l, &d) in labels.iter().zip(d2) {
        let dist = d.sqrt();
        if dist > model.distance_max[l as usize] {
            beyond_max += 1;
        }
        if dist > model.distance_p99[l as usize] {
            beyond_p99 += 1;
        }
    }
    let n = labels.len().max(1) as f64;
    Some(Drift { beyond_max_share: beyond_max as f64 / n, beyond_p99_share: beyond_p99 as f64 / n, customers: labels.len() })
}

/// The previous model's centroids expressed in the coordinates of a new scaler: each coordinate is
/// turned back into the transformed feature value with the previous scaler, then scaled with the new
/// one. Only features both models use are compared; returns their columns in the new matrix too.
pub fn centroids_in_new_space(previous: &Model, scaler: &[ScaledFeature]) -> (Array2<f64>, Vec<usize>) {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (j_new, f) in scaler.iter().enumerate() {
        if let Some(j_old) = previous.scaler.iter().position(|p| p.name == f.name && p.transform == f.transform) {
            pairs.push((j_new, j_old));
        }
    }
    let k = previous.k();
    let mut out = Array2::zeros((k, pairs.len()));
    for s in 0..k {
        for (c, &(j_new, j_old)) in pairs.iter().enumerate() {
            let old = &previous.scaler[j_old];
            let new = &scaler[j_new];
            let transformed = previous.centroids[s][j_old] / old.scale * old.std + old.mean;
            out[[s, c]] = (transformed - new.mean) / new.std * new.scale;
        }
    }
    (out, pairs.into_iter().map(|(j_new, _)| j_new).collect())
}

/// The outcome of matching new segments to the previous run's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Matching {
    /// For each new segment (fit order), the previous segment index it continues, if any.
    pub previous_of: Vec<Option<usize>>,
    /// Distance between each new centroid and its match (null when unmatched).
    pub distance: Vec<Option<f64>>,
}

/// Matches new centroids to previous ones (same coordinates) by trying every one-to-one assignment
/// (k ≤ 7, so at most 7! = 5,040) and keeping the one with the least total squared distance; ties go to
/// the lexicographically first assignment. A pair is kept only if the new centroid lies closer to its
/// match than half the distance from that previous centroid to its nearest other previous centroid:
/// otherwise the new segment matches nothing well and is flagged new.
pub fn match_centroids(new: ArrayView2<f64>, previous: ArrayView2<f64>) -> Matching {
    let (kn, kp) = (new.nrows(), previous.nrows());
    let dist2 = |a: usize, b: usize| new.row(a).iter().zip(previous.row(b)).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    let cost: Vec<Vec<f64>> = (0..kn).map(|a| (0..kp).map(|b| dist2(a, b)).collect()).collect();
    // Enumerate injections of the smaller side into the larger one (depth-first, in lexicographic
    // order, so the first of equally good assignments wins).
    struct Search<'a> {
        cost: &'a [Vec<f64>],
        kn: usize,
        kp: usize,
        current: Vec<Option<usize>>,
        used: Vec<bool>,
        best: Option<(f64, Vec<Option<usize>>)>,
    }
    impl Search<'_> {
        fn go(&mut self, i: usize, acc: f64) {
            if i == self.kn {
                let matched = self.current.iter().filter(|c| c.is_some()).count();
                if matched == self.kn.min(self.kp) && self.best.as_ref().is_none_or(|(b, _)| acc < *b) {
                    self.best = Some((acc, self.current.clone()));
                }
                return;
            }
            for b in 0..self.kp {
                if !self.used[b] {
                    self.used[b] = true;
                    self.current[i] = Some(b);
                    self.go(i + 1, acc + self.cost[i][b]);
                    self.used[b] = false;
                    self.current[i] = None;
                }
            }
            // More new segments than previous ones: some new segment stays unmatched.
            let unmatched_so_far = self.current[..i].iter().filter(|c| c.is_none()).count();
            if self.kn > self.kp && unmatched_so_far < self.kn - self.kp {
                self.go(i + 1, acc);
            }
        }
    }
    let mut search = Search { cost: &cost, kn, kp, current: vec![None; kn], used: vec![false; kp], best: None };
    search.go(0, 0.0);
    let best = search.best;
    let assignment = best.map(|b| b.1).unwrap_or_else(|| vec![None; kn]);
    let separation: Vec<f64> = (0..kp)
        .map(|b| {
            (0..kp)
                .filter(|&c| c != b)
                .map(|c| previous.row(b).iter().zip(previous.row(c)).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt())
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let mut previous_of = vec![None; kn];
    let mut distance = vec![None; kn];
    for (a, m) in assignment.iter().enumerate() {
        if let Some(b) = *m {
            let d = cost[a][b].sqrt();
            if d < separation[b] / 2.0 {
                previous_of[a] = Some(b);
                distance[a] = Some(d);
            }
        }
    }
    Matching { previous_of, distance }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn matching_finds_the_permutation_and_flags_a_segment_far_from_all() {
        let prev = array![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        // New segments: previous 2 moved a little, previous 0, previous 1, and one far away.
        let new = array![[0.5, 9.5], [0.2, -0.1], [9.0, 1.0], [30.0, 30.0]];
        let m = match_centroids(new.view(), prev.view());
        assert_eq!(m.previous_of, vec![Some(2), Some(0), Some(1), None]);
        // A new centroid half-way between two previous ones matches neither.
        let new = array![[5.0, 0.0], [0.0, 10.0], [0.0, 0.5]];
        let m = match_centroids(new.view(), prev.view());
        assert_eq!(m.previous_of[0], None);
        assert_eq!(m.previous_of[1], Some(2));
        assert_eq!(m.previous_of[2], Some(0));
    }

    #[test]
    fn matching_is_optimal_not_greedy() {
        // Greedy in order would give new 0 its nearest (previous 0) and force new 1 onto previous 1
        // (cost 16 + 121); the optimum pairs new 1 with previous 0 (cost 36 + 1). New 0 then lies 6 from
        // previous 1, beyond half their separation (5): it is flagged new rather than forced.
        let prev = array![[0.0], [10.0]];
        let new = array![[4.0], [-1.0]];
        let m = match_centroids(new.view(), prev.view());
        assert_eq!(m.previous_of, vec![None, Some(0)]);
        // Fewer new segments than previous ones: each new one takes its best partner.
        let new = array![[9.0]];
        assert_eq!(match_centroids(new.view(), prev.view()).previous_of, vec![Some(1)]);
    }

    #[test]
    fn previous_centroids_map_through_both_scalers() {
        let f = |mean: f64, std: f64, scale: f64| ScaledFeature {
            name: "x".into(),
            group: "g".into(),
            transform: crate::features::Transform::None,
            fill: 0.0,
            clip_low: f64::NEG_INFINITY,
            clip_high: f64::INFINITY,
            mean,
            std,
            scale,
        };
        let profile = Profile::default_profile();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let model = Model {
            tool: "custseg".into(),
            version: "test".into(),
            profile_path: "test".into(),
            features: profile.features[..1].to_vec(),
            profile,
            seed: 1,
            window: Window { start: day, as_of: day },
            scaler: vec![f(10.0, 2.0, 0.5)],
            centroids: vec![vec![1.0]], // transformed value 10 + 1 / 0.5 * 2 = 14
            segment_ids: vec![1],
            segment_names: vec![crate::i18n::Text::en("x")],
            next_segment_id: 2,
            distance_p99: vec![1.0],
            distance_max: vec![1.0],
            customers: 1,
            profile_sha256: String::new(),
        };
        let (c, cols) = centroids_in_new_space(&model, &[f(12.0, 4.0, 1.0)]);
        assert_eq!(cols, vec![0]);
        assert!((c[[0, 0]] - 0.5).abs() < 1e-12); // (14 - 12) / 4 * 1
    }

    #[test]
    fn distance_profile_per_segment() {
        let labels = [0u32, 0, 0, 1];
        let d2 = [1.0, 4.0, 9.0, 16.0];
        let (p99, max) = distance_profile(&labels, &d2, 2);
        assert_eq!(max, vec![3.0, 4.0]);
        assert!((p99[0] - 2.98).abs() < 1e-12);
        assert_eq!(p99[1], 4.0);
    }
}

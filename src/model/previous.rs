//! The previous run (`--previous`): its model and assignments, the matching of this run's segments to
//! its segments (ids and names carried over), and the migration of customers between the two.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::{ArrayView2, Axis};
use polars::prelude::*;

use super::migration::{self, Migration, SegmentRef};
use super::{centroids_in_new_space, match_centroids, Error, Model, Result};
use crate::features::ScaledFeature;
use crate::i18n::Text;

/// A previous run's model and assignments.
pub struct PreviousRun {
    pub dir: PathBuf,
    pub model: Model,
    /// customer id → segment id.
    pub assignments: HashMap<String, usize>,
    /// Segment id → its leading trait in that run (feature, direction, wording), from its
    /// `summary.json` (empty when the file is missing).
    pub leading: HashMap<usize, (String, String, Text)>,
    /// (export, SHA-256) of each export that run read, from its manifest.
    pub inputs: Vec<(String, String)>,
}

impl PreviousRun {
    /// Reads a finished run's folder: its `model.json` and `assignments.parquet`. A run that ended at
    /// a gate (its manifest's exit code 5) is refused unless `accept_gated` (the profile's
    /// `quality.accept_gated_previous`).
    pub fn load(dir: &Path, accept_gated: bool) -> Result<PreviousRun> {
        if !dir.is_dir() {
            return Err(Error::Usage(format!("--previous {}: no such folder", dir.display())));
        }
        let manifest = crate::output::manifest::read_back(dir);
        let exit_code = manifest.as_ref().and_then(|m| m.get("exit_code")?.as_i64());
        let inputs = manifest
            .as_ref()
            .and_then(|m| m.get("inputs")?.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|i| Some((i.get("export")?.as_str()?.to_string(), i.get("sha256")?.as_str()?.to_string())))
            .collect();
        if exit_code == Some(5) && !accept_gated {
            return Err(Error::Usage(format!(
                "--previous {}: that run ended at a gate (exit 5: see its report), so it is not taken as the baseline; \
                 pass an earlier run, or set quality.accept_gated_previous = true in the profile once it has been reviewed",
                dir.display()
            )));
        }
        let model_path = dir.join("model.json");
        if !model_path.is_file() {
            return Err(Error::Usage(format!(
                "--previous {}: no model.json there (only a run that produced segments can be a previous run)",
                dir.display()
            )));
        }
        let model = Model::load(&model_path)?;
        let path = dir.join("assignments.parquet");
        let corrupt = |e: PolarsError| Error::Corrupt { path: path.clone(), message: format!("cannot read the previous assignments: {e}") };
        let file = std::fs::File::open(&path).map_err(|e| Error::Usage(format!("--previous {}: {e}", path.display())))?;
        let df = ParquetReader::new(file).finish().map_err(corrupt)?;
        let ids = df.column("customer_id").and_then(|c| c.str().cloned()).map_err(corrupt)?;
        let segs = df.column("segment").and_then(|c| c.cast(&DataType::UInt64)).map_err(corrupt)?;
        let segs = segs.u64().map_err(corrupt)?;
        let assignments = ids.iter().zip(segs.iter()).filter_map(|(id, s)| Some((id?.to_string(), s? as usize))).collect();
        let leading = std::fs::read(dir.join("summary.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<crate::report::RunSummary>(&b).ok())
            .map(|s| {
                s.segments
                    .iter()
                    .filter_map(|seg| seg.traits.first().map(|t| (seg.id, (t.feature.clone(), t.direction.clone(), t.text.clone()))))
                    .collect()
            })
            .unwrap_or_default();
        Ok(PreviousRun { dir: dir.to_path_buf(), model, assignments, leading, inputs })
    }

    /// The exports of `inputs` whose checksum equals the previous run's export of the same kind: a
    /// monthly export that was not refreshed. (export, path) pairs.
    pub fn same_inputs(&self, inputs: &[crate::output::manifest::InputFile]) -> Vec<(String, String)> {
        inputs
            .iter()
            .filter(|f| self.inputs.iter().any(|(export, sha)| *export == f.export && *sha == f.sha256))
            .map(|f| (f.export.clone(), f.path.clone()))
            .collect()
    }

    /// Migration against this run compares segment ids, so its segments must be `model`'s: every
    /// previous segment matched (by centroid) to the model segment with the same id. For
    /// `assign --previous`.
    pub fn check_same_segments(&self, model: &Model) -> Result<()> {
        let (prev_c, columns) = centroids_in_new_space(&self.model, &model.scaler);
        let own = model.centroid_matrix().select(Axis(1), &columns);
        let m = match_centroids(own.view(), prev_c.view());
        let same = self.model.k() == model.k()
            && m.previous_of.iter().enumerate().all(|(a, b)| b.is_some_and(|b| self.model.segment_ids[b] == model.segment_ids[a]));
        if same {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "--previous {}: its segments are not this model's (segment ids would not mean the same customers); \
                 compare with a run scored or fitted from this model, or fit anew with `custseg run --previous`",
                self.dir.display()
            )))
        }
    }

    /// Ids and names for a new fit's segments (`centroids`, in this run's scaling `scaler`): a
    /// segment matched to a previous one keeps its id and name, the others take the next unused ids.
    pub fn identify(&self, centroids: ArrayView2<f64>, scaler: &[ScaledFeature]) -> SegmentIdentity {
        let (prev_centroids, columns) = centroids_in_new_space(&self.model, scaler);
        let new_centroids = centroids.select(Axis(1), &columns);
        let matching = match_centroids(new_centroids.view(), prev_centroids.view());
        let mut next = self.model.next_segment_id;
        let mut ids = Vec::with_capacity(centroids.nrows());
        let mut names = Vec::with_capacity(centroids.nrows());
        let mut previous_leading = Vec::with_capacity(centroids.nrows());
        for m in &matching.previous_of {
            match m {
                Some(b) => {
                    let id = self.model.segment_ids[*b];
                    ids.push(id);
                    names.push(Some(self.model.segment_names[*b].clone()));
                    previous_leading.push(self.leading.get(&id).cloned());
                }
                None => {
                    ids.push(next);
                    next += 1;
                    names.push(None);
                    previous_leading.push(None);
                }
            }
        }
        SegmentIdentity {
            ids,
            names,
            carried_over: Some(matching.previous_of.iter().map(Option::is_some).collect()),
            // A previous segment without a successor keeps its name to itself.
            reserved_names: self.model.segment_names.clone(),
            shares_features: !columns.is_empty(),
            previous_leading,
        }
    }

    /// The migration from this previous run to `current` (customer id, segment id) with `segments`
    /// (this run's, in id order).
    pub fn migration(&self, current: &[(&str, usize)], segments: Vec<SegmentRef>) -> Migration {
        let mut from: Vec<SegmentRef> = self
            .model
            .segment_ids
            .iter()
            .zip(&self.model.segment_names)
            .map(|(&id, name)| SegmentRef { id, name: name.clone() })
            .collect();
        from.sort_by_key(|s| s.id);
        migration::compute(&self.dir.display().to_string(), &self.assignments, from, current, segments)
    }
}

/// Segment ids and names decided before the report names segments, per fitted segment (fit order):
/// kept from a previous run, or from the model being scored with.
#[derive(Debug, Clone)]
pub struct SegmentIdentity {
    pub ids: Vec<usize>,
    /// A name to keep; `None`: generate one from the traits.
    pub names: Vec<Option<Text>>,
    /// With `--previous`: whether each segment continues a previous one.
    pub carried_over: Option<Vec<bool>>,
    /// Names generated names must not take (the previous run's).
    pub reserved_names: Vec<Text>,
    /// With `--previous`: whether the previous run shares any feature with this one (false: every
    /// segment is new).
    pub shares_features: bool,
    /// With `--previous`: the leading trait (feature, direction, wording) of the previous segment each
    /// segment continues, when known.
    pub previous_leading: Vec<Option<(String, String, Text)>>,
}

impl SegmentIdentity {
    /// A first run: ids 1..k, every name generated.
    pub fn first_run(k: usize) -> SegmentIdentity {
        SegmentIdentity {
            ids: (1..=k).collect(),
            names: vec![None; k],
            carried_over: None,
            reserved_names: Vec::new(),
            shares_features: true,
            previous_leading: vec![None; k],
        }
    }

    /// Scoring with a saved model: its ids and names.
    pub fn of_model(model: &Model) -> SegmentIdentity {
        SegmentIdentity {
            ids: model.segment_ids.clone(),
            names: model.segment_names.iter().cloned().map(Some).collect(),
            carried_over: None,
            reserved_names: Vec::new(),
            shares_features: true,
            previous_leading: vec![None; model.k()],
        }
    }
}

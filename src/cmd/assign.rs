//! `custseg assign`: scores customers with a saved model, without refitting: the model's profile,
//! features and scaler, each customer to the nearest saved segment. Writes the same outputs as a run,
//! plus the drift (customers beyond what the model saw), and the migration with `--previous`.

use std::path::PathBuf;

use crate::cli::{AssignArgs, LogArgs};
use crate::cluster::{ClusterParams, Rule, Selection};
use crate::cmd::plan::{self, Inputs, OutputTarget, ProfileSource};
use crate::cmd::run_folder::{Finished, ModelSource, RunFolder, Scaling, Segmented};
use crate::error::{Error, Result};
use crate::log::Log;
use crate::model::previous::{PreviousRun, SegmentIdentity};
use crate::model::{self, Model};
use crate::output::manifest::{InputHashes, ProfileRef, RunRecord};
use crate::format::{count, percent};

/// A saved model as `assign` uses it: the file's bytes (read once: parsed, checksummed, and copied into
/// the output folder) and the model they hold.
pub struct SavedModel {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub model: Model,
}

/// Everything `assign` does, resolved before any data is read.
pub struct AssignPlan {
    pub model: SavedModel,
    /// The model's profile (with `--lang` applied), as the model records it.
    pub profile: ProfileSource,
    pub clustering: ClusterParams,
    pub inputs: Inputs,
    pub output: OutputTarget,
    pub previous: Option<PreviousRun>,
    pub enforce_balance: bool,
}

impl AssignPlan {
    pub fn from_args(args: &AssignArgs) -> Result<AssignPlan> {
        if args.input.profile.is_some() {
            return Err(Error::Usage(
                "assign scores with the profile saved in the model; --profile is not allowed here (fit a new model with `custseg run`)".into(),
            ));
        }
        let path: PathBuf = if args.model.is_dir() { args.model.join("model.json") } else { args.model.clone() };
        let (bytes, model) = Model::read(&path)?;
        let mut profile = ProfileSource { path: model.profile_path.clone(), sha256: model.profile_sha256.clone(), profile: model.profile.clone() };
        let output = OutputTarget::from_args(&args.output);
        if let Some(lang) = output.lang {
            profile.profile.report.language = lang;
        }
        let clustering = profile
            .profile
            .clustering
            .check()
            .map_err(|e| model::Error::Corrupt { path: path.clone(), message: format!("the profile saved in the model is not valid: {}", e.message) })?;
        let inputs = Inputs::resolve(&args.input, &profile.profile.exports)?;
        output.check_inputs(&inputs)?;
        let accept = profile.profile.quality.accept_gated_previous;
        let previous = args.previous.as_deref().map(|p| PreviousRun::load(p, accept)).transpose()?;
        if let Some(prev) = &previous {
            prev.check_same_segments(&model)?;
        }
        Ok(AssignPlan {
            model: SavedModel { path, bytes, model },
            profile,
            clustering,
            inputs,
            output,
            previous,
            enforce_balance: args.enforce_balance,
        })
    }
}

pub fn run(args: AssignArgs, logargs: &LogArgs) -> Result<()> {
    plan::configure_threads(args.threads)?;
    let plan = AssignPlan::from_args(&args)?;
    crate::output::install_signal_cleanup();
    let log = Log::new(logargs.format(), logargs.quiet);
    execute(&plan, &log, logargs.quiet)
}

fn execute(plan: &AssignPlan, log: &Log, quiet: bool) -> Result<()> {
    let saved = &plan.model;
    let model = &saved.model;
    let record = RunRecord {
        started_at: chrono::Utc::now(),
        profile: plan.profile.reference(),
        seed: model.seed,
        model: Some(ProfileRef { path: saved.path.display().to_string(), sha256: crate::output::sha256_bytes(&saved.bytes) }),
        previous_run: plan.previous.as_ref().map(|p| p.dir.display().to_string()),
        inputs: InputHashes::start(&plan.inputs.paths),
    };
    let folder = RunFolder::open(&plan.output.out, plan.output.force, record, log)?;
    let (prep, folder) = folder.prepare(&plan.inputs, &plan.profile.profile, Scaling::Saved(model))?;
    let fm = &prep.fm;

    log.begin("scoring customers");
    let centroids = model.centroid_matrix();
    let bounds = plan.enforce_balance.then(|| plan.clustering.size_bounds(fm.customer_ids.len(), model.k(), true));
    let (labels, d2) = model.score(fm.scaled.view(), bounds.as_ref().map(|(lo, hi)| (lo.as_slice(), hi.as_slice())))?;
    if let Some((lo, hi)) = &bounds {
        log.info(format!("segment sizes enforced between {} and {} customers", lo[0], hi[0]));
    }
    let drift = model::drift(model, &labels, &model::unclipped_d2(fm, centroids.view(), &labels));
    log.info(format!(
        "scored {} customers with {}{}",
        count(labels.len()),
        saved.path.display(),
        match &drift {
            Some(d) => format!("; {} beyond the farthest fitted customer of their segment", percent(d.beyond_max_share)),
            None => "; the model predates drift measurement (no fitted distances)".into(),
        }
    ));
    log.stage_done("score");

    log.begin("writing reports");
    let selection = Selection {
        previous_k: None,
        kept_previous_k: false,
        rule: Rule::Scored { model: saved.path.display().to_string(), enforced: plan.enforce_balance },
        sample_size: 0,
        silhouette_sample_size: 0,
        stability_sample_size: 0,
        candidates: Vec::new(),
        chosen_k: Some(model.k()),
    };
    let gate = drift.as_ref().and_then(|d| d.gate(plan.profile.profile.quality.max_drift_share)).map(Error::from);
    let segmented = Segmented { centroids, labels, d2, identity: SegmentIdentity::of_model(model), balance: None, drift };
    let finished = Finished {
        profile: &plan.profile,
        prep,
        selection,
        segmented: Some(segmented),
        previous: plan.previous.as_ref(),
        model: ModelSource::Scored { path: saved.path.display().to_string(), bytes: &saved.bytes },
        gate,
    };
    folder.finish(finished, quiet)
}

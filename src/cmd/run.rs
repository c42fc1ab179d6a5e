//! `custseg run`: the end-to-end segmentation, ingest → features → cluster → report; with `--previous`,
//! segment ids and names carried over from the previous run and the migration between them. With
//! `--dry-run`, the plan only ([`super::dry_run`]).

use crate::cli::{LogArgs, RunArgs};
use crate::cluster::{self, ClusterParams};
use crate::cmd::plan::{self, Inputs, OutputTarget, ProfileSource};
use crate::cmd::run_folder::{Finished, ModelSource, RunFolder, Scaling, Segmented};
use crate::error::{Error, Result};
use crate::log::Log;
use crate::model::previous::{PreviousRun, SegmentIdentity};
use crate::output::manifest::{InputHashes, RunRecord};
use crate::profile::ProfileError;
use crate::report;

/// Everything `run` does, resolved from its flags and the profile before any data is read.
pub struct RunPlan {
    /// The profile, with `--seed`, `--k` and `--lang` applied.
    pub profile: ProfileSource,
    pub clustering: ClusterParams,
    pub inputs: Inputs,
    pub output: OutputTarget,
    pub previous: Option<PreviousRun>,
    pub dry_run: bool,
}

impl RunPlan {
    pub fn from_args(args: &RunArgs) -> Result<RunPlan> {
        let mut profile = ProfileSource::read(args.input.profile.as_deref())?;
        let p = &mut profile.profile;
        if let Some(seed) = args.seed {
            p.run.seed = seed;
        }
        let output = OutputTarget::from_args(&args.output);
        if let Some(lang) = output.lang {
            p.report.language = lang;
        }
        if let Some(k) = args.k {
            cluster::check_k(k).map_err(|_| {
                Error::Usage(format!("--k {k}: the number of segments must be between {} and {}", cluster::MIN_SEGMENTS, cluster::MAX_SEGMENTS))
            })?;
            p.clustering.k = Some(k);
        }
        let clustering = p
            .clustering
            .check()
            .map_err(|e| ProfileError { path: profile.path.clone().into(), message: e.message })?;
        let inputs = Inputs::resolve(&args.input, &profile.profile.exports)?;
        output.check_inputs(&inputs)?;
        let accept = profile.profile.quality.accept_gated_previous;
        let previous = args.previous.as_deref().map(|p| PreviousRun::load(p, accept)).transpose()?;
        Ok(RunPlan { profile, clustering, inputs, output, previous, dry_run: args.dry_run })
    }
}

pub fn run(args: RunArgs, logargs: &LogArgs) -> Result<()> {
    plan::configure_threads(args.threads)?;
    let plan = RunPlan::from_args(&args)?;
    if plan.dry_run {
        return super::dry_run::run(&plan, logargs.quiet);
    }
    crate::output::install_signal_cleanup();
    let log = Log::new(logargs.format(), logargs.quiet);
    execute(&plan, &log, logargs.quiet)
}

/// The cluster stage: k chosen on a sample (with `--previous`, the previous k while it passes), then
/// every customer fitted. A kept k starts from the previous run's centroids, carried into this run's
/// scaling (when the two runs have the same features), so that customers who did not change stay.
fn cluster_stage(plan: &RunPlan, x: ndarray::ArrayView2<f64>, scaler: &[crate::features::ScaledFeature], log: &Log) -> Result<(cluster::Selection, cluster::Outcome)> {
    log.begin("choosing the number of segments");
    let previous_k = plan.previous.as_ref().map(|p| p.model.k());
    let (selection, mut sample_fit) = cluster::select(x, &plan.clustering, plan.profile.profile.run.seed, previous_k)?;
    if let (Some(prev), Some(pk)) = (&plan.previous, selection.previous_k) {
        match selection.chosen_k {
            Some(k) if selection.kept_previous_k => {
                let (centroids, columns) = crate::model::centroids_in_new_space(&prev.model, scaler);
                if columns.len() == scaler.len() {
                    if let Some(fit) = sample_fit.as_mut() {
                        fit.centroids = centroids;
                    }
                    log.info(format!("kept k = {k} from the previous run (it still passes the checks); the fit starts from its segments"));
                } else {
                    log.info(format!("kept k = {k} from the previous run (it still passes the checks)"));
                }
            }
            Some(k) => log.warn(format!(
                "k changed from {pk} (the previous run) to {k}: {}; set clustering.keep_k = true to refuse a change of k",
                cluster::k_failure(&selection.candidates, pk).map_or_else(String::new, |f| f.to_string())
            )),
            None => {}
        }
    }
    if selection.chosen_k.is_some() {
        log.begin("fitting every customer");
    }
    let outcome = cluster::fit_chosen(x, &selection, sample_fit, &plan.clustering)?;
    if let (cluster::Outcome::Fitted(f), Some(k)) = (&outcome, selection.chosen_k) {
        log.info(format!("fitted every customer on {} storage (iterations: {})", f.storage.name(), f.fit.iterations));
        log.info(format!("chose k = {k}: {}", report::document::rule_text(&selection.rule, crate::i18n::Lang::En)));
    }
    log.stage_done("cluster");
    Ok((selection, outcome))
}

fn execute(plan: &RunPlan, log: &Log, quiet: bool) -> Result<()> {
    let record = RunRecord {
        started_at: chrono::Utc::now(),
        profile: plan.profile.reference(),
        seed: plan.profile.profile.run.seed,
        model: None,
        previous_run: plan.previous.as_ref().map(|p| p.dir.display().to_string()),
        inputs: InputHashes::start(&plan.inputs.paths),
    };
    let folder = RunFolder::open(&plan.output.out, plan.output.force, record, log)?;
    let profile = &plan.profile.profile;
    let (prep, folder) = folder.prepare(&plan.inputs, profile, Scaling::Fit(profile.feature_plan()))?;
    let (selection, outcome) = cluster_stage(plan, prep.fm.scaled.view(), &prep.fm.scaler, log)?;

    log.begin("writing reports");
    let (segmented, gate) = match outcome {
        cluster::Outcome::Fitted(cluster::FinalFit { fit, balance, .. }) => {
            let identity = match &plan.previous {
                Some(prev) => {
                    let identity = prev.identify(fit.centroids.view(), &prep.fm.scaler);
                    if !identity.shares_features {
                        log.info("the previous run shares no feature with this one: every segment is new");
                    }
                    identity
                }
                None => SegmentIdentity::first_run(fit.centroids.nrows()),
            };
            // Distance to the segment's centre (with enforced balance not always the nearest centre).
            let d2 = cluster::kmeans::assigned_d2(prep.fm.scaled.view(), fit.centroids.view(), &fit.labels);
            (Some(Segmented { centroids: fit.centroids, labels: fit.labels, d2, identity, balance, drift: None }), None)
        }
        cluster::Outcome::Failed(why) => {
            let report = folder.shown().join("report.md");
            (None, Some(Error::from(cluster::Error::NoSegmentation(format!("{why}; diagnostics are in {}", report.display())))))
        }
    };
    let finished = Finished {
        profile: &plan.profile,
        prep,
        selection,
        segmented,
        previous: plan.previous.as_ref(),
        model: ModelSource::Fitted,
        gate,
    };
    folder.finish(finished, quiet)
}

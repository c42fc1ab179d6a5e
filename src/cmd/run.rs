//! `custseg run`: the end-to-end segmentation, ingest → features → cluster → report; with `--previous`,
//! segment ids and names carried over from the previous run and the migration between them. With
//! `--dry-run`, the plan only ([`super::dry_run`]).

use crate::cli::{LogArgs, RunArgs};
use crate::cluster::{self, ClusterParams, Fit};
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
    pub threads: Option<usize>,
    pub dry_run: bool,
}

impl RunPlan {
    pub fn from_args(args: &RunArgs) -> Result<RunPlan> {
        let threads = plan::threads(args.threads)?;
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
            cluster::check_k(k).map_err(|why| Error::Usage(format!("--k {k}: {why}")))?;
            p.clustering.k = Some(k);
        }
        let clustering = p
            .clustering
            .check()
            .map_err(|e| ProfileError { path: profile.path.clone().into(), message: e.message })?;
        let inputs = Inputs::resolve(&args.input, &profile.profile.exports)?;
        let previous = args.previous.as_deref().map(PreviousRun::load).transpose()?;
        Ok(RunPlan { profile, clustering, inputs, output, previous, threads, dry_run: args.dry_run })
    }
}

pub fn run(args: RunArgs, logargs: &LogArgs) -> Result<()> {
    let plan = RunPlan::from_args(&args)?;
    plan::configure_threads(plan.threads)?;
    if plan.dry_run {
        return super::dry_run::run(&plan, logargs.quiet);
    }
    crate::output::install_signal_cleanup();
    let log = Log::new(logargs.format(), logargs.quiet);
    execute(&plan, &log, logargs.quiet)
}

/// Every customer fitted (with the enforced bounds' cost), or why no segmentation passed.
type Fitted = std::result::Result<(Fit, Option<cluster::EnforcedBalance>), String>;

/// The cluster stage: k chosen on a sample, then every customer fitted.
fn cluster_stage(plan: &RunPlan, x: ndarray::ArrayView2<f64>, log: &Log) -> Result<(cluster::Selection, Fitted)> {
    log.begin("choosing the number of segments");
    let seed = plan.profile.profile.run.seed;
    let (selection, sample_fit) = cluster::select(x, &plan.clustering, seed)?;
    let outcome = match (selection.chosen_k, sample_fit) {
        (Some(k), Some(sf)) => {
            log.begin("fitting every customer");
            let cluster::FinalFit { fit, balance: enforced, storage } = cluster::final_fit(x, sf.centroids, &plan.clustering)?;
            log.info(format!("fitted every customer on {} storage (iterations: {})", storage.name(), fit.iterations));
            let shares = cluster::fit_shares(&fit);
            if enforced.is_some() || plan.clustering.is_balanced(&shares) {
                log.info(format!("chose k = {k}: {}", report::document::rule_text(&selection.rule, crate::i18n::Lang::En)));
                Ok((fit, enforced))
            } else {
                Err(format!(
                    "k = {k} was balanced on the selection sample but not on all customers (segment shares {})",
                    shares.iter().map(|s| crate::format::percent(*s)).collect::<Vec<_>>().join(", ")
                ))
            }
        }
        _ => {
            let tried: Vec<String> = selection
                .candidates
                .iter()
                .map(|c| {
                    format!(
                        "k={}: {}{}",
                        c.k,
                        if c.balanced { "balanced" } else { "unbalanced" },
                        if c.stable { ", stable" } else { ", unstable" }
                    )
                })
                .collect();
            Err(format!("no number of segments passed the checks ({})", tried.join("; ")))
        }
    };
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
    let (selection, outcome) = cluster_stage(plan, prep.fm.scaled.view(), log)?;

    log.begin("writing reports");
    let (segmented, gate) = match outcome {
        Ok((fit, balance)) => {
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
        Err(why) => {
            let report = folder.target().join("report.md");
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

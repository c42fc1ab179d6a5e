//! `custseg assign`: scores customers with a saved model, without refitting: the model's profile,
//! features and scaler, each customer to the nearest saved segment. Writes the same outputs as a run,
//! plus the drift (customers beyond what the model saw), and the migration with `--previous`.

use std::path::PathBuf;

use ndarray::Array2;

use crate::cli::{AssignArgs, LogArgs};
use crate::cluster::{self, Fit, Selection};
use crate::cmd::pipeline::{self, ProfileRef, RunRecord, Scaling};
use crate::error::{Error, Result};
use crate::log::Log;
use crate::model::{self, Model};
use crate::output::{self, RunDir};
use crate::report::{self, ReportInput, SegmentIdentity};

pub fn run(args: AssignArgs, logargs: &LogArgs) -> Result<()> {
    pipeline::configure_threads(args.threads)?;
    crate::output::install_signal_cleanup();
    let log = Log::new(logargs);
    let started_at = chrono::Utc::now();
    if args.input.profile.is_some() {
        return Err(Error::Usage(
            "assign scores with the profile saved in the model; --profile is not allowed here (fit a new model with `custseg run`)".into(),
        ));
    }
    let model_path: PathBuf = if args.model.is_dir() { args.model.join("model.json") } else { args.model.clone() };
    let model = Model::load(&model_path)?;
    let mut profile = model.profile.clone();
    if let Some(lang) = args.output.lang {
        profile.report.language = lang;
    }
    let as_of = pipeline::as_of_arg(&args.input)?;
    let paths = pipeline::export_paths(&args.input, &profile)?;
    let previous = args.previous.as_deref().map(pipeline::load_previous).transpose()?;
    if let Some(prev) = &previous {
        corresponds(prev, &model)?;
    }
    let dir = RunDir::create(&args.output.out, args.output.force)?;
    let model_bytes = std::fs::read(&model_path).map_err(|e| Error::io(format!("reading {}", model_path.display()), e))?;
    let record = RunRecord {
        started_at,
        profile: ProfileRef { path: model.profile_path.clone(), sha256: model.profile_sha256.clone() },
        seed: model.seed,
        model: Some(ProfileRef { path: model_path.display().to_string(), sha256: output::sha256_bytes(&model_bytes) }),
        previous_run: previous.as_ref().map(|p| p.dir.display().to_string()),
        inputs: pipeline::hash_inputs(&paths),
    };

    let (prep, dir, record) = pipeline::prepare(&paths, &profile, as_of, Scaling::Saved(&model), dir, record, &log)?;
    let fm = &prep.fm;

    log.begin("scoring customers");
    let centroids: Array2<f64> = model.centroid_matrix();
    let (labels, d2) = if args.enforce_balance {
        let n = fm.customer_ids.len();
        let (lo, hi) = profile.clustering.size_bounds(n, model.k(), true);
        let all = cluster::kmeans::distance_matrix(fm.scaled.view(), centroids.view());
        let labels = cluster::balanced::constrained_assign(all.view(), &lo, &hi)
            .map_err(|e| Error::Clustering(format!("--enforce-balance: {e}")))?;
        let d2 = labels.iter().enumerate().map(|(i, &l)| all[[i, l as usize]]).collect();
        log.info(format!("segment sizes enforced between {} and {} customers", lo[0], hi[0]));
        (labels, d2)
    } else {
        cluster::kmeans::assign(fm.scaled.view(), centroids.view())
    };
    let drift = model::drift(&model, &labels, &model::unclipped_d2(fm, centroids.view(), &labels));
    log.info(format!(
        "scored {} customers with {}{}",
        crate::report::format::count(labels.len()),
        model_path.display(),
        match &drift {
            Some(d) => format!("; {} beyond the farthest fitted customer of their segment", crate::report::format::percent(d.beyond_max_share)),
            None => "; the model predates drift measurement (no fitted distances)".into(),
        }
    ));
    log.stage_done("score");

    log.begin("writing reports");
    let k = model.k();
    let fit = Fit { inertia: d2.iter().sum(), centroids, labels, iterations: 0 };
    let selection = Selection {
        rule: cluster::Rule::Scored { model: model_path.display().to_string(), enforced: args.enforce_balance },
        sample_size: 0,
        silhouette_sample_size: 0,
        candidates: Vec::new(),
        chosen_k: Some(k),
    };
    let ident = SegmentIdentity {
        ids: model.segment_ids.clone(),
        names: model.segment_names.iter().cloned().map(Some).collect(),
        carried_over: None,
        reserved_names: Vec::new(),
    };
    let mut summary = report::summarize(ReportInput {
        profile: &profile,
        profile_path: &model.profile_path,
        window: prep.window,
        features: fm,
        selection: &selection,
        fit: Some(&fit),
        revenue: &fm.revenue,
        attributes: &prep.attributes,
        inputs: prep.input_stats(),
        customers_without_bills: prep.customers_without_bills.clone(),
        billed_not_in_customers: prep.billed_not_in_customers,
        identity: Some(&ident),
        scored_with_model: Some(model_path.display().to_string()),
    });
    let mut gate: Option<Error> = None;
    if let (Some(max), Some(d)) = (profile.quality.max_drift_share, &drift) {
        if d.beyond_max_share > max {
            gate = Some(Error::Drift(format!(
                "{} of customers lie beyond the farthest fitted customer of their segment, more than \
                 quality.max_drift_share = {}: the model no longer describes these customers; fit a new one with `custseg run`",
                crate::report::format::percent(d.beyond_max_share),
                crate::report::format::percent(max)
            )));
        }
    }
    summary.drift = drift;
    if let Some(prev) = &previous {
        let m = pipeline::migration_from(prev, fm, &fit.labels, &ident.ids, &summary);
        if let Some(max) = profile.quality.max_migration_share.filter(|max| m.moved_share > *max) {
            gate.get_or_insert(Error::Drift(format!(
                "{} of the customers in both runs changed segment, more than quality.max_migration_share = {}",
                crate::report::format::percent(m.moved_share),
                crate::report::format::percent(max)
            )));
        }
        pipeline::write_migration(&dir, &m, summary.language)?;
        summary.migration = Some(m);
    }
    summary.projection = Some(pipeline::projection(fm, &fit.labels, &ident.ids, model.seed));
    pipeline::write_assignments(&dir, &summary, fm, &fit.labels, &ident.ids, &d2)?;
    // The model travels with its scores, so this folder can be the next run's --previous.
    dir.write_text("model.json", &String::from_utf8_lossy(&model_bytes))?;
    pipeline::complete(dir, record, &mut summary, gate, logargs.quiet, &log)
}

/// Migration against a previous run compares segment ids, so its segments must be the model's: every
/// previous segment matched (by centroid) to the model segment with the same id.
fn corresponds(prev: &pipeline::PreviousRun, model: &Model) -> Result<()> {
    let (prev_c, columns) = model::centroids_in_new_space(&prev.model, &model.scaler);
    let own = model.centroid_matrix().select(ndarray::Axis(1), &columns);
    let m = model::match_centroids(own.view(), prev_c.view());
    let same = prev.model.k() == model.k()
        && m.previous_of.iter().enumerate().all(|(a, b)| b.is_some_and(|b| prev.model.segment_ids[b] == model.segment_ids[a]));
    if same {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--previous {}: its segments are not this model's (segment ids would not mean the same customers); \
             compare with a run scored or fitted from this model, or fit anew with `custseg run --previous`",
            prev.dir.display()
        )))
    }
}

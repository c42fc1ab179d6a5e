//! `custseg run`: the end-to-end segmentation, ingest → features → cluster → report; with `--previous`,
//! segment ids and names carried over from the previous run and the migration between them.

use ndarray::Axis;

use crate::cli::{LogArgs, RunArgs};
use crate::cluster::{self, Fit};
use crate::cmd::pipeline::{self, Prepared, PreviousRun, RunRecord, Scaling};
use crate::error::{Error, Result};
use crate::log::Log;
use crate::model::{self, Model};
use crate::output::RunDir;
use crate::profile::Profile;
use crate::report::{self, ReportInput, SegmentIdentity};

fn load_profile(args: &RunArgs) -> Result<(Profile, String)> {
    let (mut profile, path) = pipeline::read_profile(&args.input)?;
    if let Some(seed) = args.seed {
        profile.run.seed = seed;
    }
    if let Some(lang) = args.output.lang {
        profile.report.language = lang;
    }
    if let Some(k) = args.k {
        if !(2..=crate::profile::MAX_SEGMENTS).contains(&k) {
            return Err(Error::Usage(format!(
                "--k {k}: the number of segments must be between 2 and {}",
                crate::profile::MAX_SEGMENTS
            )));
        }
        profile.clustering.k = Some(k);
    }
    Ok((profile, path))
}

/// Segment ids and names for a new fit: 1..k by size on a first run; with a previous run, matched
/// segments keep the previous id and name and the others take the next unused ids.
fn identity(fit: &Fit, fm_scaler: &[crate::features::ScaledFeature], previous: Option<&PreviousRun>, log: &Log) -> SegmentIdentity {
    let k = fit.centroids.nrows();
    let Some(prev) = previous else {
        return SegmentIdentity { ids: (1..=k).collect(), names: vec![None; k], carried_over: None, reserved_names: Vec::new() };
    };
    let (prev_centroids, columns) = model::centroids_in_new_space(&prev.model, fm_scaler);
    let new_centroids = fit.centroids.select(Axis(1), &columns);
    if columns.is_empty() {
        log.info("the previous run shares no feature with this one: every segment is new");
    }
    let matching = model::match_centroids(new_centroids.view(), prev_centroids.view());
    let mut next = prev.model.next_segment_id;
    let mut ids = Vec::with_capacity(k);
    let mut names = Vec::with_capacity(k);
    for m in &matching.previous_of {
        match m {
            Some(b) => {
                ids.push(prev.model.segment_ids[*b]);
                names.push(Some(prev.model.segment_names[*b].clone()));
            }
            None => {
                ids.push(next);
                next += 1;
                names.push(None);
            }
        }
    }
    SegmentIdentity {
        ids,
        names,
        carried_over: Some(matching.previous_of.iter().map(Option::is_some).collect()),
        // A previous segment without a successor keeps its name to itself.
        reserved_names: prev.model.segment_names.clone(),
    }
}

pub fn run(args: RunArgs, logargs: &LogArgs) -> Result<()> {
    pipeline::configure_threads(args.threads)?;
    crate::output::install_signal_cleanup();
    let log = Log::new(logargs);
    let started_at = chrono::Utc::now();
    let (profile, profile_path) = load_profile(&args)?;
    let as_of = pipeline::as_of_arg(&args.input)?;
    let paths = pipeline::export_paths(&args.input, &profile)?;
    let previous = args.previous.as_deref().map(pipeline::load_previous).transpose()?;
    let dir = RunDir::create(&args.output.out, args.output.force)?;
    let record_profile_sha = pipeline::profile_ref(&args.input, &profile_path).sha256;
    let record = RunRecord {
        started_at,
        profile: pipeline::profile_ref(&args.input, &profile_path),
        seed: profile.run.seed,
        model: None,
        previous_run: previous.as_ref().map(|p| p.dir.display().to_string()),
        inputs: pipeline::hash_inputs(&paths),
    };

    // Stages 1 and 2: ingest and features.
    let (prep, dir, record) = pipeline::prepare(&paths, &profile, as_of, Scaling::Fit, dir, record, &log)?;
    let Prepared { fm, .. } = &prep;
    if fm.customer_ids.len() < 2 * profile.clustering.k_range().start() {
        return Err(Error::DataQuality(format!(
            "only {} customers have bills in the window: too few to segment",
            fm.customer_ids.len()
        )));
    }

    // Stage 3: cluster.
    log.begin("choosing the number of segments");
    let (selection, sample_fit) = cluster::select(fm.scaled.view(), &profile.clustering, profile.run.seed);
    let mut fit: Option<Fit> = None;
    let mut failure: Option<String> = None;
    let mut enforced = None;
    match (selection.chosen_k, sample_fit) {
        (Some(k), Some(sf)) => {
            log.begin("fitting every customer");
            let (f, cost) = cluster::final_fit(fm.scaled.view(), sf.centroids, &profile.clustering);
            enforced = cost;
            let shares = cluster::fit_shares(&f);
            if enforced.is_some() || cluster::is_balanced(&shares, &profile.clustering) {
                log.info(format!("chose k = {k}: {}", report::document::rule_text(&selection.rule, report::i18n::Lang::En)));
                fit = Some(f);
            } else {
                failure = Some(format!(
                    "k = {k} was balanced on the selection sample but not on all customers (segment shares {})",
                    shares.iter().map(|s| crate::report::format::percent(*s)).collect::<Vec<_>>().join(", ")
                ));
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
            failure = Some(format!("no number of segments passed the checks ({})", tried.join("; ")));
        }
    }
    log.stage_done("cluster");

    // Stage 4: report.
    log.begin("writing reports");
    let ident = fit.as_ref().map(|f| identity(f, &fm.scaler, previous.as_ref(), &log));
    let mut summary = report::summarize(ReportInput {
        profile: &profile,
        profile_path: &profile_path,
        window: prep.window,
        features: fm,
        selection: &selection,
        fit: fit.as_ref(),
        revenue: &fm.revenue,
        attributes: &prep.attributes,
        inputs: prep.input_stats(),
        customers_without_bills: prep.customers_without_bills.clone(),
        billed_not_in_customers: prep.billed_not_in_customers,
        identity: ident.as_ref(),
        scored_with_model: None,
    });
    summary.balance = enforced;
    let mut gate: Option<Error> = failure
        .map(|why| Error::Clustering(format!("{why}; diagnostics are in {}", args.output.out.join("report.md").display())));
    if let (Some(f), Some(ident)) = (&fit, &ident) {
        // Distance to the segment's centre (with enforced balance not always the nearest centre).
        let d2 = cluster::kmeans::assigned_d2(fm.scaled.view(), f.centroids.view(), &f.labels);
        if let Some(prev) = &previous {
            let m = pipeline::migration_from(prev, fm, &f.labels, &ident.ids, &summary);
            if let Some(max) = profile.quality.max_migration_share.filter(|max| m.moved_share > *max) {
                gate = Some(Error::Drift(format!(
                    "{} of the customers in both runs changed segment, more than quality.max_migration_share = {}; \
                     the migration is in {}",
                    crate::report::format::percent(m.moved_share),
                    crate::report::format::percent(max),
                    args.output.out.join("migration.csv").display()
                )));
            }
            pipeline::write_migration(&dir, &m, summary.language)?;
            summary.migration = Some(m);
        }
        summary.projection = Some(pipeline::projection(fm, &f.labels, &ident.ids, profile.run.seed));
        pipeline::write_assignments(&dir, &summary, fm, &f.labels, &ident.ids, &d2)?;
        let unclipped = model::unclipped_d2(fm, f.centroids.view(), &f.labels);
        let (distance_p99, distance_max) = model::distance_profile(&f.labels, &unclipped, f.centroids.nrows());
        let name_of = |id: usize| summary.segments.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
        let model = Model {
            tool: "custseg".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile_path: profile_path.clone(),
            profile: profile.clone(),
            seed: profile.run.seed,
            window: prep.window,
            features: fm.specs.clone(),
            scaler: fm.scaler.clone(),
            centroids: f.centroids.outer_iter().map(|r| r.to_vec()).collect(),
            segment_ids: ident.ids.clone(),
            segment_names: ident.ids.iter().map(|&id| name_of(id)).collect(),
            next_segment_id: previous
                .as_ref()
                .map_or(0, |p| p.model.next_segment_id)
                .max(ident.ids.iter().copied().max().unwrap_or(0) + 1),
            profile_sha256: record_profile_sha.clone(),
            distance_p99,
            distance_max,
            customers: fm.customer_ids.len(),
        };
        dir.write_json("model.json", &model)?;
    }
    pipeline::complete(dir, record, &mut summary, gate, logargs.quiet, &log)
}

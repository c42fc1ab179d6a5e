//! `custseg run`: the end-to-end segmentation, ingest → features → cluster → report.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::{InputArgs, RunArgs};
use crate::cluster::{self, Fit};
use crate::error::{Error, Result};
use crate::features::{self, Exports, FeatureMatrix, ScaledFeature};
use crate::ingest::{self, ExportPaths, Window};
use crate::output::{self, Assignment, RunDir};
use crate::profile::{FeatureSpec, Profile, Source, DEFAULT_PROFILE_NAME};
use crate::report::{self, Attributes, ReportInput, RunSummary};

/// Everything needed to score customers later without refitting (`model.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Model {
    pub tool: String,
    pub version: String,
    pub profile_path: String,
    pub profile: Profile,
    pub seed: u64,
    pub window: Window,
    pub features: Vec<FeatureSpec>,
    pub scaler: Vec<ScaledFeature>,
    /// k rows of scaled coordinates, segment 1 first.
    pub centroids: Vec<Vec<f64>>,
    pub segment_names: Vec<String>,
}

/// Progress lines on stderr unless `--quiet`.
struct Log {
    quiet: bool,
    start: Instant,
}

impl Log {
    fn say(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("[{:>6.2}s] {}", self.start.elapsed().as_secs_f64(), msg.as_ref());
        }
    }
}

fn configure_threads(threads: Option<usize>) -> Result<()> {
    if let Some(t) = threads {
        if t == 0 {
            return Err(Error::Usage("--threads must be at least 1".into()));
        }
        // polars reads its pool size from the environment on first use.
        std::env::set_var("POLARS_MAX_THREADS", t.to_string());
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads: {e}")))?;
    }
    Ok(())
}

/// The profile named by `--profile`, or the bundled default, with its display path.
pub(crate) fn read_profile(input: &InputArgs) -> Result<(Profile, String)> {
    Ok(match &input.profile {
        Some(p) => (Profile::load(p)?, p.display().to_string()),
        None => (Profile::default_profile(), DEFAULT_PROFILE_NAME.to_string()),
    })
}

fn load_profile(args: &RunArgs) -> Result<(Profile, String)> {
    let (mut profile, path) = read_profile(&args.input)?;
    if let Some(seed) = args.seed {
        profile.run.seed = seed;
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

pub(crate) fn export_paths(args: &InputArgs, profile: &Profile) -> Result<ExportPaths> {
    let explicit = ExportPaths {
        billing: args.billing.clone(),
        outages: args.outages.clone(),
        tickets: args.tickets.clone(),
        customers: args.customers.clone(),
    };
    let named = args.billing.is_some() || args.outages.is_some() || args.tickets.is_some() || args.customers.is_some();
    let data: Option<PathBuf> = match &args.data {
        Some(d) if !d.is_dir() => return Err(Error::Usage(format!("--data {}: no such folder", d.display()))),
        Some(d) => Some(d.clone()),
        None if !named => {
            let d = PathBuf::from("data-samples");
            if !d.is_dir() {
                return Err(Error::Usage(
                    "no --data folder given, and ./data-samples does not exist here (run from the project folder, or pass --data DIR)"
                        .into(),
                ));
            }
            Some(d)
        }
        None => None,
    };
    ExportPaths::locate(data.as_deref(), explicit, &profile.exports)
}

/// Feeder-keyed outage events become rows per customer (see `ingest::expand_feeder_events`).
pub(crate) fn expand_outages(exports: &mut Exports) -> Result<()> {
    if let Some(mut outages) = exports.remove(&Source::Outages) {
        let result = ingest::expand_feeder_events(&mut outages, exports.get(&Source::Customers));
        exports.insert(Source::Outages, outages);
        result?;
    }
    Ok(())
}

/// Stops the run when an export rejects more rows than the profile allows.
pub(crate) fn reject_gate(exports: &Exports, profile: &Profile) -> Result<()> {
    for e in exports.values() {
        let s = &e.stats;
        let (max_share, key) = match profile.exports.get(e.source).max_reject_share {
            Some(m) => (m, format!("exports.{}.max_reject_share", e.source)),
            None => (profile.quality.max_reject_share, "quality.max_reject_share".to_string()),
        };
        if s.rows_read == 0 {
            continue;
        }
        let share = s.rows_rejected as f64 / s.rows_read as f64;
        if share > max_share {
            let examples: Vec<String> = e
                .rejects
                .iter()
                .take(3)
                .map(|r| format!("line {}, column {}, value \"{}\": {}", r.line, r.column, r.value, r.reason))
                .collect();
            let mut reasons: Vec<(&String, &usize)> = s.reject_reasons.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = reasons.iter().take(3).map(|(r, n)| format!("{r} ({n})")).collect();
            return Err(Error::DataQuality(format!(
                "{}: {} of {} rows rejected ({:.1}%, more than {key} = {:.1}%); top reasons: {}; for example {}. \
                 All rejected rows are in rejects/{}.csv",
                e.path.display(),
                s.rows_rejected,
                s.rows_read,
                share * 100.0,
                max_share * 100.0,
                top.join(", "),
                examples.join("; "),
                e.source
            )));
        }
    }
    Ok(())
}

/// Text attributes of the customers export to profile per segment, aligned with the feature matrix.
fn attributes(exports: &Exports, profile: &Profile, fm: &FeatureMatrix) -> Result<Attributes> {
    let Some(customers) = exports.get(&Source::Customers) else { return Ok(Vec::new()) };
    let df = &customers.frame;
    let names: Vec<String> = if profile.attributes.profile.is_empty() {
        df.get_column_names()
            .iter()
            .map(|s| s.to_string())
            .filter(|n| n != "customer_id" && n != "service_start" && df.column(n).map(|c| c.dtype() == &DataType::String).unwrap_or(false))
            .collect()
    } else {
        profile.attributes.profile.iter().filter(|n| df.schema().contains(n.as_str())).cloned().collect()
    };
    let ids = df.column("customer_id").and_then(|c| c.str()).map_err(|e| Error::polars("customer attributes", e))?;
    let row_of: HashMap<&str, usize> = ids.iter().enumerate().filter_map(|(i, id)| id.map(|id| (id, i))).collect();
    let rows: Vec<Option<usize>> = fm.customer_ids.iter().map(|id| row_of.get(id.as_str()).copied()).collect();
    let mut out = Vec::new();
    for name in names {
        let col_ = df
            .column(&name)
            .and_then(|c| c.cast(&DataType::String))
            .map_err(|e| Error::polars(format!("customer attribute {name}"), e))?;
        let values = col_.str().map_err(|e| Error::polars(format!("customer attribute {name}"), e))?;
        let mut levels: Vec<String> = Vec::new();
        let mut code_of: HashMap<Option<&str>, u32> = HashMap::new();
        let codes = rows
            .iter()
            .map(|r| {
                let v = r.and_then(|r| values.get(r));
                *code_of.entry(v).or_insert_with(|| {
                    levels.push(v.unwrap_or("(unknown)").to_string());
                    levels.len() as u32 - 1
                })
            })
            .collect();
        out.push(report::Attribute { name, levels, codes });
    }
    Ok(out)
}

/// Distinct customers per export in the window, and those without a bill (left out): from the
/// features stage where it grouped the export, else counted here. Also the billed customers that the
/// customers export does not know, when there is one.
fn count_customers(exports: &mut Exports, fm: &FeatureMatrix) -> Result<(BTreeMap<String, usize>, Option<usize>)> {
    let mut billed_unknown = None;
    let billed: HashSet<&str> = fm.customer_ids.iter().map(String::as_str).collect();
    let mut without_bills = BTreeMap::new();
    for (source, e) in exports.iter_mut() {
        let seen = match fm.customers_seen.get(source) {
            Some(seen) => *seen,
            None => {
                let ids = e
                    .lazy()
                    .select([col("customer_id").unique()])
                    .collect()
                    .map_err(|err| Error::polars("matching customers", err))?;
                let ids = ids.column("customer_id").and_then(|c| c.str().cloned()).map_err(|err| Error::polars("matching customers", err))?;
                let without_bills = ids.iter().flatten().filter(|id| !billed.contains(id)).count();
                features::CustomersSeen { distinct: ids.len(), without_bills, billed: ids.len() - without_bills }
            }
        };
        e.stats.customers = seen.distinct;
        if *source == Source::Customers {
            billed_unknown = Some(fm.customer_ids.len() - seen.billed);
        }
        if *source != Source::Billing {
            without_bills.insert(source.as_str().to_string(), seen.without_bills);
        }
    }
    Ok((without_bills, billed_unknown))
}

pub fn run(args: RunArgs) -> Result<()> {
    configure_threads(args.threads)?;
    let log = Log { quiet: args.quiet, start: Instant::now() };
    let (profile, profile_path) = load_profile(&args)?;
    let as_of = as_of_arg(&args.input)?;
    let paths = export_paths(&args.input, &profile)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");

    // Stage 1: ingest.
    let mut exports = load_exports(&paths, &profile, |m| log.say(m))?;
    let dir = RunDir::create(&args.out)?;
    for e in exports.values() {
        if !e.rejects.is_empty() {
            output::write_rejects(&dir.path(&format!("rejects/{}.csv", e.source)), &e.rejects)?;
        }
    }
    if let Err(err) = reject_gate(&exports, &profile) {
        dir.commit()?;
        return Err(err);
    }
    let window = ingest::window_for(&exports[&Source::Billing], as_of, profile.run.window_months)?;
    for e in exports.values_mut() {
        ingest::apply_window(e, window)?;
    }
    expand_outages(&mut exports)?;
    log.say(format!("window: {} to {}", window.start, window.as_of));

    // Stage 2: features.
    let fm = features::build(&profile, &exports, window)?;
    let (customers_without_bills, billed_not_in_customers) = count_customers(&mut exports, &fm)?;
    log.say(format!(
        "features: {} customers x {} features ({} skipped)",
        crate::report::format::count(fm.customer_ids.len()),
        fm.specs.len(),
        fm.skipped.len()
    ));
    if fm.customer_ids.len() < 2 * profile.clustering.k_range().start() {
        return Err(Error::DataQuality(format!(
            "only {} customers have bills in the window: too few to segment",
            fm.customer_ids.len()
        )));
    }

    // Stage 3: cluster.
    let (selection, sample_fit) = cluster::select(fm.scaled.view(), &profile.clustering, profile.run.seed);
    let mut fit: Option<Fit> = None;
    let mut failure: Option<String> = None;
    match (selection.chosen_k, sample_fit) {
        (Some(k), Some(sf)) => {
            let f = cluster::final_fit(fm.scaled.view(), sf.centroids, &profile.clustering);
            let shares = cluster::fit_shares(&f);
            if cluster::is_balanced(&shares, &profile.clustering) {
                log.say(format!("chose k = {k}: {}", selection.rule));
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

    // Stage 4: report.
    let inputs = exports.iter().map(|(s, e)| (s.as_str().to_string(), e.stats.clone())).collect();
    let attributes = attributes(&exports, &profile, &fm)?;
    let summary = report::summarize(ReportInput {
        profile: &profile,
        profile_path: &profile_path,
        window,
        features: &fm,
        selection: &selection,
        fit: fit.as_ref(),
        revenue: &fm.revenue,
        attributes: &attributes,
        inputs,
        customers_without_bills,
        billed_not_in_customers,
    });
    dir.write_json("summary.json", &summary)?;
    dir.write_text("report.md", &report::markdown::render(&summary, &command))?;
    if let Some(f) = &fit {
        write_fit_outputs(&dir, &summary, &fm, f, &profile, &profile_path, window)?;
    }
    let out = dir.commit()?;
    if let Some(why) = failure {
        return Err(Error::Clustering(format!("{why}; diagnostics are in {}", out.join("report.md").display())));
    }
    log.say(format!("wrote {} (report: {})", out.display(), out.join("report.md").display()));
    if !args.quiet {
        // A closed stdout (`custseg run | head -0`) is not an error.
        let _ = writeln!(std::io::stdout(), "{}", out.join("report.md").display());
    }
    Ok(())
}

pub(crate) fn as_of_arg(input: &InputArgs) -> Result<Option<chrono::NaiveDate>> {
    match &input.as_of {
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::Usage(format!("--as-of {s}: expected a date as YYYY-MM-DD"))),
        None => Ok(None),
    }
}

/// Reads every export the paths name, in contract order.
pub(crate) fn load_exports(paths: &ExportPaths, profile: &Profile, log: impl Fn(String)) -> Result<Exports> {
    let mut exports: Exports = BTreeMap::new();
    for source in Source::ALL {
        if let Some(p) = paths.get(source) {
            let e = ingest::load(source, p, profile.exports.get(source))?;
            log(format!(
                "read {source}: {} rows from {} ({} rejected)",
                crate::report::format::count(e.stats.rows_read),
                p.display(),
                crate::report::format::count(e.stats.rows_rejected)
            ));
            exports.insert(source, e);
        }
    }
    Ok(exports)
}

fn write_fit_outputs(
    dir: &RunDir,
    summary: &RunSummary,
    fm: &FeatureMatrix,
    fit: &Fit,
    profile: &Profile,
    profile_path: &str,
    window: Window,
) -> Result<()> {
    let (_, d2) = cluster::kmeans::assign(fm.scaled.view(), fit.centroids.view());
    let names: Vec<&str> = summary.segments.iter().map(|s| s.name.as_str()).collect();
    let rows: Vec<Assignment<'_>> = fm
        .customer_ids
        .iter()
        .zip(&fit.labels)
        .zip(&d2)
        .map(|((id, &l), &d)| Assignment { customer_id: id, segment: l + 1, segment_name: names[l as usize], distance: d.sqrt() })
        .collect();
    output::write_assignments_csv(&dir.path("assignments.csv"), &rows)?;
    output::write_assignments_parquet(&dir.path("assignments.parquet"), &rows)?;
    let model = Model {
        tool: "custseg".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        profile_path: profile_path.to_string(),
        profile: profile.clone(),
        seed: profile.run.seed,
        window,
        features: fm.specs.clone(),
        scaler: fm.scaler.clone(),
        centroids: fit.centroids.outer_iter().map(|r| r.to_vec()).collect(),
        segment_names: names.iter().map(|s| s.to_string()).collect(),
    };
    dir.write_json("model.json", &model)
}


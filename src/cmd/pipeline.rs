//! What `run` and `assign` share: reading the profile and the exports, the quality gate, the window,
//! the features, the previous run, and writing a finished run folder with its manifest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::cli::InputArgs;
use crate::error::{Error, Result};
use crate::features::{self, Exports, FeatureMatrix};
use crate::ingest::{self, Export, ExportPaths, InputStats, Window};
use crate::log::{Log, StageTiming};
use crate::migration::{self, Migration, SegmentRef};
use crate::model::Model;
use crate::output::{self, Assignment, RunDir};
use crate::profile::{Profile, Source, DEFAULT_PROFILE_NAME, DEFAULT_PROFILE_TOML};
use crate::report::{self, Attributes, RunSummary};
use crate::report::i18n::{t, Lang, Text};

pub(crate) fn configure_threads(threads: Option<usize>) -> Result<()> {
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
pub(crate) fn attributes(exports: &Exports, profile: &Profile, fm: &FeatureMatrix) -> Result<Attributes> {
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
pub(crate) fn count_customers(exports: &mut Exports, fm: &FeatureMatrix) -> Result<(BTreeMap<String, usize>, Option<usize>)> {
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

pub(crate) fn as_of_arg(input: &InputArgs) -> Result<Option<chrono::NaiveDate>> {
    match &input.as_of {
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::Usage(format!("--as-of {s}: expected a date as YYYY-MM-DD"))),
        None => Ok(None),
    }
}

/// Reads every export the paths name, in contract order.
pub(crate) fn load_exports(paths: &ExportPaths, profile: &Profile, log: impl Fn(String) + Sync) -> Result<Exports> {
    // Billing on one thread, the other exports on another (unless `--threads 1`): their
    // single-threaded parts (reading the file, finding repeated lines, checks) overlap. Errors are
    // reported in export order.
    let load = |source: Source| -> Option<Result<Export>> {
        let p = paths.get(source)?;
        Some(ingest::load(source, p, profile.exports.get(source)).inspect(|e| {
            log(format!(
                "read {source}: {} rows from {} ({} rejected)",
                crate::report::format::count(e.stats.rows_read),
                p.display(),
                crate::report::format::count(e.stats.rows_rejected)
            ))
        }))
    };
    let rest = [Source::Outages, Source::Tickets, Source::Customers];
    let (billing, others) = if rayon::current_num_threads() > 1 {
        std::thread::scope(|scope| {
            let others = scope.spawn(|| rest.map(|s| (s, load(s))));
            let billing = load(Source::Billing);
            (billing, others.join().expect("loading thread"))
        })
    } else {
        // `--threads 1`: one thing at a time.
        (load(Source::Billing), rest.map(|s| (s, load(s))))
    };
    let mut exports: Exports = BTreeMap::new();
    for (source, loaded) in std::iter::once((Source::Billing, billing)).chain(others) {
        if let Some(e) = loaded {
            exports.insert(source, e?);
        }
    }
    Ok(exports)
}


/// The profile's text, for its checksum in the manifest.
pub(crate) fn profile_text(input: &InputArgs) -> String {
    match &input.profile {
        Some(p) => std::fs::read_to_string(p).unwrap_or_default(),
        None => DEFAULT_PROFILE_TOML.to_string(),
    }
}

pub use crate::report::InputFile;

/// One output file as the manifest records it.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileRef {
    pub path: String,
    pub sha256: String,
}

/// `OUT/manifest.json`: what produced the folder, from what, and what it holds. The one output that
/// differs between two otherwise identical runs (times, command line).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub command: Vec<String>,
    pub working_directory: String,
    pub started_at: String,
    pub finished_at: String,
    /// The exit code the run ends with (0, or a gate's code when the folder holds diagnostics).
    pub exit_code: i32,
    pub profile: ProfileRef,
    pub seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ProfileRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_run: Option<String>,
    pub inputs: Vec<InputFile>,
    pub rows: BTreeMap<String, InputStats>,
    pub customers: usize,
    pub k: Option<usize>,
    pub timings: Vec<StageTiming>,
    pub outputs: Vec<OutputFile>,
}

/// Hashes the input files on a background thread while the run reads them.
pub(crate) fn hash_inputs(paths: &ExportPaths) -> InputHashes {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for source in Source::ALL {
        if let Some(p) = paths.get(source) {
            for f in ingest::expand(p) {
                files.push((source.as_str().to_string(), f));
            }
        }
    }
    InputHashes::Hashing(std::thread::spawn(move || {
        files
            .into_iter()
            .map(|(export, f)| {
                let io = |e| Error::io(format!("hashing {}", f.display()), e);
                let bytes = std::fs::metadata(&f).map_err(io)?.len();
                let sha256 = output::sha256_file(&f).map_err(io)?;
                Ok(InputFile { export, path: f.display().to_string(), bytes, sha256 })
            })
            .collect()
    }))
}

/// Everything about a run that the manifest needs besides its outputs.
pub(crate) struct RunRecord {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub profile: ProfileRef,
    pub seed: u64,
    pub model: Option<ProfileRef>,
    pub previous_run: Option<String>,
    pub inputs: InputHashes,
}

/// The input files' checksums: being computed on a background thread, or known.
pub(crate) enum InputHashes {
    Hashing(std::thread::JoinHandle<Result<Vec<InputFile>>>),
    Hashed(Vec<InputFile>),
}

impl InputHashes {
    /// The checksums, waiting for the hashing thread if it is still running.
    fn resolve(self) -> Result<Vec<InputFile>> {
        match self {
            InputHashes::Hashed(files) => Ok(files),
            InputHashes::Hashing(thread) => {
                thread.join().map_err(|_| Error::io("hashing inputs", std::io::Error::other("hashing thread panicked")))?
            }
        }
    }
}

/// Writes `manifest.json` (last, with the checksums of every other file) and moves the folder into
/// place. Returns the folder's final path.
pub(crate) fn finish(dir: RunDir, record: RunRecord, summary_rows: BTreeMap<String, InputStats>, customers: usize, k: Option<usize>, exit_code: i32, log: &Log) -> Result<PathBuf> {
    log.begin("writing the manifest");
    let inputs = record.inputs.resolve()?;
    let mut outputs = Vec::new();
    for file in dir.files()? {
        let p = dir.path(&file);
        let io = |e| Error::io(format!("hashing {}", p.display()), e);
        outputs.push(OutputFile { bytes: std::fs::metadata(&p).map_err(io)?.len(), sha256: output::sha256_file(&p).map_err(io)?, file });
    }
    log.stage_done("manifest");
    let manifest = Manifest {
        tool: "custseg".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command: std::env::args().collect(),
        working_directory: std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
        started_at: record.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        exit_code,
        profile: record.profile,
        seed: record.seed,
        model: record.model,
        previous_run: record.previous_run,
        inputs,
        rows: summary_rows,
        customers,
        k,
        timings: log.timings(),
        outputs,
    };
    dir.write_json("manifest.json", &manifest)?;
    dir.commit()
}

/// The end of `run` and `assign`: the run result, the reports, the manifest, the move into place; then
/// the gate's error if one failed (the folder is written either way), else the report's path.
pub(crate) fn complete(dir: RunDir, mut record: RunRecord, summary: &mut RunSummary, gate: Option<Error>, quiet: bool, log: &Log) -> Result<()> {
    // The report names every input with its checksum: wait for the hashing thread here.
    let files = record.inputs.resolve()?;
    summary.input_files = files.clone();
    record.inputs = InputHashes::Hashed(files);
    let summary = &*summary;
    dir.write_json("summary.json", summary)?;
    write_reports(&dir, summary, log)?;
    log.stage_done("report");
    let exit_code = gate.as_ref().map_or(0, Error::exit_code);
    let out = finish(dir, record, summary.inputs.clone(), summary.customers, summary.k, exit_code, log)?;
    if let Some(e) = gate {
        return Err(e);
    }
    announce(&out, quiet, log);
    Ok(())
}

/// A previous run's model and assignments (`--previous`).
pub(crate) struct PreviousRun {
    pub dir: PathBuf,
    pub model: Model,
    /// customer id → segment id.
    pub assignments: HashMap<String, usize>,
}

pub(crate) fn load_previous(dir: &Path) -> Result<PreviousRun> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!("--previous {}: no such folder", dir.display())));
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
    let context = |e| Error::polars(format!("reading {}", path.display()), e);
    let file = std::fs::File::open(&path).map_err(|e| Error::Usage(format!("--previous {}: {e}", path.display())))?;
    let df = ParquetReader::new(file).finish().map_err(context)?;
    let ids = df.column("customer_id").and_then(|c| c.str().cloned()).map_err(context)?;
    let segs = df.column("segment").and_then(|c| c.cast(&DataType::UInt64)).map_err(context)?;
    let segs = segs.u64().map_err(context)?;
    let assignments = ids
        .iter()
        .zip(segs.iter())
        .filter_map(|(id, s)| Some((id?.to_string(), s? as usize)))
        .collect();
    Ok(PreviousRun { dir: dir.to_path_buf(), model, assignments })
}

/// The migration from the previous run to this one.
pub(crate) fn migration_from(previous: &PreviousRun, fm: &FeatureMatrix, labels: &[u32], ids: &[usize], summary: &RunSummary) -> Migration {
    let mut from: Vec<SegmentRef> = previous
        .model
        .segment_ids
        .iter()
        .zip(&previous.model.segment_names)
        .map(|(&id, name)| SegmentRef { id, name: name.clone() })
        .collect();
    from.sort_by_key(|s| s.id);
    let to: Vec<SegmentRef> = summary.segments.iter().map(|s| SegmentRef { id: s.id, name: s.name.clone() }).collect();
    let current: Vec<(&str, usize)> =
        fm.customer_ids.iter().zip(labels).map(|(c, &l)| (c.as_str(), ids[l as usize])).collect();
    migration::compute(&previous.dir.display().to_string(), &previous.assignments, from, &current, to)
}

/// The report's map: up to 2,000 customers, sampled in proportion to the segments, on the first two
/// principal components.
pub(crate) fn projection(fm: &FeatureMatrix, labels: &[u32], ids: &[usize], seed: u64) -> report::projection::Projection {
    let k = ids.len();
    let rows = crate::cluster::stratified_rows(labels, k, 2000, seed, 9);
    let segment_of: Vec<usize> = rows.iter().map(|&i| ids[labels[i] as usize]).collect();
    report::projection::pca_2d(fm.scaled.view(), &rows, &segment_of)
}

/// `report.md`, `report.html` and the charts under `charts/`, all from the run result, in the run's
/// language.
pub(crate) fn write_reports(dir: &RunDir, summary: &RunSummary, log: &Log) -> Result<()> {
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    write_reports_in(dir, summary, summary.language, &command, log)
}

/// The reports of `summary` in `lang`; `command` reproduces the run. A fixed text without a
/// translation is shown in English and named in a warning.
pub(crate) fn write_reports_in(dir: &RunDir, summary: &RunSummary, lang: Lang, command: &str, log: &Log) -> Result<()> {
    report::i18n::take_missing();
    let charts = report::charts::render_all(summary, lang)?;
    for (name, svg) in &charts {
        dir.write_text(&format!("charts/{name}"), svg)?;
    }
    let doc = report::document::build(summary, lang, command);
    dir.write_text("report.md", &report::markdown::render(&doc))?;
    dir.write_text("report.html", &report::html::render(&doc, &charts))?;
    let missing = report::i18n::take_missing();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|m| format!("\"{m}\"")).collect();
        log.info(format!("warning: {} report texts have no {lang} translation and show in English: {}", missing.len(), list.join(", ")));
    }
    Ok(())
}

/// `migration.csv`: one row per (previous segment, segment now) pair, plus new and departed customers.
pub(crate) fn write_migration(dir: &RunDir, m: &Migration, lang: Lang) -> Result<()> {
    let path = dir.path("migration.csv");
    let map = |e: csv::Error| Error::io(format!("writing {}", path.display()), e.into());
    let mut w = csv::Writer::from_path(&path).map_err(map)?;
    w.write_record(["from_segment", "from_name", "to_segment", "to_name", "customers", "share_of_from"]).map_err(map)?;
    let safe = |s: &Text| output::spreadsheet_safe(s.get(lang)).into_owned();
    for (r, f) in m.from.iter().enumerate() {
        for (c, to) in m.to.iter().enumerate() {
            w.write_record([f.id.to_string(), safe(&f.name), to.id.to_string(), safe(&to.name), m.counts[r][c].to_string(), format!("{:.6}", m.shares[r][c])])
                .map_err(map)?;
        }
        w.write_record([f.id.to_string(), safe(&f.name), String::new(), t(lang, "(left)").into(), m.departed_customers[r].to_string(), String::new()])
            .map_err(map)?;
    }
    for (c, to) in m.to.iter().enumerate() {
        w.write_record([String::new(), t(lang, "(new customer)").into(), to.id.to_string(), safe(&to.name), m.new_customers[c].to_string(), String::new()])
            .map_err(map)?;
    }
    w.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Writes the assignments (CSV and Parquet): segment ids and names as the summary has them.
pub(crate) fn write_assignments(dir: &RunDir, summary: &RunSummary, fm: &FeatureMatrix, labels: &[u32], ids: &[usize], d2: &[f64]) -> Result<()> {
    let name_of: HashMap<usize, &str> = summary.segments.iter().map(|s| (s.id, s.name.get(summary.language))).collect();
    let rows: Vec<Assignment<'_>> = fm
        .customer_ids
        .iter()
        .zip(labels)
        .zip(d2)
        .map(|((id, &l), &d)| {
            let seg = ids[l as usize];
            Assignment { customer_id: id, segment: seg as u32, segment_name: name_of[&seg], distance: d.sqrt() }
        })
        .collect();
    output::write_assignments_csv(&dir.path("assignments.csv"), &rows)?;
    output::write_assignments_parquet(&dir.path("assignments.parquet"), &rows)
}

/// The exports read, checked, windowed and turned into features.
pub(crate) struct Prepared {
    pub exports: Exports,
    pub window: Window,
    pub fm: FeatureMatrix,
    pub customers_without_bills: BTreeMap<String, usize>,
    pub billed_not_in_customers: Option<usize>,
    pub attributes: Attributes,
}

impl Prepared {
    pub fn input_stats(&self) -> BTreeMap<String, InputStats> {
        self.exports.iter().map(|(s, e)| (s.as_str().to_string(), e.stats.clone())).collect()
    }
}

/// How features are scaled: fitted on these customers (`run`) or a saved model's (`assign`).
pub(crate) enum Scaling<'a> {
    Fit,
    Saved(&'a Model),
}

/// Ingest and features. On a failed quality gate, the folder (rejects and manifest) is moved into place
/// before the error is returned.
pub(crate) fn prepare(
    paths: &ExportPaths,
    profile: &Profile,
    as_of: Option<chrono::NaiveDate>,
    scaling: Scaling<'_>,
    dir: RunDir,
    record: RunRecord,
    log: &Log,
) -> Result<(Prepared, RunDir, RunRecord)> {
    log.begin("reading exports");
    let mut exports = load_exports(paths, profile, |m| log.info(m))?;
    log.stage_done("read");
    for e in exports.values() {
        if !e.rejects.is_empty() {
            output::write_rejects(&dir.path(&format!("rejects/{}.csv", e.source)), &e.rejects)?;
        }
    }
    if let Err(err) = reject_gate(&exports, profile) {
        let rows = exports.iter().map(|(s, e)| (s.as_str().to_string(), e.stats.clone())).collect();
        finish(dir, record, rows, 0, None, err.exit_code(), log)?;
        return Err(err);
    }
    log.begin("window and derived columns");
    let window = ingest::window_for(&exports[&Source::Billing], as_of, profile.run.window_months)?;
    for e in exports.values_mut() {
        // The billing export stays whole, its window marked (no copy of every bill); the others are
        // small and are filtered.
        if e.source == Source::Billing {
            ingest::mark_window(e, window)?;
        } else {
            ingest::apply_window(e, window)?;
        }
    }
    expand_outages(&mut exports)?;
    log.info(format!("window: {} to {}", window.start, window.as_of));
    log.stage_done("window");
    log.begin("building features");
    let fm = match scaling {
        Scaling::Fit => features::build(profile, &exports, window)?,
        Scaling::Saved(model) => features::build_with_scaler(&model.features, &model.scaler, &exports, window)?,
    };
    let (customers_without_bills, billed_not_in_customers) = count_customers(&mut exports, &fm)?;
    let attributes = attributes(&exports, profile, &fm)?;
    log.info(format!(
        "features: {} customers x {} features ({} skipped)",
        crate::report::format::count(fm.customer_ids.len()),
        fm.specs.len(),
        fm.skipped.len()
    ));
    log.stage_done("features");
    Ok((Prepared { exports, window, fm, customers_without_bills, billed_not_in_customers, attributes }, dir, record))
}

/// Prints the report's path on stdout (the one line a script needs), unless `--quiet`.
pub(crate) fn announce(out: &Path, quiet: bool, log: &Log) {
    log.info(format!("wrote {} (report: {})", out.display(), out.join("report.md").display()));
    log.finish();
    if !quiet {
        use std::io::Write;
        // A closed stdout (`custseg run | head -0`) is not an error.
        let _ = writeln!(std::io::stdout(), "{}", out.join("report.md").display());
    }
}

/// The profile reference of the manifest.
pub(crate) fn profile_ref(input: &InputArgs, path: &str) -> ProfileRef {
    ProfileRef { path: path.to_string(), sha256: output::sha256_bytes(profile_text(input).as_bytes()) }
}

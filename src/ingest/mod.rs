//! Stage 1, ingest: finds the exports, reads them into polars frames, checks them against the canonical
//! export contract, parses every value, rejects the rows that cannot be used (with line, column, value
//! and reason), keeps the analysis window, and derives the per-row columns features aggregate.
//!
//! Row accounting: for every export `rows_read = rows_accepted + rows_rejected + rows_duplicate +
//! rows_outside_window`.

mod contract;
mod error;
mod layout;
mod paths;
mod read;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use contract::{contract, date_column, derived_columns, derived_from, feature_columns, ColumnSpec, DerivedColumn, Kind, Source};
pub use error::{Error, Result};
pub use layout::{Encoding, ExportSettings, ExportsSettings, FileFormat};
pub use paths::{expand, ExportPaths};
use paths::is_pattern;

/// Row accounting and facts about one export, as reported in `summary.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InputStats {
    pub path: String,
    pub format: String,
    pub rows_read: usize,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    pub rows_duplicate: usize,
    pub rows_outside_window: usize,
    /// Distinct customers among accepted rows.
    pub customers: usize,
    /// Rejected rows by reason.
    pub reject_reasons: BTreeMap<String, usize>,
    /// Optional contract columns the export does not have.
    pub missing_optional_columns: Vec<String>,
    /// Outages only: the export lists events per feeder, joined to customers by feeder_id.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub feeder_keyed: bool,
    /// Feeder-keyed outages only: events in the window on a feeder no customer is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_without_customers: Option<usize>,
}

/// One rejected row, as written to `rejects/<export>.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    /// The file the row is in (an export may span several files matched by a pattern).
    pub file: String,
    /// 1-based line in the file (the header is line 1); for Parquet, the 1-based row number.
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// An export after parsing: accepted rows with typed canonical columns. Once the window is applied,
/// either `frame` holds only the rows inside it, with the derived columns ([`apply_window`]), or it
/// keeps every row and `marked` says which are inside and how the derived columns are computed
/// ([`mark_window`]: no copy of a large export); [`Export::lazy`] gives the windowed rows either way.
pub struct Export {
    pub source: Source,
    pub path: PathBuf,
    pub frame: DataFrame,
    pub stats: InputStats,
    pub rejects: Vec<Reject>,
    schema: SchemaRef,
    marked: Option<Marked>,
}

/// The window of an export whose frame was left whole.
pub struct Marked {
    /// Per row of `frame`: inside the window.
    pub inside: BooleanChunked,
    predicate: Expr,
    derived: Vec<Expr>,
}

impl Export {
    /// The columns: canonical, attributes and (once windowed) derived.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.schema.contains(name)
    }

    /// The rows inside the window (every row before the window is applied), with the derived columns.
    pub fn lazy(&self) -> LazyFrame {
        match &self.marked {
            None => self.frame.clone().lazy(),
            Some(m) => self.frame.clone().lazy().filter(m.predicate.clone()).with_columns(m.derived.clone()),
        }
    }

    /// Every row of `frame` with the derived columns (computed only where a query uses them), and
    /// which rows are inside the window (`None`: all of them).
    pub fn all_rows(&self) -> (LazyFrame, Option<&BooleanChunked>) {
        match &self.marked {
            None => (self.frame.clone().lazy(), None),
            Some(m) => (self.frame.clone().lazy().with_columns(m.derived.clone()), Some(&m.inside)),
        }
    }
}

/// The analysis window: records dated after `start` and on or before `as_of` are used.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub as_of: NaiveDate,
}

impl Window {
    /// The `months` months up to `as_of`.
    pub fn ending(as_of: NaiveDate, months: u32) -> Window {
        let start = as_of.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN);
        Window { start, as_of }
    }
}

/// Days since 1970-01-01, as polars stores dates.
pub fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn date_lit(d: NaiveDate) -> Expr {
    lit(epoch_days(d)).cast(DataType::Date)
}

fn datetime_lit(d: NaiveDate) -> Expr {
    lit(epoch_days(d) as i64 * 86_400_000).cast(DataType::Datetime(TimeUnit::Milliseconds, None))
}

/// How a file's columns meet its export's contract.
struct ContractMatch {
    /// The contract's columns (for feeder-keyed outages, `feeder_id` is required instead of
    /// `customer_id`).
    specs: Vec<ColumnSpec>,
    missing_optional: Vec<String>,
    feeder_keyed: bool,
}

/// Checks a file's (canonical) columns against the contract; the error names the first required
/// column missing and the columns found.
fn match_contract(source: Source, path: &Path, found: &[String]) -> Result<ContractMatch> {
    // An outages export with feeder_id but no customer_id lists events per feeder.
    let feeder_keyed = source == Source::Outages && !found.iter().any(|c| c == "customer_id") && found.iter().any(|c| c == "feeder_id");
    let specs: Vec<ColumnSpec> = contract(source)
        .iter()
        .filter(|s| !(feeder_keyed && s.name == "customer_id"))
        .map(|s| ColumnSpec { required: s.required || (feeder_keyed && s.name == "feeder_id"), ..*s })
        .collect();
    let mut missing_optional = Vec::new();
    for spec in &specs {
        if !found.iter().any(|c| c == spec.name) {
            if spec.required {
                return Err(Error::Export {
                    path: path.to_path_buf(),
                    message: format!(
                        "the {source} export has no column \"{}\" (required); columns found: {}",
                        spec.name,
                        if found.is_empty() { "none".to_string() } else { found.join(", ") }
                    ),
                });
            }
            missing_optional.push(spec.name.to_string());
        }
    }
    Ok(ContractMatch { specs, missing_optional, feeder_keyed })
}

/// An export seen without reading its rows: its columns and the range of its dates.
#[derive(Debug, Clone)]
pub struct Peek {
    pub source: Source,
    pub path: PathBuf,
    pub format: &'static str,
    /// The columns a run would have after the window: the file's (canonical names; for the customers
    /// export also its attributes) and the derived ones.
    pub columns: Vec<String>,
    pub missing_optional_columns: Vec<String>,
    pub feeder_keyed: bool,
    /// Earliest and newest date of the export's dating column that parse and are not after today (a
    /// run rejects those; rows are not checked otherwise); `None` without such a column or values.
    pub dates: Option<(NaiveDate, NaiveDate)>,
}

/// Reads an export's header (every file of a pattern) and its dating column only: what
/// `run --dry-run` needs to know which features the run could compute.
pub fn peek(source: Source, path: &Path, settings: &ExportSettings) -> Result<Peek> {
    let files = expand(path);
    let first = files.first().ok_or_else(|| Error::NotFound(format!("{} matches no file", path.display())))?;
    let raw = read::file_columns(first, settings)?;
    let found = read::canonical_names(first, source, settings, &raw)?;
    let m = match_contract(source, first, &found)?;
    let mut columns: Vec<String> = found.clone();
    columns.extend(
        derived_columns(source).iter().filter(|d| d.needs.iter().all(|n| found.iter().any(|c| c == n))).map(|d| d.name.to_string()),
    );
    let mut dates: Option<(i32, i32)> = None;
    let today = epoch_days(chrono::Utc::now().date_naive());
    for f in &files {
        let raw = read::file_columns(f, settings)?;
        let canonical = read::canonical_names(f, source, settings, &raw)?;
        if canonical != found {
            return Err(Error::Export { path: f.clone(), message: format!("its columns differ from those of {}", first.display()) });
        }
        match date_column(source).and_then(|date| canonical.iter().position(|c| c == date)) {
            Some(i) => {
                let kind = contract(source).iter().find(|c| c.name == canonical[i]).map_or(Kind::Date, |c| c.kind);
                for d in read::date_values(f, source, settings, &raw[i], kind)?.into_iter().filter(|d| *d <= today) {
                    dates = Some(dates.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
                }
            }
            // As a run would: the whole file in its declared encoding.
            None => read::check_encoding(f, source, settings)?,
        }
    }
    let day = |d: i32| NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|e| e.checked_add_signed(chrono::Duration::days(d as i64)));
    Ok(Peek {
        source,
        path: path.to_path_buf(),
        format: read::format_of(first, settings),
        columns,
        missing_optional_columns: m.missing_optional,
        feeder_keyed: m.feeder_keyed,
        dates: dates.and_then(|(lo, hi)| Some((day(lo)?, day(hi)?))),
    })
}

/// Reads and parses one export (no window applied yet). A path whose file name is a pattern reads
/// every matching file, in name order, as one export (duplicates are looked for within each file).
pub fn load(source: Source, path: &Path, settings: &ExportSettings) -> Result<Export> {
    if !is_pattern(path) {
        return load_file(source, path, settings);
    }
    let files = expand(path);
    let mut parts = files.iter().map(|f| load_file(source, f, settings));
    let mut first = parts.next().ok_or_else(|| Error::NotFound(format!("{} matches no file", path.display())))??;
    for part in parts {
        let part = part?;
        if part.frame.schema() != first.frame.schema() {
            return Err(Error::Export {
                path: part.path.clone(),
                message: format!("its columns differ from those of {}", first.path.display()),
            });
        }
        first.frame.vstack_mut(&part.frame).map_err(|e| Error::polars("joining export files", e))?;
        let (a, b) = (&mut first.stats, &part.stats);
        a.rows_read += b.rows_read;
        a.rows_accepted += b.rows_accepted;
        a.rows_rejected += b.rows_rejected;
        a.rows_duplicate += b.rows_duplicate;
        for (k, v) in &b.reject_reasons {
            *a.reject_reasons.entry(k.clone()).or_default() += v;
        }
        first.rejects.extend(part.rejects);
    }
    first.frame.rechunk_mut();
    first.stats.path = format!("{} ({} files)", path.display(), files.len());
    first.path = path.to_path_buf();
    Ok(first)
}

fn load_file(source: Source, path: &Path, settings: &ExportSettings) -> Result<Export> {
    let specs = contract(source);
    let raw = read::read_frame(path, source, specs, settings)?;
    let format = read::format_of(path, settings).to_string();
    let rows_read = raw.frame.height();
    let found: Vec<String> = raw.frame.get_column_names().iter().map(|s| s.to_string()).collect();
    let ContractMatch { specs, missing_optional, feeder_keyed } = match_contract(source, path, &found)?;
    let specs = specs.as_slice();
    let first_line: u64 = if format == "csv" { 2 } else { 1 };
    let parsed = read::parse(source, path, raw, specs, settings, first_line)?;
    let mut stats = InputStats {
        path: path.display().to_string(),
        format,
        rows_read,
        rows_rejected: parsed.rejects.len(),
        missing_optional_columns: missing_optional,
        feeder_keyed,
        ..Default::default()
    };
    for r in &parsed.rejects {
        *stats.reject_reasons.entry(r.reason.clone()).or_default() += 1;
    }
    let mut frame = parsed.accepted;
    if stats.format == "parquet" {
        // CSV duplicates are found from line bytes while reading; a Parquet file has no lines, so its
        // exact duplicate rows are found on the parsed values.
        let dup = read::duplicate_rows(&frame).map_err(|e| Error::polars("finding duplicate rows", e))?;
        let duplicates = dup.iter().filter(|d| **d).count();
        if duplicates > 0 {
            let keep: BooleanChunked = dup.iter().map(|d| !d).collect();
            frame = frame.filter(&keep).map_err(|e| Error::polars("dropping duplicate rows", e))?;
        }
        stats.rows_duplicate += duplicates;
    }
    if source == Source::Customers {
        // One row per customer: later rows for the same id are duplicates.
        let before = frame.height();
        frame = frame
            .lazy()
            .unique_stable(Some(cols(["customer_id"])), UniqueKeepStrategy::First)
            .collect()
            .map_err(|e| Error::polars("dropping duplicate customers", e))?;
        stats.rows_duplicate += before - frame.height();
    }
    stats.rows_duplicate += parsed.duplicates;
    stats.rows_accepted = frame.height();
    let schema = frame.schema().clone();
    Ok(Export { source, path: path.to_path_buf(), frame, stats, rejects: parsed.rejects, schema, marked: None })
}

/// The newest bill date among accepted billing rows.
pub fn newest_bill(billing: &Export) -> Result<Option<NaiveDate>> {
    let max = billing
        .frame
        .column("bill_date")
        .and_then(|c| c.cast(&DataType::Int32))
        .and_then(|c| c.as_materialized_series().max::<i32>())
        .map_err(|e| Error::polars("finding the newest bill", e))?;
    Ok(max.map(|d| NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(d as i64)))
}

/// The predicate of rows inside the window.
fn in_window(source: Source, window: Window) -> Expr {
    match date_column(source) {
        Some(c) if source == Source::Billing => {
            col(c).gt(date_lit(window.start)).and(col(c).lt_eq(date_lit(window.as_of)))
        }
        Some(c) => col(c)
            .gt_eq(datetime_lit(window.start + chrono::Duration::days(1)))
            .and(col(c).lt(datetime_lit(window.as_of + chrono::Duration::days(1)))),
        None => lit(true),
    }
}

/// Keeps the rows inside the window, counts the others, and adds the derived columns features use.
/// (Materialized once here: polars aggregates a materialized frame faster than the fused plan.)
pub fn apply_window(export: &mut Export, window: Window) -> Result<()> {
    let lf = export.frame.clone().lazy().filter(in_window(export.source, window));
    let frame = derive(export.source, export.frame.schema(), lf, window)
        .collect()
        .map_err(|e| Error::polars(format!("windowing the {} export", export.source), e))?;
    export.stats.rows_outside_window = export.stats.rows_accepted - frame.height();
    export.stats.rows_accepted = frame.height();
    export.schema = frame.schema().clone();
    export.frame = frame;
    Ok(())
}

/// Like [`apply_window`], without copying the rows: the frame stays whole, the rows inside the window
/// are marked and the derived columns are left to be computed where they are used. For the billing
/// export, by far the largest: the copy of every bill inside the window was most of a run's memory.
pub fn mark_window(export: &mut Export, window: Window) -> Result<()> {
    let context = |e| Error::polars(format!("windowing the {} export", export.source), e);
    let predicate = in_window(export.source, window);
    let inside = export
        .frame
        .clone()
        .lazy()
        .select([predicate.clone().fill_null(lit(false)).alias("__in")])
        .collect()
        .map_err(context)?;
    let inside = inside.column("__in").map_err(context)?.bool().map_err(context)?.rechunk().into_owned();
    let kept = inside.sum().unwrap_or(0) as usize;
    let derived = derived_exprs(export.source, export.frame.schema(), window);
    let schema = export.frame.clone().lazy().with_columns(derived.clone()).collect_schema().map_err(context)?;
    export.stats.rows_outside_window = export.stats.rows_accepted - kept;
    export.stats.rows_accepted = kept;
    export.schema = schema;
    export.marked = Some(Marked { inside, predicate: predicate.fill_null(lit(false)), derived });
    Ok(())
}

/// The error of feeder-keyed outage events without a customers export that has `feeder_id`.
pub fn no_feeder_join(outages: &Path) -> Error {
    Error::Export {
        path: outages.to_path_buf(),
        message: "the outages export lists events by feeder_id: a customers export with a feeder_id column is \
                  needed to know which customers each event reached"
            .into(),
    }
}

/// Turns feeder-keyed outage events (inside the window) into one row per event and customer on the
/// feeder, through the customers export's feeder_id, and counts the events that reach no customer.
pub fn expand_feeder_events(outages: &mut Export, customers: Option<&Export>) -> Result<()> {
    if !outages.stats.feeder_keyed {
        return Ok(());
    }
    let Some(customers) = customers.filter(|c| c.has_column("feeder_id")) else {
        return Err(no_feeder_join(&outages.path));
    };
    let context = |e| Error::polars("joining outage events to customers by feeder", e);
    let events = outages.frame.clone().lazy().with_row_index("__event", None);
    let people = customers.frame.clone().lazy().select([col("customer_id"), col("feeder_id")]);
    let expanded = events
        .join(people, [col("feeder_id")], [col("feeder_id")], JoinArgs::new(JoinType::Inner))
        .sort(["__event", "customer_id"], Default::default())
        .collect()
        .map_err(context)?;
    let reached = expanded.column("__event").and_then(|c| c.n_unique()).map_err(context)?;
    outages.stats.events_without_customers = Some(outages.frame.height() - reached);
    outages.frame = expanded.drop("__event").map_err(context)?;
    outages.schema = outages.frame.schema().clone();
    Ok(())
}

/// Derived per-row columns (documented in profiles/README.md).
fn derive(source: Source, schema: &Schema, lf: LazyFrame, window: Window) -> LazyFrame {
    let exprs = derived_exprs(source, schema, window);
    if exprs.is_empty() {
        lf
    } else {
        lf.with_columns(exprs)
    }
}

/// The expressions of the derived columns of an export whose file has the columns of `schema`: every
/// column of [`derived_columns`] whose contract columns are there, in that table's order.
fn derived_exprs(source: Source, schema: &Schema, window: Window) -> Vec<Expr> {
    derived_columns(source)
        .iter()
        .filter(|d| d.needs.iter().all(|c| schema.contains(c)))
        .map(|d| derived_expr(source, d.name, schema, window).alias(d.name))
        .collect()
}

/// The expression of one derived column (its contract columns are present).
fn derived_expr(source: Source, name: &str, schema: &Schema, window: Window) -> Expr {
    // Dates as day numbers: integer differences, many times faster in polars than Date − Date
    // durations converted back to days.
    let day = |c: &str| col(c).cast(DataType::Int32);
    let as_of = || lit(epoch_days(window.as_of));
    let days_late = || {
        let settled = coalesce(&[day("paid_date"), as_of()]);
        let days = (settled - day("due_date")).cast(DataType::Float64);
        when(days.clone().lt(lit(0.0))).then(lit(0.0)).otherwise(days)
    };
    let minutes = || (col("outage_end") - col("outage_start")).dt().total_seconds(false).cast(DataType::Float64) / lit(60.0);
    match (source, name) {
        (Source::Billing, "month") => col("bill_date").dt().month().cast(DataType::Int64),
        (Source::Billing, "days_late") => days_late(),
        (Source::Billing, "late") => days_late().gt(lit(0.0)),
        (Source::Billing, "arrears_60") => {
            let overdue = as_of() - day("due_date");
            let owed = if schema.contains("amount_paid") {
                col("amount_due") - col("amount_paid").fill_null(lit(0.0))
            } else {
                col("amount_due")
            };
            let owed = when(owed.clone().lt(lit(0.0))).then(lit(0.0)).otherwise(owed);
            when(col("paid_date").is_null().and(overdue.gt(lit(60)))).then(owed).otherwise(lit(0.0))
        }
        (Source::Billing, "unpaid") => col("paid_date").is_null(),
        (Source::Outages, "month") => col("outage_start").dt().month().cast(DataType::Int64),
        (Source::Outages, "minutes") => minutes(),
        (Source::Outages, "long") => minutes().gt_eq(lit(240.0)),
        (Source::Outages, "momentary") => minutes().lt(lit(5.0)),
        (Source::Tickets, "month") => col("opened_at").dt().month().cast(DataType::Int64),
        (Source::Tickets, "hours_to_close") => {
            (col("closed_at") - col("opened_at")).dt().total_seconds(false).cast(DataType::Float64) / lit(3600.0)
        }
        _ => unreachable!("{source}.{name} is not in the table of derived columns"),
    }
}

/// Default end of the window when neither `--as-of` nor data give one.
pub fn window_for(billing: &Export, as_of: Option<NaiveDate>, months: u32) -> Result<Window> {
    let as_of = match as_of {
        Some(d) => d,
        None => newest_bill(billing)?.ok_or_else(|| {
            Error::Data(format!(
                "{}: no usable bill (every row was rejected or the file has no rows)",
                billing.path.display()
            ))
        })?,
    };
    Ok(Window::ending(as_of, months))
}

/// The exports of a run, by source.
pub type Exports = BTreeMap<Source, Export>;

/// Reads every export the paths name, in contract order; `progress` hears of each one read.
pub fn load_all(paths: &ExportPaths, settings: &ExportsSettings, progress: impl Fn(&Export) + Sync) -> Result<Exports> {
    // Billing on one thread, the other exports on another (unless one thread is all there is): their
    // single-threaded parts (reading the file, finding repeated lines, checks) overlap. Errors are
    // reported in export order.
    let load_one = |source: Source| -> Option<Result<Export>> {
        let p = paths.get(source)?;
        Some(load(source, p, settings.get(source)).inspect(|e| progress(e)))
    };
    let rest = [Source::Outages, Source::Tickets, Source::Customers];
    let (billing, others) = if rayon::current_num_threads() > 1 {
        std::thread::scope(|scope| {
            let others = scope.spawn(|| rest.map(|s| (s, load_one(s))));
            let billing = load_one(Source::Billing);
            (billing, others.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    } else {
        (load_one(Source::Billing), rest.map(|s| (s, load_one(s))))
    };
    let mut exports: Exports = BTreeMap::new();
    for (source, loaded) in std::iter::once((Source::Billing, billing)).chain(others) {
        if let Some(e) = loaded {
            exports.insert(source, e?);
        }
    }
    Ok(exports)
}

/// The quality gate on rejected rows: the first export that rejects a larger share of its rows than
/// its limit (`exports.<export>.max_reject_share`, else `max_reject_share`) stops the run.
pub fn check_rejects(exports: &Exports, settings: &ExportsSettings, max_reject_share: f64) -> Result<()> {
    for e in exports.values() {
        let s = &e.stats;
        let (max_share, key) = match settings.get(e.source).max_reject_share {
            Some(m) => (m, format!("exports.{}.max_reject_share", e.source)),
            None => (max_reject_share, "quality.max_reject_share".to_string()),
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
            return Err(Error::Data(format!(
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

/// The window for the exports (newest bill or `as_of`), applied to each: billing marked (no copy of
/// every bill), the others filtered; feeder-keyed outage events expanded to the customers they reach.
/// `mark_billing = false` filters billing too.
pub fn window_exports(exports: &mut Exports, as_of: Option<NaiveDate>, months: u32, mark_billing: bool) -> Result<Window> {
    let billing = exports.get(&Source::Billing).ok_or_else(|| Error::NotFound("the billing export is required".into()))?;
    let window = window_for(billing, as_of, months)?;
    for e in exports.values_mut() {
        if e.source == Source::Billing && mark_billing {
            mark_window(e, window)?;
        } else {
            apply_window(e, window)?;
        }
    }
    if let Some(mut outages) = exports.remove(&Source::Outages) {
        let result = expand_feeder_events(&mut outages, exports.get(&Source::Customers));
        exports.insert(Source::Outages, outages);
        result?;
    }
    Ok(window)
}

/// Row accounting per export, by export name.
pub fn input_stats(exports: &Exports) -> BTreeMap<String, InputStats> {
    exports.iter().map(|(s, e)| (s.as_str().to_string(), e.stats.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_columns_follow_the_table_whatever_columns_the_file_has() {
        let window = Window::ending(NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(), 12);
        for source in Source::ALL {
            // Every subset of the contract's columns (up to 8 of them: 256 schemas).
            let specs = contract(source);
            for mask in 0u32..(1 << specs.len()) {
                let schema: Schema = specs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, c)| {
                        let dtype = match c.kind {
                            Kind::Id | Kind::Text => DataType::String,
                            Kind::Number => DataType::Float64,
                            Kind::Date => DataType::Date,
                            Kind::DateTime => DataType::Datetime(TimeUnit::Milliseconds, None),
                        };
                        Field::new(c.name.into(), dtype)
                    })
                    .collect();
                // The expressions type-check on the parsed columns, and add exactly these columns.
                let out = DataFrame::empty_with_schema(&schema)
                    .lazy()
                    .with_columns(derived_exprs(source, &schema, window))
                    .collect_schema()
                    .unwrap();
                let names: Vec<String> = out.iter_names().skip(schema.len()).map(|n| n.to_string()).collect();
                let expected: Vec<&str> =
                    derived_columns(source).iter().filter(|d| d.needs.iter().all(|c| schema.contains(c))).map(|d| d.name).collect();
                assert_eq!(names, expected, "{source} with mask {mask:b}");
            }
        }
    }
}

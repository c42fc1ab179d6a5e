//! Stage 1, ingest: finds the exports, reads them into polars frames, checks them against the canonical
//! export contract, parses every value, rejects the rows that cannot be used (with line, column, value
//! and reason), keeps the analysis window, and derives the per-row columns features aggregate.
//!
//! Row accounting: for every export `rows_read = rows_accepted + rows_rejected + rows_duplicate +
//! rows_outside_window`.

mod contract;
mod read;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use contract::{contract, ColumnSpec, Kind};

use crate::error::{Error, Result};
use crate::profile::{ExportSettings, ExportsSettings, Source};

/// Where each export is read from. Only billing is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportPaths {
    pub billing: Option<PathBuf>,
    pub outages: Option<PathBuf>,
    pub tickets: Option<PathBuf>,
    pub customers: Option<PathBuf>,
}

impl ExportPaths {
    pub fn get(&self, source: Source) -> Option<&PathBuf> {
        match source {
            Source::Billing => self.billing.as_ref(),
            Source::Outages => self.outages.as_ref(),
            Source::Tickets => self.tickets.as_ref(),
            Source::Customers => self.customers.as_ref(),
        }
    }

    fn slot(&mut self, source: Source) -> &mut Option<PathBuf> {
        match source {
            Source::Billing => &mut self.billing,
            Source::Outages => &mut self.outages,
            Source::Tickets => &mut self.tickets,
            Source::Customers => &mut self.customers,
        }
    }

    /// Fills every export not named explicitly from the profile's `exports.<export>.file` (inside
    /// `DIR`), or else `DIR/<export>.csv` or `DIR/<export>.parquet`.
    pub fn locate(data_dir: Option<&Path>, explicit: ExportPaths, settings: &ExportsSettings) -> Result<ExportPaths> {
        let mut paths = explicit;
        for source in Source::ALL {
            if paths.get(source).is_none() {
                if let Some(file) = &settings.get(source).file {
                    let p = match data_dir {
                        Some(d) => d.join(file),
                        None => PathBuf::from(file),
                    };
                    if expand(&p).is_empty() {
                        return Err(Error::Usage(format!(
                            "the {source} export {} (exports.{source}.file in the profile) matches no file",
                            p.display()
                        )));
                    }
                    *paths.slot(source) = Some(p);
                }
            }
            if let Some(p) = paths.get(source) {
                if expand(p).is_empty() {
                    return Err(Error::Usage(format!(
                        "the {source} export {} does not exist or is not a file",
                        p.display()
                    )));
                }
                continue;
            }
            let Some(dir) = data_dir else { continue };
            let found: Vec<PathBuf> = ["csv", "parquet"]
                .iter()
                .map(|ext| dir.join(format!("{}.{ext}", source.as_str())))
                .filter(|p| p.is_file())
                .collect();
            match found.len() {
                0 => {}
                1 => *paths.slot(source) = found.into_iter().next(),
                _ => {
                    return Err(Error::Usage(format!(
                        "{} holds both {source}.csv and {source}.parquet: keep one, or name it with --{source}",
                        dir.display()
                    )))
                }
            }
        }
        if paths.billing.is_none() {
            let where_ = match data_dir {
                Some(d) => format!("{}/billing.csv or {}/billing.parquet not found", d.display(), d.display()),
                None => "no --data folder and no --billing file given".to_string(),
            };
            return Err(Error::Usage(format!("the billing export is required: {where_}")));
        }
        Ok(paths)
    }
}

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

/// Whether a path's file name is a pattern (`*` any characters, `?` one).
fn is_pattern(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(['*', '?']))
}

fn matches(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => matches(&pattern[1..], name) || (!name.is_empty() && matches(pattern, &name[1..])),
        (Some('?'), Some(_)) => matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// The files a path names: itself if it is a file, or the files its file-name pattern matches, in
/// name order.
pub fn expand(path: &Path) -> Vec<PathBuf> {
    if !is_pattern(path) {
        return if path.is_file() { vec![path.to_path_buf()] } else { Vec::new() };
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let pattern: Vec<char> = path.file_name().and_then(|n| n.to_str()).unwrap_or("").chars().collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    let name: Vec<char> = p.file_name().and_then(|n| n.to_str()).unwrap_or("").chars().collect();
                    matches(&pattern, &name)
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Reads and parses one export (no window applied yet). A path whose file name is a pattern reads
/// every matching file, in name order, as one export (duplicates are looked for within each file).
pub fn load(source: Source, path: &Path, settings: &ExportSettings) -> Result<Export> {
    if !is_pattern(path) {
        return load_file(source, path, settings);
    }
    let files = expand(path);
    let mut parts = files.iter().map(|f| load_file(source, f, settings));
    let mut first = parts.next().ok_or_else(|| Error::Usage(format!("{} matches no file", path.display())))??;
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
    // An outages export with feeder_id but no customer_id lists events per feeder.
    let feeder_keyed = source == Source::Outages
        && !found.iter().any(|c| c == "customer_id")
        && found.iter().any(|c| c == "feeder_id");
    let specs: Vec<ColumnSpec> = specs
        .iter()
        .filter(|s| !(feeder_keyed && s.name == "customer_id"))
        .map(|s| ColumnSpec { required: s.required || (feeder_keyed && s.name == "feeder_id"), ..*s })
        .collect();
    let specs = specs.as_slice();
    let mut missing_optional = Vec::new();
    for spec in specs {
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

/// The column that dates each row of an export, if any.
pub fn date_column(source: Source) -> Option<&'static str> {
    match source {
        Source::Billing => Some("bill_date"),
        Source::Outages => Some("outage_start"),
        Source::Tickets => Some("opened_at"),
        Source::Customers => None,
    }
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
    let frame = derive(export.source, &export.frame.schema(), lf, window)
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
    let derived = derived_columns(export.source, &export.frame.schema(), window);
    let schema = export.frame.clone().lazy().with_columns(derived.clone()).collect_schema().map_err(context)?;
    export.stats.rows_outside_window = export.stats.rows_accepted - kept;
    export.stats.rows_accepted = kept;
    export.schema = schema;
    export.marked = Some(Marked { inside, predicate: predicate.fill_null(lit(false)), derived });
    Ok(())
}

/// Turns feeder-keyed outage events (inside the window) into one row per event and customer on the
/// feeder, through the customers export's feeder_id, and counts the events that reach no customer.
pub fn expand_feeder_events(outages: &mut Export, customers: Option<&Export>) -> Result<()> {
    if !outages.stats.feeder_keyed {
        return Ok(());
    }
    let Some(customers) = customers.filter(|c| c.has_column("feeder_id")) else {
        return Err(Error::Export {
            path: outages.path.clone(),
            message: "the outages export lists events by feeder_id: a customers export with a feeder_id column is \
                      needed to know which customers each event reached"
                .into(),
        });
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
    let exprs = derived_columns(source, schema, window);
    if exprs.is_empty() {
        lf
    } else {
        lf.with_columns(exprs)
    }
}

/// The expressions of the derived columns of an export.
fn derived_columns(source: Source, schema: &Schema, window: Window) -> Vec<Expr> {
    let has = |c: &str| schema.contains(c);
    let mut exprs: Vec<Expr> = Vec::new();
    match source {
        Source::Billing => {
            exprs.push(col("bill_date").dt().month().cast(DataType::Int64).alias("month"));
            if has("due_date") && has("paid_date") {
                // Dates as day numbers: integer differences, many times faster in polars than Date −
                // Date durations converted back to days.
                let day = |c: &str| col(c).cast(DataType::Int32);
                let as_of = lit(epoch_days(window.as_of));
                let settled = coalesce(&[day("paid_date"), as_of.clone()]);
                let days = (settled - day("due_date")).cast(DataType::Float64);
                let days = when(days.clone().lt(lit(0.0))).then(lit(0.0)).otherwise(days);
                exprs.push(days.clone().alias("days_late"));
                exprs.push(days.gt(lit(0.0)).alias("late"));
                let overdue = as_of - day("due_date");
                let owed = if has("amount_paid") {
                    col("amount_due") - col("amount_paid").fill_null(lit(0.0))
                } else {
                    col("amount_due")
                };
                let owed = when(owed.clone().lt(lit(0.0))).then(lit(0.0)).otherwise(owed);
                exprs.push(
                    when(col("paid_date").is_null().and(overdue.gt(lit(60))))
                        .then(owed)
                        .otherwise(lit(0.0))
                        .alias("arrears_60"),
                );
            }
            if has("paid_date") {
                exprs.push(col("paid_date").is_null().alias("unpaid"));
            }
        }
        Source::Outages => {
            exprs.push(col("outage_start").dt().month().cast(DataType::Int64).alias("month"));
            let minutes = (col("outage_end") - col("outage_start")).dt().total_seconds(false).cast(DataType::Float64)
                / lit(60.0);
            exprs.push(minutes.clone().alias("minutes"));
            exprs.push(minutes.clone().gt_eq(lit(240.0)).alias("long"));
            exprs.push(minutes.lt(lit(5.0)).alias("momentary"));
        }
        Source::Tickets => {
            exprs.push(col("opened_at").dt().month().cast(DataType::Int64).alias("month"));
            if has("closed_at") {
                exprs.push(
                    ((col("closed_at") - col("opened_at")).dt().total_seconds(false).cast(DataType::Float64)
                        / lit(3600.0))
                    .alias("hours_to_close"),
                );
            }
        }
        Source::Customers => {}
    }
    exprs
}

/// Default end of the window when neither `--as-of` nor data give one.
pub fn window_for(billing: &Export, as_of: Option<NaiveDate>, months: u32) -> Result<Window> {
    let as_of = match as_of {
        Some(d) => d,
        None => newest_bill(billing)?.ok_or_else(|| {
            Error::DataQuality(format!(
                "{}: no usable bill (every row was rejected or the file has no rows)",
                billing.path.display()
            ))
        })?,
    };
    Ok(Window::ending(as_of, months))
}

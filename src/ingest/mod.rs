//! Stage 1, ingest: finds the exports, checks their columns against the canonical export contract,
//! and streams their rows in bounded batches: every value parsed by the declared formats, the rows
//! that cannot be used rejected (with file, line, column, value and reason), exact duplicates dropped,
//! the analysis window kept, each row keyed to its customer. The rows themselves are never all held:
//! each batch is handed to a [`Sink`] (the features stage folds it) and dropped. Memory is the
//! customers' keys plus a few batches ([`csv::CHUNK_BYTES`] per CSV chunk, [`scan::PARQUET_BATCH_ROWS`]
//! per Parquet batch), whatever the number of rows per customer.
//!
//! Row accounting: for every export `rows_read = rows_accepted + rows_rejected + rows_duplicate +
//! rows_outside_window`.

mod batch;
mod contract;
pub mod csv;
mod dedupe;
mod derived;
mod error;
mod keys;
mod layout;
mod paths;
pub mod scan;
pub mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

pub use batch::{Batch, Layout, Texts, Values, NO_DAY, NO_MS};
pub use contract::{contract, date_column, derived_columns, derived_from, feature_columns, ColumnSpec, DerivedColumn, Kind, Source};
pub use derived::{month_of_day, Derived, Val};
pub use error::{Error, Result};
pub use keys::{hash_bytes, Keys};
pub use layout::{Encoding, ExportSettings, ExportsSettings, FileFormat};
pub use paths::{expand, ExportPaths};
pub use values::ValueFormats;

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

/// Days since 1970-01-01.
pub fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32
}

/// The date of a day since 1970-01-01.
pub fn day_date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid") + chrono::Duration::days(day as i64)
}

impl Window {
    /// The window in milliseconds since 1970-01-01: a row dated `ms` (a bill's day at midnight) is
    /// inside when `first <= ms < end`, after the day `start` and no later than the end of `as_of`.
    fn ms(&self) -> (i64, i64) {
        ((epoch_days(self.start) as i64 + 1) * 86_400_000, (epoch_days(self.as_of) as i64 + 1) * 86_400_000)
    }
}

/// One export as read: where it is, its row accounting and rejects, and what `validate` reports.
pub struct Export {
    pub source: Source,
    pub path: PathBuf,
    pub stats: InputStats,
    pub rejects: Vec<Reject>,
    /// The columns it offers features: the file's (canonical names, and the customers export's
    /// attributes) and the derived ones.
    pub columns: Vec<String>,
    /// Per column (in the file's order), the rows (accepted, in the window) with no value.
    pub empty: Vec<(String, usize)>,
    /// Earliest and latest day of the dating column among those rows.
    pub dates: Option<(NaiveDate, NaiveDate)>,
}

impl Export {
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }
}

/// The exports of a run, by source.
pub type Exports = BTreeMap<Source, Export>;

/// An export's files (one, or those its pattern matches) and the layout they share.
pub struct Opened {
    pub source: Source,
    /// As the command line or profile gave it.
    pub path: PathBuf,
    pub files: Vec<PathBuf>,
    pub layout: Layout,
    pub format: &'static str,
}

impl Opened {
    /// The columns the export offers features (as [`Export::columns`]).
    pub fn columns(&self) -> Vec<String> {
        let mut columns = self.layout.names.clone();
        columns.extend(
            derived_columns(self.source)
                .iter()
                .filter(|d| d.needs.iter().all(|n| self.layout.names.iter().any(|c| c == n)))
                .map(|d| d.name.to_string()),
        );
        columns
    }
}

/// Opens an export: each file's columns read (a CSV header, a Parquet schema) and matched to the
/// contract. The files of a pattern must have the same columns.
pub fn open(source: Source, path: &Path, settings: &ExportSettings) -> Result<Opened> {
    let files = expand(path);
    let first = files.first().ok_or_else(|| Error::NotFound(format!("{} matches no file", path.display())))?;
    let layout = scan::layout(first, source, settings)?;
    for f in &files[1..] {
        if scan::layout(f, source, settings)?.names != layout.names {
            return Err(Error::Export { path: f.clone(), message: format!("its columns differ from those of {}", first.display()) });
        }
    }
    Ok(Opened { source, path: path.to_path_buf(), format: scan::format_of(first, settings), files, layout })
}

/// Opens every export the paths name (layouts only; no row is read).
pub fn open_all(paths: &ExportPaths, settings: &ExportsSettings) -> Result<BTreeMap<Source, Opened>> {
    let mut opened = BTreeMap::new();
    for source in Source::ALL {
        if let Some(p) = paths.get(source) {
            opened.insert(source, open(source, p, settings.get(source))?);
        }
    }
    Ok(opened)
}

/// The earliest and the latest of some dates.
pub type DateRange = (NaiveDate, NaiveDate);

/// The first pass over an export's files: the earliest and newest date of its dating column that
/// parse and are not after today (rows are not checked otherwise: only that column is parsed), and
/// each file's duplicate filter, which the same pass fills. For billing, the newest date ends the
/// window (unless `--as-of`).
pub fn first_pass(opened: &Opened, settings: &ExportSettings) -> Result<(Option<DateRange>, Vec<dedupe::Duplicates>)> {
    let date = date_column(opened.source).and_then(|c| opened.layout.spec(c));
    let mut range: Option<(i32, i32)> = None;
    let mut dups = Vec::new();
    for f in &opened.files {
        let pass = scan::first_pass(f, &opened.layout, settings, date)?;
        if let Some((a, b)) = pass.dates {
            range = Some(range.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
        dups.push(pass.duplicates);
    }
    Ok((range.map(|(a, b)| (day_date(a), day_date(b))), dups))
}

/// What folds the rows as they are read: the features stage.
pub trait Sink {
    /// The rows `rows` of `batch` (accepted, not duplicates, inside the window) of `source`, each
    /// with the code of its key: its customer in [`Ingested::customers`], or for feeder-keyed outages
    /// its feeder in [`Ingested::feeders`].
    fn fold(&mut self, source: Source, layout: &Layout, batch: &Batch, rows: &[u32], codes: &[u32], window: Option<Window>);
    /// Forgets what was folded of `source`: the billing export is read again when its newest
    /// accepted bill is not the newest bill the first pass found (that one was rejected).
    fn restart(&mut self, source: Source);
    /// `source` is about to be folded and about `keys` keys are known: room for them can be made at
    /// once (rather than by doubling).
    fn reserve(&mut self, _source: Source, _keys: usize) {}
}

/// Everything read: the exports' accounting, the customers and feeders, the window.
pub struct Ingested {
    pub exports: Exports,
    pub customers: Keys,
    /// Feeders named by the customers export (`feeder_id`), and each customer's feeder (`u32::MAX`:
    /// none).
    pub feeders: Keys,
    pub feeder_of: Vec<u32>,
    /// The analysis window; `None` when no bill was accepted.
    pub window: Option<Window>,
}

impl Ingested {
    /// The window, or the error of a billing export without a usable bill.
    pub fn window(&self) -> Result<Window> {
        self.window.ok_or_else(|| {
            let path = self.exports.get(&Source::Billing).map_or(String::new(), |e| e.path.display().to_string());
            Error::Data(format!("{path}: no usable bill (every row was rejected or the file has no rows)"))
        })
    }

    /// Frees the customer and feeder key tables (once the features hold the ids they need): after it,
    /// no key can be looked up and [`Ingested::counts`] counts nothing.
    pub fn release_keys(&mut self) {
        self.customers = Keys::default();
        self.feeders = Keys::default();
        self.feeder_of = Vec::new();
    }

    /// Billed customers (customer codes seen in billing), sorted by id.
    pub fn billed(&self) -> Vec<u32> {
        let mut billed: Vec<u32> = (0..self.customers.len() as u32).filter(|&c| self.customers.seen(c, Source::Billing)).collect();
        // Keys are distinct, so the order does not depend on the sort's (or the threads') order.
        use rayon::slice::ParallelSliceMut;
        billed.par_sort_unstable_by(|&a, &b| self.customers.key(a).cmp(self.customers.key(b)));
        billed
    }
}

/// Reads every export, folding its rows into `sink`: the customers export first (it names each
/// customer's feeder), then billing (whose newest bill, or `as_of`, ends the window), outages, tickets.
/// `progress` hears of each export read.
pub fn read_all(
    opened: &BTreeMap<Source, Opened>,
    settings: &ExportsSettings,
    as_of: Option<NaiveDate>,
    months: u32,
    sink: &mut dyn Sink,
    progress: &dyn Fn(&Export),
) -> Result<Ingested> {
    // The chunk buffers kept for the next chunks are freed once reading is done, however it ends.
    struct ReleaseBuffers;
    impl Drop for ReleaseBuffers {
        fn drop(&mut self) {
            csv::release_buffers();
        }
    }
    let _release = ReleaseBuffers;
    let mut state = Ingested { exports: BTreeMap::new(), customers: Keys::default(), feeders: Keys::default(), feeder_of: Vec::new(), window: None };
    if let Some(o) = opened.get(&Source::Customers) {
        let e = read_export(o, settings.get(Source::Customers), None, None, &mut state, sink)?;

        progress(&e);
        state.exports.insert(Source::Customers, e);
    }
    if let Some(o) = opened.get(&Source::Outages) {
        if o.layout.feeder_keyed && opened.get(&Source::Customers).is_none_or(|c| c.layout.spec("feeder_id").is_none()) {
            return Err(no_feeder_join(&o.path));
        }
    }
    let billing = opened.get(&Source::Billing).ok_or_else(|| Error::NotFound("the billing export is required".into()))?;
    let bsettings = settings.get(Source::Billing);
    let (range, dups) = first_pass(billing, bsettings)?;
    let newest = range.map(|(_, newest)| newest);
    let mut window = as_of.or(newest).map(|d| Window::ending(d, months));
    let mut dups = Some(dups);
    let billing_export = loop {
        let e = read_export(billing, bsettings, window, dups.take(), &mut state, sink)?;
        let accepted = e.dates.map(|(_, newest)| newest);
        match (as_of, accepted, window) {
            // The newest bill found first was rejected: the window ends at the newest accepted one.
            (None, Some(newest), Some(w)) if newest != w.as_of => {
                sink.restart(Source::Billing);
                state.customers.forget(Source::Billing);
                window = Some(Window::ending(newest, months));
            }
            _ => break e,
        }
    };
    progress(&billing_export);
    state.exports.insert(Source::Billing, billing_export);
    state.window = window.filter(|_| state.exports[&Source::Billing].stats.rows_accepted > 0 || as_of.is_some());
    for source in [Source::Outages, Source::Tickets] {
        if let Some(o) = opened.get(&source) {
            let e = read_export(o, settings.get(source), state.window.or(window), None, &mut state, sink)?;
            progress(&e);
            state.exports.insert(source, e);
        }
    }
    Ok(state)
}

/// Reads one export's files, in name order, folding the rows that count. `window`: `None` for the
/// customers export (not dated). `dups`: each file's duplicate filter, when a first pass made it.
fn read_export(
    o: &Opened,
    settings: &ExportSettings,
    window: Option<Window>,
    dups: Option<Vec<dedupe::Duplicates>>,
    state: &mut Ingested,
    sink: &mut dyn Sink,
) -> Result<Export> {
    let source = o.source;
    let layout = &o.layout;
    let mut stats = InputStats {
        path: if o.files.len() > 1 { format!("{} ({} files)", o.path.display(), o.files.len()) } else { o.path.display().to_string() },
        format: o.format.to_string(),
        missing_optional_columns: layout.missing_optional.clone(),
        feeder_keyed: layout.feeder_keyed,
        ..Default::default()
    };
    let mut rejects = Vec::new();
    let mut empty: Vec<usize> = vec![0; layout.names.len()];
    let mut dates: Option<(i32, i32)> = None;
    let mut without_customers = 0usize;
    let mut feeders_hit: Vec<bool> = Vec::new();
    let date_spec = date_column(source).and_then(|c| layout.spec(c));
    let window_ms = window.map(|w| w.ms());
    let feeder_spec = layout.spec("feeder_id");
    let mut dups = dups.map(|d| d.into_iter());
    let keys = if layout.feeder_keyed {
        state.feeders.len()
    } else if source == Source::Customers {
        // A row per customer: the customer table and every accumulator sized once, not grown.
        let rows: usize = o.files.iter().map(|f| scan::estimated_rows(f, settings)).sum();
        state.customers.reserve(rows, rows * 10);
        rows
    } else {
        state.customers.len()
    };
    sink.reserve(source, keys);
    // Each batch's folded rows and their keys (reused from batch to batch).
    let (mut rows, mut codes): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    for file in &o.files {
        // The customers export needs no duplicate filter: a later row of a customer id is a duplicate
        // whatever else it holds.
        let mut file_dups = match dups.as_mut().and_then(|d| d.next()) {
            Some(d) => d,
            None if source == Source::Customers => dedupe::Duplicates::none(),
            None => scan::first_pass(file, layout, settings, None)?.duplicates,
        };
        scan::for_each_batch(file, layout, settings, &file_dups.suspect_set(), |parsed| {
            stats.rows_read += parsed.rows_read;
            stats.rows_rejected += parsed.rejects.len();
            for r in &parsed.rejects {
                *stats.reject_reasons.entry(r.reason.clone()).or_default() += 1;
            }
            rejects.append(&mut parsed.rejects);
            let batch = &parsed.batch;
            let mut suspect_bytes = batch.suspect_bytes.iter().peekable();
            rows.clear();
            codes.clear();
            let mut last: Option<(u64, u32)> = None;
            for i in 0..batch.len {
                let bytes = match suspect_bytes.peek() {
                    Some((row, _)) if *row as usize == i => suspect_bytes.next().map(|(_, b)| b.as_slice()),
                    _ => None,
                };
                if file_dups.repeats(batch.row_hash[i], bytes) {
                    stats.rows_duplicate += 1;
                    continue;
                }
                if let (Some((first, end)), Some(si)) = (window_ms, date_spec) {
                    let inside = batch.column(si).and_then(|c| c.ms(i)).is_some_and(|ms| ms >= first && ms < end);
                    if !inside {
                        stats.rows_outside_window += 1;
                        continue;
                    }
                }
                let key = batch.key(layout, i);
                let hash = batch.key_hash[i];
                let code = if layout.feeder_keyed {
                    match state.feeders.find(key, hash) {
                        Some(f) => {
                            if feeders_hit.len() <= f as usize {
                                feeders_hit.resize(f as usize + 1, false);
                            }
                            feeders_hit[f as usize] = true;
                            Some(f)
                        }
                        None => {
                            without_customers += 1;
                            None
                        }
                    }
                } else {
                    // Consecutive rows of one customer need one lookup.
                    let code = match last {
                        Some((h, c)) if source != Source::Customers && h == hash && state.customers.is(c, key) => c,
                        // Exports sorted by customer, as the customers export is: the next one.
                        Some((_, c)) if source != Source::Customers => state.customers.code_after(c, key, hash, source),
                        _ => {
                            let first = source == Source::Customers && state.customers.find(key, hash).is_none_or(|c| !state.customers.seen(c, Source::Customers));
                            let c = state.customers.code(key, hash, source);
                            if source == Source::Customers && !first {
                                // A later row of a customer already read.
                                stats.rows_duplicate += 1;
                                continue;
                            }
                            c
                        }
                    };
                    last = Some((hash, code));
                    Some(code)
                };
                stats.rows_accepted += 1;
                // What validate reports: empty values, dates.
                for si in 0..layout.specs.len() {
                    if let Some(c) = batch.column(si) {
                        let missing = match c {
                            Values::Number(v) => v[i].is_nan(),
                            Values::Day(v) => v[i] == NO_DAY,
                            Values::Ms(v) => v[i] == NO_MS,
                            Values::Text(t) => t.get(i).is_empty(),
                        };
                        if missing {
                            empty[layout.column_of[si].unwrap_or(0)] += 1;
                        }
                    }
                }
                for (ai, (_, fi)) in layout.attributes.iter().enumerate() {
                    if batch.attributes[ai].get(i).is_empty() {
                        empty[*fi] += 1;
                    }
                }
                if let Some(d) = date_spec.and_then(|si| batch.column(si)).and_then(|c| c.day(i)) {
                    dates = Some(dates.map_or((d, d), |(a, b)| (a.min(d), b.max(d))));
                }
                if source == Source::Customers {
                    if let (Some(code), Some(fi)) = (code, feeder_spec) {
                        if let Some(feeder) = batch.column(fi).and_then(|c| c.text(i)) {
                            let f = state.feeders.code(feeder, hash_bytes(feeder.as_bytes()), Source::Customers);
                            if state.feeder_of.len() <= code as usize {
                                state.feeder_of.resize(code as usize + 1, u32::MAX);
                            }
                            state.feeder_of[code as usize] = f;
                        }
                    }
                }
                if let Some(code) = code {
                    rows.push(i as u32);
                    codes.push(code);
                }
            }
            sink.fold(source, layout, batch, &rows, &codes, window);
            Ok(())
        })?;
    }
    if layout.feeder_keyed {
        stats.events_without_customers = Some(without_customers);
        // The customers an event reached are those on its feeder.
        for code in 0..state.feeder_of.len() as u32 {
            let f = state.feeder_of[code as usize];
            if f != u32::MAX && feeders_hit.get(f as usize).copied().unwrap_or(false) {
                state.customers.mark(code, Source::Outages);
            }
        }
    }
    stats.customers = (0..state.customers.len() as u32).filter(|&c| state.customers.seen(c, source)).count();
    let columns = o.columns();
    Ok(Export {
        source,
        path: o.path.clone(),
        stats,
        rejects,
        columns,
        empty: empty.into_iter().enumerate().filter(|(_, n)| *n > 0).map(|(fi, n)| (layout.names[fi].clone(), n)).collect(),
        dates: dates.map(|(a, b)| (day_date(a), day_date(b))),
    })
}

/// Row accounting per export, by export name.
pub fn input_stats(exports: &Exports) -> BTreeMap<String, InputStats> {
    exports.iter().map(|(s, e)| (s.as_str().to_string(), e.stats.clone())).collect()
}

/// Customers counted across exports: each export's distinct customers, those without a bill, and the
/// billed customers the customers export does not know.
#[derive(Debug, Clone, Default)]
pub struct CustomerCounts {
    /// Per export other than billing: customers with rows but no bill in the window (left out).
    pub without_bills: BTreeMap<String, usize>,
    /// Billed customers the customers export does not know (None without a customers export).
    pub billed_not_in_customers: Option<usize>,
}

impl Ingested {
    pub fn counts(&self) -> CustomerCounts {
        let keys = &self.customers;
        let billed = |c: u32| keys.seen(c, Source::Billing);
        let mut counts = CustomerCounts::default();
        for source in self.exports.keys().filter(|s| **s != Source::Billing) {
            let n = (0..keys.len() as u32).filter(|&c| keys.seen(c, *source) && !billed(c)).count();
            counts.without_bills.insert(source.as_str().to_string(), n);
        }
        if self.exports.contains_key(&Source::Customers) {
            counts.billed_not_in_customers = Some((0..keys.len() as u32).filter(|&c| billed(c) && !keys.seen(c, Source::Customers)).count());
        }
        counts
    }
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
            let hint = reasons.first().and_then(|(top, _)| reason_hint(e, top, settings.get(e.source))).map(|h| format!(" {h}")).unwrap_or_default();
            return Err(Error::Data(format!(
                "{}: {} of {} rows rejected ({:.1}%, more than {key} = {:.1}%); top reasons: {}; for example {}.{hint} \
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

/// Date formats an export may be written in, tried on rejected values only to suggest a declaration
/// (never to read a value).
const COMMON_DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%d-%m-%Y", "%m-%d-%Y", "%Y年%m月%d日"];

/// What fixes `top`, the most common rejection of `e`, when the profile can: dates or numbers written
/// another way than declared.
fn reason_hint(e: &Export, top: &str, settings: &ExportSettings) -> Option<String> {
    let at = format!("[exports.{}]", e.source);
    let values: Vec<&str> = e.rejects.iter().filter(|r| r.reason == top).map(|r| r.value.trim()).filter(|v| !v.is_empty()).take(50).collect();
    match top {
        values::NOT_A_DATE | values::NOT_A_DATETIME => {
            let (key, declared, defaults) = if top == values::NOT_A_DATE {
                ("date_formats", &settings.date_formats, "%Y-%m-%d")
            } else {
                ("datetime_formats", &settings.datetime_formats, "%Y-%m-%d %H:%M:%S, %Y-%m-%dT%H:%M:%S, or a date alone")
            };
            let declared = if declared.is_empty() { format!("the default, {defaults}") } else { declared.join(", ") };
            // For a date-time column, a format fits when the value's date part reads by it.
            let date_part = |v: &str| v.split([' ', 'T']).next().unwrap_or(v).to_string();
            let fits: Vec<&str> = COMMON_DATE_FORMATS
                .iter()
                .copied()
                .filter(|f| !values.is_empty() && values.iter().all(|v| NaiveDate::parse_from_str(&date_part(v), f).is_ok()))
                .collect();
            let suggestion = match fits.as_slice() {
                [] => format!("declare the export's format with {key} under {at} (chrono codes such as %d/%m/%Y)"),
                [one] => format!("the rejected values read as {one}: if that is the export's format, declare it with {key} = [\"{one}\"] under {at}"),
                many => format!(
                    "the rejected values read as any of {}, which give different dates: declare the one the export uses with {key} under {at}",
                    many.join(" or ")
                ),
            };
            Some(format!("Dates are read only by the declared formats ({declared}); {suggestion}."))
        }
        values::NOT_A_NUMBER if values.iter().any(|v| v.contains(',')) => Some(format!(
            "Numbers are read with the declared separators (decimal \"{}\", thousands {}); values such as \"{}\" need decimal = \",\" or thousands = \",\" under {at}.",
            settings.decimal.as_deref().unwrap_or("."),
            settings.thousands.as_deref().map_or("none".to_string(), |t| format!("\"{t}\"")),
            values.iter().find(|v| v.contains(',')).copied().unwrap_or_default()
        )),
        _ => None,
    }
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


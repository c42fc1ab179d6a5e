//! Reading an export file in batches: CSV in chunks of records, Parquet by row groups. Each batch is
//! parsed and checked ([`super::batch`]) on a worker thread, then handed, in file order, to the caller,
//! which drops duplicates, keeps the window and folds the rows. Two passes per file: the first
//! ([`first_pass`]) finds the rows that may repeat and the newest date; the second ([`fold_file`])
//! folds.

use std::borrow::Cow;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use super::batch::{reject, Batch, Cell, Layout, RowBuilder, SpareBatches};
use super::csv::{for_each_record, for_each_record_fields, nth_field, Chunk, CsvReader};
use super::dedupe::{Duplicates, RowFilter, Suspects};
use super::keys::hash_bytes;
use super::values::{Parsed, ValueFormats};
use super::{Error, ExportSettings, Reject, Result, Source};

/// Chunks (or row groups) parsed at once: a few per thread, so that the threads stay busy.
fn group_size() -> usize {
    (rayon::current_num_threads() * 2).max(2)
}

/// Rows a Parquet batch holds at most (a row group larger than this is read in slices).
pub const PARQUET_BATCH_ROWS: usize = 1 << 19;

thread_local! {
    static PARQUET_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(PARQUET_BATCH_ROWS) };
}

thread_local! {
    static CELL_BY_CELL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with Parquet files read on this thread cell by cell, typed columns included (tests: what
/// reading typed values in place must agree with).
pub fn cell_by_cell<T>(f: impl FnOnce() -> T) -> T {
    let before = CELL_BY_CELL.with(|c| c.replace(true));
    let out = f();
    CELL_BY_CELL.with(|c| c.set(before));
    out
}

/// Parquet rows read in place so far, by every reader of the process (tests: that a typed file is).
static IN_PLACE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn rows_read_in_place() -> u64 {
    IN_PLACE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs `f` with Parquet files read on this thread in batches of `rows` (tests).
pub fn with_parquet_rows<T>(rows: usize, f: impl FnOnce() -> T) -> T {
    let before = PARQUET_ROWS.with(|c| c.replace(rows.max(1)));
    let out = f();
    PARQUET_ROWS.with(|c| c.set(before));
    out
}

fn export_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Export { path: path.to_path_buf(), message: message.into() }
}

/// `csv` or `parquet`: the profile's `format`, else the file's extension.
pub fn format_of(path: &Path, settings: &ExportSettings) -> &'static str {
    match settings.format {
        Some(super::FileFormat::Csv) => return "csv",
        Some(super::FileFormat::Parquet) => return "parquet",
        None => {}
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("parquet") | Some("pq") => "parquet",
        _ => "csv",
    }
}

/// polars' Parquet reader, with a panic inside it turned into an error naming the file (a corrupt
/// file has made polars' decoders assert; see the closing note of the issue that added this).
///
/// While such a read runs, panics are not printed by the default hook: the error says what failed, and a
/// raw "thread 'polars-1' panicked at …" on stderr would read as a crash. (Panics are silenced process
/// wide, as polars' worker threads are not ours; a panic elsewhere still ends the process with 101.)
fn parquet<T>(path: &Path, what: impl FnOnce() -> PolarsResult<T>) -> Result<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CONTAINED: AtomicUsize = AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CONTAINED.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
    CONTAINED.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(what));
    CONTAINED.fetch_sub(1, Ordering::SeqCst);
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(export_error(path, format!("cannot read as Parquet: {}", e.to_string().lines().next().unwrap_or("")))),
        Err(panic) => {
            let why = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("");
            Err(export_error(path, format!("cannot read as Parquet: the file is damaged (the Parquet reader failed: {why})")))
        }
    }
}

fn parquet_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))
}

/// The columns a file names, as written in it: a CSV file's header, a Parquet file's schema.
pub fn file_columns(path: &Path, source: Source, settings: &ExportSettings) -> Result<Vec<String>> {
    if format_of(path, settings) == "parquet" {
        let file = parquet_file(path)?;
        let schema = parquet(path, || ParquetReader::new(file).schema())?;
        return Ok(schema.iter_names().map(|n| n.to_string()).collect());
    }
    Ok(CsvReader::open(path, settings.delimiter_byte(), settings.encoding, source.as_str())?.header)
}

fn clean_header(name: &str) -> &str {
    name.trim_start_matches('\u{feff}').trim()
}

/// The canonical name of each column a file names: the profile's column mapping applied, byte-order
/// marks and padding removed (spreadsheet exports add both). A mapped header the file lacks is an error
/// naming it.
pub fn canonical_names(path: &Path, source: Source, settings: &ExportSettings, names: &[String]) -> Result<Vec<String>> {
    for (canonical, header) in &settings.columns {
        if !names.iter().any(|n| clean_header(n) == header) {
            return Err(export_error(
                path,
                format!(
                    "the {source} export has no column \"{header}\" (mapped to {canonical} by exports.{source}.columns); columns found: {}",
                    names.iter().map(|n| clean_header(n)).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(names
        .iter()
        .map(|n| {
            let clean = clean_header(n);
            settings.columns.iter().find(|(_, h)| h.as_str() == clean).map_or(clean, |(c, _)| c.as_str()).to_string()
        })
        .collect())
}

/// A file's layout: its columns read and matched to the contract.
pub fn layout(path: &Path, source: Source, settings: &ExportSettings) -> Result<Layout> {
    let raw = file_columns(path, source, settings)?;
    let names = canonical_names(path, source, settings, &raw)?;
    Layout::new(source, path, names)
}

/// What the first pass learns of a file.
pub struct FirstPass {
    pub duplicates: Duplicates,
    /// The earliest and newest day (days since 1970-01-01, not after today) of the column asked for
    /// that parse.
    pub dates: Option<(i32, i32)>,
}

/// The first pass over a file: every row hashed into the duplicate filter, and (`newest_of`) the
/// newest date of a column found. Cheap: no other value is parsed.
pub fn first_pass(path: &Path, layout: &Layout, settings: &ExportSettings, newest_of: Option<usize>) -> Result<FirstPass> {
    let today = super::epoch_days(chrono::Utc::now().date_naive());
    let formats = ValueFormats::new(settings);
    let source = layout.source;
    let date_kind = newest_of.map(|si| layout.specs[si].kind);
    let date_field = newest_of.and_then(|si| layout.column_of[si]);
    let day_of = |text: &str| -> Option<i32> {
        let d = match date_kind? {
            super::Kind::Date => match formats.date(text) {
                Parsed::Value(d) => d,
                _ => return None,
            },
            _ => match formats.datetime(text) {
                Parsed::Value(ms) => ms.div_euclid(86_400_000) as i32,
                _ => return None,
            },
        };
        (d <= today).then_some(d)
    };
    let mut newest: Option<(i32, i32)> = None;
    let widen = |r: Option<(i32, i32)>, d: i32| Some(r.map_or((d, d), |(a, b)| (a.min(d), b.max(d))));
    if format_of(path, settings) == "parquet" {
        let mut filter = RowFilter::new(parquet_rows(path)?);
        for_each_parquet_batch(path, |df| {
            let columns = parquet_columns(df, layout);
            let views: Vec<View<'_>> = columns.iter().map(ParquetColumn::view).collect();
            filter.add(&[all_row_hashes(&views, df.height())]);
            if let Some(fi) = date_field {
                let mut see = |d: i32| {
                    if d <= today && d > i32::MIN {
                        newest = widen(newest, d);
                    }
                };
                match views[fi] {
                    // Typed dates: the values in place (a missing value's slot is skipped).
                    View::Day(a) => a.iter().flatten().copied().for_each(&mut see),
                    View::Ms(a) => a.iter().flatten().copied().for_each(|ms| see(ms.div_euclid(86_400_000) as i32)),
                    View::Text(a) => a.iter().flatten().filter_map(&day_of).for_each(&mut see),
                    _ => {}
                }
            }
            Ok(())
        })?;
        return Ok(FirstPass { duplicates: Duplicates::new(filter.into_suspects()), dates: newest });
    }
    let reader = CsvReader::open(path, settings.delimiter_byte(), settings.encoding, source.as_str())?;
    let size = std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
    let mut filter: Option<RowFilter> = None;
    let (terminator, delimiter) = (reader.terminator, reader.delimiter);
    // The chunks' hash buffers, once added to the filter, for the next chunks.
    let spare_hashes = std::sync::Mutex::new(Vec::<Vec<u64>>::new());
    csv_groups(reader, |group| {
        // Per chunk: its rows' hashes, its dates' range, its bytes.
        type ChunkPass = (Vec<u64>, Option<(i32, i32)>, usize);
        let results: Vec<Result<ChunkPass>> = group
            .par_iter()
            .map(|chunk| {
                let text = chunk.text()?;
                let mut hashes = spare_hashes.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
                hashes.reserve(chunk.raw.len() / 64);
                let mut newest: Option<(i32, i32)> = None;
                match date_field {
                    Some(fi) => {
                        let mut scratch = Vec::new();
                        for_each_record(&text, chunk.first_line, terminator, delimiter, |_, record| {
                            hashes.push(hash_bytes(record.as_bytes()));
                            if let Some(d) = nth_field(record, delimiter, fi, &mut scratch).and_then(|f| day_of(&f)) {
                                newest = widen(newest, d);
                            }
                        })
                    }
                    None => for_each_record(&text, chunk.first_line, terminator, delimiter, |_, record| hashes.push(hash_bytes(record.as_bytes()))),
                }
                Ok((hashes, newest, chunk.raw.len()))
            })
            .collect();
        let results = results.into_iter().collect::<Result<Vec<_>>>()?;
        let filter = filter.get_or_insert_with(|| {
            // Sized from the first chunks' bytes per row.
            let (rows, bytes): (usize, usize) = results.iter().fold((0, 0), |(r, b), (h, _, n)| (r + h.len(), b + n));
            RowFilter::new(if bytes == 0 { rows } else { (size as f64 / bytes as f64 * rows as f64 * 1.1) as usize })
        });
        let mut hashes = Vec::with_capacity(results.len());
        for (h, n, _) in results {
            hashes.push(h);
            if let Some((a, b)) = n {
                newest = widen(widen(newest, a), b);
            }
        }
        filter.add(&hashes);
        if let Ok(mut spare) = spare_hashes.lock() {
            spare.extend(hashes.into_iter().map(|mut h| {
                h.clear();
                h
            }));
        }
        Ok(())
    })?;
    let duplicates = filter.map_or_else(Duplicates::none, |f| Duplicates::new(f.into_suspects()));
    Ok(FirstPass { duplicates, dates: newest })
}

/// Reads a CSV file's chunks on a thread of their own (reading and cutting records is sequential) and
/// hands them to `each` in groups, in file order, while the next ones are read.
fn csv_groups(mut reader: CsvReader, mut each: impl FnMut(Vec<Chunk>) -> Result<()>) -> Result<()> {
    let group = group_size();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Chunk>>(group);
        scope.spawn(move || loop {
            match reader.next_chunk() {
                Ok(Some(c)) => {
                    if tx.send(Ok(c)).is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        });
        loop {
            let mut chunks = Vec::with_capacity(group);
            while chunks.len() < group {
                match rx.recv() {
                    Ok(c) => chunks.push(c?),
                    Err(_) => break,
                }
            }
            if chunks.is_empty() {
                return Ok(());
            }
            each(chunks)?;
        }
    })
}

/// A parsed batch and the rows of its piece that were rejected.
pub struct Parsed2 {
    pub batch: Batch,
    pub rejects: Vec<Reject>,
    pub rows_read: usize,
}

/// Parses the records of one CSV chunk.
fn parse_chunk(chunk: &Chunk, reader: (super::csv::Terminator, u8), builder: &RowBuilder<'_>, dups: &Suspects, file: &str, spare: &SpareBatches) -> Result<Parsed2> {
    let text = chunk.text()?;
    let layout = builder.layout;
    let width = layout.names.len();
    let (terminator, delimiter) = reader;
    let mut batch = spare.take(layout, chunk.raw.len() / 64);
    let mut rejects = Vec::new();
    let mut rows_read = 0;
    let quotes = memchr::memchr(b'"', text.as_bytes()).is_some();
    for_each_record_fields(&text, chunk.first_line, terminator, delimiter, |line, record, fields| {
        rows_read += 1;
        if record.is_empty() {
            rejects.push(reject(file, line, ("blank line".into(), String::new(), String::new())));
            return;
        }
        if fields.len() != width {
            let (column, value) = if fields.len() > width {
                (format!("(field {})", width + 1), fields[width].text(record).into_owned())
            } else {
                (layout.names[fields.len()].clone(), String::new())
            };
            let reason = format!("{} fields where the header has {width}", fields.len());
            rejects.push(reject(file, line, (reason, column, value)));
            return;
        }
        if let Some(fi) = fields.iter().position(|f| f.stray_quote).filter(|_| quotes) {
            let value = record[fields[fi].start..fields[fi].end].to_string();
            rejects.push(reject(file, line, ("stray quote (\")".into(), layout.names[fi].clone(), value)));
            return;
        }
        let hash = if dups.is_empty() { 0 } else { hash_bytes(record.as_bytes()) };
        let suspect = || dups.contains(hash).then(|| record.as_bytes().to_vec());
        let pushed = if !quotes || !fields.iter().any(|f| f.quoted) {
            // Every value is the record's text as it stands.
            let text = |fi: usize| &record[fields[fi].start..fields[fi].end];
            builder.push_text(&mut batch, |si| text(layout.column_of[si].unwrap_or(0)), |ai| text(layout.attributes[ai].1), hash, suspect)
        } else {
            builder.push(
                &mut batch,
                |si| Cell::Text(fields[layout.column_of[si].unwrap_or(0)].text(record)),
                |ai| fields[layout.attributes[ai].1].text(record),
                hash,
                suspect,
            )
        };
        if let Err(why) = pushed {
            rejects.push(reject(file, line, why));
        }
    });
    Ok(Parsed2 { batch, rejects, rows_read })
}

/// Reads a file's accepted rows in batches, in file order, calling `each` with every batch (which
/// may take its rejects; the batch itself is reused once `each` returns). `dups` marks which rows'
/// bytes to keep for the caller's duplicate check.
pub fn for_each_batch(
    path: &Path,
    layout: &Layout,
    settings: &ExportSettings,
    dups: &Suspects,
    mut each: impl FnMut(&mut Parsed2) -> Result<()>,
) -> Result<()> {
    let builder = RowBuilder::new(layout, ValueFormats::new(settings));
    let file = path.display().to_string();
    // Batches in memory at once: a group of chunks (or a Parquet batch's pieces) being parsed and
    // the one handed over.
    let spare = SpareBatches::new(2 * group_size().max(PARQUET_BATCH_ROWS / PARQUET_PIECE_ROWS));
    let spare = &spare;
    let mut each = |mut p: Parsed2| -> Result<()> {
        each(&mut p)?;
        spare.put(p.batch);
        Ok(())
    };
    if format_of(path, settings) == "parquet" {
        let mut first_row: u64 = 1;
        // Each batch is parsed while the previous one is handed over (folding runs beside parsing).
        let mut pending: Option<Vec<Parsed2>> = None;
        let in_place = !CELL_BY_CELL.with(|c| c.get());
        for_each_parquet_batch(path, |df| {
            let (builder, file) = (&builder, &file);
            let (parsed, handed) = std::thread::scope(|scope| {
                let parsing = scope.spawn(move || parse_parquet_batch(df, builder, dups, file, first_row, path, in_place, spare));
                let handed = pending.take().map_or(Ok(()), |p| p.into_iter().try_for_each(&mut each));
                (parsing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), handed)
            });
            handed?;
            pending = Some(parsed?);
            first_row += df.height() as u64;
            Ok(())
        })?;
        return pending.map_or(Ok(()), |p| p.into_iter().try_for_each(&mut each));
    }
    let reader = CsvReader::open(path, settings.delimiter_byte(), settings.encoding, layout.source.as_str())?;
    let shape = (reader.terminator, reader.delimiter);
    // Each group is parsed while the previous one is handed over (folding runs beside parsing).
    let mut pending: Option<Vec<Parsed2>> = None;
    csv_groups(reader, |group| {
        let (builder, file) = (&builder, &file);
        let (parsed, handed) = std::thread::scope(|scope| {
            let parsing = scope.spawn(move || group.par_iter().map(|c| parse_chunk(c, shape, builder, dups, file, spare)).collect::<Result<Vec<Parsed2>>>());
            let handed = pending.take().map_or(Ok(()), |p| p.into_iter().try_for_each(&mut each));
            (parsing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), handed)
        });
        handed?;
        pending = Some(parsed?);
        Ok(())
    })?;
    pending.map_or(Ok(()), |p| p.into_iter().try_for_each(&mut each))
}

/// Rows in a Parquet file, from its metadata.
/// About how many rows a file has, to size tables before reading it: a Parquet file's count, a CSV
/// file's size over the bytes per line of its first MiB (only a hint: nothing depends on it but
/// how often a table grows).
pub fn estimated_rows(path: &Path, settings: &ExportSettings) -> usize {
    if format_of(path, settings) == "parquet" {
        return parquet_rows(path).unwrap_or(0);
    }
    let Ok(file) = std::fs::File::open(path) else { return 0 };
    let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut start = Vec::with_capacity(1 << 20);
    if std::io::Read::read_to_end(&mut std::io::Read::take(file, 1 << 20), &mut start).is_err() || start.is_empty() {
        return 0;
    }
    let lines = memchr::memchr_iter(b'\n', &start).count().max(1);
    (size as f64 / start.len() as f64 * lines as f64 * 1.02) as usize
}

fn parquet_rows(path: &Path) -> Result<usize> {
    let file = parquet_file(path)?;
    parquet(path, || ParquetReader::new(file).num_rows())
}

/// Calls `each` with consecutive slices of a Parquet file (at most [`PARQUET_BATCH_ROWS`] rows).
fn for_each_parquet_batch(path: &Path, mut each: impl FnMut(&DataFrame) -> Result<()>) -> Result<()> {
    let file = parquet_file(path)?;
    let mut reader = ParquetReader::new(file);
    let metadata = parquet(path, || reader.get_metadata().cloned())?;
    let total = metadata.num_rows;
    let mut offset = 0;
    while offset < total {
        let len = PARQUET_ROWS.with(|c| c.get()).min(total - offset);
        let file = parquet_file(path)?;
        let md = metadata.clone();
        let df = parquet(path, || {
            let mut r = ParquetReader::new(file);
            r.set_metadata(md);
            r.with_slice(Some((offset, len))).finish()
        })?;
        if df.height() != len {
            return Err(export_error(path, format!("cannot read as Parquet: {} rows read of {len} at row {}", df.height(), offset + 1)));
        }
        // A damaged file can decode to columns shorter than the batch (found by the fuzz test).
        if let Some(c) = df.columns().iter().find(|c| c.len() != len) {
            return Err(export_error(
                path,
                format!("cannot read as Parquet: the file is damaged (column \"{}\" has {} values for {len} rows at row {})", c.name(), c.len(), offset + 1),
            ));
        }
        each(&df)?;
        offset += len;
    }
    Ok(())
}

/// One Parquet column, cast once to the form rows are read in.
enum ParquetColumn {
    Text(StringChunked),
    Number(Float64Chunked),
    Day(Int32Chunked),
    Ms(Int64Chunked),
    Bool(BooleanChunked),
    /// A column whose type no row could use (reported per row).
    Unusable(String),
}

impl ParquetColumn {
    /// The column as its values are read: `as_text` for text and id columns (integer ids become
    /// their digits), else by its type.
    fn new(s: &Series, as_text: bool) -> ParquetColumn {
        // One chunk: a slice across row groups comes in many, and finding row i among n chunks costs
        // O(n) per value (a batch of small row groups then reads in quadratic time).
        let s = &s.rechunk();
        let dtype = s.dtype().clone();
        let text = || match s.cast(&DataType::String) {
            Ok(t) => ParquetColumn::Text(t.str().expect("cast to text").clone()),
            Err(e) => ParquetColumn::Unusable(e.to_string()),
        };
        if as_text && dtype != DataType::Boolean {
            return text();
        }
        match &dtype {
            DataType::String => text(),
            DataType::Boolean => s.bool().map(|c| ParquetColumn::Bool(c.clone())).unwrap_or_else(|e| ParquetColumn::Unusable(e.to_string())),
            DataType::Date => match s.date() {
                Ok(d) => ParquetColumn::Day(d.physical().clone()),
                Err(e) => ParquetColumn::Unusable(e.to_string()),
            },
            DataType::Datetime(unit, _) => {
                let per_ms: i64 = match unit {
                    TimeUnit::Nanoseconds => 1_000_000,
                    TimeUnit::Microseconds => 1_000,
                    TimeUnit::Milliseconds => 1,
                };
                match s.datetime() {
                    Ok(d) => ParquetColumn::Ms(d.physical().apply_values(|v| v.div_euclid(per_ms))),
                    Err(e) => ParquetColumn::Unusable(e.to_string()),
                }
            }
            dt if dt.is_primitive_numeric() || dt.is_decimal() => match s.cast(&DataType::Float64) {
                Ok(f) => ParquetColumn::Number(f.f64().expect("cast to f64").clone()),
                Err(_) => ParquetColumn::Unusable(format!("type {dt}")),
            },
            _ => text(),
        }
    }

    /// The column's one chunk, to read rows in place.
    fn view(&self) -> View<'_> {
        match self {
            ParquetColumn::Text(c) => View::Text(c.downcast_as_array()),
            ParquetColumn::Number(c) => View::Number(c.downcast_as_array()),
            ParquetColumn::Day(c) => View::Day(c.downcast_as_array()),
            ParquetColumn::Ms(c) => View::Ms(c.downcast_as_array()),
            ParquetColumn::Bool(c) => View::Bool(c.downcast_as_array()),
            ParquetColumn::Unusable(_) => View::Unusable,
        }
    }

    fn unusable(&self) -> Option<&str> {
        if let ParquetColumn::Unusable(why) = self {
            Some(why)
        } else {
            None
        }
    }
}

// The arrays of one chunk of each kind of column.
type TextArray = <StringType as PolarsDataType>::Array;
type NumberArray = <Float64Type as PolarsDataType>::Array;
type DayArray = <Int32Type as PolarsDataType>::Array;
type MsArray = <Int64Type as PolarsDataType>::Array;
type BoolArray = <BooleanType as PolarsDataType>::Array;

/// A Parquet column's one chunk (columns are rechunked once per batch): row `i` is read in place,
/// without finding its chunk first (`ChunkedArray::get` does, for every value).
#[derive(Clone, Copy)]
enum View<'a> {
    Text(&'a TextArray),
    Number(&'a NumberArray),
    Day(&'a DayArray),
    Ms(&'a MsArray),
    Bool(&'a BoolArray),
    Unusable,
}

/// Mixes a value's hash into a row's ([`row_hashes`]).
fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

impl View<'_> {
    fn cell(&self, i: usize) -> Cell<'_> {
        match self {
            View::Text(a) => a.get(i).map_or(Cell::Null, |t| Cell::Text(Cow::Borrowed(t))),
            View::Number(a) => a.get(i).map_or(Cell::Null, Cell::Number),
            View::Day(a) => a.get(i).map_or(Cell::Null, Cell::Day),
            View::Ms(a) => a.get(i).map_or(Cell::Null, Cell::Ms),
            View::Bool(a) => a.get(i).map_or(Cell::Null, |b| Cell::Text(Cow::Borrowed(if b { "true" } else { "false" }))),
            View::Unusable => Cell::Null,
        }
    }

    /// Appends row `i`'s value to `buf` (tagged, so that different values never give equal bytes).
    fn write(&self, i: usize, buf: &mut Vec<u8>) {
        match self {
            View::Text(a) => match a.get(i) {
                Some(t) => {
                    buf.push(1);
                    buf.extend_from_slice(&(t.len() as u32).to_le_bytes());
                    buf.extend_from_slice(t.as_bytes());
                }
                None => buf.push(0),
            },
            View::Number(a) => match a.get(i) {
                Some(v) => {
                    buf.push(2);
                    buf.extend_from_slice(&v.to_bits().to_le_bytes());
                }
                None => buf.push(0),
            },
            View::Day(a) => match a.get(i) {
                Some(v) => {
                    buf.push(3);
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                None => buf.push(0),
            },
            View::Ms(a) => match a.get(i) {
                Some(v) => {
                    buf.push(4);
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                None => buf.push(0),
            },
            View::Bool(a) => buf.push(match a.get(i) {
                Some(true) => 5,
                Some(false) => 6,
                None => 0,
            }),
            View::Unusable => buf.push(7),
        }
    }

    /// Mixes each row's value of `rows` into `h` (one hash per row): equal values, equal hashes.
    fn mix_into(&self, rows: std::ops::Range<usize>, h: &mut [u64]) {
        // Tags keep a value of one type from hashing as another's (and a missing value as any).
        const NULL: u64 = 0x2545_F491_4F6C_DD1D;
        match self {
            View::Text(a) => rows.zip(h).for_each(|(i, h)| *h = mix(*h, a.get(i).map_or(NULL, |t| hash_bytes(t.as_bytes())))),
            View::Number(a) => rows.zip(h).for_each(|(i, h)| *h = mix(*h, a.get(i).map_or(NULL, |v| v.to_bits() ^ 2))),
            View::Day(a) => rows.zip(h).for_each(|(i, h)| *h = mix(*h, a.get(i).map_or(NULL, |v| ((v as u32 as u64) << 8) | 3))),
            View::Ms(a) => rows.zip(h).for_each(|(i, h)| *h = mix(*h, a.get(i).map_or(NULL, |v| (v as u64) ^ (4 << 60)))),
            View::Bool(a) => rows.zip(h).for_each(|(i, h)| *h = mix(*h, a.get(i).map_or(NULL, |b| 5 + b as u64))),
            View::Unusable => h.iter_mut().for_each(|h| *h = mix(*h, 7)),
        }
    }
}

/// The hash of each row of `rows`, column by column (what the duplicate filter keeps of a Parquet
/// row; the row's bytes, [`row_bytes`], are compared only where hashes repeat).
fn row_hashes(views: &[View<'_>], rows: std::ops::Range<usize>) -> Vec<u64> {
    let mut h = vec![0x9E37_79B9_7F4A_7C15u64; rows.len()];
    for v in views {
        v.mix_into(rows.clone(), &mut h);
    }
    for x in &mut h {
        *x ^= *x >> 29;
        *x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        *x ^= *x >> 32;
    }
    h
}

/// [`row_hashes`] of every row, in pieces on the pool's threads.
fn all_row_hashes(views: &[View<'_>], rows: usize) -> Vec<u64> {
    let pieces: Vec<Vec<u64>> = (0..rows).step_by(PARQUET_PIECE_ROWS).collect::<Vec<_>>().into_par_iter().map(|a| row_hashes(views, a..(a + PARQUET_PIECE_ROWS).min(rows))).collect();
    pieces.concat()
}

/// The columns of a Parquet batch as rows are read: text for the layout's text and id columns and
/// attributes, by type otherwise.
fn parquet_columns(df: &DataFrame, layout: &Layout) -> Vec<ParquetColumn> {
    df.columns()
        .iter()
        .enumerate()
        .map(|(fi, c)| {
            let as_text = layout.attributes.iter().any(|(_, a)| *a == fi)
                || layout.specs.iter().zip(&layout.column_of).any(|(s, c)| *c == Some(fi) && matches!(s.kind, super::Kind::Id | super::Kind::Text));
            ParquetColumn::new(c.as_materialized_series(), as_text)
        })
        .collect()
}

/// Every column's value of row `i`, as bytes: equal bytes, equal rows (duplicates).
fn row_bytes<'b>(columns: &[View<'_>], i: usize, buf: &'b mut Vec<u8>) -> &'b [u8] {
    buf.clear();
    for c in columns {
        c.write(i, buf);
    }
    buf
}

/// Parses one Parquet batch; rows are numbered from `first_row` (1 is the file's first row).
/// `in_place`: typed values are read in place where they can be (see [`parse_parquet_rows`]).
#[allow(clippy::too_many_arguments)]
fn parse_parquet_batch(
    df: &DataFrame,
    builder: &RowBuilder<'_>,
    dups: &Suspects,
    file: &str,
    first_row: u64,
    path: &Path,
    in_place: bool,
    spare: &SpareBatches,
) -> Result<Vec<Parsed2>> {
    let layout = builder.layout;
    let columns = parquet_columns(df, layout);
    // A contract column of a type that cannot hold its kind of value refuses the file (as a typed
    // column it would reject every row for one reason).
    for (si, spec) in layout.specs.iter().enumerate() {
        if let Some(fi) = layout.column_of[si] {
            let dtype = df.columns()[fi].dtype();
            let fits = match spec.kind {
                super::Kind::Id | super::Kind::Text => !matches!(dtype, DataType::Float32 | DataType::Float64),
                super::Kind::Number => dtype.is_primitive_numeric() || dtype.is_decimal() || dtype == &DataType::String,
                super::Kind::Date | super::Kind::DateTime => {
                    matches!(dtype, DataType::Date | DataType::Datetime(..) | DataType::String)
                }
            };
            if !fits || columns[fi].unusable().is_some() {
                return Err(export_error(path, format!("column \"{}\" has type {dtype}, expected {}", spec.name, spec.kind.describe())));
            }
        }
    }
    // Pieces of the batch parsed in parallel, handed over in file order (as CSV chunks are).
    let pieces: Vec<(usize, usize)> = (0..df.height()).step_by(PARQUET_PIECE_ROWS).map(|a| (a, (a + PARQUET_PIECE_ROWS).min(df.height()))).collect();
    Ok(pieces.into_par_iter().map(|(a, b)| parse_parquet_rows(&columns, a..b, builder, dups, file, first_row, in_place, spare)).collect())
}

/// Rows parsed together, per thread, within a Parquet batch.
const PARQUET_PIECE_ROWS: usize = 1 << 15;

/// How a contract column's typed values are taken as they are (see [`parse_parquet_rows`]).
#[derive(Clone, Copy)]
enum Direct<'a> {
    Text(&'a TextArray),
    Number(&'a NumberArray),
    /// A date column of dates, or of date-times (their day).
    Day(&'a DayArray),
    DayOfMs(&'a MsArray),
    /// A date-time column of date-times, or of dates (their midnight).
    Ms(&'a MsArray),
    MsOfDay(&'a DayArray),
}

impl Direct<'_> {
    /// The column's contract kind read from a view, when its values need no parsing.
    fn of<'a>(kind: super::Kind, view: View<'a>) -> Option<Direct<'a>> {
        use super::Kind;
        Some(match (kind, view) {
            (Kind::Id | Kind::Text, View::Text(a)) => Direct::Text(a),
            (Kind::Number, View::Number(a)) => Direct::Number(a),
            (Kind::Date, View::Day(a)) => Direct::Day(a),
            (Kind::Date, View::Ms(a)) => Direct::DayOfMs(a),
            (Kind::DateTime, View::Ms(a)) => Direct::Ms(a),
            (Kind::DateTime, View::Day(a)) => Direct::MsOfDay(a),
            _ => return None,
        })
    }
}

/// Parses rows `rows` of a Parquet batch's columns.
///
/// Typed columns (numbers, dates, date-times, and text for text columns) are read in place: a row
/// whose values all hold what [`RowBuilder::push`] would accept as they are (present where required,
/// finite, in range) goes through [`RowBuilder::push_typed`], which runs the row's own checks. Any
/// other row (and every row of a batch with a text column where a number or a date is expected) is
/// pushed cell by cell, which parses each value and says why a row is rejected.
#[allow(clippy::too_many_arguments)]
fn parse_parquet_rows(
    columns: &[ParquetColumn],
    rows: std::ops::Range<usize>,
    builder: &RowBuilder<'_>,
    dups: &Suspects,
    file: &str,
    first_row: u64,
    in_place: bool,
    spare: &SpareBatches,
) -> Parsed2 {
    use super::batch::{in_range_day, in_range_ms, Typed, MAX_COLUMNS};
    let layout = builder.layout;
    let views: Vec<View<'_>> = columns.iter().map(ParquetColumn::view).collect();
    let mut batch = spare.take(layout, rows.len());
    let mut rejects = Vec::new();
    let mut buf = Vec::new();
    let rows_read = rows.len();
    // Without suspects no row can be a duplicate: rows need no hash.
    let hashes = if dups.is_empty() { vec![0; rows.len()] } else { row_hashes(&views, rows.clone()) };
    // Per spec, how its values are taken in place (None: the file lacks the column); None for the
    // whole batch when one column's values need parsing, or an attribute is not text.
    let direct: Option<Vec<Option<Direct<'_>>>> = layout
        .specs
        .iter()
        .zip(&layout.column_of)
        .map(|(spec, c)| match c {
            Some(fi) => Direct::of(spec.kind, views[*fi]).map(Some),
            None => Some(None),
        })
        .collect();
    let text_attributes: Option<Vec<&TextArray>> =
        layout.attributes.iter().map(|(_, fi)| if let View::Text(a) = views[*fi] { Some(a) } else { None }).collect();
    let direct = direct.zip(text_attributes).filter(|_| in_place);
    let mut taken_in_place = 0u64;
    let ms_per_day = 86_400_000i64;
    for (i, hash) in rows.zip(hashes) {
        let suspect = |buf: &mut Vec<u8>| dups.contains(hash).then(|| row_bytes(&views, i, buf).to_vec());
        if let Some((specs, attributes)) = &direct {
            let mut typed = [Typed::Missing; MAX_COLUMNS];
            let mut texts: [&str; MAX_COLUMNS] = [""; MAX_COLUMNS];
            let mut taken = true;
            for (si, d) in specs.iter().enumerate() {
                let Some(d) = *d else { continue };
                let value = match d {
                    Direct::Text(a) => a.get(i).filter(|t| !t.is_empty()).map(|t| {
                        texts[si] = t;
                        Some(Typed::Text)
                    }),
                    Direct::Number(a) => a.get(i).map(|x| x.is_finite().then_some(Typed::Number(x))),
                    Direct::Day(a) => a.get(i).map(|d| in_range_day(d).then_some(Typed::Day(d))),
                    Direct::DayOfMs(a) => a.get(i).map(|m| in_range_ms(m).then(|| Typed::Day(m.div_euclid(ms_per_day) as i32))),
                    Direct::Ms(a) => a.get(i).map(|m| in_range_ms(m).then_some(Typed::Ms(m))),
                    Direct::MsOfDay(a) => a.get(i).map(|d| in_range_day(d).then(|| Typed::Ms(d as i64 * ms_per_day))),
                };
                match value {
                    Some(Some(v)) => typed[si] = v,
                    // Missing where allowed.
                    None if !layout.specs[si].required => {}
                    // Missing where required, or a value out of range: pushed cell by cell (rejected).
                    _ => {
                        taken = false;
                        break;
                    }
                }
            }
            if taken
                && builder.push_typed(&mut batch, &typed, |si| texts[si], |ai| Cow::Borrowed(attributes[ai].get(i).unwrap_or("")), hash, || suspect(&mut buf))
            {
                taken_in_place += 1;
                continue;
            }
        }
        let attribute = |ai: usize| match views[layout.attributes[ai].1].cell(i) {
            Cell::Text(t) => t,
            Cell::Number(v) => Cow::Owned(v.to_string()),
            Cell::Day(d) => Cow::Owned(d.to_string()),
            Cell::Ms(m) => Cow::Owned(m.to_string()),
            Cell::Null => Cow::Borrowed(""),
        };
        let pushed = builder.push(&mut batch, |si| views[layout.column_of[si].unwrap_or(0)].cell(i), attribute, hash, || suspect(&mut buf));
        if let Err(why) = pushed {
            rejects.push(reject(file, first_row + i as u64, why));
        }
    }
    IN_PLACE.fetch_add(taken_in_place, std::sync::atomic::Ordering::Relaxed);
    Parsed2 { batch, rejects, rows_read }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_files_rows_are_estimated_from_its_first_mib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.csv");
        // 100,000 lines of 21 to 27 bytes: more than the MiB the estimate reads.
        let mut text = String::from("customer_id,region\n");
        for i in 0..100_000 {
            text.push_str(&format!("C{i:07},{}\n", ["north", "south-east", "west"][i % 3]));
        }
        std::fs::write(&path, &text).unwrap();
        let estimate = estimated_rows(&path, &ExportSettings::default()) as f64;
        assert!((estimate / 100_001.0 - 1.0).abs() < 0.05, "{estimate}");
        // An empty file, and one that is not there: no rows to expect.
        std::fs::write(&path, "").unwrap();
        assert_eq!(estimated_rows(&path, &ExportSettings::default()), 0);
        assert_eq!(estimated_rows(&dir.path().join("none.csv"), &ExportSettings::default()), 0);
    }
}

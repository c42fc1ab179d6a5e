//! Reading an export file in batches: CSV in chunks of records, Parquet by row groups. Each batch is
//! parsed and checked ([`super::batch`]) on a worker thread, then handed, in file order, to the caller,
//! which drops duplicates, keeps the window and folds the rows. Two passes per file: the first
//! ([`first_pass`]) finds the rows that may repeat and the newest date; the second ([`fold_file`])
//! folds.

use std::borrow::Cow;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use super::batch::{reject, Batch, Cell, Layout, RowBuilder};
use super::csv::{for_each_record, for_each_record_fields, Chunk, CsvReader};
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
            let hashes: Vec<u64> = (0..df.height()).into_par_iter().map_init(Vec::new, |buf, i| hash_bytes(row_bytes(&columns, i, buf))).collect();
            filter.add(&[hashes]);
            if let Some(fi) = date_field {
                let column = &columns[fi];
                for i in 0..df.height() {
                    let d = match column.cell(i) {
                        Cell::Day(d) => Some(d),
                        Cell::Ms(ms) => Some(ms.div_euclid(86_400_000) as i32),
                        Cell::Text(t) => day_of(&t),
                        _ => None,
                    };
                    if let Some(d) = d.filter(|&d| d <= today && d > i32::MIN) {
                        newest = widen(newest, d);
                    }
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
    csv_groups(reader, |group| {
        // Per chunk: its rows' hashes, its dates' range, its bytes.
        type ChunkPass = (Vec<u64>, Option<(i32, i32)>, usize);
        let results: Vec<Result<ChunkPass>> = group
            .par_iter()
            .map(|chunk| {
                let text = chunk.text()?;
                let mut hashes = Vec::with_capacity(chunk.raw.len() / 64);
                let mut newest: Option<(i32, i32)> = None;
                match date_field {
                    Some(fi) => for_each_record_fields(&text, chunk.first_line, terminator, delimiter, |_, record, fields| {
                        hashes.push(hash_bytes(record.as_bytes()));
                        if let Some(d) = fields.get(fi).and_then(|f| day_of(&f.text(record))) {
                            newest = widen(newest, d);
                        }
                    }),
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
fn parse_chunk(chunk: &Chunk, reader: (super::csv::Terminator, u8), builder: &RowBuilder<'_>, dups: &Suspects, file: &str) -> Result<Parsed2> {
    let text = chunk.text()?;
    let layout = builder.layout;
    let width = layout.names.len();
    let (terminator, delimiter) = reader;
    let mut batch = Batch::with_capacity(layout, chunk.raw.len() / 64);
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
        let hash = hash_bytes(record.as_bytes());
        let pushed = builder.push(
            &mut batch,
            |si| Cell::Text(fields[layout.column_of[si].unwrap_or(0)].text(record)),
            |ai| fields[layout.attributes[ai].1].text(record),
            hash,
            || dups.contains(hash).then(|| record.as_bytes().to_vec()),
        );
        if let Err(why) = pushed {
            rejects.push(reject(file, line, why));
        }
    });
    Ok(Parsed2 { batch, rejects, rows_read })
}

/// Reads a file's accepted rows in batches, in file order, calling `each` with every batch.
/// `dups` marks which rows' bytes to keep for the caller's duplicate check.
pub fn for_each_batch(
    path: &Path,
    layout: &Layout,
    settings: &ExportSettings,
    dups: &Suspects,
    mut each: impl FnMut(Parsed2) -> Result<()>,
) -> Result<()> {
    let builder = RowBuilder::new(layout, ValueFormats::new(settings));
    let file = path.display().to_string();
    if format_of(path, settings) == "parquet" {
        let mut first_row: u64 = 1;
        // Each batch is parsed while the previous one is handed over (folding runs beside parsing).
        let mut pending: Option<Vec<Parsed2>> = None;
        for_each_parquet_batch(path, |df| {
            let (builder, file) = (&builder, &file);
            let (parsed, handed) = std::thread::scope(|scope| {
                let parsing = scope.spawn(move || parse_parquet_batch(df, builder, dups, file, first_row, path));
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
            let parsing = scope.spawn(move || group.par_iter().map(|c| parse_chunk(c, shape, builder, dups, file)).collect::<Result<Vec<Parsed2>>>());
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

    fn cell(&self, i: usize) -> Cell<'_> {
        match self {
            ParquetColumn::Text(c) => c.get(i).map_or(Cell::Null, |t| Cell::Text(Cow::Borrowed(t))),
            ParquetColumn::Number(c) => c.get(i).map_or(Cell::Null, Cell::Number),
            ParquetColumn::Day(c) => c.get(i).map_or(Cell::Null, Cell::Day),
            ParquetColumn::Ms(c) => c.get(i).map_or(Cell::Null, Cell::Ms),
            ParquetColumn::Bool(c) => c.get(i).map_or(Cell::Null, |b| Cell::Text(Cow::Borrowed(if b { "true" } else { "false" }))),
            ParquetColumn::Unusable(_) => Cell::Null,
        }
    }

    /// Appends row `i`'s value to `buf` (tagged, so that different values never give equal bytes).
    fn write(&self, i: usize, buf: &mut Vec<u8>) {
        match self {
            ParquetColumn::Text(c) => match c.get(i) {
                Some(t) => {
                    buf.push(1);
                    buf.extend_from_slice(&(t.len() as u32).to_le_bytes());
                    buf.extend_from_slice(t.as_bytes());
                }
                None => buf.push(0),
            },
            ParquetColumn::Number(c) => match c.get(i) {
                Some(v) => {
                    buf.push(2);
                    buf.extend_from_slice(&v.to_bits().to_le_bytes());
                }
                None => buf.push(0),
            },
            ParquetColumn::Day(c) => match c.get(i) {
                Some(v) => {
                    buf.push(3);
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                None => buf.push(0),
            },
            ParquetColumn::Ms(c) => match c.get(i) {
                Some(v) => {
                    buf.push(4);
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                None => buf.push(0),
            },
            ParquetColumn::Bool(c) => buf.push(match c.get(i) {
                Some(true) => 5,
                Some(false) => 6,
                None => 0,
            }),
            ParquetColumn::Unusable(_) => buf.push(7),
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
fn row_bytes<'b>(columns: &[ParquetColumn], i: usize, buf: &'b mut Vec<u8>) -> &'b [u8] {
    buf.clear();
    for c in columns {
        c.write(i, buf);
    }
    buf
}

/// Parses one Parquet batch; rows are numbered from `first_row` (1 is the file's first row).
fn parse_parquet_batch(df: &DataFrame, builder: &RowBuilder<'_>, dups: &Suspects, file: &str, first_row: u64, path: &Path) -> Result<Vec<Parsed2>> {
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
    Ok(pieces.into_par_iter().map(|(a, b)| parse_parquet_rows(&columns, a..b, builder, dups, file, first_row)).collect())
}

/// Rows parsed together, per thread, within a Parquet batch.
const PARQUET_PIECE_ROWS: usize = 1 << 15;

/// Parses rows `rows` of a Parquet batch's columns.
fn parse_parquet_rows(columns: &[ParquetColumn], rows: std::ops::Range<usize>, builder: &RowBuilder<'_>, dups: &Suspects, file: &str, first_row: u64) -> Parsed2 {
    let layout = builder.layout;
    let mut batch = Batch::new(layout);
    let mut rejects = Vec::new();
    let mut buf = Vec::new();
    let mut text_buf: Vec<String> = Vec::new();
    let rows_read = rows.len();
    for i in rows {
        let hash = hash_bytes(row_bytes(columns, i, &mut buf));
        text_buf.clear();
        for (_, fi) in &layout.attributes {
            text_buf.push(match columns[*fi].cell(i) {
                Cell::Text(t) => t.into_owned(),
                Cell::Number(v) => v.to_string(),
                Cell::Day(d) => d.to_string(),
                Cell::Ms(m) => m.to_string(),
                Cell::Null => String::new(),
            });
        }
        let pushed = builder.push(
            &mut batch,
            |si| columns[layout.column_of[si].unwrap_or(0)].cell(i),
            |ai| Cow::Borrowed(text_buf[ai].as_str()),
            hash,
            || dups.contains(hash).then(|| buf.clone()),
        );
        if let Err(why) = pushed {
            rejects.push(reject(file, first_row + i as u64, why));
        }
    }
    Parsed2 { batch, rejects, rows_read }
}

//! Reading an export file into a polars frame and parsing its columns against the contract.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use polars::prelude::*;
use rayon::prelude::*;

use super::contract::{ColumnSpec, Kind};
use super::Reject;
use super::{Encoding, Error, ExportSettings, FileFormat, Result, Source};

/// `csv` or `parquet`: the profile's `format`, else the file's extension.
pub fn format_of(path: &Path, settings: &ExportSettings) -> &'static str {
    match settings.format {
        Some(FileFormat::Csv) => return "csv",
        Some(FileFormat::Parquet) => return "parquet",
        None => {}
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("parquet") | Some("pq") => "parquet",
        _ => "csv",
    }
}

fn export_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Export { path: path.to_path_buf(), message: message.into() }
}

/// The type a contract column is read as on the fast path. Date-times stay text: polars' CSV reader
/// parses them several times slower than a `strptime` with a known format does afterwards.
fn typed(kind: Kind) -> DataType {
    match kind {
        Kind::Number => DataType::Float64,
        Kind::Date => DataType::Date,
        Kind::Id | Kind::Text | Kind::DateTime => DataType::String,
    }
}

fn clean_header(name: &str) -> &str {
    name.trim_start_matches('\u{feff}').trim()
}

/// The file's bytes as UTF-8: transcoded from GBK/GB18030 when the profile says so, or checked.
fn utf8_bytes(path: &Path, source: Source, settings: &ExportSettings) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
    match settings.encoding {
        Encoding::Utf8 => match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(bytes),
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                Err(export_error(
                    path,
                    format!(
                        "the file is not UTF-8 text (first bad byte on line {line}); if it was exported as GBK or \
                         GB18030, set encoding = \"gbk\" under [exports.{source}] in the profile"
                    ),
                ))
            }
        },
        Encoding::Gbk | Encoding::Gb18030 => {
            // WHATWG's GBK decoder is GB18030's, which reads every GBK file.
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
                Some(text) => Ok(text.into_owned().into_bytes()),
                None => Err(export_error(
                    path,
                    format!(
                        "the file is not valid {} text: check encoding under [exports.{source}] in the profile",
                        if settings.encoding == Encoding::Gbk { "GBK" } else { "GB18030" }
                    ),
                )),
            }
        }
    }
}

/// Reads a whole export and renames its columns to the canonical names. A canonical CSV file is first
/// read with the contract's types (the fast path for a clean export); if any value does not parse, or
/// the profile describes non-canonical numbers or dates, columns are read as text and parsed
/// afterwards, so that each bad value rejects its own row with line, column and value instead of
/// failing the file. Parquet columns keep their types.
/// An export's frame and, for a CSV file read one record per line, which records repeat an earlier
/// line byte for byte.
pub struct RawExport {
    pub frame: DataFrame,
    pub repeats: Option<Vec<bool>>,
}

pub fn read_frame(path: &Path, source: Source, specs: &[ColumnSpec], settings: &ExportSettings) -> Result<RawExport> {
    let meta = std::fs::metadata(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
    if meta.len() == 0 {
        return Err(export_error(path, "the file is empty (expected a header line naming the columns)"));
    }
    // Source header → canonical name, from the profile's column mapping.
    let canonical_of: BTreeMap<&str, &str> = settings.columns.iter().map(|(c, h)| (h.as_str(), c.as_str())).collect();
    let mut repeats = None;
    let mut df = if format_of(path, settings) == "parquet" {
        let file = std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
        ParquetReader::new(file)
            .finish()
            .map_err(|e| export_error(path, format!("cannot read as Parquet: {e}")))?
    } else {
        let bytes = utf8_bytes(path, source, settings)?;
        repeats = Some(repeated_lines(&bytes));
        let delimiter = settings.delimiter_byte();
        let options = || {
            CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .map_parse_options(|o| o.with_separator(delimiter))
        };
        let header: Vec<String> = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(bytes.as_slice())
            .headers()
            .map(|h| h.iter().map(String::from).collect())
            .unwrap_or_default();
        let fast = if settings.canonical_values() {
            let overwrite: Schema = header
                .iter()
                .filter_map(|raw| {
                    let clean = clean_header(raw);
                    let name = canonical_of.get(clean).copied().unwrap_or(clean);
                    let spec = specs.iter().find(|s| s.name == name)?;
                    Some(Field::new(raw.as_str().into(), typed(spec.kind)))
                })
                .collect();
            options()
                .with_schema_overwrite(Some(Arc::new(overwrite)))
                .into_reader_with_file_handle(std::io::Cursor::new(bytes.as_slice()))
                .finish()
                .ok()
        } else {
            None
        };
        match fast {
            Some(df) => df,
            None => options()
                .into_reader_with_file_handle(std::io::Cursor::new(bytes.as_slice()))
                .finish()
                .map_err(|e| {
                    let msg = e.to_string();
                    let hint = if msg.contains("more fields") {
                        format!(
                            "; some rows have more fields than the header: check the delimiter \
                             (exports.{source}.delimiter) and the quoting of fields that contain it"
                        )
                    } else {
                        String::new()
                    };
                    export_error(path, format!("cannot read as CSV: {}{hint}", msg.lines().next().unwrap_or("")))
                })?,
        }
    };
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    for (name, target) in names.iter().zip(canonical_names(path, source, settings, &names)?) {
        if &target != name {
            df.rename(name, target.into()).map_err(|e| export_error(path, e.to_string()))?;
        }
    }
    // The marks apply only if polars read one record per line (no field spanning lines).
    let repeats = repeats.filter(|r| r.len() == df.height());
    Ok(RawExport { frame: df, repeats })
}

/// The canonical name of each column a file names (`names`, as they are in the file): the profile's
/// column mapping applied, byte-order marks and padding removed (spreadsheet exports add both). A
/// mapped header the file lacks is an error naming it.
pub fn canonical_names(path: &Path, source: Source, settings: &ExportSettings, names: &[String]) -> Result<Vec<String>> {
    let canonical_of: BTreeMap<&str, &str> = settings.columns.iter().map(|(c, h)| (h.as_str(), c.as_str())).collect();
    for (canonical, header) in &settings.columns {
        if !names.iter().any(|n| clean_header(n) == header) {
            return Err(export_error(
                path,
                format!(
                    "the {source} export has no column \"{header}\" (mapped to {canonical} by exports.{source}.columns); \
                     columns found: {}",
                    names.iter().map(|n| clean_header(n)).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(names
        .iter()
        .map(|n| {
            let clean = clean_header(n);
            canonical_of.get(clean).copied().unwrap_or(clean).to_string()
        })
        .collect())
}

/// The columns a file names, as they are written in it (before the profile's mapping): a CSV file's
/// header line (decoded as the profile says), a Parquet file's schema. Reads only the file's start.
pub fn file_columns(path: &Path, settings: &ExportSettings) -> Result<Vec<String>> {
    if format_of(path, settings) == "parquet" {
        let file = std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
        let mut reader = ParquetReader::new(file);
        let schema = reader.schema().map_err(|e| export_error(path, format!("cannot read as Parquet: {e}")))?;
        return Ok(schema.iter_names().map(|n| n.to_string()).collect());
    }
    use std::io::Read;
    let mut head = Vec::new();
    let file = std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
    file.take(1 << 20).read_to_end(&mut head).map_err(|e| export_error(path, format!("cannot read: {e}")))?;
    if head.is_empty() {
        return Err(export_error(path, "the file is empty (expected a header line naming the columns)"));
    }
    let text = match settings.encoding {
        Encoding::Utf8 => String::from_utf8_lossy(&head).into_owned(),
        // Decoding may stop mid-character at the cut: the header line is all that is read.
        Encoding::Gbk | Encoding::Gb18030 => encoding_rs::GB18030.decode_without_bom_handling(&head).0.into_owned(),
    };
    let header = csv::ReaderBuilder::new()
        .delimiter(settings.delimiter_byte())
        .from_reader(text.as_bytes())
        .headers()
        .map(|h| h.iter().map(String::from).collect())
        .map_err(|e| export_error(path, format!("cannot read the header line: {e}")))?;
    Ok(header)
}

/// Whether the whole file is text in its declared encoding (the error a run would give, if not).
pub fn check_encoding(path: &Path, source: Source, settings: &ExportSettings) -> Result<()> {
    if format_of(path, settings) == "parquet" {
        return Ok(());
    }
    utf8_bytes(path, source, settings).map(drop)
}

/// The values of one date or date-time column (`header` as the file names it) as days since
/// 1970-01-01, parsed as a run parses them; values that do not parse are left out.
pub fn date_values(path: &Path, source: Source, settings: &ExportSettings, header: &str, kind: Kind) -> Result<Vec<i32>> {
    let to_days = |ms: i64| ms.div_euclid(86_400_000) as i32;
    let column: Column = if format_of(path, settings) == "parquet" {
        let file = std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
        let df = ParquetReader::new(file)
            .with_columns(Some(vec![header.to_string()]))
            .finish()
            .map_err(|e| export_error(path, format!("cannot read as Parquet: {e}")))?;
        df.column(header).map_err(|e| export_error(path, e.to_string()))?.clone()
    } else {
        let bytes = utf8_bytes(path, source, settings)?;
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_columns(Some(Arc::new([header.into()])))
            .map_parse_options(|o| o.with_separator(settings.delimiter_byte()))
            .into_reader_with_file_handle(std::io::Cursor::new(bytes.as_slice()))
            .finish()
            .map_err(|e| export_error(path, format!("cannot read as CSV: {}", e.to_string().lines().next().unwrap_or(""))))?;
        df.column(header).map_err(|e| export_error(path, e.to_string()))?.clone()
    };
    let days: Vec<i32> = match column.dtype() {
        DataType::String => {
            let text = column.str().map_err(|e| export_error(path, e.to_string()))?;
            text.iter()
                .flatten()
                .filter_map(|v| match kind {
                    Kind::Date => parse_date_days(v, &settings.date_formats),
                    _ => parse_datetime_with(v, &settings.datetime_formats).map(to_days),
                })
                .collect()
        }
        DataType::Date => column.date().map_err(|e| export_error(path, e.to_string()))?.physical().iter().flatten().collect(),
        DataType::Datetime(..) => {
            let ms = column.cast(&DT).map_err(|e| export_error(path, e.to_string()))?;
            ms.datetime().map_err(|e| export_error(path, e.to_string()))?.physical().iter().flatten().map(to_days).collect()
        }
        other => return Err(export_error(path, format!("column \"{header}\" has type {other}, expected {}", kind.describe()))),
    };
    Ok(days)
}

/// Keys that are already hashes need no hashing again.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type Prehashed = std::hash::BuildHasherDefault<IdentityHasher>;

/// Exact duplicate rows of a frame (every row equal in every column to an earlier row): `true` for
/// each such later row. Rows are hashed column by column in one pass, the (hash, row) pairs sorted,
/// and rows with equal hashes compared value by value, so a hash collision never drops a row. Much
/// cheaper than a generic unique over every column, which Parquet exports used to pay.
pub fn duplicate_rows(df: &DataFrame) -> PolarsResult<Vec<bool>> {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    const NULL: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = df.height();
    let mut hashes = vec![0u64; n];
    let mix = |h: &mut u64, v: u64| *h = (h.rotate_left(5) ^ v).wrapping_mul(K);
    for column in df.columns() {
        let s = column.as_materialized_series().to_physical_repr();
        match s.dtype() {
            DataType::String => {
                for (h, v) in hashes.iter_mut().zip(s.str()?.iter()) {
                    mix(h, v.map_or(NULL, |v| line_hash(v.as_bytes())));
                }
            }
            DataType::Boolean => {
                for (h, v) in hashes.iter_mut().zip(s.bool()?.iter()) {
                    mix(h, v.map_or(NULL, u64::from));
                }
            }
            dt if dt.is_float() => {
                let f = s.cast(&DataType::Float64)?;
                for (h, v) in hashes.iter_mut().zip(f.f64()?.iter()) {
                    mix(h, v.map_or(NULL, f64::to_bits));
                }
            }
            dt if dt.is_integer() => {
                let i = s.cast(&DataType::Int64)?;
                for (h, v) in hashes.iter_mut().zip(i.i64()?.iter()) {
                    mix(h, v.map_or(NULL, |v| v as u64));
                }
            }
            _ => {
                let t = s.cast(&DataType::String)?;
                for (h, v) in hashes.iter_mut().zip(t.str()?.iter()) {
                    mix(h, v.map_or(NULL, |v| line_hash(v.as_bytes())));
                }
            }
        }
    }
    let mut order: Vec<(u64, u32)> = hashes.iter().enumerate().map(|(i, &h)| (h, i as u32)).collect();
    order.par_sort_unstable();
    let mut dup = vec![false; n];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        // Rows of one hash, in row order: each is compared with the earlier rows kept.
        if end - start > 1 {
            let mut kept: Vec<(usize, Vec<AnyValue<'_>>)> = Vec::new();
            for &(_, row) in &order[start..end] {
                let row = row as usize;
                let values = df.get_row(row)?.0;
                if kept.iter().any(|(_, k)| *k == values) {
                    dup[row] = true;
                } else {
                    kept.push((row, values));
                }
            }
        }
        start = end;
    }
    Ok(dup)
}

/// A fast 64-bit hash of a line (multiply–rotate over 8-byte words); equal lines are compared byte
/// for byte afterwards, so collisions cost time, never correctness.
fn line_hash(line: &[u8]) -> u64 {
    let mut h: u64 = line.len() as u64;
    let mut words = line.chunks_exact(8);
    for w in &mut words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    for &b in words.remainder() {
        h = (h.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    h
}

/// For every record line after the header: does it repeat an earlier line exactly? (A trailing `\r`
/// is ignored; the last line may lack its newline.)
pub fn repeated_lines(bytes: &[u8]) -> Vec<bool> {
    // Lines found and hashed in parallel: the file is cut into pieces at line ends, each piece split
    // and hashed on its own, the pieces' lines then taken in file order.
    let body = match bytes.iter().position(|&b| b == b'\n') {
        Some(end_of_header) => &bytes[end_of_header + 1..],
        None => &bytes[bytes.len()..],
    };
    let pieces = (rayon::current_num_threads() * 8).max(1);
    let mut cuts = vec![0usize];
    for p in 1..pieces {
        let at = body.len() * p / pieces;
        let from = (*cuts.last().expect("non-empty")).max(at);
        match body[from..].iter().position(|&b| b == b'\n') {
            Some(i) => cuts.push(from + i + 1),
            None => break,
        }
    }
    cuts.push(body.len());
    cuts.dedup();
    let split: Vec<Vec<(&[u8], u64)>> = cuts
        .par_windows(2)
        .map(|w| {
            let piece = &body[w[0]..w[1]];
            let mut out: Vec<(&[u8], u64)> = piece
                .split(|&b| b == b'\n')
                .map(|l| {
                    let l = l.strip_suffix(b"\r").unwrap_or(l);
                    (l, line_hash(l))
                })
                .collect();
            if piece.ends_with(b"\n") {
                out.pop();
            }
            out
        })
        .collect();
    let (lines, hashes): (Vec<&[u8]>, Vec<u64>) = split.into_iter().flatten().unzip();
    // Buckets by the hash's top bits, each resolved on its own in line order: deterministic.
    const BUCKETS: usize = 64;
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); BUCKETS];
    for (i, h) in hashes.iter().enumerate() {
        buckets[(h >> 58) as usize].push(i as u32);
    }
    let repeated: Vec<Vec<u32>> = buckets
        .par_iter()
        .map(|bucket| {
            // First line seen per hash; lines whose hash matches but bytes differ (a collision) go
            // to `others`, which is almost always empty.
            let mut first: HashMap<u64, u32, Prehashed> = HashMap::with_capacity_and_hasher(bucket.len(), Prehashed::default());
            let mut others: HashMap<u64, Vec<u32>, Prehashed> = HashMap::default();
            let mut out = Vec::new();
            for &i in bucket {
                let h = hashes[i as usize];
                match first.get(&h) {
                    None => {
                        first.insert(h, i);
                    }
                    Some(&j) if lines[j as usize] == lines[i as usize] => out.push(i),
                    Some(_) => {
                        let seen = others.entry(h).or_default();
                        if seen.iter().any(|&j| lines[j as usize] == lines[i as usize]) {
                            out.push(i);
                        } else {
                            seen.push(i);
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut marks = vec![false; lines.len()];
    for i in repeated.into_iter().flatten() {
        marks[i as usize] = true;
    }
    marks
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm), or None for an impossible date.
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as i64))
}

/// Milliseconds since 1970-01-01 of `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (a `T`
/// may stand for the space). Hand-written because it runs on every outage and ticket row, several
/// times faster than a general `strptime`.
pub fn parse_datetime_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let days = days_from_civil(digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let secs = match b.len() {
        10 => 0,
        16 | 19 if (b[10] == b' ' || b[10] == b'T') && b[13] == b':' => {
            let (h, m) = (digits(&b[11..13])?, digits(&b[14..16])?);
            let sec = if b.len() == 19 {
                if b[16] != b':' {
                    return None;
                }
                digits(&b[17..19])?
            } else {
                0
            };
            if h > 23 || m > 59 || sec > 59 {
                return None;
            }
            h * 3600 + m * 60 + sec
        }
        _ => return None,
    };
    Some((days * 86_400 + secs) * 1000)
}

const DT: DataType = DataType::Datetime(TimeUnit::Milliseconds, None);

/// The expression turning a raw column into its canonical type, or an error for a Parquet column whose
/// type cannot hold that kind of value.
fn parse_expr(path: &Path, spec: &ColumnSpec, dtype: &DataType) -> Result<Expr> {
    let c = col(spec.name);
    let wrong = || {
        export_error(
            path,
            format!("column \"{}\" has type {dtype}, expected {}", spec.name, spec.kind.describe()),
        )
    };
    Ok(match (spec.kind, dtype) {
        // Text numbers and dates were parsed beforehand (`pre_parse`) into these columns.
        (_, DataType::String) => match spec.kind {
            Kind::Id | Kind::Text => c,
            Kind::Number => col(format!("__num_{}", spec.name).as_str()),
            Kind::Date => col(format!("__date_{}", spec.name).as_str()).cast(DataType::Date),
            Kind::DateTime => col(format!("__dt_{}", spec.name).as_str()).cast(DT),
        },
        (Kind::Id, dt) if dt.is_integer() => c.cast(DataType::String),
        (Kind::Text, _) => c.cast(DataType::String),
        (Kind::Number, dt) if dt.is_primitive_numeric() => c.cast(DataType::Float64),
        (Kind::Date, DataType::Date) => c,
        (Kind::Date, DataType::Datetime(..)) => c.cast(DataType::Date),
        (Kind::DateTime, DataType::Date) | (Kind::DateTime, DataType::Datetime(..)) => c.cast(DT),
        _ => return Err(wrong()),
    })
}

fn parse_number(text: &str, decimal: char, thousands: Option<char>) -> Option<f64> {
    let t = text.trim();
    let mut clean = String::with_capacity(t.len());
    for ch in t.chars() {
        if Some(ch) == thousands {
            continue;
        }
        clean.push(if ch == decimal { '.' } else { ch });
    }
    clean.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_date_days(text: &str, formats: &[String]) -> Option<i32> {
    let t = text.trim();
    if formats.is_empty() {
        return (t.len() == 10).then(|| parse_datetime_ms(t)).flatten().map(|ms| (ms / 86_400_000) as i32);
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    formats.iter().find_map(|f| NaiveDate::parse_from_str(t, f).ok()).map(|d| (d - epoch).num_days() as i32)
}

fn parse_datetime_with(text: &str, formats: &[String]) -> Option<i64> {
    let t = text.trim();
    if formats.is_empty() {
        return parse_datetime_ms(t);
    }
    formats.iter().find_map(|f| {
        NaiveDateTime::parse_from_str(t, f)
            .ok()
            .or_else(|| NaiveDate::parse_from_str(t, f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
            .map(|dt| dt.and_utc().timestamp_millis())
    })
}

/// Parses text numbers and dates in Rust, with the profile's separators and formats, into helper
/// columns (`__num_*`, `__date_*`, `__dt_*`); a value that does not parse becomes null there.
fn pre_parse(path: &Path, raw: &mut DataFrame, specs: &[ColumnSpec], settings: &ExportSettings) -> Result<()> {
    let decimal = settings.decimal.as_deref().and_then(|d| d.chars().next()).unwrap_or('.');
    let thousands = settings.thousands.as_deref().and_then(|t| t.chars().next());
    let schema = raw.schema().clone();
    for spec in specs.iter().filter(|s| schema.get(s.name) == Some(&DataType::String)) {
        let text = raw.column(spec.name).and_then(|c| c.str().cloned()).map_err(|e| export_error(path, e.to_string()))?;
        let column = match spec.kind {
            Kind::Number => {
                let v: Float64Chunked = text.iter().map(|v| v.and_then(|v| parse_number(v, decimal, thousands))).collect();
                v.with_name(format!("__num_{}", spec.name).into()).into_series().into_column()
            }
            Kind::Date => {
                let v: Int32Chunked = text.iter().map(|v| v.and_then(|v| parse_date_days(v, &settings.date_formats))).collect();
                v.with_name(format!("__date_{}", spec.name).into()).into_series().into_column()
            }
            Kind::DateTime => {
                let v: Int64Chunked =
                    text.iter().map(|v| v.and_then(|v| parse_datetime_with(v, &settings.datetime_formats))).collect();
                v.with_name(format!("__dt_{}", spec.name).into()).into_series().into_column()
            }
            Kind::Id | Kind::Text => continue,
        };
        raw.with_column(column).map_err(|e| export_error(path, e.to_string()))?;
    }
    Ok(())
}

pub struct Parsed {
    pub accepted: DataFrame,
    pub rejects: Vec<Reject>,
    /// Good rows dropped because they repeat an earlier line exactly.
    pub duplicates: usize,
}

/// Parses every contract column; a row with a missing required value, a value that does not parse, or
/// an impossible value is rejected with the first problem found (in contract order).
pub fn parse(
    source: Source,
    path: &Path,
    raw: RawExport,
    specs: &[ColumnSpec],
    settings: &ExportSettings,
    first_line: u64,
) -> Result<Parsed> {
    let RawExport { frame: mut raw, repeats } = raw;
    let schema = raw.schema().clone();
    pre_parse(path, &mut raw, specs, settings)?;
    let present: Vec<&ColumnSpec> = specs.iter().filter(|s| schema.contains(s.name)).collect();
    let mut parsed_cols = Vec::new();
    // (condition, reason, column), in the order they are tried.
    let mut checks: Vec<(Expr, String, &str)> = Vec::new();
    // A stray empty line reads as a row of nulls: say so, rather than "missing customer_id".
    let blank = schema
        .iter_names()
        .map(|n| col(n.as_str()).is_null())
        .reduce(|a, b| a.and(b))
        .unwrap_or_else(|| lit(false));
    checks.push((blank, "blank line".into(), ""));
    for spec in &present {
        let dtype = schema.get(spec.name).expect("present");
        let parsed = parse_expr(path, spec, dtype)?;
        let pname = format!("__p_{}", spec.name);
        parsed_cols.push(parsed.alias(pname.as_str()));
        if spec.required {
            let missing = if *dtype == DataType::String {
                col(spec.name).is_null().or(col(spec.name).eq(lit("")))
            } else {
                col(spec.name).is_null()
            };
            checks.push((missing, format!("missing {}", spec.name), spec.name));
        }
        if !matches!(spec.kind, Kind::Id | Kind::Text) {
            let what = match spec.kind {
                Kind::Number => "not a number",
                Kind::Date => "not a date",
                _ => "not a date-time",
            };
            checks.push((
                col(spec.name).is_not_null().and(col(pname.as_str()).is_null()),
                what.to_string(),
                spec.name,
            ));
        }
    }
    // Nothing is dated after today (UTC): such a date is a typo or a clock error.
    let today = chrono::Utc::now().date_naive();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let tomorrow_days = (today - epoch).num_days() + 1;
    if let Some(c) = super::date_column(source) {
        let limit = if source == Source::Billing {
            lit(tomorrow_days as i32).cast(DataType::Date)
        } else {
            lit(tomorrow_days * 86_400_000).cast(DT)
        };
        checks.push((col(format!("__p_{c}").as_str()).gt_eq(limit), "date in the future".into(), c));
    }
    match source {
        Source::Billing => {
            checks.push((
                col("__p_consumption").lt(lit(0.0)),
                "negative consumption".into(),
                "consumption",
            ));
        }
        Source::Outages => {
            checks.push((
                col("__p_outage_end").lt(col("__p_outage_start")),
                "outage ends before it starts".into(),
                "outage_end",
            ));
        }
        _ => {}
    }
    // The index of the first failing check, or null: numeric, so cheap on every row; the reason,
    // column and raw value are looked up for the (few) rejected rows only.
    let mut first_failure = lit(NULL).cast(DataType::Int32);
    for (i, (cond, ..)) in checks.iter().enumerate().rev() {
        first_failure = when(cond.clone()).then(lit(i as i32)).otherwise(first_failure);
    }
    let repeat_marks = BooleanChunked::from_slice("__repeat".into(), repeats.as_deref().unwrap_or(&vec![false; raw.height()]));
    raw.with_column(repeat_marks.into_series().into_column()).map_err(|e| export_error(path, e.to_string()))?;
    let all = raw
        .lazy()
        .with_row_index("__row", None)
        .with_columns(parsed_cols)
        .with_columns([first_failure.alias("__check")])
        .collect()
        .map_err(|e| export_error(path, format!("cannot parse: {e}")))?;

    let polars_err = |e: PolarsError| export_error(path, e.to_string());
    let rejected = all.clone().lazy().filter(col("__check").is_not_null()).collect().map_err(polars_err)?;
    let mut rejects = Vec::with_capacity(rejected.height());
    if rejected.height() > 0 {
        let rows = rejected.column("__row").and_then(|c| c.cast(&DataType::UInt64)).map_err(polars_err)?;
        let rows = rows.u64().map_err(polars_err)?;
        let codes = rejected.column("__check").and_then(|c| c.i32()).map_err(polars_err)?;
        let mut raw_text: Vec<(String, StringChunked)> = Vec::new();
        for spec in &present {
            let c = rejected.column(spec.name).and_then(|c| c.cast(&DataType::String)).map_err(polars_err)?;
            raw_text.push((spec.name.to_string(), c.str().map_err(polars_err)?.clone()));
        }
        for i in 0..rejected.height() {
            let (_, why, name) = &checks[codes.get(i).unwrap_or(0) as usize];
            let value = raw_text.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.get(i)).unwrap_or("");
            rejects.push(Reject {
                file: path.display().to_string(),
                line: rows.get(i).unwrap_or(0) + first_line,
                column: name.to_string(),
                value: value.to_string(),
                reason: why.clone(),
            });
        }
    }

    // Accepted rows: canonical columns typed, plus (customers only) every other column as an attribute.
    let mut keep: Vec<Expr> = present.iter().map(|s| col(format!("__p_{}", s.name).as_str()).alias(s.name)).collect();
    if source == Source::Customers {
        for name in schema.iter_names() {
            if !present.iter().any(|s| s.name == name.as_str()) {
                keep.push(col(name.as_str()).cast(DataType::String));
            }
        }
    }
    // A rejected row stays rejected even if it repeats; a good row that repeats an earlier line exactly
    // is a duplicate.
    // Counted exactly (an error is an error): the count decides whether rows are filtered at all.
    let repeats = all.column("__repeat").and_then(|c| c.bool().cloned()).map_err(polars_err)?;
    let checks_passed = all.column("__check").map_err(polars_err)?.is_null();
    let duplicates = (&repeats & &checks_passed).sum().unwrap_or(0) as usize;
    // Without rejects or repeats every row is kept: no filter, so no copy of the columns.
    let all = all.lazy();
    let accepted = if rejected.height() == 0 && duplicates == 0 {
        all.select(keep)
    } else {
        all.filter(col("__check").is_null().and(col("__repeat").not())).select(keep)
    }
    .collect()
    .map_err(polars_err)?;
    Ok(Parsed { accepted, rejects, duplicates })
}

#[cfg(test)]
mod tests {
    use super::{parse_date_days, parse_datetime_ms, parse_datetime_with, parse_number};
    use chrono::NaiveDateTime;

    #[test]
    fn duplicate_rows_match_a_generic_unique_and_keep_the_first() {
        use super::duplicate_rows;
        use polars::prelude::*;
        // Few distinct values per column, so that many rows repeat; nulls in every column.
        let n = 5000;
        let pick = |i: usize, m: usize| (i.wrapping_mul(2654435761) >> 7) % m;
        let ids: Vec<Option<&str>> = (0..n).map(|i| [Some("a"), Some("b"), None][pick(i, 3)]).collect();
        let nums: Vec<Option<f64>> = (0..n).map(|i| [Some(1.5), Some(-0.25), None][pick(i + 7, 3)]).collect();
        let ints: Vec<Option<i32>> = (0..n).map(|i| [Some(3), None][pick(i * 3 + 1, 2)]).collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new("id".into(), ids),
            Column::new("x".into(), nums),
            Column::new("d".into(), ints).cast(&DataType::Date).unwrap(),
        ])
        .unwrap();
        let dup = duplicate_rows(&df).unwrap();
        let unique = df.clone().lazy().unique_stable(None, UniqueKeepStrategy::First).collect().unwrap();
        assert_eq!(dup.iter().filter(|d| !**d).count(), unique.height());
        let keep: BooleanChunked = dup.iter().map(|d| !d).collect();
        assert!(df.filter(&keep).unwrap().equals_missing(&unique), "not the first of each");
        assert!(!dup[0]);
    }

    #[test]
    fn repeated_lines_marks_every_later_copy_whatever_the_pieces() {
        use super::repeated_lines;
        // Naive reference: a line repeats if an earlier record line is byte-equal (without `\r`).
        fn naive(bytes: &[u8]) -> Vec<bool> {
            let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').skip(1).map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
            if bytes.ends_with(b"\n") {
                lines.pop();
            }
            (0..lines.len()).map(|i| lines[..i].contains(&lines[i])).collect()
        }
        let pick = |i: usize, m: usize| (i.wrapping_mul(2654435761) >> 7) % m;
        for (n, crlf, trailing) in [(0, false, true), (1, false, false), (5, true, true), (400, false, true), (3000, true, false)] {
            let mut text = String::from("customer_id,x\n");
            for i in 0..n {
                text.push_str(&format!("c{},{}", pick(i, 50), pick(i + 1, 3)));
                if crlf && i % 2 == 0 {
                    text.push('\r');
                }
                if i + 1 < n || trailing {
                    text.push('\n');
                }
            }
            assert_eq!(repeated_lines(text.as_bytes()), naive(text.as_bytes()), "n = {n}");
        }
        assert!(repeated_lines(b"header only").is_empty());
        assert_eq!(repeated_lines(b"h\n\n\n"), vec![false, true]);
    }

    #[test]
    fn numbers_with_separators() {
        assert_eq!(parse_number("1,234.50", '.', Some(',')), Some(1234.5));
        assert_eq!(parse_number("1.234,50", ',', Some('.')), Some(1234.5));
        assert_eq!(parse_number(" 12 345,5 ", ',', Some(' ')), Some(12345.5));
        assert_eq!(parse_number("1,234.50", '.', None), None);
        assert_eq!(parse_number("inf", '.', None), None);
        assert_eq!(parse_number("二十五", '.', None), None);
    }

    #[test]
    fn dates_in_the_profile_formats() {
        let formats = vec!["%Y/%m/%d".to_string(), "%Y%m%d".to_string()];
        assert_eq!(parse_date_days("1970/01/02", &formats), Some(1));
        assert_eq!(parse_date_days("19700103", &formats), Some(2));
        assert_eq!(parse_date_days("1970-01-02", &formats), None);
        assert_eq!(parse_date_days("1970-01-02", &[]), Some(1));
        assert_eq!(parse_date_days("2026/13/05", &formats), None);
        let dt = vec!["%Y/%m/%d %H:%M".to_string()];
        assert_eq!(parse_datetime_with("1970/01/01 00:01", &dt), Some(60_000));
        assert_eq!(parse_datetime_with("1970-01-01 00:01:00", &[]), Some(60_000));
    }

    #[test]
    fn datetime_parser_agrees_with_chrono() {
        for (text, format) in [
            ("2026-03-11 15:24:00", "%Y-%m-%d %H:%M:%S"),
            ("2026-03-11T15:24:59", "%Y-%m-%dT%H:%M:%S"),
            ("1999-12-31 23:59", "%Y-%m-%d %H:%M"),
            ("2024-02-29T00:01", "%Y-%m-%dT%H:%M"),
            ("1969-07-20 20:17:40", "%Y-%m-%d %H:%M:%S"),
        ] {
            let want = NaiveDateTime::parse_from_str(text, format).unwrap().and_utc().timestamp_millis();
            assert_eq!(parse_datetime_ms(text), Some(want), "{text}");
        }
        assert_eq!(parse_datetime_ms("2026-10-05"), Some(1_791_158_400_000));
    }

    #[test]
    fn datetime_parser_refuses_impossible_values() {
        for bad in ["2026-02-29 10:00:00", "2026-13-01", "2026-10-05 24:00", "2026/10/05 10:00", "20261005", "2026-10-05 10:00:00Z", "", "2026-1-5"] {
            assert_eq!(parse_datetime_ms(bad), None, "{bad}");
        }
    }
}

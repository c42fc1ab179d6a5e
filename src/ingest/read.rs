//! Reading an export file into a polars frame and parsing its columns against the contract.

use std::path::Path;

use polars::prelude::*;

use super::contract::{ColumnSpec, Kind};
use super::Reject;
use crate::error::{Error, Result};
use crate::profile::Source;

pub fn format_of(path: &Path) -> &'static str {
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

fn csv_options() -> CsvReadOptions {
    CsvReadOptions::default().with_has_header(true).with_infer_schema_length(Some(0))
}

/// Reads a whole export. A CSV file is first read with the contract's types (the fast path for a clean
/// export); if any value does not parse, it is read again as text, so that each bad value rejects its
/// own row with line, column and value instead of failing the file. Parquet columns keep their types.
pub fn read_frame(path: &Path, specs: &[ColumnSpec]) -> Result<DataFrame> {
    let meta = std::fs::metadata(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
    if meta.len() == 0 {
        return Err(export_error(path, "the file is empty (expected a header line naming the columns)"));
    }
    let mut df = if format_of(path) == "parquet" {
        let file = std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
        ParquetReader::new(file)
            .finish()
            .map_err(|e| export_error(path, format!("cannot read as Parquet: {e}")))?
    } else {
        let header: Vec<String> = csv::Reader::from_path(path)
            .and_then(|mut r| r.headers().map(|h| h.iter().map(String::from).collect()))
            .unwrap_or_default();
        let overwrite: Schema = header
            .iter()
            .filter_map(|raw| {
                let clean = raw.trim_start_matches('\u{feff}').trim();
                let spec = specs.iter().find(|s| s.name == clean)?;
                Some(Field::new(raw.as_str().into(), typed(spec.kind)))
            })
            .collect();
        let fast = csv_options()
            .with_schema_overwrite(Some(Arc::new(overwrite)))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish());
        match fast {
            Ok(df) => df,
            Err(_) => csv_options()
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(|r| r.finish())
                .map_err(|e| {
                    let msg = e.to_string();
                    if msg.to_ascii_lowercase().contains("utf") {
                        export_error(path, format!("the file is not valid UTF-8 text ({msg}); save it as UTF-8"))
                    } else {
                        export_error(path, format!("cannot read as CSV: {msg}"))
                    }
                })?,
        }
    };
    // Spreadsheet exports prefix a byte-order mark and pad headers with spaces.
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    for name in names {
        let clean = name.trim_start_matches('\u{feff}').trim();
        if clean != name {
            df.rename(&name, clean.into()).map_err(|e| export_error(path, e.to_string()))?;
        }
    }
    Ok(df)
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

fn strptime(format: &str) -> StrptimeOptions {
    StrptimeOptions { format: Some(format.into()), strict: false, exact: true, cache: true }
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
        (_, DataType::String) => match spec.kind {
            Kind::Id | Kind::Text => c,
            Kind::Number => c.cast(DataType::Float64),
            Kind::Date => c.str().to_date(strptime("%Y-%m-%d")),
            // Parsed beforehand by `parse_datetime_ms` into this column.
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

pub struct Parsed {
    pub accepted: DataFrame,
    pub rejects: Vec<Reject>,
}

/// Parses every contract column; a row with a missing required value, a value that does not parse, or
/// an impossible value is rejected with the first problem found (in contract order).
pub fn parse(source: Source, path: &Path, mut raw: DataFrame, specs: &[ColumnSpec], first_line: u64) -> Result<Parsed> {
    let schema = raw.schema().clone();
    for spec in specs.iter().filter(|s| s.kind == Kind::DateTime && schema.get(s.name) == Some(&DataType::String)) {
        let text = raw.column(spec.name).and_then(|c| c.str().cloned()).map_err(|e| export_error(path, e.to_string()))?;
        let ms: Int64Chunked = text.iter().map(|v| v.and_then(parse_datetime_ms)).collect();
        raw.with_column(ms.with_name(format!("__dt_{}", spec.name).into()).into_series().into_column())
            .map_err(|e| export_error(path, e.to_string()))?;
    }
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
                Kind::Date => "not a date (expected YYYY-MM-DD)",
                _ => "not a date-time (expected YYYY-MM-DD HH:MM:SS)",
            };
            checks.push((
                col(spec.name).is_not_null().and(col(pname.as_str()).is_null()),
                what.to_string(),
                spec.name,
            ));
        }
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
    let accepted = all
        .lazy()
        .filter(col("__check").is_null())
        .select(keep)
        .collect()
        .map_err(polars_err)?;
    Ok(Parsed { accepted, rejects })
}

#[cfg(test)]
mod tests {
    use super::parse_datetime_ms;
    use chrono::NaiveDateTime;

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

//! Reading an export file into a polars frame and parsing its columns against the contract.

use std::path::Path;

use chrono::NaiveDateTime;
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
            Err(e) => { if std::env::var_os("CUSTSEG_DEBUG").is_some() { eprintln!("slow path for {}: {e}", path.display()); } csv_options()
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(|r| r.finish())
                .map_err(|e| {
                    let msg = e.to_string();
                    if msg.to_ascii_lowercase().contains("utf") {
                        export_error(path, format!("the file is not valid UTF-8 text ({msg}); save it as UTF-8"))
                    } else {
                        export_error(path, format!("cannot read as CSV: {msg}"))
                    }
                })?},
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

const DATETIME_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"];

/// The date-time formats the first values of a text column use, in the order of [`DATETIME_FORMATS`];
/// bare dates are always accepted too.
fn sniff_datetime_formats(values: &StringChunked) -> Vec<&'static str> {
    let mut used = vec![false; DATETIME_FORMATS.len()];
    for v in values.iter().flatten().take(1000) {
        if let Some(i) = DATETIME_FORMATS.iter().position(|f| NaiveDateTime::parse_from_str(v, f).is_ok()) {
            used[i] = true;
        }
    }
    let mut formats: Vec<&str> = DATETIME_FORMATS.iter().zip(&used).filter(|(_, u)| **u).map(|(f, _)| *f).collect();
    if formats.is_empty() {
        formats.push(DATETIME_FORMATS[0]);
    }
    formats
}

fn strptime(format: &str) -> StrptimeOptions {
    StrptimeOptions { format: Some(format.into()), strict: false, exact: true, cache: true }
}

const DT: DataType = DataType::Datetime(TimeUnit::Milliseconds, None);

/// The expression turning a raw column into its canonical type, or an error for a Parquet column whose
/// type cannot hold that kind of value.
fn parse_expr(path: &Path, spec: &ColumnSpec, dtype: &DataType, raw: &DataFrame) -> Result<Expr> {
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
            Kind::DateTime => {
                let values = raw.column(spec.name).and_then(|s| s.str().cloned()).map_err(|e| export_error(path, e.to_string()))?;
                let mut parsers: Vec<Expr> = sniff_datetime_formats(&values)
                    .into_iter()
                    .map(|f| c.clone().str().to_datetime(Some(TimeUnit::Milliseconds), None, strptime(f), lit("raise")))
                    .collect();
                parsers.push(c.clone().str().to_date(strptime("%Y-%m-%d")).cast(DT));
                coalesce(&parsers)
            }
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
pub fn parse(source: Source, path: &Path, raw: DataFrame, specs: &[ColumnSpec], first_line: u64) -> Result<Parsed> {
    let schema = raw.schema().clone();
    let present: Vec<&ColumnSpec> = specs.iter().filter(|s| schema.contains(s.name)).collect();
    let mut parsed_cols = Vec::new();
    // (condition, reason, column), in the order they are tried.
    let mut checks: Vec<(Expr, String, &str)> = Vec::new();
    for spec in &present {
        let dtype = schema.get(spec.name).expect("present");
        let parsed = parse_expr(path, spec, dtype, &raw)?;
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

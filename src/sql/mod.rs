//! Beyond one machine: a saved model compiled to SQL that scores every customer inside the
//! warehouse's own engine ([`score`]), and the query that extracts a deterministic sample to fit on
//! ([`sample`]), for DuckDB, Spark SQL, Trino and BigQuery ([`Dialect`]).
//!
//! The SQL reads the bill-level tables `billing`, `outages`, `tickets` and `customers` (or the tables
//! `--table` names) with the canonical column names, or those the profile's `[exports.*] columns`
//! mapping gives, typed DATE (bill, due, paid and service dates), TIMESTAMP (outage and ticket
//! times), DOUBLE (amounts, consumption) and VARCHAR or BOOLEAN (the rest).

pub mod dialect;
mod sample;
mod score;

use std::collections::BTreeMap;

pub use dialect::Dialect;
pub use sample::{sample, threshold, SampleOptions, SampleSize};
pub use score::{score, ScoreOptions};

use crate::ingest::Source;

/// What a model or profile needs that the SQL cannot express: said instead of writing wrong SQL.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// The table each export is read from (default: the export's name).
#[derive(Debug, Clone, Default)]
pub struct Tables(BTreeMap<Source, String>);

impl Tables {
    /// Parses `--table` values: `billing=schema.bills`.
    pub fn parse(values: &[String]) -> Result<Tables, String> {
        let mut tables = BTreeMap::new();
        for v in values {
            let (export, table) = v.split_once('=').ok_or_else(|| format!("--table {v}: expected EXPORT=TABLE, e.g. billing=sales.bills"))?;
            let source = Source::ALL
                .into_iter()
                .find(|s| s.as_str() == export.trim())
                .ok_or_else(|| format!("--table {v}: \"{export}\" is not an export (billing, outages, tickets, customers)"))?;
            let table = table.trim();
            if table.is_empty() || table.split('.').any(str::is_empty) {
                return Err(format!("--table {v}: the table name is empty or has an empty part"));
            }
            if tables.insert(source, table.to_string()).is_some() {
                return Err(format!("--table: {export} is given twice"));
            }
        }
        Ok(Tables(tables))
    }

    pub fn get(&self, source: Source) -> &str {
        self.0.get(&source).map_or(source.as_str(), String::as_str)
    }
}

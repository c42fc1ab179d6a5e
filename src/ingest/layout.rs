//! How each export file is laid out when it is not in the canonical form (`[exports.<export>]` in a
//! profile): file name, format, encoding, delimiter, date formats, number separators, column names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::contract::{contract, Source};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExportsSettings {
    pub billing: ExportSettings,
    pub outages: ExportSettings,
    pub tickets: ExportSettings,
    pub customers: ExportSettings,
}

impl ExportsSettings {
    pub fn get(&self, source: Source) -> &ExportSettings {
        match source {
            Source::Billing => &self.billing,
            Source::Outages => &self.outages,
            Source::Tickets => &self.tickets,
            Source::Customers => &self.customers,
        }
    }

    /// Checks every export's layout; the error names the key (`exports.billing.delimiter = …`).
    pub fn check(&self) -> Result<(), String> {
        Source::ALL.iter().try_for_each(|&source| self.get(source).check(source))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Parquet,
}

/// Text encodings an export may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "gbk")]
    Gbk,
    #[serde(rename = "gb18030")]
    Gb18030,
}

/// The layout of one export file.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExportSettings {
    /// File name inside `--data` (or a path), instead of `<export>.csv` / `<export>.parquet`.
    pub file: Option<String>,
    /// `csv` or `parquet`; by default taken from the file's extension (`.parquet`/`.pq` is Parquet).
    pub format: Option<FileFormat>,
    pub encoding: Encoding,
    /// Field separator (one character; default `,`).
    pub delimiter: Option<String>,
    /// chrono formats tried in order for dates (default `%Y-%m-%d`).
    pub date_formats: Vec<String>,
    /// chrono formats tried in order for date-times (default: ISO with space or `T`, with or
    /// without seconds, or a bare date).
    pub datetime_formats: Vec<String>,
    /// Decimal separator of numbers (`.` or `,`).
    pub decimal: Option<String>,
    /// Thousands separator of numbers, removed before parsing (`,`, `.`, ` ` or `'`).
    pub thousands: Option<String>,
    /// Canonical column → the header it has in this file, e.g. `customer_id = "户号"`.
    pub columns: BTreeMap<String, String>,
    /// Overrides `quality.max_reject_share` for this export.
    pub max_reject_share: Option<f64>,
}

impl ExportSettings {
    /// True when numbers and dates follow the canonical form, so polars can parse them directly.
    pub fn canonical_values(&self) -> bool {
        self.date_formats.is_empty()
            && self.datetime_formats.is_empty()
            && self.decimal.as_deref().unwrap_or(".") == "."
            && self.thousands.is_none()
    }

    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.as_deref().and_then(|d| d.bytes().next()).unwrap_or(b',')
    }

    fn check(&self, source: Source) -> Result<(), String> {
        let at = format!("exports.{source}");
        if let Some(d) = &self.delimiter {
            if d.len() != 1 {
                return Err(format!("{at}.delimiter = \"{d}\": must be one ASCII character"));
            }
        }
        for (key, v) in [("decimal", &self.decimal), ("thousands", &self.thousands)] {
            if let Some(v) = v {
                if !matches!(v.as_str(), "." | "," | " " | "'") {
                    return Err(format!("{at}.{key} = \"{v}\": must be one of . , ' or a space"));
                }
            }
        }
        if let Some(m) = self.max_reject_share {
            if !(0.0..=1.0).contains(&m) {
                return Err(format!("{at}.max_reject_share = {m}: must be between 0 and 1"));
            }
        }
        if self.decimal.is_some() && self.decimal == self.thousands {
            return Err(format!("{at}: decimal and thousands separators must differ"));
        }
        let known: Vec<&str> = contract(source).iter().map(|c| c.name).collect();
        for canonical in self.columns.keys() {
            // The customers export keeps any column, as an attribute.
            if source != Source::Customers && !known.contains(&canonical.as_str()) {
                return Err(format!(
                    "{at}.columns: \"{canonical}\" is not a column of the {source} export (known: {})",
                    known.join(", ")
                ));
            }
        }
        for f in self.date_formats.iter().chain(&self.datetime_formats) {
            if !f.contains('%') {
                return Err(format!("{at}: \"{f}\" is not a date format (use chrono codes such as %Y/%m/%d)"));
            }
        }
        Ok(())
    }
}

//! What differs between the SQL engines custseg writes for: quoting, type names, and the few
//! functions without a common spelling. Everything else in the generated SQL is written once, in the
//! subset the four engines share (CASE, COALESCE, NULLIF, AVG, STDDEV_SAMP, EXTRACT, DATE literals).
//!
//! Written by hand: sqlglot (Python) transpiles between dialects, but no Rust crate generates SQL for
//! these four engines, and the generator needs only this handful of spellings.

use std::fmt::Write;

/// An SQL engine custseg writes queries for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Duckdb,
    /// Spark SQL 3.2 or later (Databricks, spark-sql, spark-submit): it needs `try_cast` and
    /// `unix_millis`. Tested with Spark 4.3.
    Spark,
    Trino,
    Bigquery,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [Dialect::Duckdb, Dialect::Spark, Dialect::Trino, Dialect::Bigquery];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Trino => "trino",
            Dialect::Bigquery => "bigquery",
        }
    }

    /// A quoted identifier: any text is safe inside (a quote in it is escaped), so a column name from a
    /// profile's mapping can never end the identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            // Standard SQL: double quotes, a quote doubled.
            Dialect::Duckdb | Dialect::Trino => format!("\"{}\"", name.replace('"', "\"\"")),
            // Backticks, a backtick doubled.
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            // Backticks with backslash escapes (a quoted identifier is read like a string literal).
            Dialect::Bigquery => format!("`{}`", escape_backslashed(name, '`')),
        }
    }

    /// A table name as `--table` gives it (`schema.bills`, `project.dataset.bills`): each dotted part
    /// quoted on its own.
    pub fn table(self, name: &str) -> String {
        name.split('.').map(|p| self.ident(p)).collect::<Vec<_>>().join(".")
    }

    /// A string literal holding exactly `text`, whatever it holds.
    pub fn string(self, text: &str) -> String {
        match self {
            // Standard SQL: no escapes but the doubled quote.
            Dialect::Duckdb | Dialect::Trino => format!("'{}'", text.replace('\'', "''")),
            // Spark and BigQuery read backslash escapes in literals: a backslash, a quote and line
            // ends are escaped.
            Dialect::Spark | Dialect::Bigquery => format!("'{}'", escape_backslashed(text, '\'')),
        }
    }

    /// A DATE literal.
    pub fn date(self, d: chrono::NaiveDate) -> String {
        format!("DATE '{}'", d.format("%Y-%m-%d"))
    }

    pub fn double_type(self) -> &'static str {
        match self {
            Dialect::Bigquery => "FLOAT64",
            _ => "DOUBLE",
        }
    }

    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::Duckdb | Dialect::Trino => "VARCHAR",
            Dialect::Spark | Dialect::Bigquery => "STRING",
        }
    }

    pub fn to_double(self, x: &str) -> String {
        format!("CAST({x} AS {})", self.double_type())
    }

    pub fn to_text(self, x: &str) -> String {
        format!("CAST({x} AS {})", self.text_type())
    }

    /// Text read as a number, NULL when it is not one (where custseg would find no number either).
    pub fn try_double(self, x: &str) -> String {
        match self {
            Dialect::Bigquery => format!("SAFE_CAST({x} AS FLOAT64)"),
            Dialect::Spark => format!("try_cast({x} AS DOUBLE)"),
            Dialect::Duckdb | Dialect::Trino => format!("TRY_CAST({x} AS DOUBLE)"),
        }
    }

    /// Days from date `from` to date `to` (`to − from`).
    pub fn days_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Trino => format!("date_diff('day', {from}, {to})"),
            Dialect::Spark => format!("datediff({to}, {from})"),
            Dialect::Bigquery => format!("DATE_DIFF({to}, {from}, DAY)"),
        }
    }

    /// Whole milliseconds from timestamp `from` to timestamp `to`, as custseg counts them (each
    /// timestamp to the millisecond, then the difference).
    pub fn ms_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::Duckdb => format!("(epoch_ms({to}) - epoch_ms({from}))"),
            Dialect::Spark => format!("(unix_millis({to}) - unix_millis({from}))"),
            // A whole number, without passing through a double (whose cast would round).
            Dialect::Trino => format!("date_diff('millisecond', {from}, {to})"),
            Dialect::Bigquery => format!("TIMESTAMP_DIFF({to}, {from}, MILLISECOND)"),
        }
    }

    /// Text read as a date, NULL when it is not one (ISO `YYYY-MM-DD`).
    pub fn try_date(self, x: &str) -> String {
        match self {
            Dialect::Bigquery => format!("SAFE_CAST({x} AS DATE)"),
            Dialect::Spark => format!("try_cast({x} AS DATE)"),
            Dialect::Duckdb | Dialect::Trino => format!("TRY_CAST({x} AS DATE)"),
        }
    }

    /// A number with its fraction cut off (towards zero), as a number.
    pub fn trunc(self, x: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Bigquery => format!("TRUNC({x})"),
            Dialect::Trino => format!("truncate({x})"),
            // Spark has no numeric TRUNC; a cast to a whole number cuts towards zero.
            Dialect::Spark => format!("CAST(CAST({x} AS BIGINT) AS DOUBLE)"),
        }
    }

    /// ln(1 + x).
    pub fn ln_1p(self, x: &str) -> String {
        match self {
            Dialect::Spark => format!("log1p({x})"),
            _ => format!("LN(1e0 + {x})"),
        }
    }

    /// The date `months` months before date `d`, on the same day of the month or the month's last day
    /// (as custseg's window does).
    pub fn months_before(self, d: &str, months: u32) -> String {
        match self {
            Dialect::Duckdb => format!("CAST({d} - INTERVAL {months} MONTH AS DATE)"),
            Dialect::Spark => format!("add_months({d}, -{months})"),
            Dialect::Trino => format!("date_add('month', -{months}, {d})"),
            Dialect::Bigquery => format!("DATE_SUB({d}, INTERVAL {months} MONTH)"),
        }
    }

    /// The lowercase hexadecimal MD5 of text's UTF-8 bytes: the same 32 characters in every dialect.
    pub fn md5_hex(self, text: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Spark => format!("md5({text})"),
            Dialect::Trino => format!("lower(to_hex(md5(to_utf8({text}))))"),
            Dialect::Bigquery => format!("TO_HEX(MD5({text}))"),
        }
    }

    pub fn substr(self, text: &str, from: usize, len: usize) -> String {
        format!("SUBSTR({text}, {from}, {len})")
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Dialect, String> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("\"{s}\" is not a dialect: duckdb, spark, trino or bigquery"))
    }
}

/// `text` with a backslash before every backslash and every `quote`, and line ends and other control
/// characters written as escapes: what Spark's and BigQuery's quoted literals and identifiers read
/// back as `text`.
fn escape_backslashed(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                // BigQuery and Spark both read \uXXXX.
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether a double is a finite number (not NULL, NaN or infinite), in every dialect: NaN compares
/// false (Trino, BigQuery) or above every number (DuckDB, Spark), so it fails `<=` like infinity.
pub fn finite(x: &str) -> String {
    format!("ABS({x}) <= 1.7976931348623157e308")
}

/// A double literal that every dialect reads as a double (not a decimal) and back as the same value:
/// the shortest round-trip digits in exponent form, in parentheses (so that a minus sign can never
/// meet another and start a `--` comment).
pub fn double(x: f64) -> String {
    debug_assert!(x.is_finite());
    if x < 0.0 {
        format!("({x:e})")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_round_trip_in_exponent_form() {
        for x in [0.0, 1.0, -1.5, 0.1, 1.0 / 3.0, 1e-300, 123456789.125, -2.5e17, f64::MAX, f64::MIN_POSITIVE] {
            let s = double(x);
            assert!(s.contains('e'), "{s}");
            let bare = s.trim_start_matches('(').trim_end_matches(')');
            assert_eq!(bare.parse::<f64>().unwrap(), x, "{s}");
            assert!(!s.contains("--"));
        }
        assert_eq!(double(-1.5), "(-1.5e0)");
    }

    #[test]
    fn quoting_escapes_what_would_end_the_quote() {
        assert_eq!(Dialect::Duckdb.string("it's"), "'it''s'");
        assert_eq!(Dialect::Trino.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.string("a\\' b"), "'a\\\\\\' b'");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Bigquery.ident("a`b\\"), "`a\\`b\\\\`");
        assert_eq!(Dialect::Bigquery.string("x\ny"), "'x\\ny'");
        assert_eq!(Dialect::Duckdb.table("sales.bills"), "\"sales\".\"bills\"");
    }
}

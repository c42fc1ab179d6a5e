//! `custseg sql sample`: a query per export that extracts a deterministic sample of customers with
//! every row they have, so that a model can be fitted on one machine and scored in the warehouse.
//!
//! Which customers: those of the billing table, ranked by the MD5 of their id (its UTF-8 bytes, as
//! lowercase hexadecimal). `--customers N` keeps the N first in that order (ties, which MD5 makes
//! practically impossible, by id); `--fraction F` keeps those whose hash's first 8 hexadecimal digits,
//! read as a number, fall below F × 16⁸. The same customers in every dialect, and in Python's
//! `hashlib.md5(id.encode()).hexdigest()`.

use crate::ingest::Source;
use crate::profile::Profile;

use super::dialect::Dialect;
use super::{Tables, Unsupported};

/// How many customers the sample takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleSize {
    Customers(u64),
    Fraction(f64),
}

#[derive(Debug, Clone)]
pub struct SampleOptions {
    pub dialect: Dialect,
    pub size: SampleSize,
    pub tables: Tables,
    /// The exports to extract, in this order.
    pub exports: Vec<Source>,
    pub outages_by_feeder: bool,
}

/// The first 8 hexadecimal digits a sampled customer's hash stays below: `fraction` × 16⁸, rounded
/// down (`None`: every customer).
pub fn threshold(fraction: f64) -> Option<String> {
    (fraction < 1.0).then(|| format!("{:08x}", (fraction * 4_294_967_296.0).floor() as u64))
}

/// One statement per export, each headed by a `-- custseg sample: <export>` line, separated by `;`.
pub fn sample(profile: &Profile, opts: &SampleOptions) -> Result<String, Unsupported> {
    if let SampleSize::Fraction(f) = opts.size {
        if !(f > 0.0 && f <= 1.0) {
            return Err(Unsupported(format!("--fraction {f}: need a share above 0 and at most 1")));
        }
    }
    if let SampleSize::Customers(0) = opts.size {
        return Err(Unsupported("--customers 0: need at least one customer".into()));
    }
    let d = opts.dialect;
    let column = |source: Source, canonical: &str| -> String {
        let name = profile.exports.get(source).columns.get(canonical).map_or(canonical, String::as_str);
        format!("t.{}", d.ident(name))
    };
    let text = |source: Source, canonical: &str| d.to_text(&column(source, canonical));
    let table = |source: Source| format!("{} AS t", d.table(opts.tables.get(source)));
    let hash = d.md5_hex("k");
    let chosen = match opts.size {
        SampleSize::Customers(n) => format!("SELECT k FROM ids ORDER BY {hash}, k LIMIT {n}"),
        SampleSize::Fraction(f) => match threshold(f) {
            Some(below) => format!("SELECT k FROM ids WHERE {} < {}", d.substr(&hash, 1, 8), d.string(&below)),
            None => "SELECT k FROM ids".into(),
        },
    };
    let key = text(Source::Billing, "customer_id");
    let ids = format!(
        "WITH ids AS (\n  SELECT DISTINCT {key} AS k FROM {} WHERE {} IS NOT NULL AND {key} <> ''\n),\ns AS (\n  {chosen}\n)",
        table(Source::Billing),
        column(Source::Billing, "customer_id")
    );
    let mut statements = Vec::new();
    for &source in &opts.exports {
        let filter = if source == Source::Outages && opts.outages_by_feeder {
            let customers = profile.exports.get(Source::Customers);
            let c = |canonical: &str| format!("c.{}", d.ident(customers.columns.get(canonical).map_or(canonical, String::as_str)));
            format!(
                "{} IN (SELECT {} FROM {} AS c WHERE {} IN (SELECT k FROM s))",
                text(source, "feeder_id"),
                d.to_text(&c("feeder_id")),
                d.table(opts.tables.get(Source::Customers)),
                d.to_text(&c("customer_id"))
            )
        } else {
            format!("{} IN (SELECT k FROM s)", text(source, "customer_id"))
        };
        statements.push(format!("-- custseg sample: {source}\n{ids}\nSELECT t.* FROM {} WHERE {filter}", table(source)));
    }
    Ok(statements.join(";\n\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_the_fraction_of_the_hash_range() {
        assert_eq!(threshold(0.5).as_deref(), Some("80000000"));
        assert_eq!(threshold(0.1).as_deref(), Some("19999999"));
        assert_eq!(threshold(1.0), None);
        assert_eq!(threshold(1e-12).as_deref(), Some("00000000"));
    }
}

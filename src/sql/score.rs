//! `custseg sql score`: a saved model compiled to one SQL query that scores every customer where the
//! bills are, with the answer `custseg assign` gives on the same rows.
//!
//! The query reads in the stages a run does, one CTE each:
//!
//! 1. `w`: the window (`--as-of`, or the newest bill, and `run.window_months` before it);
//! 2. `r_<export>`: each export's rows in the window, exact duplicate rows dropped, each row's key and
//!    the values and filter results its features read (derived columns computed as ingest does);
//! 3. `a_<export>`: per customer (per feeder for feeder-keyed outages), each feature's aggregate;
//! 4. `raw`: the billed customers (a bill in the window) and every feature, the model's fill value
//!    where a customer has none;
//! 5. `tr`, `z`, `d`: the saved transform, clipping bounds and scaler, and the squared distance to
//!    each saved centroid;
//! 6. the nearest centroid (the first one on a tie, as `assign`) and its distance.
//!
//! Constants (fill values, bounds, means, centroids, names) are literals; only the window's end is
//! read from the data, and only without `--as-of`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use chrono::NaiveDate;

use crate::features::{Agg, FeatureSpec, FilterValue, ScaledFeature, Transform};
use crate::i18n::Lang;
use crate::ingest::{self, Kind, Source, Window};
use crate::model::Model;
use crate::profile::Profile;

use super::dialect::{double, finite, Dialect};
use super::{Tables, Unsupported};

/// What `sql score` compiles, besides the model.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    pub dialect: Dialect,
    /// End of the window; without it, the newest bill in the billing table.
    pub as_of: Option<NaiveDate>,
    pub tables: Tables,
    /// Outages are events per feeder (`feeder_id`, no `customer_id`), reaching the customers on the
    /// feeder through `customers.feeder_id`.
    pub outages_by_feeder: bool,
    /// Optional contract columns the tables do not have (the fitted run's exports lacked them).
    pub absent: Vec<(Source, String)>,
    /// Language of `segment_name`.
    pub lang: Lang,
    /// Also return every feature's value (after the missing-value rule), named as the feature.
    pub with_features: bool,
}

/// A row value's type, as the generated SQL holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqlKind {
    Text,
    Number,
    Int,
    Bool,
    Date,
    Timestamp,
}

/// The query text for `model`.
pub fn score(model: &Model, opts: &ScoreOptions) -> Result<String, Unsupported> {
    Compiler { model, profile: &model.profile, opts, d: opts.dialect, read: RefCell::default() }.query()
}

struct Compiler<'a> {
    model: &'a Model,
    profile: &'a Profile,
    opts: &'a ScoreOptions,
    d: Dialect,
    /// The contract columns the features read, per export: their values are checked as ingest checks
    /// them (see [`Compiler::accepted`]).
    read: RefCell<BTreeSet<(Source, &'static str)>>,
}

/// One export's part of the query: its row columns and its aggregates.
#[derive(Default)]
struct ExportPart {
    /// `(alias, expression)` of each row column.
    row: Vec<(String, String)>,
    /// `(feature index, aggregate expression)`.
    aggs: Vec<(usize, String)>,
}

impl Compiler<'_> {
    fn query(&self) -> Result<String, Unsupported> {
        if self.opts.with_features {
            if let Some(f) = self.model.features.iter().find(|f| ["customer_id", "segment", "segment_name", "distance"].contains(&f.name.as_str())) {
                return Err(Unsupported(format!("--with-features: feature {} would share its name with a column of the result", f.name)));
            }
        }
        let mut parts: BTreeMap<Source, ExportPart> = BTreeMap::new();
        parts.insert(Source::Billing, ExportPart::default());
        for (j, spec) in self.model.features.iter().enumerate() {
            let part = parts.entry(spec.source).or_default();
            self.feature(j, spec, part).map_err(|why| Unsupported(format!("feature {}: {why}", spec.name)))?;
        }
        if self.opts.outages_by_feeder && parts.contains_key(&Source::Outages) {
            let feeder = self.column_ref(Source::Customers, "feeder_id");
            let part = parts.entry(Source::Customers).or_default();
            part.row.push(("fd".into(), format!("NULLIF({}, '')", self.d.to_text(&feeder))));
        }

        let mut sql = String::new();
        let _ = writeln!(
            sql,
            "-- custseg {} sql score ({}): model fitted on {} customers, window of {} months; {} segments.",
            env!("CARGO_PKG_VERSION"),
            self.d.name(),
            self.model.customers,
            self.profile.run.window_months,
            self.model.k()
        );
        let _ = writeln!(sql, "-- Returns customer_id, segment, segment_name, distance{}.", if self.opts.with_features { " and every feature" } else { "" });
        sql.push_str("WITH\n");
        let mut ctes: Vec<String> = vec![self.window_cte()];
        for (&source, part) in &parts {
            ctes.push(self.rows_cte(source, part));
            ctes.push(self.aggs_cte(source, part));
        }
        ctes.push(self.raw_cte(&parts));
        ctes.push(self.scaled_ctes());
        sql.push_str(&ctes.join(",\n"));
        sql.push('\n');
        sql.push_str(&self.final_select());
        Ok(sql)
    }

    /// The table an export is read from, duplicates dropped.
    fn table(&self, source: Source) -> String {
        format!("(SELECT DISTINCT * FROM {}) AS t", self.d.table(self.opts.tables.get(source)))
    }

    /// `t.<column>` for a canonical or attribute column, with the profile's mapping applied.
    fn column_ref(&self, source: Source, canonical: &str) -> String {
        let name = self.profile.exports.get(source).columns.get(canonical).map_or(canonical, String::as_str);
        format!("t.{}", self.d.ident(name))
    }

    fn window_cte(&self) -> String {
        let months = self.profile.run.window_months;
        match self.opts.as_of {
            Some(as_of) => {
                let w = Window::ending(as_of, months);
                format!("w AS (SELECT {} AS win_start, {} AS win_end)", self.d.date(w.start), self.d.date(w.as_of))
            }
            None => {
                let bill_date = self.column_ref(Source::Billing, "bill_date");
                format!(
                    "w0 AS (SELECT MAX(CAST({bill_date} AS DATE)) AS win_end FROM {} AS t WHERE {}),\n\
                     w AS (SELECT {} AS win_start, win_end FROM w0)",
                    self.d.table(self.opts.tables.get(Source::Billing)),
                    self.accepted(Source::Billing).join(" AND "),
                    self.d.months_before("win_end", months)
                )
            }
        }
    }

    /// The export's key column (customer, or feeder for feeder-keyed outages).
    fn key(&self, source: Source) -> String {
        let name = if source == Source::Outages && self.opts.outages_by_feeder { "feeder_id" } else { "customer_id" };
        self.column_ref(source, name)
    }

    /// The checks a row passes when ingest accepts it (`ingest::batch::RowBuilder::push`): every
    /// required value there (text not empty, numbers finite), the numbers the features read finite,
    /// no date after today, no negative consumption, no outage that ends before it starts.
    fn accepted(&self, source: Source) -> Vec<String> {
        let d = self.d;
        let by_feeder = source == Source::Outages && self.opts.outages_by_feeder;
        let read = self.read.borrow();
        let mut checks = Vec::new();
        for c in ingest::contract(source) {
            let required = match c.name {
                "customer_id" if by_feeder => false,
                "feeder_id" if by_feeder => true,
                _ => c.required,
            };
            let r = self.column_ref(source, c.name);
            match c.kind {
                Kind::Id | Kind::Text if required => checks.push(format!("{r} IS NOT NULL AND {} <> ''", d.to_text(&r))),
                Kind::Number if required => checks.push(finite(&d.to_double(&r))),
                Kind::Number if read.contains(&(source, c.name)) => checks.push(format!("({r} IS NULL OR {})", finite(&d.to_double(&r)))),
                Kind::Date | Kind::DateTime if required => checks.push(format!("{r} IS NOT NULL")),
                _ => {}
            }
        }
        if let Some(date) = ingest::date_column(source) {
            checks.push(format!("CAST({} AS DATE) <= CURRENT_DATE", self.column_ref(source, date)));
        }
        match source {
            Source::Billing => checks.push(format!("{} >= 0e0", d.to_double(&self.column_ref(source, "consumption")))),
            Source::Outages => checks.push(format!(
                "CAST({} AS TIMESTAMP) >= CAST({} AS TIMESTAMP)",
                self.column_ref(source, "outage_end"),
                self.column_ref(source, "outage_start")
            )),
            _ => {}
        }
        checks
    }

    fn rows_cte(&self, source: Source, part: &ExportPart) -> String {
        let mut cols = vec![format!("{} AS k", self.d.to_text(&self.key(source)))];
        cols.extend(part.row.iter().map(|(alias, e)| format!("{e} AS {alias}")));
        let mut wheres = self.accepted(source);
        if let Some(date) = ingest::date_column(source) {
            let day = format!("CAST({} AS DATE)", self.column_ref(source, date));
            wheres.push(format!("{day} > w.win_start AND {day} <= w.win_end"));
        }
        format!(
            "r_{source} AS (\n  SELECT {}\n  FROM {} CROSS JOIN w\n  WHERE {}\n)",
            cols.join(",\n    "),
            self.table(source),
            wheres.join(" AND ")
        )
    }

    fn aggs_cte(&self, source: Source, part: &ExportPart) -> String {
        let mut cols = vec!["k".to_string(), "COUNT(*) AS n".to_string()];
        cols.extend(part.aggs.iter().map(|(j, e)| format!("{e} AS f{j}")));
        if source == Source::Customers && part.row.iter().any(|(a, _)| a == "fd") {
            cols.push("MIN(fd) AS feeder".into());
        }
        format!("a_{source} AS (\n  SELECT {}\n  FROM r_{source}\n  GROUP BY k\n)", cols.join(",\n    "))
    }

    fn raw_cte(&self, parts: &BTreeMap<Source, ExportPart>) -> String {
        let mut cols = vec!["a_billing.k AS customer_id".to_string()];
        for (j, (spec, sf)) in self.model.features.iter().zip(&self.model.scaler).enumerate() {
            // An aggregate that is not a finite number is missing, as in custseg.
            let f = format!("a_{}.f{j}", spec.source);
            cols.push(format!("COALESCE(CASE WHEN {} THEN {f} END, {}) AS r{j}", finite(&f), double(sf.fill)));
        }
        let mut from = "a_billing".to_string();
        if parts.contains_key(&Source::Customers) {
            from.push_str("\n  LEFT JOIN a_customers ON a_customers.k = a_billing.k");
        }
        for source in [Source::Outages, Source::Tickets] {
            if parts.contains_key(&source) {
                let on = if source == Source::Outages && self.opts.outages_by_feeder { "a_customers.feeder" } else { "a_billing.k" };
                let _ = write!(from, "\n  LEFT JOIN a_{source} ON a_{source}.k = {on}");
            }
        }
        format!("raw AS (\n  SELECT {}\n  FROM {from}\n)", cols.join(",\n    "))
    }

    /// Transform, clip, z-score and weight; then the squared distance to every centroid.
    fn scaled_ctes(&self) -> String {
        let d = self.d;
        let mut t = Vec::new();
        let mut z = Vec::new();
        for (j, sf) in self.model.scaler.iter().enumerate() {
            let r = format!("r{j}");
            t.push(match sf.transform {
                Transform::None => format!("r{j} AS t{j}"),
                Transform::Log1p => format!("{} AS t{j}", d.ln_1p(&format!("CASE WHEN {r} < 0e0 THEN 0e0 ELSE {r} END"))),
            });
            z.push(format!("({} - {}) / {} * {} AS z{j}", clamp(&format!("t{j}"), sf), double(sf.mean), double(sf.std), double(sf.scale)));
        }
        let dist: Vec<String> = self
            .model
            .centroids
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let terms: Vec<String> = c.iter().enumerate().map(|(j, &cj)| format!("(z{j} - {0}) * (z{j} - {0})", double(cj))).collect();
                format!("{} AS d{i}", terms.join("\n      + "))
            })
            .collect();
        format!(
            "tr AS (\n  SELECT raw.*,\n    {}\n  FROM raw\n),\nz AS (\n  SELECT tr.*,\n    {}\n  FROM tr\n),\nd AS (\n  SELECT z.*,\n    {}\n  FROM z\n)",
            t.join(",\n    "),
            z.join(",\n    "),
            dist.join(",\n    ")
        )
    }

    fn final_select(&self) -> String {
        let k = self.model.k();
        let nearest = if k == 1 { "d0".to_string() } else { format!("LEAST({})", (0..k).map(|i| format!("d{i}")).collect::<Vec<_>>().join(", ")) };
        let case = |value: &dyn Fn(usize) -> String| {
            let whens: Vec<String> = (0..k).map(|i| format!("WHEN d{i} = m THEN {}", value(i))).collect();
            format!("CASE {} END", whens.join(" "))
        };
        let ids = case(&|i| self.model.segment_ids[i].to_string());
        let names = case(&|i| self.d.string(self.model.segment_names[i].get(self.opts.lang)));
        let mut cols = vec!["customer_id".to_string(), format!("{ids} AS segment"), format!("{names} AS segment_name"), "SQRT(m) AS distance".into()];
        if self.opts.with_features {
            for (j, spec) in self.model.features.iter().enumerate() {
                cols.push(format!("r{j} AS {}", self.d.ident(&spec.name)));
            }
        }
        format!("SELECT {}\nFROM (SELECT d.*, {nearest} AS m FROM d) AS s\n", cols.join(",\n  "))
    }

    /// Adds feature `j`'s row columns and aggregate to its export's part.
    fn feature(&self, j: usize, spec: &FeatureSpec, part: &mut ExportPart) -> Result<(), String> {
        let source = spec.source;
        let pred = match &spec.filter {
            Some(f) if spec.agg != Agg::Indicator => {
                let (e, kind) = self.row_value(source, &f.column)?;
                part.row.push((format!("p{j}"), format!("COALESCE({}, FALSE)", self.matches(&e, kind, &f.values())?)));
                Some(format!("p{j}"))
            }
            _ => None,
        };
        let value = |part: &mut ExportPart| -> Result<String, String> {
            let column = spec.column.as_deref().ok_or("needs a column")?;
            let (e, kind) = self.row_value(source, column)?;
            part.row.push((format!("x{j}"), self.number(&e, kind, source, column)?));
            Ok(format!("x{j}"))
        };
        let only = |x: &str| match &pred {
            Some(p) => format!("CASE WHEN {p} THEN {x} END"),
            None => x.to_string(),
        };
        let count = |p: &str| self.d.to_double(&format!("SUM(CASE WHEN {p} THEN 1 ELSE 0 END)"));
        let agg = match spec.agg {
            Agg::Count => match &pred {
                None => self.d.to_double("COUNT(*)"),
                Some(p) => count(p),
            },
            Agg::Sum => format!("COALESCE(SUM({}), 0e0)", only(&value(part)?)),
            Agg::Mean => format!("AVG({})", only(&value(part)?)),
            Agg::Cv => {
                let x = only(&value(part)?);
                format!("CASE WHEN COUNT({x}) >= 2 THEN STDDEV_SAMP({x}) / NULLIF(AVG({x}), 0e0) END")
            }
            Agg::Share => match &pred {
                Some(p) => format!("{} / {}", count(p), self.d.to_double("COUNT(*)")),
                None => format!("AVG({})", value(part)?),
            },
            Agg::Ratio => {
                let x = value(part)?;
                let p = pred.as_deref().ok_or("a ratio needs a filter")?;
                format!("AVG(CASE WHEN {p} THEN {x} END) / NULLIF(AVG(CASE WHEN NOT {p} THEN {x} END), 0e0)")
            }
            Agg::Value => format!("MIN({})", value(part)?),
            Agg::TenureYears => {
                let column = spec.column.as_deref().ok_or("needs a column")?;
                let (e, kind) = self.row_value(source, column)?;
                let day = match kind {
                    SqlKind::Date | SqlKind::Timestamp => format!("CAST({e} AS DATE)"),
                    SqlKind::Text => {
                        self.canonical_text(source, column)?;
                        self.d.try_date(&e)
                    }
                    _ => return Err(format!("tenure_years reads a date; column \"{column}\" is not one")),
                };
                part.row.push((format!("x{j}"), format!("{} / 3.6525e2", self.d.to_double(&self.d.days_between(&day, "w.win_end")))));
                format!("MIN(x{j})")
            }
            Agg::Indicator => {
                let f = spec.filter.as_ref().ok_or("an indicator needs a filter")?;
                let (e, kind) = self.row_value(source, &f.column)?;
                let v = self.text(&e, kind)?;
                let is = |values: &[String]| values.iter().map(|x| format!("{v} = {}", self.d.string(x))).collect::<Vec<_>>().join(" OR ");
                let on: Vec<String> = f.values().iter().map(FilterValue::to_string).collect();
                let other = if spec.levels.is_empty() { "0e0".to_string() } else { format!("CASE WHEN {} THEN 0e0 END", is(&spec.levels)) };
                part.row.push((format!("x{j}"), format!("CASE WHEN {v} IS NULL THEN NULL WHEN {} THEN 1e0 ELSE {other} END", is(&on))));
                format!("MIN(x{j})")
            }
            Agg::Category => return Err("a category is saved as its indicators; this model.json holds one unexpanded".into()),
        };
        part.aggs.push((j, agg));
        Ok(())
    }

    /// A row's value of column `name` of `source` (contract, derived or attribute), and its kind.
    fn row_value(&self, source: Source, name: &str) -> Result<(String, SqlKind), String> {
        if let Some(c) = ingest::contract(source).iter().find(|c| c.name == name) {
            self.read.borrow_mut().insert((source, c.name));
            let r = self.column_ref(source, name);
            return Ok(match c.kind {
                Kind::Id | Kind::Text => (format!("NULLIF({}, '')", self.d.to_text(&r)), SqlKind::Text),
                Kind::Number => (self.d.to_double(&r), SqlKind::Number),
                Kind::Date => (format!("CAST({r} AS DATE)"), SqlKind::Date),
                Kind::DateTime => (format!("CAST({r} AS TIMESTAMP)"), SqlKind::Timestamp),
            });
        }
        if ingest::derived_from(source, name).is_some() {
            return self.derived(source, name);
        }
        if source == Source::Customers {
            let r = self.column_ref(source, name);
            return Ok((format!("NULLIF({}, '')", self.d.to_text(&r)), SqlKind::Text));
        }
        Err(format!("column \"{name}\" is not a column of the {source} export"))
    }

    /// The derived columns, as `ingest::derived` computes them (its module docs give the table).
    fn derived(&self, source: Source, name: &str) -> Result<(String, SqlKind), String> {
        let d = self.d;
        let col = |c: &str| self.row_value(source, c).map(|(e, _)| e);
        let has = |c: &str| !self.opts.absent.iter().any(|(s, a)| *s == source && a == c);
        // Whole seconds between two timestamps, cut towards zero (as polars' total_seconds).
        let seconds = |a: &str, b: &str| -> Result<String, String> {
            Ok(d.trunc(&format!("{} / 1e3", d.to_double(&d.ms_between(&col(a)?, &col(b)?)))))
        };
        let days_late = || -> Result<String, String> {
            let due = col("due_date")?;
            Ok(d.days_between(&due, &format!("COALESCE({}, w.win_end)", col("paid_date")?)))
        };
        Ok(match (source, name) {
            (_, "month") => {
                let date = ingest::date_column(source).ok_or("no date column")?;
                (d.to_double(&format!("EXTRACT(MONTH FROM {})", col(date)?)), SqlKind::Int)
            }
            (Source::Billing, "days_late") => {
                let dl = days_late()?;
                (d.to_double(&format!("CASE WHEN {dl} < 0 THEN 0 ELSE {dl} END")), SqlKind::Number)
            }
            (Source::Billing, "late") => (format!("({} > 0)", days_late()?), SqlKind::Bool),
            (Source::Billing, "unpaid") => (format!("({} IS NULL)", col("paid_date")?), SqlKind::Bool),
            (Source::Billing, "arrears_60") => {
                let (due, paid) = (col("due_date")?, col("paid_date")?);
                let owed = if has("amount_paid") {
                    format!("{} - COALESCE({}, 0e0)", col("amount_due")?, col("amount_paid")?)
                } else {
                    col("amount_due")?
                };
                (
                    format!(
                        "CASE WHEN {paid} IS NULL AND {due} IS NOT NULL AND {} > 60 THEN (CASE WHEN {owed} < 0e0 THEN 0e0 ELSE {owed} END) ELSE 0e0 END",
                        d.days_between(&due, "w.win_end")
                    ),
                    SqlKind::Number,
                )
            }
            (Source::Outages, "minutes") => (format!("{} / 6e1", seconds("outage_start", "outage_end")?), SqlKind::Number),
            (Source::Outages, "long") => (format!("({} / 6e1 >= 2.4e2)", seconds("outage_start", "outage_end")?), SqlKind::Bool),
            (Source::Outages, "momentary") => (format!("({} / 6e1 < 5e0)", seconds("outage_start", "outage_end")?), SqlKind::Bool),
            (Source::Tickets, "hours_to_close") => (format!("{} / 3.6e3", seconds("opened_at", "closed_at")?), SqlKind::Number),
            _ => return Err(format!("the derived column \"{name}\" of the {source} export has no SQL translation")),
        })
    }

    /// Whether a value equals one of a filter's values, as `features::fold` compares them.
    fn matches(&self, e: &str, kind: SqlKind, values: &[FilterValue]) -> Result<String, String> {
        let d = self.d;
        let one = |v: &FilterValue| -> Result<String, String> {
            Ok(match (kind, v) {
                (SqlKind::Text, v) => format!("{e} = {}", d.string(&v.to_string())),
                (SqlKind::Bool, v) => {
                    if matches!(v, FilterValue::Text(t) if t == "true") {
                        e.to_string()
                    } else {
                        format!("NOT {e}")
                    }
                }
                (SqlKind::Int, FilterValue::Int(i)) => format!("{e} = {}", double(*i as f64)),
                (SqlKind::Int, FilterValue::Text(t)) => format!("{} = {}", d.to_text(&format!("CAST({e} AS BIGINT)")), d.string(t)),
                (SqlKind::Number, FilterValue::Int(i)) => format!("{} = {}", d.trunc(e), double(*i as f64)),
                (SqlKind::Number, FilterValue::Text(t)) => match t.parse::<f64>() {
                    Ok(y) if y.is_finite() => format!("{e} = {}", double(y)),
                    _ => "FALSE".into(),
                },
                (SqlKind::Date | SqlKind::Timestamp, _) => return Err("a filter on a date column is not supported in SQL".into()),
            })
        };
        let any: Vec<String> = values.iter().map(one).collect::<Result<_, _>>()?;
        Ok(format!("({})", any.join(" OR ")))
    }

    /// Text of the customers export is read as numbers and dates in their ISO form only: a profile
    /// that declares other forms for it (decimal commas, slash dates) would read other values.
    fn canonical_text(&self, source: Source, column: &str) -> Result<(), String> {
        if self.profile.exports.get(source).canonical_values() {
            return Ok(());
        }
        Err(format!(
            "column \"{column}\" is text read as a number or date with exports.{source}'s value formats (decimal, thousands, date_formats), which the SQL does not apply: type the column DOUBLE or DATE in the table, or fit with ISO values"
        ))
    }

    /// A value as a number, as `features::fold` reads it (true/false as 1/0, text parsed).
    fn number(&self, e: &str, kind: SqlKind, source: Source, column: &str) -> Result<String, String> {
        Ok(match kind {
            SqlKind::Number | SqlKind::Int => e.to_string(),
            SqlKind::Bool => format!("CASE WHEN {e} THEN 1e0 WHEN NOT {e} THEN 0e0 END"),
            SqlKind::Text => {
                self.canonical_text(source, column)?;
                self.d.try_double(e)
            }
            SqlKind::Date | SqlKind::Timestamp => return Err("a date column cannot be aggregated as a number".into()),
        })
    }

    /// A value as the text an indicator compares.
    fn text(&self, e: &str, kind: SqlKind) -> Result<String, String> {
        Ok(match kind {
            SqlKind::Text => e.to_string(),
            SqlKind::Bool => format!("CASE WHEN {e} THEN 'true' WHEN NOT {e} THEN 'false' END"),
            SqlKind::Int => self.d.to_text(&format!("CAST({e} AS BIGINT)")),
            _ => return Err("an indicator or category reads a text or true/false column".into()),
        })
    }
}

/// `t` clipped to a feature's bounds (an infinite bound clips nothing).
fn clamp(t: &str, sf: &ScaledFeature) -> String {
    let mut whens = String::new();
    if sf.clip_low.is_finite() {
        let _ = write!(whens, " WHEN {t} < {0} THEN {0}", double(sf.clip_low));
    }
    if sf.clip_high.is_finite() {
        let _ = write!(whens, " WHEN {t} > {0} THEN {0}", double(sf.clip_high));
    }
    if whens.is_empty() {
        t.to_string()
    } else {
        format!("(CASE{whens} ELSE {t} END)")
    }
}

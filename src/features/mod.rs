//! Stage 2, features: aggregates each export per customer as the profile's feature definitions say,
//! applies the missing-value rule, then transforms (log1p), winsorizes, z-scores and weights the
//! features into the matrix the clustering stage reads.
//!
//! Missing values: `count`, `sum` and `share` features are 0 for a customer without rows; the other
//! aggregations take the population median. Weighting: within a group, feature *f* gets scale
//! `sqrt(group weight) * w_f / sqrt(sum of w² in the group)`, so that every group adds its weight to the
//! total variance however many features it has.

mod attributes;
mod grouped;
mod spec;

use std::collections::{BTreeMap, HashMap};

use ndarray::Array2;
use rayon::prelude::*;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use attributes::{attributes, count_customers, Attribute, AttributeSettings, Attributes, CustomerCounts};
pub use spec::{Agg, FeaturePlan, FeatureSpec, Filter, FilterValue, GroupSettings, Transform, TransformSettings, ValueFormat};

use crate::ingest::{Exports, Source, Window};

/// What can go wrong while building features.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing to build features from: no customer in the window, no usable feature, or a saved
    /// model's feature these exports cannot give (exit 3).
    #[error("{0}")]
    Data(String),
    /// polars failed on an aggregation (exit 1).
    #[error(transparent)]
    Polars(#[from] crate::error::PolarsFailure),
}

impl Error {
    fn polars(context: impl Into<String>, source: PolarsError) -> Error {
        Error::Polars(crate::error::PolarsFailure::new(context, source))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomersSeen {
    pub distinct: usize,
    pub without_bills: usize,
    /// Billed customers this export knows.
    pub billed: usize,
}

/// A feature the run could not use, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedFeature {
    pub name: String,
    pub group: String,
    pub reason: String,
}

/// How one used feature was scaled; enough to score new customers the same way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScaledFeature {
    pub name: String,
    pub group: String,
    pub transform: Transform,
    /// Value given to a customer without rows to aggregate.
    pub fill: f64,
    pub clip_low: f64,
    pub clip_high: f64,
    pub mean: f64,
    pub std: f64,
    /// Multiplier applied to the z-score (the group weighting).
    pub scale: f64,
}

impl ScaledFeature {
    /// Raw aggregated value → the coordinate clustering sees.
    pub fn apply(&self, raw: f64) -> f64 {
        let t = match self.transform {
            Transform::None => raw,
            Transform::Log1p => raw.max(0.0).ln_1p(),
        };
        (t.clamp(self.clip_low, self.clip_high) - self.mean) / self.std * self.scale
    }

    /// The same without clipping at the fitted bounds: where a customer really lies, for drift.
    pub fn apply_unclipped(&self, raw: f64) -> f64 {
        let t = match self.transform {
            Transform::None => raw,
            Transform::Log1p => raw.max(0.0).ln_1p(),
        };
        (t - self.mean) / self.std * self.scale
    }
}

/// Per-customer features, ready for clustering.
pub struct FeatureMatrix {
    /// Customers, sorted by id; row i of every matrix is customer i.
    pub customer_ids: Vec<String>,
    /// The used features' definitions, in profile order.
    pub specs: Vec<FeatureSpec>,
    /// Aggregated values after the missing-value rule, before transform (what reports show).
    pub raw: Array2<f64>,
    /// Transformed, winsorized, z-scored and weighted values (what k-means sees).
    pub scaled: Array2<f64>,
    pub scaler: Vec<ScaledFeature>,
    /// Amount billed in the window, per customer.
    pub revenue: Vec<f64>,
    /// Per export that features were aggregated from: its distinct customers in the window, and how
    /// many of them have no bill (they are left out).
    pub customers_seen: BTreeMap<Source, CustomersSeen>,
    pub skipped: Vec<SkippedFeature>,
    /// Groups with no usable feature, and why.
    pub skipped_groups: Vec<SkippedFeature>,
}

fn filter_expr(spec: &FeatureSpec, schema: &Schema) -> Option<Expr> {
    let f = spec.filter.as_ref()?;
    let dtype = schema.get(f.column.as_str()).cloned().unwrap_or(DataType::String);
    let mut pred: Option<Expr> = None;
    for v in f.values() {
        let one = match (&dtype, &v) {
            (DataType::Boolean, v) => col(f.column.as_str()).eq(lit(matches!(v, FilterValue::Text(t) if t == "true"))),
            (dt, FilterValue::Int(i)) if dt.is_primitive_numeric() => col(f.column.as_str()).cast(DataType::Int64).eq(lit(*i)),
            (_, v) => col(f.column.as_str()).cast(DataType::String).eq(lit(v.to_string())),
        };
        pred = Some(match pred {
            None => one,
            Some(p) => p.or(one),
        });
    }
    pred.map(|p| p.fill_null(lit(false)))
}

/// The feature's column as f64.
fn value_expr(spec: &FeatureSpec) -> Expr {
    col(spec.column.as_deref().unwrap_or("")).cast(DataType::Float64)
}

/// The feature's column where `p` holds, null elsewhere.
fn masked_expr(spec: &FeatureSpec, p: Expr) -> Expr {
    when(p).then(value_expr(spec)).otherwise(lit(NULL).cast(DataType::Float64))
}

/// The feature as the Rust aggregation ([`grouped`]) takes it.
fn request(spec: &FeatureSpec, schema: &Schema) -> grouped::Request {
    let pred = filter_expr(spec, schema);
    grouped::Request {
        agg: spec.agg,
        masked: pred.clone().map(|p| masked_expr(spec, p)),
        masked_not: pred.clone().map(|p| masked_expr(spec, p.not())),
        pred,
        value: value_expr(spec),
    }
}

/// The feature as a polars aggregation (the customers export, and the reference the Rust aggregation
/// in [`grouped`] is tested against).
fn agg_expr(spec: &FeatureSpec, schema: &Schema, window: Window) -> Expr {
    let pred = filter_expr(spec, schema);
    let value = || value_expr(spec);
    // Masking (null outside the filter) keeps every aggregation on polars' fast group-by path, which
    // `filter` inside `agg` leaves.
    let masked = |p: Expr| masked_expr(spec, p);
    let filtered = || match &pred {
        Some(p) => masked(p.clone()),
        None => value(),
    };
    let e = match spec.agg {
        Agg::Count => match &pred {
            Some(p) => p.clone().cast(DataType::Float64).sum(),
            None => len().cast(DataType::Float64),
        },
        Agg::Sum => filtered().sum(),
        Agg::Mean => filtered().mean(),
        Agg::Cv => filtered().std(1) / filtered().mean(),
        Agg::Share => match &pred {
            Some(p) => p.clone().cast(DataType::Float64).mean(),
            None => value().mean(),
        },
        Agg::Ratio => {
            let p = pred.clone().expect("validated: ratio has a filter");
            masked(p.clone()).mean() / masked(p.not()).mean()
        }
        Agg::Value => value().first(),
        Agg::TenureYears => {
            let c = spec.column.as_deref().unwrap_or("");
            let date = match schema.get(c) {
                Some(DataType::String) => col(c).str().to_date(StrptimeOptions {
                    format: Some("%Y-%m-%d".into()),
                    strict: false,
                    exact: true,
                    cache: true,
                }),
                _ => col(c).cast(DataType::Date),
            };
            let as_of = lit(crate::ingest::epoch_days(window.as_of)).cast(DataType::Date);
            ((as_of - date).dt().total_days(false).cast(DataType::Float64) / lit(365.25)).first()
        }
    };
    e.alias(spec.name.as_str())
}

/// The columns each export offers features (canonical, attributes and derived), by export; an export
/// that is not there has no entry.
pub type ExportColumns = BTreeMap<Source, Vec<String>>;

/// The columns of exports that were read and windowed.
pub fn columns_of(exports: &Exports) -> ExportColumns {
    exports.iter().map(|(s, e)| (*s, e.schema().iter_names().map(|n| n.to_string()).collect())).collect()
}

/// Why a feature cannot be computed from exports with these columns, if it cannot.
fn unusable(spec: &FeatureSpec, columns: &ExportColumns) -> Option<String> {
    let Some(have) = columns.get(&spec.source) else {
        return Some(format!("no {} export was given", spec.source));
    };
    let has = |c: &str| have.iter().any(|h| h == c);
    let c = spec.columns().find(|c| !has(c))?;
    // A derived column is missing when a column it is made from is: name those.
    let from = crate::ingest::derived_from(spec.source, c)
        .map(|needs| needs.iter().filter(|n| !has(n)).copied().collect::<Vec<_>>().join(" and "))
        .filter(|missing| !missing.is_empty())
        .map(|missing| format!(" (it is derived from {missing})"))
        .unwrap_or_default();
    Some(format!("the {} export has no column \"{c}\"{from}", spec.source))
}

/// The features that exports with these columns can give, in profile order, and the others with why.
/// The run may still skip a usable feature for its values (see [`build`]).
pub fn usable(specs: &[FeatureSpec], columns: &ExportColumns) -> (Vec<FeatureSpec>, Vec<SkippedFeature>) {
    let mut used = Vec::new();
    let mut skipped = Vec::new();
    for spec in specs {
        match unusable(spec, columns) {
            Some(reason) => skipped.push(SkippedFeature { name: spec.name.clone(), group: spec.group.clone(), reason }),
            None => used.push(spec.clone()),
        }
    }
    (used, skipped)
}

/// The groups of `groups` with no feature in `used`, each with the reasons its features were skipped.
pub fn skipped_groups<'a>(groups: impl Iterator<Item = &'a String>, used: &[FeatureSpec], skipped: &[SkippedFeature]) -> Vec<SkippedFeature> {
    groups
        .filter(|g| !used.iter().any(|f| &f.group == *g))
        .map(|g| {
            let mut reasons: Vec<String> = skipped.iter().filter(|s| &s.group == g).map(|s| s.reason.clone()).collect();
            reasons.dedup();
            SkippedFeature {
                name: g.clone(),
                group: g.clone(),
                reason: if reasons.is_empty() { "no feature defined".into() } else { reasons.join("; ") },
            }
        })
        .collect()
}

/// The median, in linear time; reorders `values`.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// The value at quantile q (linear interpolation between order statistics), in linear time; reorders
/// `values`.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    let pos = q * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let (_, &mut a, rest) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let frac = pos - lo as f64;
    if frac == 0.0 {
        return a;
    }
    let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
    a + (b - a) * frac
}


const REVENUE: &str = "__amount_billed";

/// A customer without a value for a feature (aggregates that are not finite count as missing too):
/// half the memory of `Option<f64>`, which matters at 10 million customers × 21 features.
const MISSING: f64 = f64::NAN;

/// One group-by per export, every used feature of that export in it.
fn aggregate(used: &[FeatureSpec], exports: &Exports, window: Window) -> Result<Aggregated> {
    // One group-by per export, every feature of that export in it. Billing goes first: its customers
    // (sorted by id) are the population, and its group-by also sums the amount billed.
    let aggregate_one = |source: Source, revenue: bool, sorted: bool| -> Result<Option<DataFrame>> {
        let Some(export) = exports.get(&source) else { return Ok(None) };
        let specs: Vec<&FeatureSpec> = used.iter().filter(|s| s.source == source).collect();
        if specs.is_empty() && !revenue {
            return Ok(None);
        }
        let context = |e| Error::polars(format!("aggregating the {source} export per customer"), e);
        let mut df = if source == Source::Customers {
            // One row per customer: polars' group-by is quick here, and it holds the date parsing
            // `tenure_years` needs.
            let aggs: Vec<Expr> = specs.iter().map(|s| agg_expr(s, export.schema(), window)).collect();
            export.lazy().group_by([col("customer_id")]).agg(aggs).collect().map_err(context)?
        } else {
            let (frame, inside) = export.all_rows();
            let key = export.frame.column("customer_id").and_then(|c| c.str().cloned()).map_err(context)?;
            let g = grouped::groups_of(&key, inside);
            let requests: Vec<grouped::Request> = specs.iter().map(|spec| request(spec, export.schema())).collect();
            let sums = if revenue { vec![col("amount_due")] } else { Vec::new() };
            let (values, sums) = grouped::aggregate(&frame, export.frame.height(), &g, &requests, &sums)?;
            let mut columns = vec![Column::new("customer_id".into(), &g.keys)];
            for (spec, values) in specs.iter().zip(values) {
                columns.push(Column::new(spec.name.as_str().into(), values));
            }
            if let Some(amount) = sums.into_iter().next() {
                columns.push(Column::new(REVENUE.into(), amount));
            }
            DataFrame::new_infer_height(columns).map_err(context)?
        };
        if sorted {
            df = df.sort(["customer_id"], Default::default()).map_err(context)?;
        }
        Ok(Some(df))
    };
    let billing = aggregate_one(Source::Billing, true, true)?.expect("billing is required");
    let customer_ids: Vec<String> = billing
        .column("customer_id")
        .and_then(|c| c.str())
        .map_err(|e| Error::polars("listing customers", e))?
        .iter()
        .map(|s| s.unwrap_or("").to_string())
        .collect();
    let n = customer_ids.len();
    if n == 0 {
        return Err(Error::Data(format!(
            "no customer has a bill between {} and {}: check --as-of and run.window_months",
            window.start, window.as_of
        )));
    }
    let index: HashMap<&str, usize> = customer_ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let revenue: Vec<f64> = billing
        .column(REVENUE)
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| Error::polars("summing the amount billed", e))?
        .f64()
        .map_err(|e| Error::polars("summing the amount billed", e))?
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();

    let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut customers_seen = BTreeMap::new();
    for source in Source::ALL {
        let df = if source == Source::Billing {
            billing.clone()
        } else {
            match aggregate_one(source, false, false)? {
                Some(df) => df,
                None => continue,
            }
        };
        let ids = df.column("customer_id").and_then(|c| c.str()).map_err(|e| Error::polars("customer ids", e))?;
        let rows: Vec<Option<usize>> = if source == Source::Billing {
            (0..n).map(Some).collect()
        } else {
            ids.iter().map(|id| id.and_then(|id| index.get(id).copied())).collect()
        };
        let unmatched = rows.iter().filter(|r| r.is_none()).count();
        customers_seen.insert(
            source,
            CustomersSeen { distinct: df.height(), without_bills: unmatched, billed: df.height() - unmatched },
        );
        for spec in used.iter().filter(|s| s.source == source) {
            let values = df
                .column(spec.name.as_str())
                .and_then(|c| c.cast(&DataType::Float64))
                .map_err(|e| Error::polars(format!("feature {}", spec.name), e))?;
            let values = values.f64().map_err(|e| Error::polars(format!("feature {}", spec.name), e))?;
            let mut out = vec![MISSING; n];
            for (row, v) in rows.iter().zip(values.iter()) {
                if let (Some(r), Some(v)) = (row, v) {
                    if v.is_finite() {
                        out[*r] = v;
                    }
                }
            }
            columns.insert(spec.name.clone(), out);
        }
    }

    Ok(Aggregated { customer_ids, columns, revenue, customers_seen })
}

/// Builds the feature matrix of new data with a saved scaler (`custseg assign`): the same features,
/// the same fill values, clipping bounds, means, standard deviations and weights, so that a customer
/// with the same bills gets exactly the same coordinates as in the fitted run.
pub fn build_with_scaler(specs: &[FeatureSpec], scaler: &[ScaledFeature], exports: &Exports, window: Window) -> Result<FeatureMatrix> {
    let columns = columns_of(exports);
    for spec in specs {
        if let Some(reason) = unusable(spec, &columns) {
            return Err(Error::Data(format!(
                "feature {} of the model cannot be computed from these exports: {reason}",
                spec.name
            )));
        }
    }
    let Aggregated { customer_ids, mut columns, revenue, customers_seen } = aggregate(specs, exports, window)?;
    let n = customer_ids.len();
    let d = specs.len();
    let mut raw = Array2::zeros((n, d));
    for (j, (spec, sf)) in specs.iter().zip(scaler).enumerate() {
        let values = columns.remove(&spec.name).unwrap_or_else(|| vec![MISSING; n]);
        for (i, &v) in values.iter().enumerate() {
            raw[[i, j]] = if v.is_nan() { sf.fill } else { v };
        }
    }
    let scaled = Array2::from_shape_fn((n, d), |(i, j)| scaler[j].apply(raw[[i, j]]));
    Ok(FeatureMatrix {
        customer_ids,
        specs: specs.to_vec(),
        raw,
        scaled,
        scaler: scaler.to_vec(),
        revenue,
        customers_seen,
        skipped: Vec::new(),
        skipped_groups: Vec::new(),
    })
}

/// Per-customer aggregates of the used features, before the missing-value rule.
struct Aggregated {
    customer_ids: Vec<String>,
    /// Per used feature, one value per customer; [`MISSING`] where the customer has none.
    columns: BTreeMap<String, Vec<f64>>,
    revenue: Vec<f64>,
    customers_seen: BTreeMap<Source, CustomersSeen>,
}

/// Builds the feature matrix for the customers of the billing export, fitting the scaler on them.
pub fn build(plan: FeaturePlan<'_>, exports: &Exports, window: Window) -> Result<FeatureMatrix> {
    let (used, mut skipped) = usable(plan.features, &columns_of(exports));
    let Aggregated { customer_ids, mut columns, revenue, customers_seen } = aggregate(&used, exports, window)?;
    let n = customer_ids.len();

    // Missing-value rule, then transform / winsorize / z-score.
    let [q_lo, q_hi] = plan.transform.winsorize;
    let mut kept: Vec<(FeatureSpec, Vec<f64>, ScaledFeature)> = Vec::new();
    // Each feature on its own (in parallel; the results are taken in profile order).
    type Scaled = std::result::Result<(FeatureSpec, Vec<f64>, ScaledFeature), SkippedFeature>;
    let scaled: Vec<Scaled> = used
        .into_iter()
        .map(|spec| {
            let values = columns.remove(&spec.name);
            (spec, values)
        })
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(spec, values)| {
            let values = values.unwrap_or_else(|| vec![MISSING; n]);
            let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let fill = if spec.agg.missing_is_zero() {
                0.0
            } else if present.is_empty() {
                return Err(SkippedFeature {
                    name: spec.name.clone(),
                    group: spec.group.clone(),
                    reason: "no customer has a value for it".into(),
                });
            } else {
                median(&mut present)
            };
            let raw: Vec<f64> = values.iter().map(|&v| if v.is_nan() { fill } else { v }).collect();
            drop(values);
            let mut sf = ScaledFeature {
                name: spec.name.clone(),
                group: spec.group.clone(),
                transform: spec.transform,
                fill,
                clip_low: f64::NEG_INFINITY,
                clip_high: f64::INFINITY,
                mean: 0.0,
                std: 1.0,
                scale: 1.0,
            };
            let mut t: Vec<f64> = raw.iter().map(|&v| sf.apply(v)).collect();
            let mut scratch = t.clone();
            sf.clip_low = quantile(&mut scratch, q_lo);
            sf.clip_high = quantile(&mut scratch, q_hi);
            for v in t.iter_mut() {
                *v = v.clamp(sf.clip_low, sf.clip_high);
            }
            let mean = t.iter().sum::<f64>() / n as f64;
            let var = t.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            if !(var.sqrt() > 1e-9 * mean.abs().max(1.0)) {
                return Err(SkippedFeature {
                    name: spec.name.clone(),
                    group: spec.group.clone(),
                    reason: "every customer has the same value (after clipping extremes)".into(),
                });
            }
            sf.mean = mean;
            sf.std = var.sqrt();
            Ok((spec, raw, sf))
        })
        .collect();
    for r in scaled {
        match r {
            Ok(k) => kept.push(k),
            Err(s) => skipped.push(s),
        }
    }

    // Group weighting.
    let mut group_w2: BTreeMap<String, f64> = BTreeMap::new();
    for (spec, _, _) in &kept {
        *group_w2.entry(spec.group.clone()).or_default() += spec.weight * spec.weight;
    }
    for (spec, _, sf) in kept.iter_mut() {
        let g = &plan.groups[&spec.group];
        sf.scale = g.weight.sqrt() * spec.weight / group_w2[&spec.group].sqrt();
    }
    let kept_specs: Vec<FeatureSpec> = kept.iter().map(|(spec, _, _)| spec.clone()).collect();
    let skipped_groups = skipped_groups(plan.groups.keys(), &kept_specs, &skipped);

    if kept.is_empty() {
        return Err(Error::Data("no feature could be computed: see the skipped features".into()));
    }
    let d = kept.len();
    let raw = Array2::from_shape_fn((n, d), |(i, j)| kept[j].1[i]);
    let scaled = Array2::from_shape_fn((n, d), |(i, j)| kept[j].2.apply(kept[j].1[i]));
    let (specs, scaler): (Vec<FeatureSpec>, Vec<ScaledFeature>) = kept.into_iter().map(|(s, _, f)| (s, f)).unzip();
    Ok(FeatureMatrix { customer_ids, specs, raw, scaled, scaler, revenue, customers_seen, skipped, skipped_groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook definition on sorted values: the reference `quantile` is checked against.
    fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
        let pos = q * (sorted.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    }

    /// A billing feature for the aggregation tests.
    fn test_spec(name: &str, agg: Agg, column: Option<&str>, filter: Option<Filter>) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            label: "x".into(),
            label_zh: None,
            group: "g".into(),
            source: Source::Billing,
            agg,
            column: column.map(String::from),
            filter,
            transform: Transform::None,
            weight: 1.0,
            high: None,
            low: None,
            high_zh: None,
            low_zh: None,
            format: Default::default(),
        }
    }

    #[test]
    fn the_rust_aggregation_matches_polars_for_every_kind_of_feature() {
        let n = 20_000;
        let pick = |i: usize, m: usize| (i.wrapping_mul(2654435761) >> 9) % m;
        let ids: Vec<String> = (0..n).map(|i| format!("c{}", pick(i, 1500))).collect();
        let amount: Vec<Option<f64>> = (0..n).map(|i| (pick(i + 3, 11) != 0).then(|| (pick(i + 5, 1000) as f64) * 0.37 - 20.0)).collect();
        let late: Vec<Option<bool>> = (0..n).map(|i| [Some(true), Some(false), None][pick(i + 7, 3)]).collect();
        let month: Vec<i64> = (0..n).map(|i| 1 + pick(i + 11, 12) as i64).collect();
        let method: Vec<Option<&str>> = (0..n).map(|i| [Some("cash"), Some("online"), None, Some("check")][pick(i + 13, 4)]).collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), ids),
            Column::new("amount".into(), amount),
            Column::new("late".into(), late),
            Column::new("month".into(), month),
            Column::new("method".into(), method),
        ])
        .unwrap();
        let spec = |agg: Agg, column: Option<&str>, filter: Option<(&str, Vec<FilterValue>)>| {
            let filter = filter.map(|(c, v)| Filter { column: c.into(), equals: None, one_of: Some(v) });
            test_spec(&format!("f{}", rand_name(agg, column, filter.is_some())), agg, column, filter)
        };
        fn rand_name(agg: Agg, column: Option<&str>, filtered: bool) -> String {
            format!("{agg:?}_{}_{filtered}", column.unwrap_or("rows"))
        }
        let cash = || Some(("method", vec![FilterValue::Text("cash".into())]));
        let winter = || Some(("month", vec![FilterValue::Int(12), FilterValue::Int(1), FilterValue::Int(2)]));
        let specs = vec![
            spec(Agg::Count, None, None),
            spec(Agg::Count, None, cash()),
            spec(Agg::Sum, Some("amount"), None),
            spec(Agg::Sum, Some("amount"), cash()),
            spec(Agg::Mean, Some("amount"), None),
            spec(Agg::Mean, Some("amount"), winter()),
            spec(Agg::Cv, Some("amount"), None),
            spec(Agg::Share, None, cash()),
            spec(Agg::Share, Some("late"), None),
            spec(Agg::Ratio, Some("amount"), winter()),
        ];
        let window = Window { start: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), as_of: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() };
        let schema = df.schema().clone();
        let reference = df
            .clone()
            .lazy()
            .group_by([col("customer_id")])
            .agg(specs.iter().map(|s| agg_expr(s, &schema, window)).collect::<Vec<_>>())
            .sort(["customer_id"], Default::default())
            .collect()
            .unwrap();
        let key = df.column("customer_id").unwrap().str().unwrap().clone();
        let g = grouped::groups_of(&key, None);
        let mut order: Vec<usize> = (0..g.keys.len()).collect();
        order.sort_by(|&a, &b| g.keys[a].cmp(&g.keys[b]));
        let ref_ids: Vec<&str> = reference.column("customer_id").unwrap().str().unwrap().iter().map(|s| s.unwrap()).collect();
        assert_eq!(ref_ids, order.iter().map(|&i| g.keys[i].as_str()).collect::<Vec<_>>());
        let usable = |v: Option<f64>| v.filter(|x| x.is_finite());
        let requests: Vec<grouped::Request> = specs.iter().map(|s| request(s, &schema)).collect();
        // One slice, and many (the slices' sums must add up to the same values).
        let (all, _) = grouped::aggregate(&df.clone().lazy(), df.height(), &g, &requests, &[]).unwrap();
        let (sliced, _) = grouped::aggregate_in_slices(&df.clone().lazy(), df.height(), &g, &requests, &[], 777).unwrap();
        // Sums run in row order, slice after slice: bit for bit the same.
        let bits = |v: &Vec<Vec<Option<f64>>>| v.iter().map(|c| c.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>()).collect::<Vec<_>>();
        assert_eq!(bits(&all), bits(&sliced));
        for (s, ours) in specs.iter().zip(all) {
            let theirs = reference.column(s.name.as_str()).unwrap().cast(&DataType::Float64).unwrap();
            let theirs: Vec<Option<f64>> = theirs.f64().unwrap().iter().collect();
            for (r, &i) in order.iter().enumerate() {
                match (usable(ours[i]), usable(theirs[r])) {
                    (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{}: {} vs {b} for {}", s.name, a, g.keys[i]),
                    (a, b) => assert_eq!(a, b, "{} for {}", s.name, g.keys[i]),
                }
            }
        }
    }

    #[test]
    fn the_rust_aggregation_with_a_window_mask_matches_polars_on_the_filtered_rows() {
        // Rows outside the window (here: months 7 to 12) belong to no customer's aggregates; some
        // customers have no row inside, some one (no coefficient of variation), the rest several.
        let n = 6_000;
        let pick = |i: usize, m: usize| (i.wrapping_mul(2654435761) >> 9) % m;
        let ids: Vec<String> = (0..n).map(|i| format!("c{}", pick(i, 900))).collect();
        let amount: Vec<Option<f64>> = (0..n).map(|i| (pick(i + 3, 7) != 0).then(|| pick(i + 5, 300) as f64 - 40.0)).collect();
        let month: Vec<i64> = (0..n).map(|i| 1 + pick(i + 11, 12) as i64).collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), ids),
            Column::new("amount".into(), amount),
            Column::new("month".into(), month),
        ])
        .unwrap();
        let spec = |agg: Agg, name: &str| test_spec(name, agg, Some("amount"), None);
        let specs = [spec(Agg::Sum, "s"), spec(Agg::Mean, "m"), spec(Agg::Cv, "cv")];
        let window = Window { start: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), as_of: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() };
        let schema = df.schema().clone();
        let inside_expr = col("month").lt_eq(lit(6));
        let filtered = df.clone().lazy().filter(inside_expr.clone()).collect().unwrap();
        let reference = filtered
            .lazy()
            .group_by([col("customer_id")])
            .agg(specs.iter().map(|s| agg_expr(s, &schema, window)).collect::<Vec<_>>())
            .collect()
            .unwrap();
        let inside = df.clone().lazy().select([inside_expr.alias("in")]).collect().unwrap();
        let inside = inside.column("in").unwrap().bool().unwrap().clone();
        let key = df.column("customer_id").unwrap().str().unwrap().clone();
        let g = grouped::groups_of(&key, Some(&inside));
        assert_eq!(g.keys.len(), reference.height(), "customers with a row inside the window");
        let requests: Vec<grouped::Request> = specs.iter().map(|s| request(s, &schema)).collect();
        let (ours, _) = grouped::aggregate_in_slices(&df.clone().lazy(), n, &g, &requests, &[], 1000).unwrap();
        let ref_ids: Vec<&str> = reference.column("customer_id").unwrap().str().unwrap().iter().map(|s| s.unwrap()).collect();
        let usable = |v: Option<f64>| v.filter(|x| x.is_finite());
        for (s, ours) in specs.iter().zip(ours) {
            let theirs = reference.column(s.name.as_str()).unwrap().cast(&DataType::Float64).unwrap();
            let theirs: Vec<Option<f64>> = theirs.f64().unwrap().iter().collect();
            for (r, id) in ref_ids.iter().enumerate() {
                let i = g.keys.iter().position(|k| k == id).expect("same customers");
                match (usable(ours[i]), usable(theirs[r])) {
                    (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{}: {a} vs {b} for {id}", s.name),
                    (a, b) => assert_eq!(a, b, "{} for {id}", s.name),
                }
            }
        }
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 5.0);
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert!((quantile_sorted(&v, 0.1) - 1.4).abs() < 1e-12);
        for q in [0.0, 0.01, 0.1, 0.5, 0.77, 0.99, 1.0] {
            let mut shuffled = [4.0, 1.0, 5.0, 3.0, 2.0];
            assert_eq!(quantile(&mut shuffled, q), quantile_sorted(&v, q), "q = {q}");
        }
    }

    #[test]
    fn scaling_transforms_clips_standardizes_and_weights() {
        let f = ScaledFeature {
            name: "x".into(),
            group: "g".into(),
            transform: Transform::Log1p,
            fill: 0.0,
            clip_low: 0.0,
            clip_high: 2.0,
            mean: 1.0,
            std: 0.5,
            scale: 0.5,
        };
        // ln(1 + (e - 1)) = 1 → (1 - 1) / 0.5 * 0.5 = 0.
        assert!(f.apply(std::f64::consts::E - 1.0).abs() < 1e-12);
        // Huge values clip at 2 → (2 - 1) / 0.5 * 0.5 = 1; negatives count as 0 → -1.
        assert!((f.apply(1e9) - 1.0).abs() < 1e-12);
        assert!((f.apply(-5.0) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut [5.0, 1.0, 9.0, 2.0, 8.0, 1.0]), 3.5);
    }
}

//! Stage 2, features: aggregates each export per customer as the profile's feature definitions say,
//! folding the rows as ingest streams them ([`Folds`]), applies the missing-value rule, then
//! transforms (log1p), winsorizes, z-scores and weights the features into the matrix the clustering
//! stage reads.
//!
//! Missing values: `count`, `sum` and `share` features are 0 for a customer without rows; the other
//! aggregations take the population median. Weighting: within a group, feature *f* gets scale
//! `sqrt(group weight) * w_f / sqrt(sum of w² in the group)`, so that every group adds its weight to the
//! total variance however many features it has.

mod attributes;
mod fold;
mod ids;
mod raw;
mod spec;

pub use ids::Ids;
pub use raw::Raw;

use std::collections::BTreeMap;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use attributes::{Attribute, AttributeFold, AttributeSettings, Attributes};
pub use fold::Folds;
pub use spec::{Agg, FeaturePlan, FeatureSpec, Filter, FilterValue, GroupSettings, Transform, TransformSettings, ValueFormat};

use crate::ingest::{Ingested, Source, Window};

/// What can go wrong while building features.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing to build features from: no customer in the window, no usable feature, or a saved
    /// model's feature these exports cannot give (exit 3).
    #[error("{0}")]
    Data(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    pub customer_ids: Ids,
    /// The used features' definitions, in profile order.
    pub specs: Vec<FeatureSpec>,
    /// Aggregated values after the missing-value rule, before transform (what reports show); stored
    /// column by column, indicators as a byte per customer.
    pub raw: Raw,
    /// Transformed, winsorized, z-scored and weighted values (what k-means sees), row by row.
    pub scaled: Array2<f64>,
    pub scaler: Vec<ScaledFeature>,
    /// Amount billed in the window, per customer.
    pub revenue: Vec<f64>,
    pub skipped: Vec<SkippedFeature>,
    /// Groups with no usable feature, and why.
    pub skipped_groups: Vec<SkippedFeature>,
}

/// The columns each export offers features (canonical, attributes and derived), by export; an export
/// that is not there has no entry.
pub type ExportColumns = BTreeMap<Source, Vec<String>>;

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


/// A customer without a value for a feature (aggregates that are not finite count as missing too).
const MISSING: f64 = f64::NAN;

/// The billed customers (codes, sorted by id) and, per feature, each one's aggregate (column by
/// column), [`MISSING`] where it has none.
struct Aggregated {
    customers: Vec<u32>,
    values: Vec<Vec<f64>>,
    /// Per feature: when its filter matched no row, why the feature says nothing (with the values
    /// its filter column held).
    unmatched: Vec<Option<String>>,
}

fn aggregated(specs: &[FeatureSpec], folds: &mut Folds, ingested: &Ingested, window: Window) -> Result<Aggregated> {
    let customers = ingested.billed();
    let n = customers.len();
    if n == 0 {
        return Err(Error::Data(format!(
            "no customer has a bill between {} and {}: check --as-of and run.window_months",
            window.start, window.as_of
        )));
    }
    let as_of = crate::ingest::epoch_days(window.as_of);
    let by_feeder = ingested.exports.get(&Source::Outages).is_some_and(|e| e.stats.feeder_keyed);
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(specs.len());
    let mut unmatched = vec![None; specs.len()];
    // Feature by feature, each one's column made and its accumulators freed once its values are out:
    // the memory of the accumulators and of the values is not needed at once.
    for (spec, unmatched) in specs.iter().zip(&mut unmatched) {
        values.push(vec![MISSING; n]);
        let column = values.last_mut().expect("pushed");
        let Some(feature) = folds.feature(spec) else { continue };
        if let (Some(seen), Some(filter)) = (feature.filter_unmatched(), &spec.filter) {
            let wanted: Vec<String> = filter.values().iter().map(|v| format!("\"{v}\"")).collect();
            let seen: Vec<String> = seen.iter().map(|v| format!("\"{v}\"")).collect();
            *unmatched = Some(if seen.is_empty() {
                format!("its filter ({} = {}) matched no row: the column has no values", filter.column, wanted.join(" or "))
            } else {
                format!(
                    "its filter ({} = {}) matched no row; values seen in {}: {}{}",
                    filter.column,
                    wanted.join(" or "),
                    filter.column,
                    seen.join(", "),
                    if seen.len() >= fold::SEEN_VALUES { ", …" } else { "" }
                )
            });
        }
        // Feeder-keyed outages were folded per feeder: a customer has its feeder's.
        let key_of = |c: u32| -> Option<usize> {
            if spec.source == Source::Outages && by_feeder {
                ingested.feeder_of.get(c as usize).filter(|&&f| f != u32::MAX).map(|&f| f as usize)
            } else {
                Some(c as usize)
            }
        };
        column.par_iter_mut().zip(customers.par_iter()).for_each(|(v, &c)| {
            if let Some(x) = key_of(c).and_then(|key| feature.value(key, as_of)).filter(|x| x.is_finite()) {
                *v = x;
            }
        });
        // A sum beyond f64's range is not a missing value: it is refused, naming a customer.
        let overflowed = |c: &&u32| key_of(**c).is_some_and(|key| feature.overflowed(key));
        if let Some(&c) = customers.par_iter().find_first(overflowed) {
            let overflowed = customers.par_iter().filter(overflowed).count();
            return Err(Error::Data(format!(
                "feature {}: the {} export's {} values add up beyond the largest number (about 1.8e308) for {} \
                 customers, for example {}: check those values in the export (they are too large to sum)",
                spec.name,
                spec.source,
                spec.column.as_deref().unwrap_or("(its)"),
                crate::format::count(overflowed),
                ingested.customers.key(c)
            )));
        }
        if spec.block.is_none() {
            folds.release(spec.source, &spec.name);
        }
    }
    Ok(Aggregated { customers, values, unmatched })
}

/// Each `category` feature replaced by one indicator per value (in place, in profile order): its
/// `levels`, or the values its column holds, most common first. A category whose column holds one
/// value, or more than [`spec::MAX_LEVELS`] without `levels`, is skipped, saying why.
fn expand_categories(used: Vec<FeatureSpec>, folds: &Folds, skipped: &mut Vec<SkippedFeature>) -> Vec<FeatureSpec> {
    let mut names: std::collections::BTreeSet<String> = used.iter().map(|s| s.name.clone()).collect();
    let mut out = Vec::with_capacity(used.len());
    for spec in used {
        if spec.agg != Agg::Category {
            out.push(spec);
            continue;
        }
        let skip = |reason: String| SkippedFeature { name: spec.name.clone(), group: spec.group.clone(), reason };
        let column = spec.column.clone().unwrap_or_default();
        let seen = folds.levels(&spec).unwrap_or_default();
        let levels = if !spec.levels.is_empty() {
            spec.levels.clone()
        } else if seen.len() > spec::MAX_LEVELS {
            let some: Vec<String> = seen.iter().take(5).map(|v| format!("\"{v}\"")).collect();
            skipped.push(skip(format!(
                "column \"{column}\" has {} different values (most common: {}, …); without levels a category takes at most {}: \
                 list the values to use under levels",
                seen.len(),
                some.join(", "),
                spec::MAX_LEVELS
            )));
            continue;
        } else {
            seen
        };
        if levels.len() < 2 {
            skipped.push(skip(format!("column \"{column}\" holds {} value{}: nothing to tell customers apart", levels.len(), if levels.len() == 1 { "" } else { "s" })));
            continue;
        }
        names.remove(&spec.name);
        for level in &levels {
            let mut slug: String = level.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
            if slug.chars().all(|c| c == '_') {
                slug = format!("v{}", names.len());
            }
            let mut name = format!("{}_{slug}", spec.name);
            let mut n = 2;
            while names.contains(&name) {
                name = format!("{}_{slug}_{n}", spec.name);
                n += 1;
            }
            names.insert(name.clone());
            let word = spec.values.get(level).cloned();
            out.push(FeatureSpec {
                name,
                // The value's wording is its label ("Homeowners"); without one, "<label>: <value>".
                label: word.clone().unwrap_or_else(|| format!("{}: {level}", spec.label)),
                label_zh: spec.values_zh.get(level).cloned().or_else(|| spec.label_zh.as_ref().map(|l| format!("{l}：{level}"))),
                group: spec.group.clone(),
                source: spec.source,
                agg: Agg::Indicator,
                column: None,
                filter: Some(Filter { column: column.clone(), equals: Some(FilterValue::Text(level.clone())), one_of: None }),
                transform: Transform::None,
                weight: spec.weight,
                high: Some(word.unwrap_or_else(|| format!("{}: {level}", spec.label))),
                low: None,
                high_zh: spec.values_zh.get(level).cloned().or_else(|| spec.label_zh.as_ref().map(|l| format!("{l}：{level}"))),
                low_zh: None,
                format: ValueFormat::Percent,
                levels: levels.clone(),
                values: BTreeMap::new(),
                values_zh: BTreeMap::new(),
                block: Some(spec.name.clone()),
            });
        }
    }
    out
}

/// The customers' ids, the amount billed, and the attributes, in the matrix's order.
fn customers_of(agg: &Aggregated, folds: &Folds, ingested: &Ingested) -> (Ids, Vec<f64>, Attributes) {
    let ids = agg.customers.iter().map(|&c| ingested.customers.key(c)).collect();
    let revenue = agg.customers.iter().map(|&c| folds.revenue(c as usize)).collect();
    (ids, revenue, folds.attributes().attributes(&agg.customers))
}

/// The scaled matrix (row by row) of the raw values (column by column).
fn scale(raw: &Raw, scaler: &[ScaledFeature]) -> Array2<f64> {
    let (n, d) = (raw.nrows(), raw.ncols());
    let mut scaled = Array2::zeros((n, d));
    scaled.axis_iter_mut(ndarray::Axis(0)).into_par_iter().enumerate().for_each(|(i, mut row)| {
        for j in 0..d {
            row[j] = scaler[j].apply(raw.get(i, j));
        }
    });
    scaled
}

/// Builds the feature matrix of new data with a saved scaler (`custseg assign`): the same features,
/// the same fill values, clipping bounds, means, standard deviations and weights, so that a customer
/// with the same bills gets exactly the same coordinates as in the fitted run.
pub fn build_with_scaler(
    specs: &[FeatureSpec],
    scaler: &[ScaledFeature],
    folds: Folds,
    ingested: &mut Ingested,
    window: Window,
) -> Result<(FeatureMatrix, Attributes)> {
    let columns_have = columns_from(ingested);
    for spec in specs {
        if let Some(reason) = unusable(spec, &columns_have) {
            return Err(Error::Data(format!("feature {} of the model cannot be computed from these exports: {reason}", spec.name)));
        }
    }
    let mut folds = folds;
    let agg = aggregated(specs, &mut folds, ingested, window)?;
    let (customer_ids, revenue, attributes) = customers_of(&agg, &folds, ingested);
    // The accumulators and the customer-key table are done with: their memory goes before the
    // matrices are made.
    drop(folds);
    ingested.release_keys();
    let mut values = agg.values;
    for (column, sf) in values.iter_mut().zip(scaler) {
        for v in column.iter_mut().filter(|v| v.is_nan()) {
            *v = sf.fill;
        }
    }
    let raw = Raw::from_columns(values);
    let scaled = scale(&raw, scaler);
    let fm = FeatureMatrix {
        customer_ids,
        specs: specs.to_vec(),
        raw,
        scaled,
        scaler: scaler.to_vec(),
        revenue,
        skipped: Vec::new(),
        skipped_groups: Vec::new(),
    };
    Ok((fm, attributes))
}

/// The columns the exports read offer features.
fn columns_from(ingested: &Ingested) -> ExportColumns {
    ingested.exports.iter().map(|(s, e)| (*s, e.columns.clone())).collect()
}

/// Builds the feature matrix for the customers of the billing export, fitting the scaler on them.
/// `used` are the features the exports can give ([`usable`]), `skipped` the others.
pub fn build(
    plan: FeaturePlan<'_>,
    used: Vec<FeatureSpec>,
    mut skipped: Vec<SkippedFeature>,
    folds: Folds,
    ingested: &mut Ingested,
    window: Window,
) -> Result<(FeatureMatrix, Attributes)> {
    let mut folds = folds;
    let used = expand_categories(used, &folds, &mut skipped);
    let agg = aggregated(&used, &mut folds, ingested, window)?;
    let n = agg.customers.len();
    let (customer_ids, revenue, attributes) = customers_of(&agg, &folds, ingested);
    // The accumulators and the customer-key table are done with: their memory goes before the
    // matrices are made.
    drop(folds);
    ingested.release_keys();
    let mut values = agg.values;
    let unmatched = agg.unmatched;

    // Missing-value rule, then transform / winsorize / z-score, each feature on its own (in
    // parallel; the results are taken in profile order). Each thread's two working columns (the
    // known values, then the transformed ones and a copy to find quantiles in) serve feature after
    // feature, instead of new memory for every feature.
    let [q_lo, q_hi] = plan.transform.winsorize;
    let scaled: Vec<std::result::Result<ScaledFeature, SkippedFeature>> = values
        .par_iter_mut()
        .zip(used.par_iter())
        .enumerate()
        .map_init(|| (Vec::<f64>::new(), Vec::<f64>::new()), |(work, t), (j, (column, spec))| {
            let skip = |reason: &str| SkippedFeature { name: spec.name.clone(), group: spec.group.clone(), reason: reason.into() };
            if let Some(reason) = &unmatched[j] {
                return Err(skip(reason));
            }
            let fill = if spec.agg.missing_is_zero() {
                0.0
            } else if spec.agg.is_indicator() {
                // Unknown: the share of the known customers who have the value (the centre of the
                // category, no nearer to one value than to another).
                let (sum, known) = column.iter().filter(|v| !v.is_nan()).fold((0.0, 0usize), |(s, k), v| (s + v, k + 1));
                if known == 0 {
                    return Err(skip("no customer has a known value for it"));
                }
                if sum == 0.0 {
                    return Err(skip("no customer has this value"));
                }
                sum / known as f64
            } else {
                work.clear();
                work.extend(column.iter().copied().filter(|v| !v.is_nan()));
                if work.is_empty() {
                    return Err(skip("no customer has a value for it"));
                }
                median(work)
            };
            for v in column.iter_mut().filter(|v| v.is_nan()) {
                *v = fill;
            }
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
            t.clear();
            t.extend(column.iter().map(|&v| sf.apply(v)));
            if spec.agg.is_indicator() {
                // 0 and 1 are not clipped: a value a few percent of customers have would be clipped away.
                sf.clip_low = 0.0;
                sf.clip_high = 1.0;
            } else {
                work.clear();
                work.extend_from_slice(t);
                sf.clip_low = quantile(work, q_lo);
                sf.clip_high = quantile(work, q_hi);
            }
            for v in t.iter_mut() {
                *v = v.clamp(sf.clip_low, sf.clip_high);
            }
            let mean = t.iter().sum::<f64>() / n as f64;
            let var = t.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            if !(var.sqrt() > 1e-9 * mean.abs().max(1.0)) {
                return Err(skip("every customer has the same value (after clipping extremes)"));
            }
            sf.mean = mean;
            sf.std = var.sqrt();
            Ok(sf)
        })
        .collect();
    // Kept features' columns; the skipped ones' are dropped.
    let mut kept: Vec<(FeatureSpec, ScaledFeature)> = Vec::new();
    let mut kept_values: Vec<Vec<f64>> = Vec::new();
    for ((r, spec), column) in scaled.into_iter().zip(used).zip(values) {
        match r {
            Ok(sf) => {
                kept.push((spec, sf));
                kept_values.push(column);
            }
            Err(s) => skipped.push(s),
        }
    }
    let values = kept_values;
    let d = kept.len();

    // A category's indicators are centred and share one fixed spread, sqrt(1/2): two customers with
    // different values are the same distance apart in every category, whichever values they are,
    // and a category adds 2 (1 − Σ p²) of variance, twice the chance that two customers differ in
    // it: a two-value column split half and half adds one feature's variance, one most customers
    // share adds little, and no column adds more than two (however many values it has).
    for (spec, sf) in kept.iter_mut() {
        if spec.block.is_some() {
            sf.std = std::f64::consts::FRAC_1_SQRT_2;
        }
    }

    // Group weighting: a category's indicators weigh as one feature.
    let mut group_w2: BTreeMap<String, f64> = BTreeMap::new();
    let mut counted: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for (spec, _) in &kept {
        if spec.block.as_deref().is_none_or(|b| counted.insert(b)) {
            *group_w2.entry(spec.group.clone()).or_default() += spec.weight * spec.weight;
        }
    }
    for (spec, sf) in kept.iter_mut() {
        let g = &plan.groups[&spec.group];
        sf.scale = g.weight.sqrt() * spec.weight / group_w2[&spec.group].sqrt();
    }
    let kept_specs: Vec<FeatureSpec> = kept.iter().map(|(spec, _)| spec.clone()).collect();
    let skipped_groups = skipped_groups(plan.groups.keys(), &kept_specs, &skipped);
    if kept.is_empty() {
        return Err(Error::Data("no feature could be computed: see the skipped features".into()));
    }
    let (specs, scaler): (Vec<FeatureSpec>, Vec<ScaledFeature>) = kept.into_iter().unzip();
    debug_assert_eq!(specs.len(), d);
    let raw = Raw::from_columns(values);
    let scaled = scale(&raw, &scaler);
    let fm = FeatureMatrix { customer_ids, specs, raw, scaled, scaler, revenue, skipped, skipped_groups };
    Ok((fm, attributes))
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

#[cfg(test)]
mod reference;

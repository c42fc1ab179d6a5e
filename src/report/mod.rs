//! Stage 4, report: turns the fitted segmentation into one serializable run result ([`RunSummary`]),
//! names and describes each segment, and renders that result as `summary.json` and `report.md`.

pub mod charts;
pub mod html;
pub mod projection;
pub mod format;
pub mod markdown;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::{Fit, Selection};
use crate::features::{FeatureMatrix, SkippedFeature};
use crate::ingest::{InputStats, Window};
use crate::profile::{Agg, FeatureSpec, Profile, Source, Transform, ValueFormat};

/// How far from the population (in standard deviations) a segment must be for a feature to count as
/// one of its traits.
pub const TRAIT_MIN_Z: f64 = 0.5;

/// The whole result of a run; every output format is rendered from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub tool: String,
    pub version: String,
    pub profile: ProfileInfo,
    pub seed: u64,
    pub window: Window,
    pub customers: usize,
    /// The number of segments, or null when no k passed the checks.
    pub k: Option<usize>,
    pub selection_rule: String,
    pub selection_sample_size: usize,
    pub silhouette_sample_size: usize,
    /// One entry per k tried.
    pub selection: Vec<crate::cluster::Candidate>,
    pub features: Vec<FeatureInfo>,
    pub skipped_features: Vec<SkippedFeature>,
    pub skipped_groups: Vec<SkippedFeature>,
    pub segments: Vec<SegmentProfile>,
    /// Row accounting per export.
    pub inputs: BTreeMap<String, InputStats>,
    /// Customers found in an export but with no bill in the window, per export (left out).
    pub customers_without_bills: BTreeMap<String, usize>,
    /// Billed customers missing from the customers export (null without one): their attributes are
    /// unknown and their tenure takes the median.
    pub billed_not_in_customers: Option<usize>,
    /// `custseg assign`: the model the customers were scored with (no refit); null for a fitted run.
    #[serde(default)]
    pub scored_with_model: Option<String>,
    /// With `--previous`: who moved between segments since the previous run.
    #[serde(default)]
    pub migration: Option<crate::migration::Migration>,
    /// `custseg assign`: how far customers sit from their segment against the fitted customers.
    #[serde(default)]
    pub drift: Option<crate::model::Drift>,
    /// With `balance = "enforce"`: the size bounds kept and what they cost in inertia.
    #[serde(default)]
    pub balance: Option<crate::cluster::EnforcedBalance>,
    /// A sample of customers on the first two principal components, for the report's map.
    #[serde(default)]
    pub projection: Option<projection::Projection>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub path: String,
    pub name: String,
    pub consumption_unit: String,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureInfo {
    pub name: String,
    pub label: String,
    pub group: String,
    pub source: Source,
    pub agg: Agg,
    pub transform: Transform,
    pub format: ValueFormat,
    /// Multiplier on the z-score from the group weighting.
    pub scale: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureStat {
    pub name: String,
    pub label: String,
    pub mean: f64,
    pub population_mean: f64,
    /// Segment mean ÷ population mean × 100; null when the population mean is 0.
    pub index: Option<f64>,
    /// Segment mean of the standardized feature: how many population standard deviations away.
    pub z: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trait {
    pub feature: String,
    /// "high" or "low".
    pub direction: String,
    pub text: String,
    pub z: f64,
    pub index: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributeShare {
    pub value: String,
    pub segment_share: f64,
    pub population_share: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributeProfile {
    pub name: String,
    pub values: Vec<AttributeShare>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// 1..k, largest segment first on a first run; with `--previous`, a segment that continues a
    /// previous one keeps its id (and name), and a new one gets the next unused id.
    pub id: usize,
    /// With `--previous`: whether the segment continues one of the previous run (false: new).
    #[serde(default)]
    pub carried_over: Option<bool>,
    pub name: String,
    pub size: usize,
    pub share: f64,
    /// Share of the amount billed in the window.
    pub revenue_share: f64,
    pub traits: Vec<Trait>,
    pub features: Vec<FeatureStat>,
    pub attributes: Vec<AttributeProfile>,
    pub description: String,
}

/// A customer attribute (a text column of the customers export), coded per customer in the feature
/// matrix's order: `levels[codes[i]]` is customer i's value.
pub struct Attribute {
    pub name: String,
    pub levels: Vec<String>,
    pub codes: Vec<u32>,
}

pub type Attributes = Vec<Attribute>;

/// Segment ids and names decided outside the report stage, per fitted segment (fit order): kept from a
/// previous run or from the model being scored with.
pub struct SegmentIdentity {
    pub ids: Vec<usize>,
    /// A name to keep; `None`: generate one from the traits.
    pub names: Vec<Option<String>>,
    /// With `--previous`: whether each segment continues a previous one.
    pub carried_over: Option<Vec<bool>>,
    /// Names generated names must not take (the previous run's).
    pub reserved_names: Vec<String>,
}

/// Everything the report stage needs.
pub struct ReportInput<'a> {
    pub profile: &'a Profile,
    pub profile_path: &'a str,
    pub window: Window,
    pub features: &'a FeatureMatrix,
    pub selection: &'a Selection,
    pub fit: Option<&'a Fit>,
    pub revenue: &'a [f64],
    pub attributes: &'a Attributes,
    pub inputs: BTreeMap<String, InputStats>,
    pub customers_without_bills: BTreeMap<String, usize>,
    pub billed_not_in_customers: Option<usize>,
    pub identity: Option<&'a SegmentIdentity>,
    pub scored_with_model: Option<String>,
}

fn trait_text(spec: &FeatureSpec, high: bool) -> String {
    let custom = if high { spec.high.clone() } else { spec.low.clone() };
    custom.unwrap_or_else(|| format!("{} {}", if high { "High" } else { "Low" }, spec.label.to_lowercase()))
}

/// Builds the run result.
pub fn summarize(input: ReportInput<'_>) -> RunSummary {
    let fm = input.features;
    let profile = input.profile;
    let n = fm.customer_ids.len();
    let d = fm.specs.len();
    let pop_mean: Vec<f64> = (0..d).map(|j| fm.raw.column(j).sum() / n.max(1) as f64).collect();
    let mut segments = Vec::new();
    if let Some(fit) = input.fit {
        let k = fit.centroids.nrows();
        let mut by_segment: Vec<Vec<AttributeProfile>> = vec![Vec::new(); k];
        for a in input.attributes {
            for (s, p) in attribute_profiles(a, &fit.labels, k).into_iter().enumerate() {
                by_segment[s].push(p);
            }
        }
        let total_revenue: f64 = input.revenue.iter().sum();
        let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (i, &l) in fit.labels.iter().enumerate() {
            members_of[l as usize].push(i);
        }
        for (s, members) in members_of.iter().enumerate() {
            let size = members.len();
            let revenue: f64 = members.iter().map(|&i| input.revenue[i]).sum();
            let mut stats = Vec::new();
            for j in 0..d {
                let mean = members.iter().map(|&i| fm.raw[[i, j]]).sum::<f64>() / size.max(1) as f64;
                let z = members.iter().map(|&i| fm.scaled[[i, j]]).sum::<f64>() / size.max(1) as f64 / fm.scaler[j].scale;
                let index = if pop_mean[j].abs() > 1e-12 { Some(mean / pop_mean[j] * 100.0) } else { None };
                stats.push(FeatureStat { name: fm.specs[j].name.clone(), label: fm.specs[j].label.clone(), mean, population_mean: pop_mean[j], index, z });
            }
            let mut order: Vec<usize> = (0..d).filter(|&j| stats[j].z.abs() >= TRAIT_MIN_Z).collect();
            order.sort_by(|&a, &b| stats[b].z.abs().total_cmp(&stats[a].z.abs()).then(a.cmp(&b)));
            let traits: Vec<Trait> = order
                .iter()
                .take(5)
                .map(|&j| Trait {
                    feature: stats[j].name.clone(),
                    direction: if stats[j].z > 0.0 { "high" } else { "low" }.into(),
                    text: trait_text(&fm.specs[j], stats[j].z > 0.0),
                    z: stats[j].z,
                    index: stats[j].index,
                })
                .collect();
            let attributes = std::mem::take(&mut by_segment[s]);
            segments.push(SegmentProfile {
                id: input.identity.map_or(s + 1, |x| x.ids[s]),
                carried_over: input.identity.and_then(|x| x.carried_over.as_ref()).map(|c| c[s]),
                name: String::new(),
                size,
                share: size as f64 / n.max(1) as f64,
                revenue_share: if total_revenue > 0.0 { revenue / total_revenue } else { 0.0 },
                traits,
                features: stats,
                attributes,
                description: String::new(),
            });
        }
        let (fixed, reserved): (Vec<Option<String>>, Vec<String>) = match input.identity {
            Some(x) => (x.names.clone(), x.reserved_names.clone()),
            None => (vec![None; k], Vec::new()),
        };
        name_segments(&mut segments, fm, &fixed, &reserved);
        for seg in segments.iter_mut() {
            seg.description = describe(seg, fm, profile);
        }
        segments.sort_by_key(|s| s.id);
    }
    RunSummary {
        tool: "custseg".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        profile: ProfileInfo {
            path: input.profile_path.to_string(),
            name: profile.display_name(input.profile_path),
            consumption_unit: profile.run.consumption_unit.clone(),
            currency: profile.run.currency.clone(),
        },
        seed: profile.run.seed,
        window: input.window,
        customers: n,
        k: input.fit.map(|f| f.centroids.nrows()),
        selection_rule: input.selection.rule.clone(),
        selection_sample_size: input.selection.sample_size,
        silhouette_sample_size: input.selection.silhouette_sample_size,
        selection: input.selection.candidates.clone(),
        features: fm
            .specs
            .iter()
            .zip(&fm.scaler)
            .map(|(s, sc)| FeatureInfo {
                name: s.name.clone(),
                label: s.label.clone(),
                group: s.group.clone(),
                source: s.source,
                agg: s.agg,
                transform: s.transform,
                format: s.format,
                scale: sc.scale,
            })
            .collect(),
        skipped_features: fm.skipped.clone(),
        skipped_groups: fm.skipped_groups.clone(),
        segments,
        inputs: input.inputs,
        customers_without_bills: input.customers_without_bills,
        billed_not_in_customers: input.billed_not_in_customers,
        scored_with_model: input.scored_with_model,
        migration: None,
        drift: None,
        balance: None,
        projection: None,
    }
}

/// The distribution of one attribute in each segment against the population.
fn attribute_profiles(a: &Attribute, labels: &[u32], k: usize) -> Vec<AttributeProfile> {
    let m = a.levels.len();
    let mut counts = vec![0usize; k * m];
    let mut pop = vec![0usize; m];
    for (&l, &c) in labels.iter().zip(&a.codes) {
        counts[l as usize * m + c as usize] += 1;
        pop[c as usize] += 1;
    }
    let np = labels.len().max(1) as f64;
    (0..k)
        .map(|s| {
            let row = &counts[s * m..(s + 1) * m];
            let ns = row.iter().sum::<usize>().max(1) as f64;
            let mut shares: Vec<AttributeShare> = (0..m)
                .map(|v| AttributeShare {
                    value: a.levels[v].clone(),
                    segment_share: row[v] as f64 / ns,
                    population_share: pop[v] as f64 / np,
                })
                .collect();
            // Most common in the segment first; at most 8 values, the rest summed as "(other)".
            shares.sort_by(|x, y| y.segment_share.total_cmp(&x.segment_share).then_with(|| x.value.cmp(&y.value)));
            if shares.len() > 8 {
                let rest = shares.split_off(7);
                shares.push(AttributeShare {
                    value: "(other)".into(),
                    segment_share: rest.iter().map(|s| s.segment_share).sum(),
                    population_share: rest.iter().map(|s| s.population_share).sum(),
                });
            }
            AttributeProfile { name: a.name.clone(), values: shares }
        })
        .collect()
}

/// Names each segment after its strongest trait and its strongest trait from another feature group,
/// adding traits (then the segment number) until every name is distinct. Segments with a `fixed` name
/// (kept from a previous run) keep it; generated names avoid it and every `reserved` name.
fn name_segments(segments: &mut [SegmentProfile], fm: &FeatureMatrix, fixed: &[Option<String>], reserved: &[String]) {
    let group_of = |feature: &str| fm.specs.iter().find(|s| s.name == feature).map(|s| s.group.clone()).unwrap_or_default();
    let mut candidates: Vec<Vec<String>> = Vec::new();
    for seg in segments.iter() {
        let mut words: Vec<String> = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        // Strongest trait per group first, then the rest.
        for t in &seg.traits {
            let g = group_of(&t.feature);
            if !groups.contains(&g) {
                groups.push(g);
                words.push(t.text.clone());
            }
        }
        for t in &seg.traits {
            if !words.contains(&t.text) {
                words.push(t.text.clone());
            }
        }
        if words.is_empty() {
            words.push("Typical customers".into());
        }
        candidates.push(words);
    }
    let mut taken = vec![2usize; segments.len()];
    loop {
        let names: Vec<String> = candidates
            .iter()
            .zip(&taken)
            .zip(fixed)
            .map(|((w, &t), f)| f.clone().unwrap_or_else(|| w.iter().take(t).cloned().collect::<Vec<_>>().join(" · ")))
            .collect();
        let clashes = |i: usize| {
            names.iter().enumerate().any(|(j, n)| j != i && *n == names[i]) || (fixed[i].is_none() && reserved.contains(&names[i]))
        };
        let mut changed = false;
        for i in 0..names.len() {
            if fixed[i].is_none() && clashes(i) && taken[i] < candidates[i].len() {
                taken[i] += 1;
                changed = true;
            }
        }
        if !changed {
            for (i, seg) in segments.iter_mut().enumerate() {
                seg.name = if fixed[i].is_none() && clashes(i) { format!("{} ({})", names[i], seg.id) } else { names[i].clone() };
            }
            return;
        }
    }
}

/// One plain-language paragraph: who they are, how many, and what sets them apart, in numbers.
fn describe(seg: &SegmentProfile, fm: &FeatureMatrix, profile: &Profile) -> String {
    let (cur, unit) = (&profile.run.currency, &profile.run.consumption_unit);
    let mut s = format!(
        "{} customers ({} of all customers, {} of the amount billed).",
        format::count(seg.size),
        format::percent(seg.share),
        format::percent(seg.revenue_share)
    );
    if seg.traits.is_empty() {
        s.push_str(" They are close to the average customer on every measure.");
        return s;
    }
    let parts: Vec<String> = seg
        .traits
        .iter()
        .take(3)
        .filter_map(|t| {
            let j = fm.specs.iter().position(|sp| sp.name == t.feature)?;
            let spec = &fm.specs[j];
            let st = &seg.features[j];
            Some(format!(
                "{} {} (all customers: {})",
                spec.label.to_lowercase(),
                format::value(st.mean, spec.format, cur, unit),
                format::value(st.population_mean, spec.format, cur, unit)
            ))
        })
        .collect();
    s.push_str(" Compared with the average customer: ");
    s.push_str(&parts.join("; "));
    s.push('.');
    for a in &seg.attributes {
        if let Some(top) = a.values.iter().filter(|v| v.segment_share >= 0.3).max_by(|x, y| {
            (x.segment_share - x.population_share).total_cmp(&(y.segment_share - y.population_share))
        }) {
            if top.segment_share >= top.population_share * 1.3 {
                s.push_str(&format!(
                    " {} of them have {} = {} ({} of all customers).",
                    format::percent(top.segment_share),
                    a.name,
                    top.value,
                    format::percent(top.population_share)
                ));
                break;
            }
        }
    }
    s
}

//! Stage 4, report: turns the fitted segmentation into one serializable run result ([`RunSummary`]),
//! names and describes each segment, and renders that result as `summary.json` and `report.md`.

pub mod charts;
pub mod document;
pub mod html;
pub mod i18n;
pub mod projection;
pub mod format;
pub mod markdown;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::{Fit, Selection};
use crate::features::{FeatureMatrix, SkippedFeature};
use crate::ingest::{InputStats, Window};
use crate::profile::{Agg, FeatureSpec, Profile, Source, Transform, ValueFormat};
use i18n::{Lang, Text};

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
    /// The language of the run's reports and of the segment names in its CSV outputs.
    #[serde(default)]
    pub language: Lang,
    pub window: Window,
    pub customers: usize,
    /// The number of segments, or null when no k passed the checks.
    pub k: Option<usize>,
    /// How the number of segments was chosen, in English (`rule` holds its settings).
    pub selection_rule: String,
    #[serde(default)]
    pub rule: Option<crate::cluster::Rule>,
    pub selection_sample_size: usize,
    pub silhouette_sample_size: usize,
    /// One entry per k tried.
    pub selection: Vec<crate::cluster::Candidate>,
    pub features: Vec<FeatureInfo>,
    /// The features of the report's overview table (`[report] overview`; empty: the first of each
    /// group).
    #[serde(default)]
    pub overview: Vec<String>,
    /// The label of every feature group of the profile, by key.
    #[serde(default)]
    pub group_labels: BTreeMap<String, Text>,
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
    /// Every input file with its size and SHA-256, for the report's *Reproduce* section.
    #[serde(default)]
    pub input_files: Vec<InputFile>,
}

/// One input file: which export, where, how large, its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputFile {
    pub export: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub path: String,
    pub name: Text,
    pub consumption_unit: String,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureInfo {
    pub name: String,
    pub label: Text,
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
    pub text: Text,
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
    /// The column of the customers export.
    pub name: String,
    /// How reports name it (`[attributes] labels`).
    #[serde(default)]
    pub label: Text,
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
    pub name: Text,
    pub size: usize,
    pub share: f64,
    /// Share of the amount billed in the window.
    pub revenue_share: f64,
    pub traits: Vec<Trait>,
    pub features: Vec<FeatureStat>,
    pub attributes: Vec<AttributeProfile>,
    pub description: Text,
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
    pub names: Vec<Option<Text>>,
    /// With `--previous`: whether each segment continues a previous one.
    pub carried_over: Option<Vec<bool>>,
    /// Names generated names must not take (the previous run's).
    pub reserved_names: Vec<Text>,
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

/// A trait's wording: the profile's `high`/`low` (`high_zh`/`low_zh`), or "High …"/"Low …" and the label.
fn trait_text(spec: &FeatureSpec, high: bool) -> Text {
    let (en, zh) = if high { (&spec.high, &spec.high_zh) } else { (&spec.low, &spec.low_zh) };
    let template = if high { "High {0}" } else { "Low {0}" };
    let en = en.clone().unwrap_or_else(|| i18n::f(Lang::En, template, &[&spec.label.to_lowercase()]));
    let zh = zh.clone().or_else(|| spec.label_zh.as_ref().map(|l| i18n::f(Lang::Zh, template, &[l])));
    Text::new(en, zh)
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
            for (s, p) in attribute_profiles(a, profile.attributes.label_of(&a.name), &fit.labels, k).into_iter().enumerate() {
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
                stats.push(FeatureStat { name: fm.specs[j].name.clone(), mean, population_mean: pop_mean[j], index, z });
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
                name: Text::default(),
                size,
                share: size as f64 / n.max(1) as f64,
                revenue_share: if total_revenue > 0.0 { revenue / total_revenue } else { 0.0 },
                traits,
                features: stats,
                attributes,
                description: Text::default(),
            });
        }
        let (mut fixed, mut reserved): (Vec<Option<Text>>, Vec<Text>) = match input.identity {
            Some(x) => (x.names.clone(), x.reserved_names.clone()),
            None => (vec![None; k], Vec::new()),
        };
        // Names the profile gives (`[segments.names]`) win over kept and generated ones: a kept name
        // that another segment now takes from the profile is given up (and generated anew).
        let given: Vec<Option<Text>> = segments.iter().map(|seg| profile.segments.name_of(seg.id)).collect();
        for s in 0..k {
            if given[s].is_none() {
                let taken = fixed[s].as_ref().is_some_and(|kept| given.iter().flatten().any(|g| same_name(g, kept)));
                if taken {
                    fixed[s] = None;
                }
            } else {
                fixed[s] = given[s].clone();
            }
        }
        reserved.extend(given.into_iter().flatten());
        name_segments(&mut segments, fm, &fixed, &reserved);
        segments.sort_by_key(|s| s.id);
    }
    let mut summary = RunSummary {
        tool: "custseg".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        profile: ProfileInfo {
            path: input.profile_path.to_string(),
            name: profile.display_text(input.profile_path),
            consumption_unit: profile.run.consumption_unit.clone(),
            currency: profile.run.currency.clone(),
        },
        seed: profile.run.seed,
        language: profile.report.language,
        window: input.window,
        customers: n,
        k: input.fit.map(|f| f.centroids.nrows()),
        selection_rule: document::rule_text(&input.selection.rule, Lang::En),
        rule: Some(input.selection.rule.clone()),
        selection_sample_size: input.selection.sample_size,
        silhouette_sample_size: input.selection.silhouette_sample_size,
        selection: input.selection.candidates.clone(),
        features: fm
            .specs
            .iter()
            .zip(&fm.scaler)
            .map(|(s, sc)| FeatureInfo {
                name: s.name.clone(),
                label: s.label_text(),
                group: s.group.clone(),
                source: s.source,
                agg: s.agg,
                transform: s.transform,
                format: s.format,
                scale: sc.scale,
            })
            .collect(),
        overview: profile.report.overview.clone(),
        group_labels: profile.groups.iter().map(|(k, g)| (k.clone(), Text::new(g.label.clone(), g.label_zh.clone()))).collect(),
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
        input_files: Vec::new(),
    };
    for i in 0..summary.segments.len() {
        let en = document::describe(&summary, i, Lang::En);
        let zh = document::describe(&summary, i, Lang::Zh);
        summary.segments[i].description = Text::new(en, Some(zh));
    }
    summary
}

/// The distribution of one attribute in each segment against the population.
fn attribute_profiles(a: &Attribute, label: Text, labels: &[u32], k: usize) -> Vec<AttributeProfile> {
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
            AttributeProfile { name: a.name.clone(), label: label.clone(), values: shares }
        })
        .collect()
}

/// Whether two names read the same in either language.
fn same_name(a: &Text, b: &Text) -> bool {
    Lang::ALL.iter().any(|&l| a.get(l) == b.get(l))
}

/// Names each segment after its strongest trait and its strongest trait from another feature group,
/// adding traits (then the segment number) until every name is distinct in every language. Segments
/// with a `fixed` name (kept from a previous run, or given by the profile) keep it; generated names
/// avoid it and every `reserved` name.
fn name_segments(segments: &mut [SegmentProfile], fm: &FeatureMatrix, fixed: &[Option<Text>], reserved: &[Text]) {
    let group_of = |feature: &str| fm.specs.iter().find(|s| s.name == feature).map(|s| s.group.clone()).unwrap_or_default();
    let mut candidates: Vec<Vec<Text>> = Vec::new();
    for seg in segments.iter() {
        let mut words: Vec<Text> = Vec::new();
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
            words.push(Text::new(i18n::t(Lang::En, "Typical customers"), Some(i18n::t(Lang::Zh, "Typical customers").into())));
        }
        candidates.push(words);
    }
    let join = |words: &[Text], lang: Lang| words.iter().map(|w| w.get(lang)).collect::<Vec<_>>().join(" · ");
    // A kept name from before Chinese names existed gets the Chinese of its segment's traits.
    let fixed: Vec<Option<Text>> = fixed
        .iter()
        .zip(&candidates)
        .map(|(f, words)| {
            f.clone().map(|mut name| {
                if name.zh.is_none() {
                    name.zh = Some(join(&words[..2.min(words.len())], Lang::Zh));
                }
                name
            })
        })
        .collect();
    let mut taken = vec![2usize; segments.len()];
    loop {
        let names: Vec<Text> = candidates
            .iter()
            .zip(&taken)
            .zip(&fixed)
            .map(|((w, &t), f)| {
                f.clone().unwrap_or_else(|| {
                    let w = &w[..t.min(w.len())];
                    Text::new(join(w, Lang::En), Some(join(w, Lang::Zh)))
                })
            })
            .collect();
        let same = same_name;
        let clashes = |i: usize| {
            names.iter().enumerate().any(|(j, n)| j != i && same(n, &names[i]))
                || (fixed[i].is_none() && reserved.iter().any(|r| same(r, &names[i])))
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
                seg.name = if fixed[i].is_none() && clashes(i) {
                    names[i].map(|n, lang| format!("{n}{}", i18n::f(lang, " ({0})", &[&seg.id])))
                } else {
                    names[i].clone()
                };
            }
            return;
        }
    }
}

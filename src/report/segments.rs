//! Each segment's profile: size, share of customers and of the amount billed, every feature's mean
//! against the population, its traits, and the distribution of customer attributes.

use crate::i18n::{self, Lang, Text};
use super::{AttributeProfile, AttributeShare, FeatureStat, SegmentProfile, SegmentSettings, Trait};
use crate::features::{Attribute, AttributeSettings, Attributes, FeatureMatrix, FeatureSpec};
use crate::model::previous::SegmentIdentity;

/// How far from the population (in standard deviations) a segment must be for a feature to count as
/// one of its traits.
pub const TRAIT_MIN_Z: f64 = 0.5;

/// What the segments are profiled from.
pub struct SegmentsInput<'a> {
    pub features: &'a FeatureMatrix,
    /// Each customer's segment (fit order, `0..k`).
    pub labels: &'a [u32],
    pub k: usize,
    pub attributes: &'a Attributes,
    pub attribute_settings: &'a AttributeSettings,
    /// Ids and kept names per segment (fit order).
    pub identity: &'a SegmentIdentity,
    /// Names the profile gives.
    pub names: &'a SegmentSettings,
}

/// A trait's wording: the profile's `high`/`low` (`high_zh`/`low_zh`), or "High …"/"Low …" and the label.
pub(super) fn trait_text(spec: &FeatureSpec, high: bool) -> Text {
    let (en, zh) = if high { (&spec.high, &spec.high_zh) } else { (&spec.low, &spec.low_zh) };
    let template = if high { "High {0}" } else { "Low {0}" };
    let en = en.clone().unwrap_or_else(|| i18n::f(Lang::En, template, &[&spec.label.to_lowercase()]));
    let zh = zh.clone().or_else(|| spec.label_zh.as_ref().map(|l| i18n::f(Lang::Zh, template, &[l])));
    Text::new(en, zh)
}


/// Every segment profiled and named, in id order (descriptions are written by [`super::RunSummary::new`]).
pub fn profile(input: SegmentsInput<'_>) -> Vec<SegmentProfile> {
    let fm = input.features;
    let n = fm.customer_ids.len();
    let d = fm.specs.len();
    let k = input.k;
    let pop_mean: Vec<f64> = fm.raw.means();
    let mut by_segment: Vec<Vec<AttributeProfile>> = vec![Vec::new(); k];
    for a in input.attributes {
        for (s, p) in attribute_profiles(a, input.attribute_settings, input.labels, k).into_iter().enumerate() {
            by_segment[s].push(p);
        }
    }
    let total_revenue: f64 = fm.revenue.iter().sum();
    // Per segment: its size, revenue, and the sums of every raw and scaled column, each matrix read in
    // its memory order (raw by column, scaled by row); each sum adds its members in row order.
    let mut sizes = vec![0usize; k];
    let mut revenues = vec![0.0f64; k];
    for (i, &l) in input.labels.iter().enumerate() {
        sizes[l as usize] += 1;
        revenues[l as usize] += fm.revenue[i];
    }
    let mut raw_sums = vec![0.0f64; k * d];
    for j in 0..d {
        for (&l, v) in input.labels.iter().zip(fm.raw.values(j)) {
            raw_sums[l as usize * d + j] += v;
        }
    }
    let mut scaled_sums = vec![0.0f64; k * d];
    for (&l, row) in input.labels.iter().zip(fm.scaled.rows()) {
        for (acc, v) in scaled_sums[l as usize * d..(l as usize + 1) * d].iter_mut().zip(row) {
            *acc += v;
        }
    }
    let mut segments = Vec::with_capacity(k);
    for s in 0..k {
        let size = sizes[s];
        let revenue = revenues[s];
        let mut stats = Vec::new();
        for (j, &pop) in pop_mean.iter().enumerate() {
            let mean = raw_sums[s * d + j] / size.max(1) as f64;
            let spec = &fm.specs[j];
            // An indicator's difference in its own spread (a category's indicators share their
            // category's in the matrix), so that "93% homeowners against 50%" weighs as a trait as much
            // as an amount as far out.
            let z = if spec.agg.is_indicator() {
                let spread = (pop * (1.0 - pop)).sqrt();
                if spread > 0.0 { (mean - pop) / spread } else { 0.0 }
            } else {
                scaled_sums[s * d + j] / size.max(1) as f64 / fm.scaler[j].scale
            };
            let index = if pop.abs() > 1e-12 { Some(mean / pop * 100.0) } else { None };
            stats.push(FeatureStat { name: fm.specs[j].name.clone(), mean, population_mean: pop, index, z });
        }
        // A value of a category is a trait when the segment has more of it: fewer renters is said
        // as more homeowners.
        let named = |j: usize| stats[j].z >= TRAIT_MIN_Z || (stats[j].z <= -TRAIT_MIN_Z && fm.specs[j].block.is_none());
        let mut order: Vec<usize> = (0..d).filter(|&j| named(j)).collect();
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
        segments.push(SegmentProfile {
            id: input.identity.ids[s],
            carried_over: input.identity.carried_over.as_ref().map(|c| c[s]),
            name: Text::default(),
            size,
            share: size as f64 / n.max(1) as f64,
            revenue_share: if total_revenue > 0.0 { revenue / total_revenue } else { 0.0 },
            traits,
            features: stats,
            attributes: std::mem::take(&mut by_segment[s]),
            description: Text::default(),
            leading_changed_from: None,
        });
    }
    // A continuing segment whose leading trait changed is flagged; the profile may rename it.
    let mut identity = input.identity.clone();
    for (s, seg) in segments.iter_mut().enumerate() {
        let Some(Some((feature, direction, text))) = input.identity.previous_leading.get(s) else { continue };
        let now = seg.traits.first().map(|t| (t.feature.as_str(), t.direction.as_str()));
        if now != Some((feature.as_str(), direction.as_str())) {
            seg.leading_changed_from = Some(text.clone());
            if input.names.rename_when_traits_change {
                identity.names[s] = None;
            }
        }
    }
    let names = super::naming::names(&segments, fm, &identity, input.names);
    for (seg, name) in segments.iter_mut().zip(names) {
        seg.name = name;
    }
    segments.sort_by_key(|s| s.id);
    segments
}

/// The distribution of one attribute in each segment against the population.
fn attribute_profiles(a: &Attribute, settings: &AttributeSettings, labels: &[u32], k: usize) -> Vec<AttributeProfile> {
    let label = settings.label_of(&a.name);
    let m = a.levels.len();
    let mut counts = vec![0usize; k * m];
    let mut pop = vec![0usize; m];
    for (i, &l) in labels.iter().enumerate() {
        let c = a.codes.get(i);
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
                    label: settings.value_of(&a.name, &a.levels[v]),
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
                    label: None,
                    segment_share: rest.iter().map(|s| s.segment_share).sum(),
                    population_share: rest.iter().map(|s| s.population_share).sum(),
                });
            }
            AttributeProfile { name: a.name.clone(), label: label.clone(), values: shares }
        })
        .collect()
}


/// Why each customer is in its segment: up to three of the segment's traits the customer shares, the
/// ones it shows most strongly (its own standing on the feature times the segment's), in `lang`; each
/// distinct wording is kept once.
pub struct Reasons {
    pub texts: Vec<String>,
    /// Per customer (matrix order), its wording in `texts`.
    pub of_customer: Vec<u32>,
}

/// How many traits a customer's reasons name at most.
pub const MAX_REASONS: usize = 3;

impl Reasons {
    pub fn get(&self, i: usize) -> &str {
        &self.texts[self.of_customer[i] as usize]
    }
}

/// The reasons of every customer of `fm`, in segment `segment_of.get(i)` (an id of `segments`).
pub fn reasons(fm: &FeatureMatrix, segment_of: super::SegmentOf<'_>, segments: &[SegmentProfile], lang: Lang) -> Reasons {
    use rayon::prelude::*;
    let n = fm.customer_ids.len();
    let pop: Vec<f64> = fm.raw.means();
    // Per segment, its traits' columns and signed strength.
    let traits: Vec<Vec<(usize, f64)>> = segments
        .iter()
        .map(|seg| seg.traits.iter().filter_map(|t| fm.specs.iter().position(|s| s.name == t.feature).map(|j| (j, t.z))).collect())
        .collect();
    let index_of = |id: usize| segments.iter().position(|s| s.id == id).unwrap_or(0);
    // A customer's standing on feature j, in the units traits are measured in.
    let standing = |i: usize, j: usize| -> f64 {
        if fm.specs[j].agg.is_indicator() {
            let spread = (pop[j] * (1.0 - pop[j])).sqrt();
            if spread > 0.0 { (fm.raw.get(i, j) - pop[j]) / spread } else { 0.0 }
        } else {
            fm.scaled[[i, j]] / fm.scaler[j].scale
        }
    };
    // Each customer's choice: segment index (high 16 bits) and up to MAX_REASONS trait positions (3
    // bits each), packed in 4 bytes; replaced below, in place, by its wording's index.
    let mut codes: Vec<u32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let s = index_of(segment_of.get(i));
            let mut scored: Vec<(usize, f64)> = traits[s]
                .iter()
                .enumerate()
                .map(|(p, &(j, z))| (p, standing(i, j) * z))
                .filter(|(_, v)| *v > 0.0)
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let code = scored.iter().take(MAX_REASONS).fold(0u32, |acc, &(p, _)| acc * 8 + p as u32 + 1);
            ((s as u32) << 16) | code
        })
        .collect();
    let mut texts = Vec::new();
    let mut known: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for packed in codes.iter_mut() {
        let (s, code) = ((*packed >> 16) as usize, *packed & 0xFFFF);
        *packed = *known.entry(*packed).or_insert_with(|| {
            let mut picks = Vec::new();
            let mut c = code;
            while c > 0 {
                picks.push((c % 8 - 1) as usize);
                c /= 8;
            }
            picks.reverse();
            let text = if picks.is_empty() {
                i18n::t(lang, "Close to the segment's typical customer").to_string()
            } else {
                picks.iter().map(|&p| segments[s].traits[p].text.get(lang).to_string()).collect::<Vec<_>>().join(i18n::t(lang, "; "))
            };
            texts.push(text);
            texts.len() as u32 - 1
        });
    }
    Reasons { texts, of_customer: codes }
}

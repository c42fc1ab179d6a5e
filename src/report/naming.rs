//! Segment names: kept from the previous run or the model, given by the profile, or generated from a
//! segment's strongest traits, always distinct in every language.

use crate::i18n::{self, Lang, Text};
use super::{SegmentProfile, SegmentSettings};
use crate::features::FeatureMatrix;
use crate::model::previous::SegmentIdentity;

/// The name of each segment of `segments` (fit order). Names the profile gives (`[segments] names`)
/// win over kept and generated ones: a kept name that another segment now takes from the profile is
/// given up (and generated anew).
pub fn names(segments: &[SegmentProfile], fm: &FeatureMatrix, identity: &SegmentIdentity, settings: &SegmentSettings) -> Vec<Text> {
    let k = segments.len();
    let mut fixed = identity.names.clone();
    let mut reserved = identity.reserved_names.clone();
    let given: Vec<Option<Text>> = segments.iter().map(|seg| settings.name_of(seg.id)).collect();
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
    generate(segments, fm, &fixed, &reserved)
}

/// Whether two names read the same in either language.
pub fn same_name(a: &Text, b: &Text) -> bool {
    Lang::ALL.iter().any(|&l| a.get(l) == b.get(l))
}

/// Names each segment after its strongest trait and its strongest trait from another feature group,
/// adding traits (then the segment number) until every name is distinct in every language. Segments
/// with a `fixed` name (kept from a previous run, or given by the profile) keep it; generated names
/// avoid it and every `reserved` name.
fn generate(segments: &[SegmentProfile], fm: &FeatureMatrix, fixed: &[Option<Text>], reserved: &[Text]) -> Vec<Text> {
    let group_of = |feature: &str| fm.specs.iter().find(|s| s.name == feature).map(|s| s.group.clone()).unwrap_or_default();
    let mut candidates: Vec<Vec<Text>> = Vec::new();
    for seg in segments.iter() {
        let mut words: Vec<Text> = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        // Who they are first: the strongest value of a household category that most of the segment
        // has ("Homeowners"), then the strongest trait per group, then the rest.
        let who = seg
            .features
            .iter()
            .filter_map(|f| fm.specs.iter().find(|s| s.name == f.name && s.agg.is_indicator()).map(|s| (s, f)))
            .filter(|(_, f)| f.z >= super::TRAIT_MIN_Z && f.mean >= 0.5)
            .max_by(|a, b| a.1.z.total_cmp(&b.1.z).then_with(|| b.1.name.cmp(&a.1.name)));
        if let Some((spec, _)) = who {
            groups.push(spec.group.clone());
            words.push(super::segments::trait_text(spec, true));
        }
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
            return segments
                .iter()
                .enumerate()
                .map(|(i, seg)| {
                    if fixed[i].is_none() && clashes(i) {
                        names[i].map(|n, lang| format!("{n}{}", i18n::f(lang, " ({0})", &[&seg.id])))
                    } else {
                        names[i].clone()
                    }
                })
                .collect();
        }
    }
}

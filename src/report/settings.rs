//! What a profile says about reports (`[report]`) and segment names (`[segments]`), with their checks.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, Text};
use crate::features::FeatureSpec;

/// The most headline measures the overview table shows.
pub const MAX_OVERVIEW: usize = 6;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Language of `report.md`, `report.html`, the charts and the segment names in CSV outputs.
    pub language: Lang,
    /// Features shown in the report's overview table, by name (empty: the first feature of each group).
    pub overview: Vec<String>,
}

impl ReportSettings {
    pub fn check(&self, features: &[FeatureSpec]) -> Result<(), String> {
        if self.overview.len() > MAX_OVERVIEW {
            return Err(format!(
                "report.overview lists {} features: at most {MAX_OVERVIEW} fit in the overview table",
                self.overview.len()
            ));
        }
        match self.overview.iter().find(|name| !features.iter().any(|f| &f.name == *name)) {
            Some(name) => Err(format!("report.overview: \"{name}\" is not a feature of this profile")),
            None => Ok(()),
        }
    }
}

/// Segment names chosen by the analyst, by segment id, instead of the generated ones.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentSettings {
    pub names: BTreeMap<String, String>,
    pub names_zh: BTreeMap<String, String>,
    /// With `--previous`: a segment that continues a previous one but whose leading trait changed gets
    /// a name generated anew (instead of keeping the previous name, which it keeps by default).
    pub rename_when_traits_change: bool,
}

impl SegmentSettings {
    /// The name given to segment `id`, in both languages (the English name stands in for Chinese).
    pub fn name_of(&self, id: usize) -> Option<Text> {
        let key = id.to_string();
        match (self.names.get(&key), self.names_zh.get(&key)) {
            // Without a Chinese name the analyst's name stands in Chinese reports too.
            (Some(en), zh) => Some(Text::new(en.clone(), Some(zh.unwrap_or(en).clone()))),
            (None, Some(zh)) => Some(Text::new(zh.clone(), Some(zh.clone()))),
            (None, None) => None,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        for (key, names) in [("segments.names", &self.names), ("segments.names_zh", &self.names_zh)] {
            let mut seen: Vec<&str> = Vec::new();
            for (id, name) in names {
                if !id.parse::<usize>().is_ok_and(|i| i >= 1) {
                    return Err(format!("{key}: \"{id}\" is not a segment number (1, 2, …)"));
                }
                if name.trim().is_empty() {
                    return Err(format!("{key}.{id}: the name is empty"));
                }
                if seen.contains(&name.as_str()) {
                    return Err(format!("{key}.{id}: \"{name}\" names two segments"));
                }
                seen.push(name);
            }
        }
        let ids: BTreeSet<&String> = self.names.keys().chain(self.names_zh.keys()).collect();
        let named: Vec<(usize, Text)> =
            ids.iter().filter_map(|id| id.parse::<usize>().ok()).filter_map(|id| Some((id, self.name_of(id)?))).collect();
        for (i, (a, ta)) in named.iter().enumerate() {
            if let Some((b, _)) = named[..i].iter().find(|(_, tb)| Lang::ALL.iter().any(|&l| tb.get(l) == ta.get(l))) {
                return Err(format!("[segments]: segments {b} and {a} would have the same name (names and names_zh together)"));
            }
        }
        Ok(())
    }
}

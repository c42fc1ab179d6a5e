//! Profiles: the TOML job configuration (`profiles/*.toml`), parsed strictly and validated before any
//! data is read. A profile is made of each stage's settings, and each stage checks its own: the export
//! layouts (ingest), the feature definitions (features), `[clustering]` (cluster), `[report]` and
//! `[segments]` (report). Every key is documented in `profiles/README.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::ClusteringSettings;
use crate::features::{AttributeSettings, FeaturePlan, FeatureSpec, GroupSettings, TransformSettings};
use crate::ingest::ExportsSettings;
use crate::i18n::Text;
use crate::report::{ReportSettings, SegmentSettings};

/// The default profile, compiled in so that `custseg run` works from any folder.
pub const DEFAULT_PROFILE_TOML: &str = include_str!("../profiles/residential.toml");
pub const DEFAULT_PROFILE_NAME: &str = "profiles/residential.toml";

/// A profile key or value is wrong (exit 2): the file and what to fix.
#[derive(Debug, thiserror::Error)]
#[error("profile {path}: {message}")]
pub struct ProfileError {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A short name shown in reports.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `name` in Chinese, for reports in Chinese.
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub description_zh: Option<String>,
    #[serde(default)]
    pub run: RunSettings,
    #[serde(default)]
    pub clustering: ClusteringSettings,
    #[serde(default)]
    pub transform: TransformSettings,
    /// Feature groups by key; every feature names one.
    pub groups: BTreeMap<String, GroupSettings>,
    pub features: Vec<FeatureSpec>,
    #[serde(default)]
    pub attributes: AttributeSettings,
    #[serde(default)]
    pub quality: QualitySettings,
    /// How each export file is laid out, when it is not in the canonical form.
    #[serde(default)]
    pub exports: ExportsSettings,
    #[serde(default)]
    pub report: ReportSettings,
    #[serde(default)]
    pub segments: SegmentSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QualitySettings {
    /// Largest share of an export's rows that may be rejected before the run stops (exit 3).
    pub max_reject_share: f64,
    /// With `--previous`: largest share of continuing customers that may change segment before the run
    /// exits 5 (outputs are still written). None: no gate.
    pub max_migration_share: Option<f64>,
    /// `custseg assign`: largest share of customers farther from their segment's centre than any fitted
    /// customer before the run exits 5 (outputs are still written). None: no gate.
    pub max_drift_share: Option<f64>,
    /// With `--previous`: a previous segment with no successor, or a new segment, exits 5 (outputs
    /// are still written).
    pub fail_on_segment_change: bool,
    /// Whether a run that ended at a gate (exit 5) may be the next run's `--previous`: by default it
    /// may not, so that a month nobody has looked at does not become the baseline.
    pub accept_gated_previous: bool,
}

impl Default for QualitySettings {
    fn default() -> Self {
        QualitySettings { max_reject_share: 0.01, max_migration_share: None, max_drift_share: None, fail_on_segment_change: true, accept_gated_previous: false }
    }
}

impl QualitySettings {
    fn check(&self) -> Result<(), String> {
        let shares = [
            ("max_reject_share", Some(self.max_reject_share)),
            ("max_migration_share", self.max_migration_share),
            ("max_drift_share", self.max_drift_share),
        ];
        match shares.iter().find_map(|(key, v)| v.filter(|v| !(0.0..=1.0).contains(v)).map(|v| (key, v))) {
            Some((key, v)) => Err(format!("quality.{key} = {v}: must be between 0 and 1")),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSettings {
    /// Months of history up to the newest bill (or `--as-of`) that the features look at.
    pub window_months: u32,
    pub seed: u64,
    /// Unit of `consumption`, shown in reports (kWh, m³ …).
    pub consumption_unit: String,
    /// Currency symbol shown before amounts in reports.
    pub currency: String,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings { window_months: 12, seed: 42, consumption_unit: "kWh".into(), currency: "$".into() }
    }
}

impl Profile {
    /// The compiled-in default profile (tests; runs read it through `cmd::plan::ProfileSource`).
    #[cfg(test)]
    pub fn default_profile() -> Profile {
        Profile::parse(DEFAULT_PROFILE_TOML, Path::new(DEFAULT_PROFILE_NAME))
            .expect("the bundled default profile is valid (tested)")
    }

    /// Parses and validates a profile's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text)
            .map_err(|e| ProfileError { path: path.to_path_buf(), message: e.to_string().trim_end().replace('\n', "\n  ") })?;
        profile.check(path)?;
        Ok(profile)
    }

    /// The profile's texts that a Chinese report shows in English for want of a translation, as the
    /// keys that would give one (`features[3] (bill_mean).high_zh`).
    pub fn untranslated(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.name.is_some() && self.name_zh.is_none() {
            out.push("name_zh".to_string());
        }
        if self.description.is_some() && self.description_zh.is_none() {
            out.push("description_zh".to_string());
        }
        for (key, g) in &self.groups {
            if g.label_zh.is_none() {
                out.push(format!("groups.{key}.label_zh"));
            }
        }
        for key in self.attributes.labels.keys().filter(|k| !self.attributes.labels_zh.contains_key(*k)) {
            out.push(format!("attributes.labels_zh.{key}"));
        }
        for (column, values) in &self.attributes.values {
            let zh = self.attributes.values_zh.get(column);
            out.extend(values.keys().filter(|v| zh.is_none_or(|z| !z.contains_key(*v))).map(|v| format!("attributes.values_zh.{column}.{v}")));
        }
        for (i, f) in self.features.iter().enumerate() {
            let at = format!("features[{i}] ({})", f.name);
            let missing = [
                ("label_zh", f.label_zh.is_none()),
                ("high_zh", f.high.is_some() && f.high_zh.is_none()),
                ("low_zh", f.low.is_some() && f.low_zh.is_none()),
            ];
            out.extend(missing.iter().filter(|(_, m)| *m).map(|(k, _)| format!("{at}.{k}")));
            out.extend(f.values.keys().filter(|v| !f.values_zh.contains_key(*v)).map(|v| format!("{at}.values_zh.{v}")));
        }
        out
    }

    /// The features stage's part of the profile.
    pub fn feature_plan(&self) -> FeaturePlan<'_> {
        FeaturePlan { features: &self.features, groups: &self.groups, transform: &self.transform }
    }

    /// Checks every value, each stage's settings by that stage's rules (as loading a profile file
    /// does; also for profiles embedded in saved models).
    pub fn check(&self, path: &Path) -> Result<(), ProfileError> {
        let fail = |message: String| ProfileError { path: path.to_path_buf(), message };
        self.clustering.check().map_err(|e| fail(e.message))?;
        self.feature_plan().check_profile().map_err(fail)?;
        self.quality.check().map_err(fail)?;
        self.exports.check().map_err(fail)?;
        if !(1..=1200).contains(&self.run.window_months) {
            return Err(fail(format!("run.window_months = {}: must be between 1 and 1200 (a hundred years)", self.run.window_months)));
        }
        self.report.check(&self.features).map_err(fail)?;
        self.segments.check().map_err(fail)
    }

    /// The profile's display name.
    pub fn display_name(&self, fallback: &str) -> String {
        self.name.clone().unwrap_or_else(|| fallback.to_string())
    }

    /// The display name in both languages.
    pub fn display_text(&self, fallback: &str) -> Text {
        Text::new(self.display_name(fallback), self.name_zh.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// The checkout under test, read at run time: a shared build cache may hold a test binary compiled
    /// in another clone, whose compile-time CARGO_MANIFEST_DIR is gone.
    fn checkout() -> PathBuf {
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"))
    }

    fn parse(text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn every_profile_in_the_profiles_folder_is_valid() {
        let dir = checkout().join("profiles");
        let mut seen = 0;
        for folder in [dir.clone(), dir.join("examples")] {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let p = entry.unwrap().path();
                if p.extension().is_some_and(|e| e == "toml") {
                    Profile::parse(&std::fs::read_to_string(&p).unwrap(), &p).unwrap_or_else(|e| panic!("{e}"));
                    seen += 1;
                }
            }
        }
        assert!(seen >= 2);
        assert_eq!(Profile::default_profile().features.len(), 26);
    }

    #[test]
    fn every_profile_key_is_documented() {
        let root = &checkout();
        let doc = std::fs::read_to_string(root.join("profiles/README.md")).unwrap();
        // The bundled profile and the example together set every kind of key.
        for file in ["profiles/residential.toml", "profiles/examples/gbk-chinese-headers.toml"] {
            let p = Profile::parse(&std::fs::read_to_string(root.join(file)).unwrap(), &root.join(file)).unwrap();
            let value = toml::Value::try_from(&p).unwrap();
            let mut keys = Vec::new();
            fn walk(v: &toml::Value, keys: &mut Vec<String>) {
                match v {
                    toml::Value::Table(t) => {
                        for (k, v) in t {
                            keys.push(k.clone());
                            walk(v, keys);
                        }
                    }
                    toml::Value::Array(a) => a.iter().for_each(|v| walk(v, keys)),
                    _ => {}
                }
            }
            walk(&value, &mut keys);
            for k in keys {
                // Group keys, column mappings and labels, a category's values, and segment numbers are the profile's own
                // names, not profile keys.
                let own = crate::ingest::Source::ALL.iter().any(|s| p.exports.get(*s).columns.contains_key(&k))
                    || p.groups.contains_key(&k)
                    || p.attributes.labels.contains_key(&k)
                    || p.attributes.labels_zh.contains_key(&k)
                    || [&p.attributes.values, &p.attributes.values_zh].iter().any(|m| m.contains_key(&k) || m.values().any(|v| v.contains_key(&k)))
                    || p.features.iter().any(|f| f.values.contains_key(&k) || f.values_zh.contains_key(&k))
                    || k.parse::<usize>().is_ok();
                if own {
                    continue;
                }
                let documented = [format!("`{k}`"), format!("`[{k}]`"), format!("`[[{k}]]`"), format!("{k} = ")]
                    .iter()
                    .any(|form| doc.contains(form.as_str()));
                assert!(documented, "profiles/README.md does not document `{k}` (set in {file})");
            }
        }
    }

    #[test]
    fn segment_names_must_be_numbered_and_distinct() {
        let with = |extra: &str| parse(&format!("{DEFAULT_PROFILE_TOML}\n{extra}"));
        let p = with("[segments]\nnames = { 2 = \"Credit watch\" }\nnames_zh = { 2 = \"信用关注\", 3 = \"大客户\" }").unwrap();
        assert_eq!(p.segments.name_of(2), Some(Text::new("Credit watch", Some("信用关注".into()))));
        assert_eq!(p.segments.name_of(3).unwrap().get(Lang::Zh), "大客户");
        assert_eq!(p.segments.name_of(1), None);
        let err = with("[segments]\nnames = { first = \"A\" }").unwrap_err().to_string();
        assert!(err.contains("segments.names") && err.contains("\"first\" is not a segment number"), "{err}");
        let err = with("[segments]\nnames = { 1 = \"A\", 2 = \"A\" }").unwrap_err().to_string();
        assert!(err.contains("\"A\" names two segments"), "{err}");
        // A Chinese-only name stands in for English too, so it may not repeat another English name.
        let err = with("[segments]\nnames = { 1 = \"A\" }\nnames_zh = { 2 = \"A\" }").unwrap_err().to_string();
        assert!(err.contains("segments 1 and 2 would have the same name"), "{err}");
        let err = parse(&DEFAULT_PROFILE_TOML.replace("language = \"en\"", "language = \"fr\"")).unwrap_err().to_string();
        assert!(err.contains("language") && err.contains("fr"), "{err}");
    }

    #[test]
    fn more_than_seven_segments_is_refused() {
        let base = DEFAULT_PROFILE_TOML;
        let err = parse(&base.replace("k_max = 7", "k_max = 8")).unwrap_err().to_string();
        assert!(err.contains("k_max = 8") && err.contains("at most 7"), "{err}");
        let err = parse(&base.replace("k_min = 2", "k = 9\nk_min = 2")).unwrap_err().to_string();
        assert!(err.contains("clustering.k = 9"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_references_are_named() {
        let err = parse(&DEFAULT_PROFILE_TOML.replace("restarts = 4", "restart = 4")).unwrap_err().to_string();
        assert!(err.contains("test.toml") && err.contains("restart"), "{err}");
        let err = parse(&DEFAULT_PROFILE_TOML.replacen("group = \"payment\"", "group = \"paymnt\"", 1)).unwrap_err().to_string();
        assert!(err.contains("paymnt") && err.contains("not declared"), "{err}");
        let err = parse(&DEFAULT_PROFILE_TOML.replacen("column = \"consumption\"", "column = \"kwh\"", 1)).unwrap_err().to_string();
        assert!(err.contains("\"kwh\" is not available from billing"), "{err}");
    }
}

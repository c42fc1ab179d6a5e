//! Stage 4, report: the run result ([`RunSummary`], built once by [`RunSummary::new`] from its parts:
//! each segment profiled ([`segments`]) and named ([`naming`])), and the report it renders to in a
//! language ([`document`], then [`markdown`] and [`html`], with [`charts`]; fixed texts are translated
//! in [`crate::i18n`]).

pub mod charts;
pub mod document;
pub mod history;
pub mod html;
pub mod markdown;
pub mod naming;
pub mod projection;
pub mod segments;
mod settings;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::Selection;
use crate::ingest::CustomerCounts;
use crate::features::{Agg, FeatureMatrix, GroupSettings, SkippedFeature, Transform, ValueFormat};
use crate::ingest::{InputStats, Source, Window};
use crate::i18n::{Lang, Text};
pub use segments::TRAIT_MIN_Z;
pub use settings::{ReportSettings, SegmentSettings, MAX_OVERVIEW};

/// Each customer's segment id, read through its fit label: `ids[labels[i]]`. A copy per customer
/// would cost 8 bytes a customer (80 MB at 10M) at the report stage's peak.
#[derive(Debug, Clone, Copy, Default)]
pub struct SegmentOf<'a> {
    /// Each customer's label, in fit order.
    pub labels: &'a [u32],
    /// The segment id of each label.
    pub ids: &'a [usize],
}

impl SegmentOf<'_> {
    /// Customer i's segment id.
    pub fn get(&self, i: usize) -> usize {
        self.ids[self.labels[i] as usize]
    }
}

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
    /// Rows of the selection sample on which stability was measured (0 in summaries before it was kept).
    #[serde(default)]
    pub stability_sample_size: usize,
    /// One entry per k tried.
    pub selection: Vec<crate::cluster::Candidate>,
    /// With `--previous`: the previous run's k, and whether it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_k: Option<usize>,
    #[serde(default)]
    pub kept_previous_k: bool,
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
    pub migration: Option<crate::model::migration::Migration>,
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
    /// How the report writes the value (`[attributes] values`, `values_zh`); the value otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
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
    /// With `--previous`: the wording of the previous segment's leading trait, when this segment
    /// continues it but is now led by another trait (a change the report and the log flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leading_changed_from: Option<Text>,
}

/// Everything the run result is made of, each part produced by the step that owns it.
pub struct SummaryParts<'a> {
    pub profile: ProfileInfo,
    pub seed: u64,
    pub language: Lang,
    pub report: &'a ReportSettings,
    pub groups: &'a BTreeMap<String, GroupSettings>,
    pub window: Window,
    pub features: &'a FeatureMatrix,
    pub selection: &'a Selection,
    /// Profiled and named, in id order (empty when no segmentation passed the checks).
    pub segments: Vec<SegmentProfile>,
    pub inputs: BTreeMap<String, InputStats>,
    pub counts: CustomerCounts,
    pub scored_with_model: Option<String>,
    pub migration: Option<crate::model::migration::Migration>,
    pub drift: Option<crate::model::Drift>,
    pub balance: Option<crate::cluster::EnforcedBalance>,
    pub projection: Option<projection::Projection>,
    pub input_files: Vec<InputFile>,
}

impl RunSummary {
    /// The run result, with each segment's plain-language description in both languages.
    pub fn new(p: SummaryParts<'_>) -> RunSummary {
        let fm = p.features;
        let mut summary = RunSummary {
            tool: "custseg".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile: p.profile,
            seed: p.seed,
            language: p.language,
            window: p.window,
            customers: fm.customer_ids.len(),
            k: (!p.segments.is_empty()).then_some(p.segments.len()),
            selection_rule: document::rule_text(&p.selection.rule, Lang::En),
            rule: Some(p.selection.rule.clone()),
            selection_sample_size: p.selection.sample_size,
            silhouette_sample_size: p.selection.silhouette_sample_size,
            stability_sample_size: p.selection.stability_sample_size,
            selection: p.selection.candidates.clone(),
            previous_k: p.selection.previous_k,
            kept_previous_k: p.selection.kept_previous_k,
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
            overview: p.report.overview.clone(),
            group_labels: p.groups.iter().map(|(k, g)| (k.clone(), Text::new(g.label.clone(), g.label_zh.clone()))).collect(),
            skipped_features: fm.skipped.clone(),
            skipped_groups: fm.skipped_groups.clone(),
            segments: p.segments,
            inputs: p.inputs,
            customers_without_bills: p.counts.without_bills,
            billed_not_in_customers: p.counts.billed_not_in_customers,
            scored_with_model: p.scored_with_model,
            migration: p.migration,
            drift: p.drift,
            balance: p.balance,
            projection: p.projection,
            input_files: p.input_files,
        };
        for i in 0..summary.segments.len() {
            let en = document::describe(&summary, i, Lang::En);
            let zh = document::describe(&summary, i, Lang::Zh);
            summary.segments[i].description = Text::new(en, Some(zh));
        }
        summary
    }
}

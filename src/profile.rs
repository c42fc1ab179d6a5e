//! Profiles: the TOML job configuration (`profiles/*.toml`), parsed strictly and validated before any
//! data is read. Every key is documented in `profiles/README.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::i18n::{Lang, Text};

/// The most segments any profile may ask for: utility practice cannot act on more.
pub const MAX_SEGMENTS: usize = 7;

/// The default profile, compiled in so that `custseg run` works from any folder.
pub const DEFAULT_PROFILE_TOML: &str = include_str!("../profiles/residential.toml");
pub const DEFAULT_PROFILE_NAME: &str = "profiles/residential.toml";

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

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Language of `report.md`, `report.html`, the charts and the segment names in CSV outputs.
    pub language: Lang,
    /// Features shown in the report's overview table, by name (empty: the first feature of each group).
    pub overview: Vec<String>,
}

/// Segment names chosen by the analyst, by segment id, instead of the generated ones.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentSettings {
    pub names: BTreeMap<String, String>,
    pub names_zh: BTreeMap<String, String>,
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
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExportsSettings {
    pub billing: ExportSettings,
    pub outages: ExportSettings,
    pub tickets: ExportSettings,
    pub customers: ExportSettings,
}

impl ExportsSettings {
    pub fn get(&self, source: Source) -> &ExportSettings {
        match source {
            Source::Billing => &self.billing,
            Source::Outages => &self.outages,
            Source::Tickets => &self.tickets,
            Source::Customers => &self.customers,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Parquet,
}

/// Text encodings an export may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "gbk")]
    Gbk,
    #[serde(rename = "gb18030")]
    Gb18030,
}

/// The layout of one export file.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExportSettings {
    /// File name inside `--data` (or a path), instead of `<export>.csv` / `<export>.parquet`.
    pub file: Option<String>,
    /// `csv` or `parquet`; by default taken from the file's extension (`.parquet`/`.pq` is Parquet).
    pub format: Option<FileFormat>,
    pub encoding: Encoding,
    /// Field separator (one character; default `,`).
    pub delimiter: Option<String>,
    /// chrono formats tried in order for dates (default `%Y-%m-%d`).
    pub date_formats: Vec<String>,
    /// chrono formats tried in order for date-times (default: ISO with space or `T`, with or
    /// without seconds, or a bare date).
    pub datetime_formats: Vec<String>,
    /// Decimal separator of numbers (`.` or `,`).
    pub decimal: Option<String>,
    /// Thousands separator of numbers, removed before parsing (`,`, `.`, ` ` or `'`).
    pub thousands: Option<String>,
    /// Canonical column → the header it has in this file, e.g. `customer_id = "户号"`.
    pub columns: BTreeMap<String, String>,
    /// Overrides `quality.max_reject_share` for this export.
    pub max_reject_share: Option<f64>,
}

impl ExportSettings {
    /// True when numbers and dates follow the canonical form, so polars can parse them directly.
    pub fn canonical_values(&self) -> bool {
        self.date_formats.is_empty()
            && self.datetime_formats.is_empty()
            && self.decimal.as_deref().unwrap_or(".") == "."
            && self.thousands.is_none()
    }

    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.as_deref().and_then(|d| d.bytes().next()).unwrap_or(b',')
    }
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
}

impl Default for QualitySettings {
    fn default() -> Self {
        QualitySettings { max_reject_share: 0.01, max_migration_share: None, max_drift_share: None }
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusteringSettings {
    /// Fix the number of segments; overrides `k_min`/`k_max`.
    pub k: Option<usize>,
    pub k_min: usize,
    pub k_max: usize,
    /// k-means++ starts per fit; the fit with the lowest inertia wins.
    pub restarts: usize,
    pub max_iter: usize,
    /// Stop when no centroid moves more than this (relative to the data's total variance).
    pub tolerance: f64,
    /// Balance: every segment holds at least this share of customers.
    pub min_share: f64,
    /// Balance: the largest segment is at most this many times the smallest.
    pub max_size_ratio: f64,
    /// Stability: mean adjusted Rand index between fits on resamples that a k must reach.
    pub min_stability: f64,
    /// Number of resample pairs behind the stability figure.
    pub stability_resamples: usize,
    /// Customers sampled for k selection; the final fit always uses every customer.
    pub selection_sample: usize,
    /// Customers sampled for the silhouette (exact, quadratic in this size).
    pub silhouette_sample: usize,
    /// `check`: balance is a pass/fail check on plain k-means; `enforce`: k-means whose assignment
    /// keeps every segment within the size bounds.
    pub balance: BalanceMode,
    /// Enforce: the largest share a segment may hold (default `min_share × max_size_ratio`, at most 1).
    pub max_share: Option<f64>,
    /// Enforce: explicit segment size bounds in customers (override the shares on the final fit).
    pub size_min: Option<usize>,
    pub size_max: Option<usize>,
    /// Storage of the feature matrix in the final fit over every customer: `f64`, or `f32` for half
    /// the memory traffic (centroids and sums stay f64).
    pub precision: Precision,
}

/// Floating-point storage of the final fit's feature matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F64,
    F32,
}

/// How segment sizes are kept balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BalanceMode {
    #[default]
    Check,
    Enforce,
}

impl Default for ClusteringSettings {
    fn default() -> Self {
        ClusteringSettings {
            k: None,
            k_min: 2,
            k_max: MAX_SEGMENTS,
            restarts: 4,
            max_iter: 300,
            tolerance: 1e-6,
            min_share: 0.05,
            max_size_ratio: 5.0,
            min_stability: 0.75,
            stability_resamples: 3,
            selection_sample: 50_000,
            silhouette_sample: 4_000,
            balance: BalanceMode::Check,
            max_share: None,
            size_min: None,
            size_max: None,
            precision: Precision::F64,
        }
    }
}

impl ClusteringSettings {
    /// Enforce mode: the largest share a segment may hold.
    pub fn enforced_max_share(&self) -> f64 {
        self.max_share.unwrap_or((self.min_share * self.max_size_ratio).min(1.0))
    }

    /// Enforce mode: per-segment size bounds for `n` customers in `k` segments. `size_min`/`size_max`
    /// apply as given when `n` is the population (`explicit`), shares otherwise (selection samples);
    /// bounds are made feasible as `cluster::balanced::bounds_from_shares` documents.
    pub fn size_bounds(&self, n: usize, k: usize, explicit: bool) -> (Vec<usize>, Vec<usize>) {
        let (mut lo, mut hi) = crate::cluster::balanced::bounds_from_shares(n, k, self.min_share, self.enforced_max_share());
        if explicit {
            if let Some(m) = self.size_min {
                lo = vec![m.min(n / k.max(1)); k];
            }
            if let Some(m) = self.size_max {
                hi = vec![m.max(n.div_ceil(k.max(1))).min(n); k];
            }
        }
        (lo, hi)
    }

    /// The candidate numbers of segments, in increasing order.
    pub fn k_range(&self) -> std::ops::RangeInclusive<usize> {
        match self.k {
            Some(k) => k..=k,
            None => self.k_min..=self.k_max,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformSettings {
    /// Lower and upper quantiles every feature is clipped to before z-scoring.
    pub winsorize: [f64; 2],
}

impl Default for TransformSettings {
    fn default() -> Self {
        TransformSettings { winsorize: [0.01, 0.99] }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    pub label: String,
    #[serde(default)]
    pub label_zh: Option<String>,
    /// Share of the distance this group carries relative to the others (default 1).
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// Which export a feature is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Billing,
    Outages,
    Tickets,
    Customers,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Billing, Source::Outages, Source::Tickets, Source::Customers];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Billing => "billing",
            Source::Outages => "outages",
            Source::Tickets => "tickets",
            Source::Customers => "customers",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a feature aggregates a customer's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    /// Number of rows (matching `filter`); 0 for a customer with none.
    Count,
    /// Sum of `column` (over rows matching `filter`); 0 for a customer with none.
    Sum,
    /// Mean of `column` (over rows matching `filter`).
    Mean,
    /// Coefficient of variation (standard deviation ÷ mean) of `column`.
    Cv,
    /// Share of the customer's rows that match `filter` (or where the boolean `column` is true).
    Share,
    /// Mean of `column` over rows matching `filter` ÷ its mean over the other rows.
    Ratio,
    /// A numeric column of the customers export, as is.
    Value,
    /// Years from the date in `column` of the customers export to the end of the window.
    TenureYears,
}

impl Agg {
    fn needs_column(self) -> bool {
        !matches!(self, Agg::Count | Agg::Share)
    }
    /// The rule for a customer with no rows to aggregate: zero, or the population median.
    pub fn missing_is_zero(self) -> bool {
        matches!(self, Agg::Count | Agg::Sum | Agg::Share)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    #[default]
    None,
    /// ln(1 + x), for skewed counts and amounts (negative values are taken as 0).
    Log1p,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FilterValue {
    Int(i64),
    Text(String),
}

impl std::fmt::Display for FilterValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterValue::Int(i) => write!(f, "{i}"),
            FilterValue::Text(s) => f.write_str(s),
        }
    }
}

/// Keeps the rows whose `column` equals `equals`, or equals one of `in`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub column: String,
    #[serde(default)]
    pub equals: Option<FilterValue>,
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<FilterValue>>,
}

impl Filter {
    pub fn values(&self) -> Vec<FilterValue> {
        let mut v: Vec<FilterValue> = self.equals.iter().cloned().collect();
        v.extend(self.one_of.iter().flatten().cloned());
        v
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Identifier used in outputs (snake_case).
    pub name: String,
    /// Plain-language label used in reports.
    pub label: String,
    /// The label in Chinese.
    #[serde(default)]
    pub label_zh: Option<String>,
    pub group: String,
    pub source: Source,
    pub agg: Agg,
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub transform: Transform,
    /// Relative weight within its group (default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Trait wording when a segment is above the population ("High arrears").
    #[serde(default)]
    pub high: Option<String>,
    /// Trait wording when a segment is below the population ("Low consumption").
    #[serde(default)]
    pub low: Option<String>,
    /// `high` and `low` in Chinese.
    #[serde(default)]
    pub high_zh: Option<String>,
    #[serde(default)]
    pub low_zh: Option<String>,
    /// How values are shown in reports.
    #[serde(default)]
    pub format: ValueFormat,
}

impl FeatureSpec {
    /// The label in both languages.
    pub fn label_text(&self) -> Text {
        Text::new(self.label.clone(), self.label_zh.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValueFormat {
    #[default]
    Number,
    /// A share in 0..1, shown as a percentage.
    Percent,
    /// An amount of money, shown with the profile's currency.
    Money,
    /// An amount of consumption, shown with the profile's unit.
    Consumption,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AttributeSettings {
    /// Customer attributes (columns of the customers export) profiled per segment; empty = every
    /// text column except the id.
    pub profile: Vec<String>,
    /// Plain-language names of attribute columns in reports (`region = "Region"`); the column name
    /// otherwise.
    pub labels: BTreeMap<String, String>,
    pub labels_zh: BTreeMap<String, String>,
}

impl AttributeSettings {
    pub fn label_of(&self, column: &str) -> Text {
        let en = self.labels.get(column).cloned().unwrap_or_else(|| column.to_string());
        Text::new(en, self.labels_zh.get(column).cloned())
    }
}

/// Columns a feature may aggregate, per source, beside the customers export (which offers all of its own).
pub fn known_columns(source: Source) -> &'static [&'static str] {
    match source {
        Source::Billing => &[
            "consumption",
            "amount_due",
            "amount_paid",
            "days_late",
            "late",
            "unpaid",
            "arrears_60",
            "month",
            "payment_method",
        ],
        Source::Outages => &["minutes", "long", "momentary", "cause", "month"],
        Source::Tickets => &["category", "channel", "hours_to_close", "month"],
        Source::Customers => &[],
    }
}

impl Profile {
    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Profile {
            path: path.to_path_buf(),
            message: format!("cannot read the file: {e}"),
        })?;
        Profile::parse(&text, path)
    }

    /// The compiled-in default profile.
    pub fn default_profile() -> Profile {
        Profile::parse(DEFAULT_PROFILE_TOML, Path::new(DEFAULT_PROFILE_NAME))
            .expect("the bundled default profile is valid (tested)")
    }

    pub fn parse(text: &str, path: &Path) -> Result<Profile> {
        let profile: Profile = toml::from_str(text).map_err(|e| Error::Profile {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        profile.validate(path)?;
        Ok(profile)
    }

    /// Checks the values (as loading a profile file does); for profiles embedded in saved models.
    pub fn check(&self, path: &Path) -> Result<()> {
        self.validate(path)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let fail = |message: String| Err(Error::Profile { path: path.to_path_buf(), message });
        let c = &self.clustering;
        if let Some(k) = c.k {
            if k > MAX_SEGMENTS {
                return fail(format!(
                    "clustering.k = {k}: at most {MAX_SEGMENTS} segments are allowed (practice cannot act on more)"
                ));
            }
            if k < 2 {
                return fail(format!("clustering.k = {k}: at least 2 segments are needed"));
            }
        }
        if c.k_max > MAX_SEGMENTS {
            return fail(format!("clustering.k_max = {}: at most {MAX_SEGMENTS} segments are allowed", c.k_max));
        }
        if c.k_min < 2 || c.k_min > c.k_max {
            return fail(format!(
                "clustering.k_min = {} and k_max = {}: need 2 <= k_min <= k_max",
                c.k_min, c.k_max
            ));
        }
        if c.restarts == 0 || c.max_iter == 0 {
            return fail("clustering.restarts and clustering.max_iter must be at least 1".into());
        }
        if !(c.min_share > 0.0 && c.min_share < 0.5) {
            return fail(format!("clustering.min_share = {}: must be between 0 and 0.5", c.min_share));
        }
        if !(c.max_size_ratio >= 1.0) {
            return fail(format!("clustering.max_size_ratio = {}: must be at least 1", c.max_size_ratio));
        }
        if !(0.0..=1.0).contains(&c.min_stability) {
            return fail(format!("clustering.min_stability = {}: must be between 0 and 1", c.min_stability));
        }
        if c.stability_resamples == 0 || c.selection_sample < 100 || c.silhouette_sample < 10 {
            return fail(
                "clustering.stability_resamples >= 1, selection_sample >= 100 and silhouette_sample >= 10 are needed"
                    .into(),
            );
        }
        if !(c.tolerance >= 0.0) {
            return fail(format!("clustering.tolerance = {}: must be >= 0", c.tolerance));
        }
        let [lo, hi] = self.transform.winsorize;
        if !(0.0 <= lo && lo < hi && hi <= 1.0) {
            return fail(format!("transform.winsorize = [{lo}, {hi}]: need 0 <= low < high <= 1"));
        }
        if let Some(m) = c.max_share.filter(|m| !(*m > 0.0 && *m <= 1.0)) {
            return fail(format!("clustering.max_share = {m}: must be above 0 and at most 1"));
        }
        if let (Some(a), Some(b)) = (c.size_min, c.size_max) {
            if a > b {
                return fail(format!("clustering.size_min = {a} is above size_max = {b}"));
            }
        }
        if c.balance == BalanceMode::Check && (c.max_share.is_some() || c.size_min.is_some() || c.size_max.is_some()) {
            return fail("clustering.max_share, size_min and size_max apply only with balance = \"enforce\"".into());
        }
        if !(0.0..=1.0).contains(&self.quality.max_reject_share) {
            return fail(format!("quality.max_reject_share = {}: must be between 0 and 1", self.quality.max_reject_share));
        }
        for (key, v) in [("max_migration_share", self.quality.max_migration_share), ("max_drift_share", self.quality.max_drift_share)] {
            if let Some(v) = v.filter(|v| !(0.0..=1.0).contains(v)) {
                return fail(format!("quality.{key} = {v}: must be between 0 and 1"));
            }
        }
        for source in Source::ALL {
            let e = self.exports.get(source);
            let at = format!("exports.{source}");
            if let Some(d) = &e.delimiter {
                if d.len() != 1 {
                    return fail(format!("{at}.delimiter = \"{d}\": must be one ASCII character"));
                }
            }
            for (key, v) in [("decimal", &e.decimal), ("thousands", &e.thousands)] {
                if let Some(v) = v {
                    if !matches!(v.as_str(), "." | "," | " " | "'") {
                        return fail(format!("{at}.{key} = \"{v}\": must be one of . , ' or a space"));
                    }
                }
            }
            if let Some(m) = e.max_reject_share {
                if !(0.0..=1.0).contains(&m) {
                    return fail(format!("{at}.max_reject_share = {m}: must be between 0 and 1"));
                }
            }
            if e.decimal.is_some() && e.decimal == e.thousands {
                return fail(format!("{at}: decimal and thousands separators must differ"));
            }
            let known: Vec<&str> = crate::ingest::contract(source).iter().map(|c| c.name).collect();
            for canonical in e.columns.keys() {
                // The customers export keeps any column, as an attribute.
                if source != Source::Customers && !known.contains(&canonical.as_str()) {
                    return fail(format!(
                        "{at}.columns: \"{canonical}\" is not a column of the {source} export (known: {})",
                        known.join(", ")
                    ));
                }
            }
            for f in e.date_formats.iter().chain(&e.datetime_formats) {
                if !f.contains('%') {
                    return fail(format!("{at}: \"{f}\" is not a date format (use chrono codes such as %Y/%m/%d)"));
                }
            }
        }
        if self.run.window_months == 0 {
            return fail("run.window_months must be at least 1".into());
        }
        for (key, g) in &self.groups {
            if !(g.weight > 0.0 && g.weight.is_finite()) {
                return fail(format!("groups.{key}.weight = {}: must be a positive number", g.weight));
            }
        }
        if self.features.is_empty() {
            return fail("no [[features]] defined".into());
        }
        let mut names = BTreeSet::new();
        for (i, f) in self.features.iter().enumerate() {
            let at = format!("features[{i}] ({})", f.name);
            if f.name.is_empty() || !f.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                return fail(format!("{at}: name must be letters, digits and underscores"));
            }
            if !names.insert(f.name.as_str()) {
                return fail(format!("{at}: the name is used twice"));
            }
            if !self.groups.contains_key(&f.group) {
                let known: Vec<&str> = self.groups.keys().map(String::as_str).collect();
                return fail(format!(
                    "{at}: group = \"{}\" is not declared under [groups] (declared: {})",
                    f.group,
                    known.join(", ")
                ));
            }
            if !(f.weight > 0.0 && f.weight.is_finite()) {
                return fail(format!("{at}: weight = {} must be a positive number", f.weight));
            }
            match (&f.column, f.agg.needs_column()) {
                (None, true) => return fail(format!("{at}: agg = \"{:?}\" needs a column", f.agg).to_lowercase()),
                (Some(_), false) if f.agg == Agg::Count => {
                    return fail(format!("{at}: agg = \"count\" takes no column (use filter to count some rows)"))
                }
                _ => {}
            }
            if f.agg == Agg::Share && f.filter.is_none() && f.column.is_none() {
                return fail(format!("{at}: agg = \"share\" needs a filter or a true/false column"));
            }
            if f.agg == Agg::Ratio && f.filter.is_none() {
                return fail(format!("{at}: agg = \"ratio\" needs a filter (the rows on top of the ratio)"));
            }
            if matches!(f.agg, Agg::Value | Agg::TenureYears) != (f.source == Source::Customers) {
                return fail(format!(
                    "{at}: agg = \"value\" and \"tenure_years\" go with source = \"customers\", and only they do"
                ));
            }
            let known = known_columns(f.source);
            let mut columns: Vec<&str> = f.column.iter().map(String::as_str).collect();
            if let Some(filter) = &f.filter {
                if filter.values().is_empty() {
                    return fail(format!("{at}: filter needs `equals` or `in`"));
                }
                columns.push(&filter.column);
            }
            if f.source != Source::Customers {
                for c in columns {
                    if !known.contains(&c) {
                        return fail(format!(
                            "{at}: column \"{c}\" is not available from {} (available: {})",
                            f.source,
                            known.join(", ")
                        ));
                    }
                }
            }
        }
        if self.report.overview.len() > 6 {
            return fail(format!("report.overview lists {} features: at most 6 fit in the overview table", self.report.overview.len()));
        }
        for name in &self.report.overview {
            if !self.features.iter().any(|f| &f.name == name) {
                return fail(format!("report.overview: \"{name}\" is not a feature of this profile"));
            }
        }
        for (key, names) in [("segments.names", &self.segments.names), ("segments.names_zh", &self.segments.names_zh)] {
            let mut seen: Vec<&str> = Vec::new();
            for (id, name) in names {
                if !id.parse::<usize>().is_ok_and(|i| i >= 1) {
                    return fail(format!("{key}: \"{id}\" is not a segment number (1, 2, …)"));
                }
                if name.trim().is_empty() {
                    return fail(format!("{key}.{id}: the name is empty"));
                }
                if seen.contains(&name.as_str()) {
                    return fail(format!("{key}.{id}: \"{name}\" names two segments"));
                }
                seen.push(name);
            }
        }
        let ids: BTreeSet<&String> = self.segments.names.keys().chain(self.segments.names_zh.keys()).collect();
        let named: Vec<(usize, Text)> =
            ids.iter().filter_map(|id| id.parse::<usize>().ok()).filter_map(|id| Some((id, self.segments.name_of(id)?))).collect();
        for (i, (a, ta)) in named.iter().enumerate() {
            if let Some((b, _)) = named[..i].iter().find(|(_, tb)| Lang::ALL.iter().any(|&l| tb.get(l) == ta.get(l))) {
                return fail(format!("[segments]: segments {b} and {a} would have the same name (names and names_zh together)"));
            }
        }
        Ok(())
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

/// Where a profile came from, for reports and the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileSource {
    pub path: PathBuf,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile> {
        Profile::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn every_profile_in_the_profiles_folder_is_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
        let mut seen = 0;
        for folder in [dir.clone(), dir.join("examples")] {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let p = entry.unwrap().path();
                if p.extension().is_some_and(|e| e == "toml") {
                    Profile::load(&p).unwrap_or_else(|e| panic!("{e}"));
                    seen += 1;
                }
            }
        }
        assert!(seen >= 2);
        assert_eq!(Profile::default_profile().features.len(), 21);
    }

    #[test]
    fn every_profile_key_is_documented() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc = std::fs::read_to_string(root.join("profiles/README.md")).unwrap();
        // The bundled profile and the example together set every kind of key.
        for file in ["profiles/residential.toml", "profiles/examples/gbk-chinese-headers.toml"] {
            let p = Profile::load(&root.join(file)).unwrap();
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
                // Group keys, column mappings and labels, and segment numbers are the profile's own
                // names, not profile keys.
                let own = Source::ALL.iter().any(|s| p.exports.get(*s).columns.contains_key(&k))
                    || p.groups.contains_key(&k)
                    || p.attributes.labels.contains_key(&k)
                    || p.attributes.labels_zh.contains_key(&k)
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

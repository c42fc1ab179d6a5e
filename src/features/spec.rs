//! Feature definitions (`[[features]]`, `[groups]`, `[transform]` in a profile) and their checks: what a
//! feature aggregates, from which export, and how it is weighted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ingest::{feature_columns, Source};
use crate::i18n::Text;

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
    /// 1 when the customer's value of the customers export's `filter.column` is one of the filter's
    /// values, 0 when it is another value; an empty value is unknown (see [`Agg::missing_is_zero`]).
    Indicator,
    /// One indicator per value of the customers export's text or true/false `column`; the column's
    /// indicators share one feature's weight (see `features` module docs).
    Category,
}

impl Agg {
    fn needs_column(self) -> bool {
        !matches!(self, Agg::Count | Agg::Share | Agg::Indicator)
    }
    /// Whether the aggregation reads the customers export (and only it).
    pub fn of_customers(self) -> bool {
        matches!(self, Agg::Value | Agg::TenureYears | Agg::Indicator | Agg::Category)
    }
    /// Whether the feature says which value a customer has (an indicator, or the indicators of a
    /// category): a share in a segment, never transformed or clipped.
    pub fn is_indicator(self) -> bool {
        matches!(self, Agg::Indicator | Agg::Category)
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
    /// `category`: the values that get an indicator each, in this order (default: every value the
    /// data holds, most common first, at most [`MAX_LEVELS`]); a customer with another value counts as
    /// unknown. In a saved model, every indicator of a category carries its category's values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    /// `category`: what customers with each value are called in segment names and traits
    /// (`yes = "Homeowners"`); "<label>: <value>" otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values_zh: BTreeMap<String, String>,
    /// Set by custseg in `model.json`, not in profiles: the `category` feature an indicator is one value
    /// of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
}

/// The most values a `category` feature takes from the data when its `levels` are not listed.
pub const MAX_LEVELS: usize = 12;

impl FeatureSpec {
    /// The label in both languages.
    pub fn label_text(&self) -> Text {
        Text::new(self.label.clone(), self.label_zh.clone())
    }

    /// The columns of its export the feature reads: its column and its filter's.
    pub fn columns(&self) -> impl Iterator<Item = &String> {
        self.column.iter().chain(self.filter.iter().map(|f| &f.column))
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

/// What the features stage is asked to compute: the profile's features, their groups and the
/// transform settings.
#[derive(Debug, Clone, Copy)]
pub struct FeaturePlan<'a> {
    pub features: &'a [FeatureSpec],
    pub groups: &'a BTreeMap<String, GroupSettings>,
    pub transform: &'a TransformSettings,
}

impl FeaturePlan<'_> {
    /// [`FeaturePlan::check`] on a profile's features: `block` is custseg's, not a profile key.
    pub fn check_profile(&self) -> Result<(), String> {
        if let Some((i, f)) = self.features.iter().enumerate().find(|(_, f)| f.block.is_some()) {
            return Err(format!(
                "features[{i}] ({}): block is written by custseg into model.json, not a profile key (use agg = \"category\")",
                f.name
            ));
        }
        self.check()
    }
}

impl FeaturePlan<'_> {
    /// Checks the definitions; the error names the feature or key.
    pub fn check(&self) -> Result<(), String> {
        let [lo, hi] = self.transform.winsorize;
        if !(0.0 <= lo && lo < hi && hi <= 1.0) {
            return Err(format!("transform.winsorize = [{lo}, {hi}]: need 0 <= low < high <= 1"));
        }
        for (key, g) in self.groups {
            if !(g.weight > 0.0 && g.weight.is_finite()) {
                return Err(format!("groups.{key}.weight = {}: must be a positive number", g.weight));
            }
        }
        if self.features.is_empty() {
            return Err("no [[features]] defined".into());
        }
        let mut names = BTreeSet::new();
        for (i, f) in self.features.iter().enumerate() {
            let at = format!("features[{i}] ({})", f.name);
            if !names.insert(f.name.as_str()) {
                return Err(format!("{at}: the name is used twice"));
            }
            check_feature(f, self.groups).map_err(|e| format!("{at}: {e}"))?;
        }
        Ok(())
    }
}

fn check_feature(f: &FeatureSpec, groups: &BTreeMap<String, GroupSettings>) -> Result<(), String> {
    if f.name.is_empty() || !f.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
        return Err("name must be letters, digits and underscores".into());
    }
    if !groups.contains_key(&f.group) {
        let known: Vec<&str> = groups.keys().map(String::as_str).collect();
        return Err(format!("group = \"{}\" is not declared under [groups] (declared: {})", f.group, known.join(", ")));
    }
    if !(f.weight > 0.0 && f.weight.is_finite()) {
        return Err(format!("weight = {} must be a positive number", f.weight));
    }
    match (&f.column, f.agg.needs_column()) {
        (None, true) => return Err(format!("agg = \"{:?}\" needs a column", f.agg).to_lowercase()),
        (Some(_), false) if f.agg == Agg::Count => {
            return Err("agg = \"count\" takes no column (use filter to count some rows)".into())
        }
        _ => {}
    }
    if f.agg == Agg::Share && f.filter.is_none() && f.column.is_none() {
        return Err("agg = \"share\" needs a filter or a true/false column".into());
    }
    if f.agg == Agg::Ratio && f.filter.is_none() {
        return Err("agg = \"ratio\" needs a filter (the rows on top of the ratio)".into());
    }
    if f.agg.of_customers() != (f.source == Source::Customers) {
        return Err(
            "agg = \"value\", \"tenure_years\", \"indicator\" and \"category\" go with source = \"customers\", and only they do"
                .into(),
        );
    }
    match f.agg {
        Agg::Indicator => {
            if f.filter.is_none() {
                return Err("agg = \"indicator\" needs a filter: the column and the value(s) it indicates (filter = { column = \"heating\", equals = \"gas\" })".into());
            }
            if f.block.is_some() && f.levels.is_empty() {
                return Err("an indicator of a category needs the category's levels".into());
            }
        }
        Agg::Category => {
            if f.filter.is_some() {
                return Err("agg = \"category\" takes no filter: every value of the column gets an indicator (list some under levels)".into());
            }
            let mut seen = BTreeSet::new();
            if let Some(l) = f.levels.iter().find(|l| l.is_empty() || !seen.insert(l.as_str())) {
                return Err(format!("levels: \"{l}\" is empty or listed twice"));
            }
        }
        _ => {
            if !f.levels.is_empty() || !f.values.is_empty() || !f.values_zh.is_empty() {
                return Err("levels, values and values_zh go with agg = \"category\"".into());
            }
        }
    }
    if f.agg == Agg::Indicator && (!f.values.is_empty() || !f.values_zh.is_empty()) {
        return Err("values and values_zh go with agg = \"category\" (an indicator is named by high and low)".into());
    }
    if f.block.is_some() && f.agg != Agg::Indicator {
        return Err("block is only set on the indicators of a category".into());
    }
    if f.agg.is_indicator() && f.transform != Transform::None {
        return Err("an indicator or category takes no transform (its values are 0 and 1)".into());
    }
    if let Some(filter) = &f.filter {
        if filter.values().is_empty() {
            return Err("filter needs `equals` or `in`".into());
        }
    }
    // The customers export offers every column it has: checked against the file, not here.
    if f.source != Source::Customers {
        let known = feature_columns(f.source);
        if let Some(c) = f.columns().find(|c| !known.contains(&c.as_str())) {
            return Err(format!("column \"{c}\" is not available from {} (available: {})", f.source, known.join(", ")));
        }
    }
    Ok(())
}

//! Customer attributes (text columns of the customers export, profiled per segment) and the count of
//! customers each export knows, both aligned with the feature matrix's customers.

use std::collections::{BTreeMap, HashMap, HashSet};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::{CustomersSeen, FeatureMatrix, Result};
use crate::ingest::{Exports, Source};
use crate::i18n::Text;

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

/// A customer attribute (a text column of the customers export), coded per customer in the feature
/// matrix's order: `levels[codes[i]]` is customer i's value.
pub struct Attribute {
    pub name: String,
    pub levels: Vec<String>,
    pub codes: Vec<u32>,
}

pub type Attributes = Vec<Attribute>;

fn polars_err(context: impl Into<String>) -> impl FnOnce(PolarsError) -> super::Error {
    let context = context.into();
    move |source| super::Error::polars(context, source)
}

/// Text attributes of the customers export to profile per segment, aligned with the feature matrix.
pub fn attributes(exports: &Exports, settings: &AttributeSettings, fm: &FeatureMatrix) -> Result<Attributes> {
    let Some(customers) = exports.get(&Source::Customers) else { return Ok(Vec::new()) };
    let df = &customers.frame;
    let names: Vec<String> = if settings.profile.is_empty() {
        df.get_column_names()
            .iter()
            .map(|s| s.to_string())
            .filter(|n| n != "customer_id" && n != "service_start" && df.column(n).map(|c| c.dtype() == &DataType::String).unwrap_or(false))
            .collect()
    } else {
        settings.profile.iter().filter(|n| df.schema().contains(n.as_str())).cloned().collect()
    };
    let ids = df.column("customer_id").and_then(|c| c.str()).map_err(polars_err("customer attributes"))?;
    let row_of: HashMap<&str, usize> = ids.iter().enumerate().filter_map(|(i, id)| id.map(|id| (id, i))).collect();
    let rows: Vec<Option<usize>> = fm.customer_ids.iter().map(|id| row_of.get(id.as_str()).copied()).collect();
    let mut out = Vec::new();
    for name in names {
        let context = format!("customer attribute {name}");
        let column = df.column(&name).and_then(|c| c.cast(&DataType::String)).map_err(polars_err(context.clone()))?;
        let values = column.str().map_err(polars_err(context))?;
        let mut levels: Vec<String> = Vec::new();
        let mut code_of: HashMap<Option<&str>, u32> = HashMap::new();
        let codes = rows
            .iter()
            .map(|r| {
                let v = r.and_then(|r| values.get(r));
                *code_of.entry(v).or_insert_with(|| {
                    levels.push(v.unwrap_or("(unknown)").to_string());
                    levels.len() as u32 - 1
                })
            })
            .collect();
        out.push(Attribute { name, levels, codes });
    }
    Ok(out)
}

/// How the exports' customers relate to the billed ones (the feature matrix's).
#[derive(Debug, Clone, Default)]
pub struct CustomerCounts {
    /// Distinct customers in the window, per export.
    pub distinct: BTreeMap<Source, usize>,
    /// Per export other than billing: customers with rows but no bill in the window (left out).
    pub without_bills: BTreeMap<String, usize>,
    /// Billed customers the customers export does not know (None without a customers export).
    pub billed_not_in_customers: Option<usize>,
}

/// Distinct customers per export in the window, and those without a bill: from the features stage
/// where it grouped the export, else counted here.
pub fn count_customers(exports: &Exports, fm: &FeatureMatrix) -> Result<CustomerCounts> {
    let billed: HashSet<&str> = fm.customer_ids.iter().map(String::as_str).collect();
    let mut counts = CustomerCounts::default();
    for (source, e) in exports {
        let seen = match fm.customers_seen.get(source) {
            Some(seen) => *seen,
            None => {
                let ids = e.lazy().select([col("customer_id").unique()]).collect().map_err(polars_err("matching customers"))?;
                let ids = ids.column("customer_id").and_then(|c| c.str().cloned()).map_err(polars_err("matching customers"))?;
                let without_bills = ids.iter().flatten().filter(|id| !billed.contains(id)).count();
                CustomersSeen { distinct: ids.len(), without_bills, billed: ids.len() - without_bills }
            }
        };
        counts.distinct.insert(*source, seen.distinct);
        if *source == Source::Customers {
            counts.billed_not_in_customers = Some(fm.customer_ids.len() - seen.billed);
        }
        if *source != Source::Billing {
            counts.without_bills.insert(source.as_str().to_string(), seen.without_bills);
        }
    }
    Ok(counts)
}

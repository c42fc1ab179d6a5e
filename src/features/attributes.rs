//! Customer attributes: text columns of the customers export, profiled per segment, aligned with the
//! feature matrix's customers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Column → value → how reports write the value (`dwelling = { house = "House" }`); the value as
    /// the export writes it otherwise.
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    pub values_zh: BTreeMap<String, BTreeMap<String, String>>,
}

impl AttributeSettings {
    pub fn label_of(&self, column: &str) -> Text {
        let en = self.labels.get(column).cloned().unwrap_or_else(|| column.to_string());
        Text::new(en, self.labels_zh.get(column).cloned())
    }

    /// How reports write `value` of `column`, when the profile says (`values`, `values_zh`).
    pub fn value_of(&self, column: &str, value: &str) -> Option<Text> {
        let en = self.values.get(column).and_then(|v| v.get(value)).cloned();
        let zh = self.values_zh.get(column).and_then(|v| v.get(value)).cloned();
        (en.is_some() || zh.is_some()).then(|| Text::new(en.unwrap_or_else(|| value.to_string()), zh))
    }
}

/// A customer attribute (a text column of the customers export), coded per customer in the feature
/// matrix's order: `levels[codes.get(i)]` is customer i's value.
pub struct Attribute {
    pub name: String,
    pub levels: Vec<String>,
    pub codes: Codes,
}

/// Per customer, the code of its level: a byte each when there are at most 256 levels (regions,
/// dwellings, heating: 1 byte a customer instead of 4).
pub enum Codes {
    Byte(Vec<u8>),
    Wide(Vec<u32>),
}

impl Codes {
    fn new(codes: Vec<u32>, levels: usize) -> Codes {
        if levels <= 256 {
            Codes::Byte(codes.into_iter().map(|c| c as u8).collect())
        } else {
            Codes::Wide(codes)
        }
    }

    pub fn get(&self, i: usize) -> u32 {
        match self {
            Codes::Byte(c) => c[i] as u32,
            Codes::Wide(c) => c[i],
        }
    }
}

pub type Attributes = Vec<Attribute>;

/// The attributes of the customers export as its rows are folded: each value interned once, each
/// customer's value as a small code (4 bytes per customer and attribute, not the text).
pub struct AttributeFold {
    columns: Vec<AttributeValues>,
}

/// One attribute's values as folded: each value once, and each customer's, by customer code.
struct AttributeValues {
    name: String,
    at: AttributeColumn,
    values: super::fold::Levels,
}

#[derive(Clone, Copy)]
enum AttributeColumn {
    Spec(usize),
    Attribute(usize),
}

impl AttributeFold {
    /// Room for `keys` customers' values.
    pub(super) fn reserve(&mut self, keys: usize) {
        for c in &mut self.columns {
            c.values.of_key.reserve_exact(keys);
        }
    }

    /// The attributes to profile: the profile's list (those the export has), or every text column but
    /// the id and the service start.
    pub fn new(customers: Option<&crate::ingest::Layout>, settings: &AttributeSettings) -> AttributeFold {
        let Some(layout) = customers else { return AttributeFold { columns: Vec::new() } };
        let resolve = |name: &str| -> Option<AttributeColumn> {
            if let Some(ai) = layout.attributes.iter().position(|(n, _)| n == name) {
                return Some(AttributeColumn::Attribute(ai));
            }
            let si = layout.spec(name)?;
            matches!(layout.specs[si].kind, crate::ingest::Kind::Id | crate::ingest::Kind::Text).then_some(AttributeColumn::Spec(si))
        };
        let names: Vec<String> = if settings.profile.is_empty() {
            layout.names.iter().filter(|n| *n != "customer_id" && *n != "service_start").filter(|n| resolve(n).is_some()).cloned().collect()
        } else {
            settings.profile.iter().filter(|n| resolve(n).is_some()).cloned().collect()
        };
        let columns = names
            .into_iter()
            .map(|n| {
                let at = resolve(&n).expect("resolved above");
                AttributeValues { name: n, at, values: super::fold::Levels::default() }
            })
            .collect();
        AttributeFold { columns }
    }

    pub(super) fn fold(&mut self, layout: &crate::ingest::Layout, batch: &crate::ingest::Batch, rows: &[u32], codes: &[u32]) {
        let _ = layout;
        for AttributeValues { at, values, .. } in &mut self.columns {
            for (&i, &k) in rows.iter().zip(codes) {
                let v = match *at {
                    AttributeColumn::Attribute(ai) => batch.attributes[ai].get(i as usize),
                    AttributeColumn::Spec(si) => batch.column(si).and_then(|c| c.text(i as usize)).unwrap_or(""),
                };
                if !v.is_empty() {
                    values.set(k as usize, v);
                }
            }
        }
    }

    /// The attributes of `customers` (customer codes, in the feature matrix's order), values numbered
    /// in order of first appearance among them; a customer without a value has "(unknown)".
    pub fn attributes(&self, customers: &[u32]) -> Attributes {
        self.columns
            .iter()
            .map(|AttributeValues { name, values, .. }| {
                let (levels, of_customer) = (&values.names, &values.of_key);
                let mut out_levels: Vec<String> = Vec::new();
                // Levels renumbered in order of first appearance; the last slot is "unknown".
                let mut renumber: Vec<u32> = vec![u32::MAX; levels.len() + 1];
                let codes = customers
                    .iter()
                    .map(|&k| {
                        let l = of_customer.get(k as usize).copied().unwrap_or(u32::MAX);
                        let slot = if l == u32::MAX { levels.len() } else { l as usize };
                        if renumber[slot] == u32::MAX {
                            out_levels.push(if l == u32::MAX { "(unknown)".to_string() } else { levels[l as usize].clone() });
                            renumber[slot] = out_levels.len() as u32 - 1;
                        }
                        renumber[slot]
                    })
                    .collect();
                let codes = Codes::new(codes, out_levels.len());
                Attribute { name: name.clone(), levels: out_levels, codes }
            })
            .collect()
    }
}

//! Per-customer accumulators, folded batch by batch as ingest streams the rows ([`ingest::Sink`]):
//! a few numbers per customer and feature (a count, a sum, a running mean), never the rows. Each
//! accumulator adds its rows in file order, so results do not depend on the thread count; a
//! coefficient of variation uses Welford's one-pass update (its mean is the exact sum ÷ count).
//!
//! Memory per customer: 4 bytes for a count (`count`, `share` with a filter), 8 for a sum, 12 for a
//! mean, 28 for a coefficient of variation, 24 for a ratio; plus the row count of each export.

use crate::ingest::{self, Batch, Derived, Layout, Sink, Source, Val, ValueFormats, Values, Window};

use super::{Agg, FeatureSpec, FilterValue};

/// Where a feature's value comes from in a row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Spec(usize),
    Derived(Derived),
    /// The customers export's other columns.
    Attribute(usize),
}

impl Column {
    fn resolve(layout: &Layout, name: &str) -> Option<Column> {
        if let Some(si) = layout.spec(name) {
            return Some(Column::Spec(si));
        }
        if let Some(d) = Derived::resolve(layout, name) {
            return Some(Column::Derived(d));
        }
        layout.attributes.iter().position(|(n, _)| n == name).map(Column::Attribute)
    }

    fn value<'a>(&self, batch: &'a Batch, i: usize, as_of: i32) -> Val<'a> {
        match *self {
            Column::Spec(si) => match batch.column(si) {
                Some(Values::Number(v)) if !v[i].is_nan() => Val::Number(v[i]),
                Some(Values::Text(t)) => Some(t.get(i)).filter(|s| !s.is_empty()).map_or(Val::Null, Val::Text),
                Some(c @ (Values::Day(_) | Values::Ms(_))) => c.day(i).map_or(Val::Null, Val::Day),
                _ => Val::Null,
            },
            Column::Derived(d) => d.value(batch, i, as_of),
            Column::Attribute(ai) => Some(batch.attributes[ai].get(i)).filter(|s| !s.is_empty()).map_or(Val::Null, Val::Text),
        }
    }
}

impl Column {
    /// The column's values when they are text.
    fn texts<'a>(&self, batch: &'a Batch) -> Option<&'a ingest::Texts> {
        match *self {
            Column::Spec(si) => match batch.column(si) {
                Some(Values::Text(t)) => Some(t),
                _ => None,
            },
            Column::Attribute(ai) => Some(&batch.attributes[ai]),
            Column::Derived(_) => None,
        }
    }

    /// The column's values as numbers ([`as_number`]) over a batch's rows `rows`, appended to `out`;
    /// NaN for no value (a number never is NaN: non-finite values are rejected, and the derived
    /// columns are made of finite ones).
    fn numbers(&self, batch: &Batch, rows: &[u32], as_of: i32, formats: &ValueFormats, out: &mut Vec<f64>) {
        if let Column::Spec(si) = *self {
            if let Some(Values::Number(v)) = batch.column(si) {
                // A number column as it stands: NaN where missing.
                out.extend(rows.iter().map(|&i| v[i as usize]));
                return;
            }
        }
        out.extend(rows.iter().map(|&i| as_number(self.value(batch, i as usize, as_of), formats).unwrap_or(f64::NAN)));
    }
}

/// A value as a number: booleans are 0 and 1, text is parsed as the export writes numbers.
fn as_number(v: Val<'_>, formats: &ValueFormats) -> Option<f64> {
    match v {
        Val::Null => None,
        Val::Number(x) => Some(x),
        Val::Int(x) => Some(x as f64),
        Val::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        Val::Day(d) => Some(d as f64),
        Val::Text(t) => match formats.number(t) {
            ingest::values::Parsed::Value(x) => Some(x),
            _ => None,
        },
    }
}

/// A feature's filter: rows whose column equals one of its values (a missing value matches none).
#[derive(Debug, Clone)]
struct Pred {
    column: Column,
    /// Each filter value, and as text.
    values: Vec<(FilterValue, String)>,
    /// Whether any row has matched; until one does, the distinct values seen (a few), so that a
    /// filter that matches nothing can say what the column holds.
    matched: bool,
    seen: Vec<String>,
    /// Whether each of a batch's rows holds (reused from batch to batch).
    mask: Vec<bool>,
}

/// How many distinct values a filter that matches nothing reports.
pub(super) const SEEN_VALUES: usize = 12;

impl Pred {
    fn new(column: Column, values: Vec<FilterValue>) -> Pred {
        Pred { column, values: values.into_iter().map(|v| { let t = v.to_string(); (v, t) }).collect(), matched: false, seen: Vec::new(), mask: Vec::new() }
    }

    /// Fills `mask` with whether the filter holds on each of the batch's rows `rows`; with `only`, only
    /// rows whose value there is a number are looked at (the others do not hold), as a ratio reads them.
    fn eval(&mut self, batch: &Batch, rows: &[u32], as_of: i32, only: Option<&[f64]>) {
        let mut mask = std::mem::take(&mut self.mask);
        mask.clear();
        // Once a row has matched no value is kept any more, and a text column's verdict is its text
        // against the filter's texts (what `matches` compares for text): straight from the batch.
        let asked = |j: usize| only.is_none_or(|x| !x[j].is_nan());
        match self.column.texts(batch).filter(|_| self.matched) {
            Some(t) => mask.extend(rows.iter().enumerate().map(|(j, &i)| {
                let s = t.get(i as usize);
                asked(j) && !s.is_empty() && self.values.iter().any(|(_, text)| text == s)
            })),
            None => mask.extend(rows.iter().enumerate().map(|(j, &i)| asked(j) && self.holds(batch, i as usize, as_of))),
        }
        self.mask = mask;
    }

    fn holds(&mut self, batch: &Batch, i: usize, as_of: i32) -> bool {
        let v = self.column.value(batch, i, as_of);
        let holds = self.values.iter().any(|(f, text)| matches(v, f, text));
        if holds {
            self.matched = true;
        } else if !self.matched && self.seen.len() < SEEN_VALUES {
            let text = match v {
                Val::Null => None,
                Val::Text(t) => Some(t.to_string()),
                Val::Number(x) => Some(x.to_string()),
                Val::Int(x) => Some(x.to_string()),
                Val::Bool(b) => Some(b.to_string()),
                Val::Day(d) => Some(d.to_string()),
            };
            if let Some(t) = text.filter(|t| !self.seen.contains(t)) {
                self.seen.push(t);
            }
        }
        holds
    }

    /// None once a row has matched; else the values seen in the column (a few, in order of first sight).
    fn unmatched(&self) -> Option<&[String]> {
        (!self.matched).then_some(self.seen.as_slice())
    }
}

/// Whether a value equals a filter value: a true/false column against `"true"`/`"false"`, a number
/// against a whole number (compared as whole numbers), anything else as text.
fn matches(v: Val<'_>, f: &FilterValue, text: &str) -> bool {
    match (v, f) {
        (Val::Null, _) => false,
        (Val::Bool(b), f) => b == matches!(f, FilterValue::Text(t) if t == "true"),
        (Val::Int(x), FilterValue::Int(i)) => x == *i,
        (Val::Number(x), FilterValue::Int(i)) => x.trunc() as i64 == *i,
        (Val::Day(d), FilterValue::Int(i)) => d as i64 == *i,
        (Val::Text(t), _) => t == text,
        (Val::Int(x), FilterValue::Text(t)) => x.to_string() == *t,
        (Val::Number(x), FilterValue::Text(t)) => t.parse::<f64>().is_ok_and(|y| y == x),
        (Val::Day(d), FilterValue::Text(t)) => d.to_string() == *t,
    }
}

/// Grows `v` to hold index `i`.
fn slot<T: Clone>(v: &mut Vec<T>, i: usize, zero: T) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, zero);
    }
    &mut v[i]
}

/// Count and sum per key.
#[derive(Debug, Clone, Default)]
struct Mean {
    n: Vec<u32>,
    s: Vec<f64>,
}

impl Mean {
    fn add(&mut self, k: usize, x: f64) {
        *slot(&mut self.n, k, 0) += 1;
        *slot(&mut self.s, k, 0.0) += x;
    }

    fn reserve(&mut self, keys: usize) {
        self.n.reserve_exact(keys);
        self.s.reserve_exact(keys);
    }

    fn get(&self, k: usize) -> Option<f64> {
        let n = *self.n.get(k)?;
        (n > 0).then(|| self.s[k] / n as f64)
    }
}

/// What a feature accumulates.
#[derive(Debug, Clone)]
enum Acc {
    /// Rows (matching the filter).
    Count { when: Option<Pred>, n: Vec<u32> },
    /// Sum of the values (of rows matching the filter).
    Sum { value: Num, when: Option<Pred>, s: Vec<f64> },
    Mean { value: Num, when: Option<Pred>, m: Mean },
    /// Welford's running mean and sum of squared deviations, and the exact sum.
    Cv { value: Num, when: Option<Pred>, m: Mean, mean: Vec<f64>, m2: Vec<f64> },
    /// Rows matching the filter, over all rows.
    Share { when: Pred, n: Vec<u32> },
    /// Mean over rows matching the filter ÷ mean over the others.
    Ratio { value: Num, when: Pred, on: Mean, off: Mean },
    /// The customers export's value of the customer's (one) row.
    Value { value: Num, v: Vec<f64> },
    /// The customers export's date of the customer's row (days), for tenure at the window's end.
    Tenure { value: Column, day: Vec<i32> },
    /// The customers export's text value of the customer's row, each value interned once: what an
    /// indicator or the indicators of a category read (4 bytes per customer).
    Levels { value: Column, levels: Levels },
}

/// A column an export's features read as numbers: its index in [`ExportFold::numeric`].
#[derive(Debug, Clone, Copy)]
struct Num(usize);

impl Acc {
    /// The feature's filter, if it has one.
    fn pred_mut(&mut self) -> Option<&mut Pred> {
        match self {
            Acc::Count { when, .. } | Acc::Sum { when, .. } | Acc::Mean { when, .. } | Acc::Cv { when, .. } => when.as_mut(),
            Acc::Share { when, .. } | Acc::Ratio { when, .. } => Some(when),
            Acc::Value { .. } | Acc::Tenure { .. } | Acc::Levels { .. } => None,
        }
    }
}

/// The values of one text column, each once, and each key's (`u32::MAX`: none): what categories and
/// the profiled attributes ([`super::AttributeFold`]) both fold.
#[derive(Debug, Clone, Default)]
pub(super) struct Levels {
    pub(super) names: Vec<String>,
    code_of: std::collections::HashMap<String, u32>,
    pub(super) of_key: Vec<u32>,
}

impl Levels {
    pub(super) fn set(&mut self, key: usize, value: &str) {
        let code = match self.code_of.get(value) {
            Some(&c) => c,
            None => {
                self.names.push(value.to_string());
                self.code_of.insert(value.to_string(), self.names.len() as u32 - 1);
                self.names.len() as u32 - 1
            }
        };
        *slot(&mut self.of_key, key, u32::MAX) = code;
    }

    /// The values in order of how many keys have them (most first), ties by value.
    pub(super) fn by_frequency(&self) -> Vec<String> {
        let mut counts = vec![0usize; self.names.len()];
        for &c in self.of_key.iter().filter(|&&c| c != u32::MAX) {
            counts[c as usize] += 1;
        }
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then_with(|| self.names[a].cmp(&self.names[b])));
        order.into_iter().map(|i| self.names[i].clone()).collect()
    }
}

/// A value as the text a category compares: true/false, numbers and days as they print.
fn as_text(v: Val<'_>) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match v {
        Val::Null => None,
        Val::Text(t) => Some(Cow::Borrowed(t)),
        Val::Bool(b) => Some(Cow::Owned(b.to_string())),
        Val::Int(x) => Some(Cow::Owned(x.to_string())),
        Val::Number(x) => Some(Cow::Owned(x.to_string())),
        Val::Day(d) => Some(Cow::Owned(d.to_string())),
    }
}

/// One feature's fold over its export.
#[derive(Debug, Clone)]
struct FeatureFold {
    name: String,
    acc: Acc,
}

/// The folds of one export: its features, its rows per key, and (billing) the amount billed.
#[derive(Debug, Clone)]
struct ExportFold {
    features: Vec<FeatureFold>,
    rows: Vec<u32>,
    revenue: Option<(Num, Vec<f64>)>,
    formats: ValueFormats,
    /// The columns features read as numbers, each once: a batch's values of each are computed once
    /// for all the features that read it.
    numeric: Vec<Column>,
    /// Per numeric column, its values over the batch being folded (reused from batch to batch).
    numbers: Vec<Vec<f64>>,
}

impl ExportFold {
    /// The numeric column `column` (added when new).
    fn num(numeric: &mut Vec<Column>, column: Column) -> Num {
        match numeric.iter().position(|c| *c == column) {
            Some(i) => Num(i),
            None => {
                numeric.push(column);
                Num(numeric.len() - 1)
            }
        }
    }
}

/// The features stage's side of reading: every usable feature's accumulators, per export, and the
/// customers export's attributes.
pub struct Folds {
    exports: Vec<(Source, ExportFold)>,
    attributes: super::attributes::AttributeFold,
}

impl Folds {
    /// The accumulators of `used` features over exports with these layouts (`used` must be usable:
    /// every column it names is in its export, see [`super::usable`]).
    pub fn new(
        used: &[FeatureSpec],
        layouts: &std::collections::BTreeMap<Source, (&Layout, ValueFormats)>,
        attributes: &super::AttributeSettings,
    ) -> Folds {
        let mut exports = Vec::new();
        for (&source, (layout, formats)) in layouts {
            let mut features = Vec::new();
            let mut numeric = Vec::new();
            for spec in used.iter().filter(|s| s.source == source) {
                // The indicators of one category read one fold, named after the category.
                let name = spec.block.clone().unwrap_or_else(|| spec.name.clone());
                if features.iter().any(|f: &FeatureFold| f.name == name) {
                    continue;
                }
                if let Some(acc) = compile(spec, layout, &mut numeric) {
                    features.push(FeatureFold { name, acc });
                }
            }
            let revenue = (source == Source::Billing)
                .then(|| Column::resolve(layout, "amount_due"))
                .flatten()
                .map(|c| (ExportFold::num(&mut numeric, c), Vec::new()));
            let numbers = vec![Vec::new(); numeric.len()];
            exports.push((source, ExportFold { features, rows: Vec::new(), revenue, formats: formats.clone(), numeric, numbers }));
        }
        let customers = layouts.get(&Source::Customers).map(|(l, _)| *l);
        Folds { exports, attributes: super::attributes::AttributeFold::new(customers, attributes) }
    }

    fn export(&self, source: Source) -> Option<&ExportFold> {
        self.exports.iter().find(|(s, _)| *s == source).map(|(_, f)| f)
    }

    /// The folded values of feature `spec`, if it was folded. An indicator reads its column's values
    /// (its category's fold): 1 for the filter's values, 0 for another value, none for an empty value
    /// or (with `levels`) a value outside them.
    pub(super) fn feature(&self, spec: &FeatureSpec) -> Option<FeatureValues<'_>> {
        let e = self.export(spec.source)?;
        let name = spec.block.as_deref().unwrap_or(&spec.name);
        let f = e.features.iter().find(|f| f.name == name)?;
        let indicator = match (&f.acc, &spec.filter) {
            (Acc::Levels { levels, .. }, Some(filter)) if spec.agg == Agg::Indicator => {
                let on: Vec<String> = filter.values().iter().map(|v| v.to_string()).collect();
                levels
                    .names
                    .iter()
                    .map(|l| {
                        if on.contains(l) {
                            1.0
                        } else if spec.levels.is_empty() || spec.levels.contains(l) {
                            0.0
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        Some(FeatureValues { rows: &e.rows, acc: &f.acc, indicator })
    }

    /// The values of category feature `spec`'s column, most common first.
    pub(super) fn levels(&self, spec: &FeatureSpec) -> Option<Vec<String>> {
        let e = self.export(spec.source)?;
        match &e.features.iter().find(|f| f.name == spec.name)?.acc {
            Acc::Levels { levels, .. } => Some(levels.by_frequency()),
            _ => None,
        }
    }
}

/// One feature's folded values.
pub(super) struct FeatureValues<'a> {
    rows: &'a [u32],
    acc: &'a Acc,
    /// An indicator's value for each of its column's values (by code; NaN: unknown).
    indicator: Vec<f64>,
}

impl FeatureValues<'_> {
    /// Key `key`'s value (`None` where the key has no rows, or the aggregate has no value); `as_of`
    /// ends the window (tenure).
    pub(super) fn value(&self, key: usize, as_of: i32) -> Option<f64> {
        let rows = *self.rows.get(key).unwrap_or(&0);
        if rows == 0 {
            return None;
        }
        let get = |v: &Vec<u32>| *v.get(key).unwrap_or(&0) as f64;
        match self.acc {
            Acc::Count { when: None, .. } => Some(rows as f64),
            Acc::Count { n, .. } => Some(get(n)),
            Acc::Sum { s, .. } => Some(*s.get(key).unwrap_or(&0.0)),
            Acc::Mean { m, .. } => m.get(key),
            Acc::Cv { m, m2, .. } => {
                let n = *m.n.get(key).unwrap_or(&0);
                (n >= 2).then(|| (m2[key] / (n - 1) as f64).sqrt() / (m.s[key] / n as f64))
            }
            Acc::Share { n, .. } => Some(get(n) / rows as f64),
            Acc::Ratio { on, off, .. } => match (on.get(key), off.get(key)) {
                (Some(a), Some(b)) => Some(a / b),
                _ => None,
            },
            Acc::Value { v, .. } => v.get(key).copied().filter(|x| !x.is_nan()),
            Acc::Tenure { day, .. } => day.get(key).filter(|&&d| d != ingest::NO_DAY).map(|&d| (as_of - d) as f64 / 365.25),
            Acc::Levels { levels, .. } => {
                let code = *levels.of_key.get(key).unwrap_or(&u32::MAX);
                self.indicator.get(code as usize).copied().filter(|x| !x.is_nan())
            }
        }
    }
}

impl FeatureValues<'_> {
    /// When the feature's filter matched no row at all: the values its column held (a few).
    pub(super) fn filter_unmatched(&self) -> Option<&[String]> {
        match self.acc {
            Acc::Count { when: Some(p), .. } | Acc::Sum { when: Some(p), .. } | Acc::Mean { when: Some(p), .. } | Acc::Cv { when: Some(p), .. } => p.unmatched(),
            Acc::Share { when, .. } | Acc::Ratio { when, .. } => when.unmatched(),
            _ => None,
        }
    }

    /// Whether the customer's sum went beyond the largest number (about 1.8e308): then its value is
    /// no value, and the run says so instead of calling it missing.
    pub(super) fn overflowed(&self, key: usize) -> bool {
        let inf = |v: &Vec<f64>| v.get(key).is_some_and(|x| x.is_infinite());
        match self.acc {
            Acc::Sum { s, .. } => inf(s),
            Acc::Mean { m, .. } => inf(&m.s),
            Acc::Cv { m, m2, .. } => inf(&m.s) || inf(m2),
            Acc::Ratio { on, off, .. } => inf(&on.s) || inf(&off.s),
            _ => false,
        }
    }
}

impl Folds {
    /// Frees the accumulators of feature `name` of `source` (its values have been taken).
    pub(super) fn release(&mut self, source: Source, name: &str) {
        if let Some((_, e)) = self.exports.iter_mut().find(|(s, _)| *s == source) {
            e.features.retain(|f| f.name != name);
        }
    }

    /// The amount billed per customer key.
    pub(super) fn revenue(&self, key: usize) -> f64 {
        self.export(Source::Billing).and_then(|e| e.revenue.as_ref()).and_then(|(_, s)| s.get(key).copied()).unwrap_or(0.0)
    }

    pub(super) fn attributes(&self) -> &super::attributes::AttributeFold {
        &self.attributes
    }
}

/// The accumulator of a feature over an export with this layout, when its columns are there.
fn compile(spec: &FeatureSpec, layout: &Layout, numeric: &mut Vec<Column>) -> Option<Acc> {
    let column = |name: &Option<String>| name.as_deref().map(|c| Column::resolve(layout, c));
    let value = column(&spec.column);
    let when = match &spec.filter {
        Some(f) => Some(Pred::new(Column::resolve(layout, &f.column)?, f.values())),
        None => None,
    };
    let value = || value.flatten();
    let mut num = || value().map(|c| ExportFold::num(numeric, c));
    Some(match spec.agg {
        Agg::Count => Acc::Count { when, n: Vec::new() },
        Agg::Sum => Acc::Sum { value: num()?, when, s: Vec::new() },
        Agg::Mean => Acc::Mean { value: num()?, when, m: Mean::default() },
        Agg::Cv => Acc::Cv { value: num()?, when, m: Mean::default(), mean: Vec::new(), m2: Vec::new() },
        Agg::Share => match when {
            Some(when) => Acc::Share { when, n: Vec::new() },
            // A true/false column: the mean of its values.
            None => Acc::Mean { value: num()?, when: None, m: Mean::default() },
        },
        Agg::Ratio => Acc::Ratio { value: num()?, when: when?, on: Mean::default(), off: Mean::default() },
        Agg::Value => Acc::Value { value: num()?, v: Vec::new() },
        Agg::TenureYears => Acc::Tenure { value: value()?, day: Vec::new() },
        Agg::Category => Acc::Levels { value: value()?, levels: Levels::default() },
        Agg::Indicator => Acc::Levels { value: when?.column, levels: Levels::default() },
    })
}

impl Sink for Folds {
    fn fold(&mut self, source: Source, layout: &Layout, batch: &Batch, rows: &[u32], codes: &[u32], window: Option<Window>) {
        if source == Source::Customers {
            self.attributes.fold(layout, batch, rows, codes);
        }
        let Some((_, e)) = self.exports.iter_mut().find(|(s, _)| *s == source) else { return };
        let as_of = window.map_or(0, |w| ingest::epoch_days(w.as_of));
        let formats = &e.formats;
        for &code in codes {
            *slot(&mut e.rows, code as usize, 0) += 1;
        }
        // Each numeric column's values over the batch once, for every feature that reads it.
        use rayon::prelude::*;
        e.numbers.par_iter_mut().zip(&e.numeric).for_each(|(out, column)| {
            out.clear();
            column.numbers(batch, rows, as_of, formats, out);
        });
        let numbers = &e.numbers;
        if let Some((value, s)) = &mut e.revenue {
            for (&x, &code) in numbers[value.0].iter().zip(codes) {
                if !x.is_nan() {
                    *slot(s, code as usize, 0.0) += x;
                }
            }
        }
        // One feature at a time over the batch's rows (each accumulator's memory stays in cache while
        // rows of one customer follow each other), features in parallel: each is added to by one
        // thread, in row order, so results do not depend on the thread count.
        e.features.par_iter_mut().for_each(|f| {
            // The filter's verdict on every row (a ratio asks it of rows with a value only), then the
            // values it lets through.
            let only = match &f.acc {
                Acc::Ratio { value, .. } => Some(numbers[value.0].as_slice()),
                _ => None,
            };
            let mask = f.acc.pred_mut().map(|p| {
                p.eval(batch, rows, as_of, only);
                std::mem::take(&mut p.mask)
            });
            let on = |j: usize| mask.as_ref().is_none_or(|m| m[j]);
            let numbers_of = |n: &Num| numbers[n.0].as_slice();
            match &mut f.acc {
                Acc::Count { n, .. } | Acc::Share { n, .. } => {
                    for (j, &code) in codes.iter().enumerate() {
                        if on(j) {
                            *slot(n, code as usize, 0) += 1;
                        }
                    }
                }
                Acc::Sum { value, s, .. } => {
                    for (j, (&x, &code)) in numbers_of(value).iter().zip(codes).enumerate() {
                        if on(j) && !x.is_nan() {
                            *slot(s, code as usize, 0.0) += x;
                        }
                    }
                }
                Acc::Mean { value, m, .. } => {
                    for (j, (&x, &code)) in numbers_of(value).iter().zip(codes).enumerate() {
                        if on(j) && !x.is_nan() {
                            m.add(code as usize, x);
                        }
                    }
                }
                Acc::Cv { value, m, mean, m2, .. } => {
                    for (j, (&x, &code)) in numbers_of(value).iter().zip(codes).enumerate() {
                        if on(j) && !x.is_nan() {
                            let k = code as usize;
                            m.add(k, x);
                            let n = m.n[k] as f64;
                            let mu = slot(mean, k, 0.0);
                            let d = x - *mu;
                            *mu += d / n;
                            let d2 = x - *mu;
                            *slot(m2, k, 0.0) += d * d2;
                        }
                    }
                }
                Acc::Ratio { value, on: a, off: b, .. } => {
                    for (j, (&x, &code)) in numbers_of(value).iter().zip(codes).enumerate() {
                        if !x.is_nan() {
                            if on(j) {
                                a.add(code as usize, x);
                            } else {
                                b.add(code as usize, x);
                            }
                        }
                    }
                }
                Acc::Value { value, v } => {
                    for (&x, &code) in numbers_of(value).iter().zip(codes) {
                        if !x.is_nan() {
                            *slot(v, code as usize, f64::NAN) = x;
                        }
                    }
                }
                Acc::Tenure { value, day } => {
                    for (&i, &code) in rows.iter().zip(codes) {
                        let d = match value.value(batch, i as usize, as_of) {
                            Val::Day(d) => Some(d),
                            Val::Text(t) => match formats.date(t) {
                                ingest::values::Parsed::Value(d) => Some(d),
                                _ => None,
                            },
                            _ => None,
                        };
                        if let Some(d) = d {
                            *slot(day, code as usize, ingest::NO_DAY) = d;
                        }
                    }
                }
                Acc::Levels { value, levels } => {
                    for (&i, &code) in rows.iter().zip(codes) {
                        if let Some(t) = as_text(value.value(batch, i as usize, as_of)).filter(|t| !t.is_empty()) {
                            levels.set(code as usize, &t);
                        }
                    }
                }
            }
            // The mask's memory, for the next batch.
            if let (Some(p), Some(mask)) = (f.acc.pred_mut(), mask) {
                p.mask = mask;
            }
        });
    }

    fn reserve(&mut self, source: Source, keys: usize) {
        if source == Source::Customers {
            self.attributes.reserve(keys);
        }
        let Some((_, e)) = self.exports.iter_mut().find(|(s, _)| *s == source) else { return };
        e.rows.reserve_exact(keys);
        if let Some((_, s)) = &mut e.revenue {
            s.reserve_exact(keys);
        }
        for f in &mut e.features {
            match &mut f.acc {
                Acc::Count { n, .. } | Acc::Share { n, .. } => n.reserve_exact(keys),
                Acc::Sum { s, .. } => s.reserve_exact(keys),
                Acc::Mean { m, .. } => m.reserve(keys),
                Acc::Cv { m, mean, m2, .. } => {
                    m.reserve(keys);
                    mean.reserve_exact(keys);
                    m2.reserve_exact(keys);
                }
                Acc::Ratio { on, off, .. } => {
                    on.reserve(keys);
                    off.reserve(keys);
                }
                Acc::Value { v, .. } => v.reserve_exact(keys),
                Acc::Tenure { day, .. } => day.reserve_exact(keys),
                Acc::Levels { levels, .. } => levels.of_key.reserve_exact(keys),
            }
        }
    }

    fn restart(&mut self, source: Source) {
        if let Some((_, e)) = self.exports.iter_mut().find(|(s, _)| *s == source) {
            e.rows.clear();
            if let Some((_, s)) = &mut e.revenue {
                s.clear();
            }
            for f in &mut e.features {
                match &mut f.acc {
                    Acc::Count { n, .. } | Acc::Share { n, .. } => n.clear(),
                    Acc::Sum { s, .. } => s.clear(),
                    Acc::Mean { m, .. } => *m = Mean::default(),
                    Acc::Cv { m, mean, m2, .. } => {
                        *m = Mean::default();
                        mean.clear();
                        m2.clear();
                    }
                    Acc::Ratio { on, off, .. } => {
                        *on = Mean::default();
                        *off = Mean::default();
                    }
                    Acc::Value { v, .. } => v.clear(),
                    Acc::Tenure { day, .. } => day.clear(),
                    Acc::Levels { levels, .. } => *levels = Levels::default(),
                }
            }
        }
    }
}

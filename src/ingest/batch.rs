//! Batches of rows: a file's columns matched to the export contract ([`Layout`]), each row's values
//! parsed and checked the same way whatever the file format ([`RowBuilder`]), and the accepted rows
//! of a piece of the file as typed columns ([`Batch`]) — what the features stage folds.

use std::borrow::Cow;

use super::contract::{contract, ColumnSpec, Kind, Source};
use super::values::{Parsed, ValueFormats};
use super::{Error, Reject, Result};

/// A missing day (dates are days since 1970-01-01).
pub const NO_DAY: i32 = i32::MIN;
/// A missing date-time (milliseconds since 1970-01-01).
pub const NO_MS: i64 = i64::MIN;

/// How a file's columns meet its export's contract.
#[derive(Debug, Clone)]
pub struct Layout {
    pub source: Source,
    /// The contract's columns (for feeder-keyed outages `feeder_id` is required instead of
    /// `customer_id`), in contract order.
    pub specs: Vec<ColumnSpec>,
    /// Per spec, the file's column holding it.
    pub column_of: Vec<Option<usize>>,
    /// The customers export's other columns (its attributes): canonical name and file column.
    pub attributes: Vec<(String, usize)>,
    /// Every column's canonical name, in file order.
    pub names: Vec<String>,
    pub missing_optional: Vec<String>,
    pub feeder_keyed: bool,
    /// The spec rows are keyed by (see [`Layout::key`]).
    key_spec: usize,
}

impl Layout {
    /// Matches a file's canonical column names to the contract; the error names the first required
    /// column missing and the columns found.
    pub fn new(source: Source, path: &std::path::Path, names: Vec<String>) -> Result<Layout> {
        let has = |c: &str| names.iter().any(|n| n == c);
        // An outages export with feeder_id but no customer_id lists events per feeder.
        let feeder_keyed = source == Source::Outages && !has("customer_id") && has("feeder_id");
        let specs: Vec<ColumnSpec> = contract(source)
            .iter()
            .filter(|s| !(feeder_keyed && s.name == "customer_id"))
            .map(|s| ColumnSpec { required: s.required || (feeder_keyed && s.name == "feeder_id"), ..*s })
            .collect();
        let mut missing_optional = Vec::new();
        for spec in &specs {
            if !has(spec.name) {
                if spec.required {
                    // One column whose name holds another common separator: the delimiter is wrong.
                    let hint = match (names.as_slice(), [';', '\t', '|'].iter().find(|d| names.first().is_some_and(|n| n.contains(**d)))) {
                        ([_], Some(d)) => format!(
                            "; the header has one column: if the columns are separated by {}, set delimiter = \"{}\" under [exports.{source}] (exports.{source}.delimiter)",
                            if *d == '\t' { "tabs".to_string() } else { format!("\"{d}\"") },
                            if *d == '\t' { "\\t".to_string() } else { d.to_string() }
                        ),
                        _ => String::new(),
                    };
                    return Err(Error::Export {
                        path: path.to_path_buf(),
                        message: format!(
                            "the {source} export has no column \"{}\" (required); columns found: {}{hint}",
                            spec.name,
                            if names.is_empty() { "none".to_string() } else { names.join(", ") }
                        ),
                    });
                }
                missing_optional.push(spec.name.to_string());
            }
        }
        if let Some(dup) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)).map(|(_, n)| n) {
            return Err(Error::Export { path: path.to_path_buf(), message: format!("the column \"{dup}\" appears twice") });
        }
        let column_of = specs.iter().map(|s| names.iter().position(|n| n == s.name)).collect();
        let attributes = if source == Source::Customers {
            names.iter().enumerate().filter(|(_, n)| !contract(source).iter().any(|c| c.name == n.as_str())).map(|(i, n)| (n.clone(), i)).collect()
        } else {
            Vec::new()
        };
        let key_name = if feeder_keyed { "feeder_id" } else { "customer_id" };
        let key_spec = specs.iter().position(|s| s.name == key_name).expect("the key column is in every contract");
        Ok(Layout { source, specs, column_of, attributes, names, missing_optional, feeder_keyed, key_spec })
    }

    /// The index in `specs` of a contract column the file has.
    pub fn spec(&self, name: &str) -> Option<usize> {
        self.specs.iter().zip(&self.column_of).position(|(s, c)| s.name == name && c.is_some())
    }

    /// The column rows are keyed by: `customer_id`, or `feeder_id` for feeder-keyed outages.
    pub fn key(&self) -> usize {
        self.key_spec
    }
}

/// Text values of a column, one after another (an empty value is a missing one).
#[derive(Debug, Clone, Default)]
pub struct Texts {
    bytes: String,
    ends: Vec<u32>,
}

impl Texts {
    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u32);
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// One typed column of accepted rows.
#[derive(Debug, Clone)]
pub enum Values {
    /// `NaN` where missing (a value is never NaN: non-finite numbers are rejected).
    Number(Vec<f64>),
    /// Days since 1970-01-01, [`NO_DAY`] where missing.
    Day(Vec<i32>),
    /// Milliseconds since 1970-01-01, [`NO_MS`] where missing.
    Ms(Vec<i64>),
    Text(Texts),
}

impl Values {
    fn new(kind: Kind) -> Values {
        match kind {
            Kind::Id | Kind::Text => Values::Text(Texts::default()),
            Kind::Number => Values::Number(Vec::new()),
            Kind::Date => Values::Day(Vec::new()),
            Kind::DateTime => Values::Ms(Vec::new()),
        }
    }

    pub fn number(&self, i: usize) -> Option<f64> {
        match self {
            Values::Number(v) => Some(v[i]).filter(|x| !x.is_nan()),
            _ => None,
        }
    }

    pub fn day(&self, i: usize) -> Option<i32> {
        match self {
            Values::Day(v) => Some(v[i]).filter(|&d| d != NO_DAY),
            Values::Ms(v) => Some(v[i]).filter(|&m| m != NO_MS).map(|m| m.div_euclid(86_400_000) as i32),
            _ => None,
        }
    }

    pub fn ms(&self, i: usize) -> Option<i64> {
        match self {
            Values::Ms(v) => Some(v[i]).filter(|&m| m != NO_MS),
            Values::Day(v) => Some(v[i]).filter(|&d| d != NO_DAY).map(|d| d as i64 * 86_400_000),
            _ => None,
        }
    }

    pub fn text(&self, i: usize) -> Option<&str> {
        match self {
            Values::Text(t) => Some(t.get(i)).filter(|s| !s.is_empty()),
            _ => None,
        }
    }
}

/// The accepted rows of a piece of an export, in file order.
#[derive(Debug, Clone)]
pub struct Batch {
    pub len: usize,
    /// Per layout spec, its values (None: the file lacks the column).
    pub columns: Vec<Option<Values>>,
    /// Per layout attribute (customers export), its values.
    pub attributes: Vec<Texts>,
    /// Per row, the hash of its bytes (duplicates; 0 when no row of the file can be one) and of its key
    /// (customer or feeder id).
    pub row_hash: Vec<u64>,
    pub key_hash: Vec<u64>,
    /// The bytes of the rows whose hash is a duplicate suspect: (row, bytes).
    pub suspect_bytes: Vec<(u32, Vec<u8>)>,
}

impl Batch {
    pub fn new(layout: &Layout) -> Batch {
        Batch::with_capacity(layout, 0)
    }

    /// A batch with room for about `rows` rows.
    pub fn with_capacity(layout: &Layout, rows: usize) -> Batch {
        Batch {
            len: 0,
            columns: layout.specs.iter().zip(&layout.column_of).map(|(s, c)| c.map(|_| Values::new(s.kind))).collect(),
            attributes: vec![Texts::default(); layout.attributes.len()],
            row_hash: Vec::with_capacity(rows),
            key_hash: Vec::with_capacity(rows),
            suspect_bytes: Vec::new(),
        }
    }

    /// Empties the batch, keeping its memory.
    fn clear(&mut self) {
        self.len = 0;
        for c in self.columns.iter_mut().flatten() {
            match c {
                Values::Number(v) => v.clear(),
                Values::Day(v) => v.clear(),
                Values::Ms(v) => v.clear(),
                Values::Text(t) => t.clear(),
            }
        }
        self.attributes.iter_mut().for_each(Texts::clear);
        self.row_hash.clear();
        self.key_hash.clear();
        self.suspect_bytes.clear();
    }

    /// The column of a contract column (by its index in the layout's specs).
    pub fn column(&self, spec: usize) -> Option<&Values> {
        self.columns.get(spec).and_then(Option::as_ref)
    }

    /// The key of row `i`.
    pub fn key<'a>(&'a self, layout: &Layout, i: usize) -> &'a str {
        match self.column(layout.key()) {
            Some(Values::Text(t)) => t.get(i),
            _ => "",
        }
    }
}

/// Batches of one file handed back once folded, which the next batches are parsed into: the same
/// memory is written again instead of new pages that the system has to clear first (freed memory
/// goes back to the system within milliseconds: see main.rs). Keeps at most as many as are in
/// memory at once anyway.
pub struct SpareBatches {
    spare: std::sync::Mutex<Vec<Batch>>,
    most: usize,
}

impl SpareBatches {
    /// A pool keeping at most `most` batches.
    pub fn new(most: usize) -> SpareBatches {
        SpareBatches { spare: std::sync::Mutex::new(Vec::new()), most }
    }

    /// An empty batch for `layout`'s rows, with room for about `rows` rows.
    pub fn take(&self, layout: &Layout, rows: usize) -> Batch {
        match self.spare.lock().ok().and_then(|mut s| s.pop()) {
            Some(b) => b,
            None => Batch::with_capacity(layout, rows),
        }
    }

    /// Hands a batch back (emptied).
    pub fn put(&self, mut batch: Batch) {
        batch.clear();
        if let Ok(mut spare) = self.spare.lock() {
            if spare.len() < self.most {
                spare.push(batch);
            }
        }
    }
}

/// One value of a row, as its file gives it.
pub enum Cell<'a> {
    /// Text to parse by the column's kind (CSV, and text columns of Parquet files).
    Text(Cow<'a, str>),
    Number(f64),
    Day(i32),
    Ms(i64),
    Null,
}

/// A parsed value, before the row is accepted (text stays in its cell).
#[derive(Clone, Copy)]
pub enum Typed {
    Missing,
    Number(f64),
    Day(i32),
    Ms(i64),
    Text,
}

/// The most contract columns an export has.
pub const MAX_COLUMNS: usize = 8;

/// Why a row is rejected: reason, column, value.
pub type RowReject = (String, String, String);

fn shown(c: &Cell<'_>) -> String {
    match c {
        Cell::Text(t) => t.to_string(),
        Cell::Number(v) => v.to_string(),
        Cell::Day(d) => d.to_string(),
        Cell::Ms(m) => m.to_string(),
        Cell::Null => String::new(),
    }
}

/// Parses and checks rows into a batch.
pub struct RowBuilder<'l> {
    pub layout: &'l Layout,
    formats: ValueFormats,
    /// Days since 1970-01-01 of tomorrow (UTC): nothing may be dated on or after it.
    tomorrow: i32,
    date_spec: Option<usize>,
    consumption: Option<usize>,
    outage: Option<(usize, usize)>,
}

impl<'l> RowBuilder<'l> {
    pub fn new(layout: &'l Layout, formats: ValueFormats) -> RowBuilder<'l> {
        assert!(layout.specs.len() <= MAX_COLUMNS, "contracts have at most {MAX_COLUMNS} columns");
        let today = chrono::Utc::now().date_naive();
        let tomorrow = super::epoch_days(today) + 1;
        let date_spec = super::date_column(layout.source).and_then(|c| layout.spec(c));
        let consumption = if layout.source == Source::Billing { layout.spec("consumption") } else { None };
        let outage = match (layout.source, layout.spec("outage_start"), layout.spec("outage_end")) {
            (Source::Outages, Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        RowBuilder { layout, formats, tomorrow, date_spec, consumption, outage }
    }

    /// A text value parsed by its column's kind.
    #[inline]
    fn parse_text(&self, kind: Kind, t: &str) -> Parsed<Typed> {
        fn typed<T>(p: Parsed<T>, f: impl FnOnce(T) -> Typed) -> Parsed<Typed> {
            match p {
                Parsed::Value(v) => Parsed::Value(f(v)),
                Parsed::Missing => Parsed::Missing,
                Parsed::Bad(r) => Parsed::Bad(r),
            }
        }
        match kind {
            Kind::Id | Kind::Text => if t.is_empty() { Parsed::Missing } else { Parsed::Value(Typed::Text) },
            Kind::Number => typed(self.formats.number(t), Typed::Number),
            Kind::Date => typed(self.formats.date(t), Typed::Day),
            Kind::DateTime => typed(self.formats.datetime(t), Typed::Ms),
        }
    }

    fn parse(&self, kind: Kind, c: &Cell<'_>) -> Parsed<Typed> {
        use super::values::{NOT_A_DATE, NOT_A_DATETIME, NOT_A_NUMBER, NOT_FINITE, OUT_OF_RANGE};
        match (kind, c) {
            (_, Cell::Null) => Parsed::Missing,
            (_, Cell::Text(t)) => self.parse_text(kind, t),
            (Kind::Id | Kind::Text, _) => Parsed::Value(Typed::Text),
            (Kind::Number, Cell::Number(v)) if v.is_finite() => Parsed::Value(Typed::Number(*v)),
            (Kind::Number, Cell::Number(_)) => Parsed::Bad(NOT_FINITE),
            (Kind::Number, _) => Parsed::Bad(NOT_A_NUMBER),
            (Kind::Date, Cell::Day(d)) if in_range_day(*d) => Parsed::Value(Typed::Day(*d)),
            (Kind::DateTime, Cell::Day(d)) if in_range_day(*d) => Parsed::Value(Typed::Ms(*d as i64 * 86_400_000)),
            (Kind::Date, Cell::Ms(m)) if in_range_ms(*m) => Parsed::Value(Typed::Day(m.div_euclid(86_400_000) as i32)),
            (Kind::DateTime, Cell::Ms(m)) if in_range_ms(*m) => Parsed::Value(Typed::Ms(*m)),
            (Kind::Date | Kind::DateTime, Cell::Day(_) | Cell::Ms(_)) => Parsed::Bad(OUT_OF_RANGE),
            (Kind::Date, Cell::Number(_)) => Parsed::Bad(NOT_A_DATE),
            (Kind::DateTime, Cell::Number(_)) => Parsed::Bad(NOT_A_DATETIME),
        }
    }

    /// Parses one row's contract cells (`cell(spec)`, for each spec the file has) and, if the row
    /// passes every check, appends it (with its attributes) to `batch`. The checks, the first failing
    /// one deciding: a missing required value or a value that does not parse (column by column, in
    /// contract order), then the row's own checks ([`RowBuilder::check_row`]).
    pub fn push<'c>(
        &self,
        batch: &mut Batch,
        mut cell: impl FnMut(usize) -> Cell<'c>,
        attribute: impl Fn(usize) -> Cow<'c, str>,
        row_hash: u64,
        suspect: impl FnOnce() -> Option<Vec<u8>>,
    ) -> std::result::Result<(), RowReject> {
        let layout = self.layout;
        let mut cells: [Cell<'c>; MAX_COLUMNS] = std::array::from_fn(|_| Cell::Null);
        let mut typed = [Typed::Missing; MAX_COLUMNS];
        for (si, spec) in layout.specs.iter().enumerate() {
            if layout.column_of[si].is_none() {
                continue;
            }
            cells[si] = cell(si);
            typed[si] = accepted(spec, self.parse(spec.kind, &cells[si]), || shown(&cells[si]))?;
        }
        self.check_row(&typed, |si| shown(&cells[si]))?;
        let text = |si: usize| match &cells[si] {
            Cell::Text(t) => Cow::Borrowed(t.as_ref()),
            other => Cow::Owned(shown(other)),
        };
        self.append(batch, &typed, text, attribute, row_hash, suspect);
        Ok(())
    }

    /// [`RowBuilder::push`] for a row whose values are all text as they stand (a CSV record without
    /// quoted fields): `field(spec)` and `attribute(i)` borrow the record. The same parsing, checks
    /// and rejects, without a cell per value.
    pub fn push_text<'c>(
        &self,
        batch: &mut Batch,
        field: impl Fn(usize) -> &'c str,
        attribute: impl Fn(usize) -> &'c str,
        row_hash: u64,
        suspect: impl FnOnce() -> Option<Vec<u8>>,
    ) -> std::result::Result<(), RowReject> {
        let layout = self.layout;
        let mut typed = [Typed::Missing; MAX_COLUMNS];
        for (si, spec) in layout.specs.iter().enumerate() {
            if layout.column_of[si].is_none() {
                continue;
            }
            let t = field(si);
            typed[si] = accepted(spec, self.parse_text(spec.kind, t), || t.to_string())?;
        }
        self.check_row(&typed, |si| field(si).to_string())?;
        self.append(batch, &typed, |si| Cow::Borrowed(field(si)), |ai| Cow::Borrowed(attribute(ai)), row_hash, suspect);
        Ok(())
    }

    /// Appends a row whose values are typed already (a typed Parquet column's, read in place):
    /// `typed[spec]` as [`RowBuilder::push`] would have parsed it, `text(spec)` the text of a
    /// [`Typed::Text`] value. False when the row fails one of its own checks and was not appended:
    /// the caller then pushes it cell by cell (with [`RowBuilder::push`]), which says why.
    pub fn push_typed<'c>(
        &self,
        batch: &mut Batch,
        typed: &[Typed; MAX_COLUMNS],
        text: impl Fn(usize) -> &'c str,
        attribute: impl Fn(usize) -> Cow<'c, str>,
        row_hash: u64,
        suspect: impl FnOnce() -> Option<Vec<u8>>,
    ) -> bool {
        if self.check_row(typed, |_| String::new()).is_err() {
            return false;
        }
        self.append(batch, typed, |si| Cow::Borrowed(text(si)), attribute, row_hash, suspect);
        true
    }

    /// The checks on a row's parsed values, the first failing one deciding: a date after today, a
    /// negative consumption, an outage that ends before it starts. `shown(spec)` is the value as the
    /// reject shows it.
    fn check_row(&self, typed: &[Typed; MAX_COLUMNS], shown: impl Fn(usize) -> String) -> std::result::Result<(), RowReject> {
        let layout = self.layout;
        if let Some(si) = self.date_spec {
            let day = match typed[si] {
                Typed::Day(d) => Some(d),
                Typed::Ms(m) => Some(m.div_euclid(86_400_000) as i32),
                _ => None,
            };
            if day.is_some_and(|d| d >= self.tomorrow) {
                return Err(("date in the future".into(), layout.specs[si].name.to_string(), shown(si)));
            }
        }
        if let Some(si) = self.consumption {
            if matches!(typed[si], Typed::Number(v) if v < 0.0) {
                return Err(("negative consumption".into(), "consumption".into(), shown(si)));
            }
        }
        if let Some((a, b)) = self.outage {
            if let (Typed::Ms(start), Typed::Ms(end)) = (typed[a], typed[b]) {
                if end < start {
                    return Err(("outage ends before it starts".into(), "outage_end".into(), shown(b)));
                }
            }
        }
        Ok(())
    }

    /// Appends an accepted row.
    fn append<'t, 'c>(
        &self,
        batch: &mut Batch,
        typed: &[Typed; MAX_COLUMNS],
        text: impl Fn(usize) -> Cow<'t, str>,
        attribute: impl Fn(usize) -> Cow<'c, str>,
        row_hash: u64,
        suspect: impl FnOnce() -> Option<Vec<u8>>,
    ) {
        for (si, column) in batch.columns.iter_mut().enumerate() {
            match (column, typed[si]) {
                (None, _) => {}
                (Some(Values::Number(v)), Typed::Number(x)) => v.push(x),
                (Some(Values::Number(v)), _) => v.push(f64::NAN),
                (Some(Values::Day(v)), Typed::Day(x)) => v.push(x),
                (Some(Values::Day(v)), _) => v.push(NO_DAY),
                (Some(Values::Ms(v)), Typed::Ms(x)) => v.push(x),
                (Some(Values::Ms(v)), _) => v.push(NO_MS),
                (Some(Values::Text(v)), Typed::Text) => v.push(&text(si)),
                (Some(Values::Text(v)), _) => v.push(""),
            }
        }
        for (ai, texts) in batch.attributes.iter_mut().enumerate() {
            texts.push(&attribute(ai));
        }
        let key = match batch.column(self.layout.key()) {
            Some(Values::Text(t)) => super::keys::hash_bytes(t.get(batch.len).as_bytes()),
            _ => 0,
        };
        batch.key_hash.push(key);
        batch.row_hash.push(row_hash);
        if let Some(bytes) = suspect() {
            batch.suspect_bytes.push((batch.len as u32, bytes));
        }
        batch.len += 1;
    }
}

/// A parsed value as the row keeps it ([`Typed::Missing`] where a value may be missing), or why the
/// row is rejected: a missing required value, or one that does not parse. `shown` is the value as
/// the reject shows it.
fn accepted(spec: &ColumnSpec, parsed: Parsed<Typed>, shown: impl FnOnce() -> String) -> std::result::Result<Typed, RowReject> {
    match parsed {
        Parsed::Missing if spec.required => Err((format!("missing {}", spec.name), spec.name.to_string(), shown())),
        Parsed::Missing => Ok(Typed::Missing),
        Parsed::Bad(reason) => Err((reason.to_string(), spec.name.to_string(), shown())),
        Parsed::Value(v) => Ok(v),
    }
}

pub fn in_range_day(d: i32) -> bool {
    // 1000-01-01 ..= 9999-12-31.
    (-354_285..=2_932_896).contains(&d)
}

pub fn in_range_ms(m: i64) -> bool {
    in_range_day(m.div_euclid(86_400_000).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}

/// A reject of row `line` of `file`.
pub fn reject(file: &str, line: u64, (reason, column, value): RowReject) -> Reject {
    Reject { file: file.to_string(), line, column, value, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The billing rows pushed cell by cell and as text, as `(accepted or why not, batch)`.
    fn both_ways(rows: &[[&str; 8]]) -> Vec<(std::result::Result<(), RowReject>, std::result::Result<(), RowReject>)> {
        let names: Vec<String> = contract(Source::Billing).iter().map(|c| c.name.to_string()).collect();
        assert_eq!(names.len(), 8);
        let layout = Layout::new(Source::Billing, std::path::Path::new("billing.csv"), names).unwrap();
        let builder = RowBuilder::new(&layout, ValueFormats::new(&super::super::ExportSettings::default()));
        let (mut by_cell, mut by_text) = (Batch::new(&layout), Batch::new(&layout));
        let out = rows
            .iter()
            .map(|row| {
                let field = |si: usize| row[layout.column_of[si].unwrap()];
                let a = builder.push(&mut by_cell, |si| Cell::Text(Cow::Borrowed(field(si))), |_| Cow::Borrowed(""), 0, || None);
                let b = builder.push_text(&mut by_text, field, |_| "", 0, || None);
                (a, b)
            })
            .collect();
        assert_eq!(by_cell.len, by_text.len);
        for si in 0..layout.specs.len() {
            for i in 0..by_cell.len {
                let (a, b) = (by_cell.column(si).unwrap(), by_text.column(si).unwrap());
                assert_eq!((a.number(i), a.day(i), a.ms(i), a.text(i)), (b.number(i), b.day(i), b.ms(i), b.text(i)), "column {si}, row {i}");
            }
        }
        out
    }

    #[test]
    fn rows_pushed_as_text_are_parsed_checked_and_rejected_as_cell_by_cell() {
        let rows = [
            ["C1", "2025-11-05", "187", "41.92", "2025-11-25", "2025-11-28", "41.92", "bank_debit"],
            ["C1", "2025-12-05", " 186 ", "41.76", "2025-12-25", "", "", ""],
            ["", "2025-12-05", "1", "1", "2025-12-25", "", "", "cash"],
            ["C2", "2025/12/05", "1", "1", "2025-12-25", "", "", "cash"],
            ["C2", "2025-12-05", "abc", "1", "2025-12-25", "", "", "cash"],
            ["C2", "2025-12-05", "-3", "1", "2025-12-25", "", "", "cash"],
            ["C2", "2999-12-05", "3", "1", "2025-12-25", "", "", "cash"],
            ["C2", "2025-12-05", "inf", "1", "2025-12-25", "", "", "cash"],
        ];
        let results = both_ways(&rows);
        for (row, (a, b)) in rows.iter().zip(&results) {
            assert_eq!(a, b, "{row:?}");
        }
        // The cases are what they say: two rows accepted, the others rejected for different reasons.
        let reasons: Vec<String> = results.iter().filter_map(|(a, _)| a.as_ref().err().map(|r| r.0.clone())).collect();
        assert_eq!(results.iter().filter(|(a, _)| a.is_ok()).count(), 2);
        assert_eq!(reasons, ["missing customer_id", "not a date", "not a number", "negative consumption", "date in the future", "not a finite number"]);
    }
}

//! The streaming fold against an independent reference: generated exports with every aggregation
//! kind, filters on text, whole-number and true/false columns, derived columns, a window, rejected
//! rows, exact duplicates, blank lines, ragged rows, a quoted field spanning lines and (one variant)
//! outages keyed by feeder. The reference computes each feature in plain Rust from the clean rows the
//! generator made; the stream reads the dirty files, in chunks from one byte to the default, from CSV
//! and from Parquet, and must give the same features (within 1e-12 relative: a coefficient of
//! variation is computed in one pass there, in two here) and the same row accounting.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use super::*;
use crate::ingest::{self, ExportPaths, ExportsSettings, Source};

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

#[derive(Clone)]
struct Bill {
    customer: String,
    bill_date: NaiveDate,
    consumption: f64,
    amount_due: f64,
    due_date: Option<NaiveDate>,
    paid_date: Option<NaiveDate>,
    amount_paid: Option<f64>,
    method: Option<&'static str>,
}

#[derive(Clone)]
struct Outage {
    key: String,
    start: i64,
    end: i64,
    cause: Option<&'static str>,
}

#[derive(Clone)]
struct Ticket {
    customer: String,
    opened: i64,
    closed: Option<i64>,
    category: &'static str,
    channel: Option<&'static str>,
    id: String,
}

struct Customer {
    id: String,
    start: Option<NaiveDate>,
    feeder: String,
    income: Option<String>,
    note: String,
}

struct Data {
    bills: Vec<Bill>,
    outages: Vec<Outage>,
    tickets: Vec<Ticket>,
    customers: Vec<Customer>,
    by_feeder: bool,
}

fn day(d: NaiveDate) -> i64 {
    ingest::epoch_days(d) as i64
}

fn ms_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()
}

fn generate(seed: u64, by_feeder: bool) -> Data {
    let mut r = Rng(seed);
    let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut data = Data { bills: Vec::new(), outages: Vec::new(), tickets: Vec::new(), customers: Vec::new(), by_feeder };
    let methods = [Some("cash"), Some("online"), Some("check"), Some("bank_debit"), None];
    for c in 0..150 {
        let id = format!("C{c:04}");
        let feeder = format!("F{}", c % 7);
        data.customers.push(Customer {
            id: id.clone(),
            start: (!r.chance(0.1)).then(|| base - chrono::Duration::days(r.below(9000) as i64)),
            feeder: feeder.clone(),
            income: (!r.chance(0.2)).then(|| format!("{}.5", 20 + r.below(90))),
            note: if r.chance(0.3) { "moved in\nlast year, \"quiet\"".into() } else { "none".into() },
        });
        // A few customers have no bill at all, some bills lie outside the window.
        if c % 37 == 5 {
            continue;
        }
        for m in 0..(6 + r.below(18)) {
            let bill_date = base + chrono::Duration::days(m as i64 * 30 + r.below(5) as i64);
            let due = (!r.chance(0.05)).then(|| bill_date + chrono::Duration::days(20));
            let paid = due.and_then(|d| (!r.chance(0.15)).then(|| d + chrono::Duration::days(r.below(40) as i64 - 10)));
            let amount_due = (r.below(30_000) as f64) / 100.0;
            data.bills.push(Bill {
                customer: id.clone(),
                bill_date,
                consumption: (r.below(1500) as f64) / 4.0,
                amount_due,
                due_date: due,
                paid_date: paid,
                amount_paid: paid.map(|_| amount_due - (r.below(300) as f64) / 10.0),
                method: methods[r.below(5) as usize],
            });
        }
        for _ in 0..r.below(5) {
            let start = (day(base) + r.below(600) as i64) * 86_400_000 + r.below(86_400) as i64 * 1000;
            let end = start + [60_000, 240_000, 3_600_000, 20_000_000][r.below(4) as usize] + r.below(5000) as i64 * 1000;
            data.outages.push(Outage { key: if by_feeder { feeder.clone() } else { id.clone() }, start, end, cause: [Some("planned"), Some("unplanned"), None][r.below(3) as usize] });
        }
        for t in 0..r.below(4) {
            let opened = (day(base) + r.below(600) as i64) * 86_400_000 + r.below(80_000) as i64 * 1000;
            data.tickets.push(Ticket {
                customer: id.clone(),
                opened,
                closed: (!r.chance(0.2)).then(|| opened + r.below(200_000) as i64 * 1000),
                category: ["complaint", "billing_inquiry", "start_stop"][r.below(3) as usize],
                channel: [Some("call_center"), Some("web"), None][r.below(3) as usize],
                // Some ticket ids are quoted and span two lines.
                id: if r.chance(0.1) { format!("\"T{c}-{t}\nsecond line\"") } else { format!("T{c}-{t}") },
            });
        }
    }
    data
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// Per export: rows rejected, rows duplicated, and of the rejected those only CSV can hold (a blank
/// line, a ragged row, a stray quote).
type Injected = BTreeMap<&'static str, (usize, usize, usize)>;

/// The files, with rejected rows, exact duplicates, a blank line and ragged rows mixed in.
fn write_csv(data: &Data, dir: &Path) -> Injected {
    let mut injected = BTreeMap::new();
    let mut billing = String::from("customer_id,bill_date,consumption,amount_due,due_date,paid_date,amount_paid,payment_method\n");
    let line = |b: &Bill| {
        format!(
            "{},{},{},{},{},{},{},{}\n",
            b.customer,
            b.bill_date,
            b.consumption,
            b.amount_due,
            opt(&b.due_date),
            opt(&b.paid_date),
            opt(&b.amount_paid),
            b.method.unwrap_or("")
        )
    };
    let newest = data.bills.iter().map(|b| b.bill_date).max().unwrap();
    let (mut rejected, mut duplicate, mut csv_only) = (0, 0, 0);
    for (i, b) in data.bills.iter().enumerate() {
        billing.push_str(&line(b));
        if i % 97 == 3 {
            // An exact duplicate, later.
            billing.push_str(&line(b));
            duplicate += 1;
        }
        if i % 131 == 7 {
            billing.push_str(&format!("{},{},12x,1.0,,,,cash\n", b.customer, b.bill_date));
            billing.push_str(&format!("{},2099-01-01,1,1.0,,,,cash\n", b.customer));
            billing.push_str(&format!(",{},1,1.0,,,,cash\n", b.bill_date));
            billing.push_str(&format!("{},{},1,1.0,,,,cash,extra\n", b.customer, b.bill_date));
            billing.push_str(&format!("{},{},1,NaN,,,,cash\n", b.customer, b.bill_date));
            rejected += 5;
            csv_only += 1;
        }
    }
    // The newest bill date of the file is a rejected row's (negative consumption): the window ends at
    // the newest accepted bill instead.
    billing.push_str(&format!("{},{},-5,1.0,,,,cash\n", data.bills[0].customer, newest + chrono::Duration::days(3)));
    billing.push('\n');
    rejected += 2;
    csv_only += 1;
    std::fs::write(dir.join("billing.csv"), billing).unwrap();
    injected.insert("billing", (rejected, duplicate, csv_only));

    let head = if data.by_feeder { "feeder_id" } else { "customer_id" };
    let mut outages = format!("{head},outage_start,outage_end,cause\n");
    let (mut rejected, mut duplicate) = (0, 0);
    for (i, o) in data.outages.iter().enumerate() {
        let l = format!("{},{},{},{}\n", o.key, ms_text(o.start), ms_text(o.end), o.cause.unwrap_or(""));
        outages.push_str(&l);
        if i % 41 == 2 {
            outages.push_str(&l);
            duplicate += 1;
            outages.push_str(&format!("{},{},{},planned\n", o.key, ms_text(o.end), ms_text(o.start)));
            rejected += 1;
        }
    }
    std::fs::write(dir.join("outages.csv"), outages).unwrap();
    injected.insert("outages", (rejected, duplicate, 0));

    let mut tickets = String::from("ticket_id,customer_id,opened_at,closed_at,category,channel\n");
    let (mut rejected, mut duplicate) = (0, 0);
    for (i, t) in data.tickets.iter().enumerate() {
        let l = format!("{},{},{},{},{},{}\n", t.id, t.customer, ms_text(t.opened), t.closed.map(ms_text).unwrap_or_default(), t.category, t.channel.unwrap_or(""));
        tickets.push_str(&l);
        if i % 29 == 1 {
            tickets.push_str(&l);
            duplicate += 1;
            tickets.push_str(&format!("T\"x,{},{},,complaint,web\n", t.customer, ms_text(t.opened)));
            rejected += 1;
        }
    }
    std::fs::write(dir.join("tickets.csv"), tickets).unwrap();
    injected.insert("tickets", (rejected, duplicate, rejected));

    let mut customers = String::from("customer_id,service_start,feeder_id,income,note\n");
    for c in &data.customers {
        customers.push_str(&format!("{},{},{},{},\"{}\"\n", c.id, opt(&c.start), c.feeder, opt(&c.income), c.note.replace('"', "\"\"")));
    }
    // A later row of a customer is a duplicate.
    customers.push_str(&format!("{},2001-01-01,F1,1,x\n", data.customers[3].id));
    std::fs::write(dir.join("customers.csv"), customers).unwrap();
    injected.insert("customers", (0, 1, 0));
    injected
}

fn spec(name: &str, source: Source, agg: Agg, column: Option<&str>, filter: Option<(&str, Vec<FilterValue>)>) -> FeatureSpec {
    FeatureSpec {
        name: name.into(),
        label: name.into(),
        label_zh: None,
        group: "g".into(),
        source,
        agg,
        column: column.map(String::from),
        filter: filter.map(|(c, v)| Filter { column: c.into(), equals: None, one_of: Some(v) }),
        transform: Transform::None,
        weight: 1.0,
        high: None,
        low: None,
        high_zh: None,
        low_zh: None,
        format: ValueFormat::Number,
        levels: Vec::new(),
        values: BTreeMap::new(),
        values_zh: BTreeMap::new(),
        block: None,
    }
}

fn specs() -> Vec<FeatureSpec> {
    use Agg::*;
    use FilterValue::{Int, Text};
    let t = |s: &str| vec![Text(s.into())];
    let winter = || vec![Int(12), Int(1), Int(2)];
    let b = Source::Billing;
    let (o, k, c) = (Source::Outages, Source::Tickets, Source::Customers);
    vec![
        spec("bills", b, Count, None, None),
        spec("cash_bills", b, Count, None, Some(("payment_method", t("cash")))),
        spec("amount", b, Sum, Some("amount_due"), None),
        spec("winter_amount", b, Sum, Some("amount_due"), Some(("month", winter()))),
        spec("consumption", b, Mean, Some("consumption"), None),
        spec("online_consumption", b, Mean, Some("consumption"), Some(("payment_method", vec![Text("online".into()), Text("check".into())]))),
        spec("consumption_cv", b, Cv, Some("consumption"), None),
        spec("cash_share", b, Share, None, Some(("payment_method", t("cash")))),
        spec("late_share", b, Share, Some("late"), None),
        spec("late_count", b, Count, None, Some(("late", t("true")))),
        spec("winter_ratio", b, Ratio, Some("consumption"), Some(("month", winter()))),
        spec("days_late", b, Mean, Some("days_late"), None),
        spec("arrears", b, Sum, Some("arrears_60"), None),
        spec("unpaid_share", b, Share, Some("unpaid"), None),
        spec("outages", o, Count, None, None),
        spec("minutes", o, Sum, Some("minutes"), None),
        spec("long", o, Count, None, Some(("long", t("true")))),
        spec("unplanned_minutes", o, Mean, Some("minutes"), Some(("cause", t("unplanned")))),
        spec("momentary_share", o, Share, None, Some(("momentary", t("true")))),
        spec("tickets", k, Count, None, None),
        spec("complaints", k, Count, None, Some(("category", t("complaint")))),
        spec("call_share", k, Share, None, Some(("channel", t("call_center")))),
        spec("hours", k, Mean, Some("hours_to_close"), None),
        spec("income", c, Value, Some("income"), None),
        spec("tenure", c, TenureYears, Some("service_start"), None),
    ]
}

/// Each feature of each billed customer, computed from the clean rows (None: no value).
fn reference(data: &Data) -> (NaiveDate, BTreeMap<String, Vec<Option<f64>>>) {
    let as_of = data.bills.iter().map(|b| b.bill_date).max().unwrap();
    let start = as_of.checked_sub_months(chrono::Months::new(12)).unwrap();
    let inside_day = |d: NaiveDate| d > start && d <= as_of;
    let inside_ms = |ms: i64| ms >= (day(start) + 1) * 86_400_000 && ms < (day(as_of) + 1) * 86_400_000;
    let mut out: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let customers: Vec<&str> = {
        let mut ids: Vec<&str> = data.bills.iter().filter(|b| inside_day(b.bill_date)).map(|b| b.customer.as_str()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let feeder_of = |id: &str| data.customers.iter().find(|c| c.id == id).map(|c| c.feeder.clone());
    for id in customers {
        let bills: Vec<&Bill> = data.bills.iter().filter(|b| b.customer == id && inside_day(b.bill_date)).collect();
        let key = if data.by_feeder { feeder_of(id).unwrap_or_default() } else { id.to_string() };
        let outages: Vec<&Outage> = data.outages.iter().filter(|o| o.key == key && inside_ms(o.start)).collect();
        let tickets: Vec<&Ticket> = data.tickets.iter().filter(|t| t.customer == id && inside_ms(t.opened)).collect();
        let customer = data.customers.iter().find(|c| c.id == id);
        let winter = |b: &Bill| matches!(b.bill_date.month(), 12 | 1 | 2);
        let days_late = |b: &Bill| b.due_date.map(|d| ((day(b.paid_date.unwrap_or(as_of)) - day(d)) as f64).max(0.0));
        let minutes = |o: &Outage| ((o.end - o.start) / 1000) as f64 / 60.0;
        let none_if_empty = |rows: usize, v: f64| (rows > 0).then_some(v);
        let n = bills.len() as f64;
        let cons: Vec<f64> = bills.iter().map(|b| b.consumption).collect();
        let cv = (cons.len() >= 2).then(|| {
            let m = cons.iter().sum::<f64>() / cons.len() as f64;
            (cons.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (cons.len() - 1) as f64).sqrt() / m
        });
        let late: Vec<f64> = bills.iter().filter_map(|b| days_late(b)).map(|d| (d > 0.0) as u8 as f64).collect();
        let values: Vec<(&str, Option<f64>)> = vec![
            ("bills", Some(n)),
            ("cash_bills", Some(bills.iter().filter(|b| b.method == Some("cash")).count() as f64)),
            ("amount", Some(bills.iter().map(|b| b.amount_due).sum())),
            ("winter_amount", Some(bills.iter().filter(|b| winter(b)).map(|b| b.amount_due).sum())),
            ("consumption", mean(&cons)),
            ("online_consumption", mean(&bills.iter().filter(|b| matches!(b.method, Some("online" | "check"))).map(|b| b.consumption).collect::<Vec<_>>())),
            ("consumption_cv", cv),
            ("cash_share", Some(bills.iter().filter(|b| b.method == Some("cash")).count() as f64 / n)),
            ("late_share", mean(&late)),
            ("late_count", Some(late.iter().sum())),
            ("winter_ratio", match (mean(&bills.iter().filter(|b| winter(b)).map(|b| b.consumption).collect::<Vec<_>>()), mean(&bills.iter().filter(|b| !winter(b)).map(|b| b.consumption).collect::<Vec<_>>())) {
                (Some(a), Some(b)) => Some(a / b),
                _ => None,
            }),
            ("days_late", mean(&bills.iter().filter_map(|b| days_late(b)).collect::<Vec<_>>())),
            ("arrears", Some(bills.iter().map(|b| {
                if b.paid_date.is_none() && b.due_date.is_some_and(|d| day(as_of) - day(d) > 60) {
                    (b.amount_due - b.amount_paid.unwrap_or(0.0)).max(0.0)
                } else {
                    0.0
                }
            }).sum())),
            ("unpaid_share", Some(bills.iter().filter(|b| b.paid_date.is_none()).count() as f64 / n)),
            ("outages", none_if_empty(outages.len(), outages.len() as f64)),
            ("minutes", none_if_empty(outages.len(), outages.iter().map(|o| minutes(o)).sum())),
            ("long", none_if_empty(outages.len(), outages.iter().filter(|o| minutes(o) >= 240.0).count() as f64)),
            ("unplanned_minutes", if outages.is_empty() { None } else { mean(&outages.iter().filter(|o| o.cause == Some("unplanned")).map(|o| minutes(o)).collect::<Vec<_>>()) }),
            ("momentary_share", none_if_empty(outages.len(), outages.iter().filter(|o| minutes(o) < 5.0).count() as f64 / outages.len().max(1) as f64)),
            ("tickets", none_if_empty(tickets.len(), tickets.len() as f64)),
            ("complaints", none_if_empty(tickets.len(), tickets.iter().filter(|t| t.category == "complaint").count() as f64)),
            ("call_share", none_if_empty(tickets.len(), tickets.iter().filter(|t| t.channel == Some("call_center")).count() as f64 / tickets.len().max(1) as f64)),
            ("hours", if tickets.is_empty() { None } else { mean(&tickets.iter().filter_map(|t| t.closed.map(|c| ((c - t.opened) / 1000) as f64 / 3600.0)).collect::<Vec<_>>()) }),
            ("income", customer.and_then(|c| c.income.as_ref()).map(|s| s.parse().unwrap())),
            ("tenure", customer.and_then(|c| c.start).map(|s| (day(as_of) - day(s)) as f64 / 365.25)),
        ];
        for (name, v) in values {
            out.entry(name.to_string()).or_default().push(v);
        }
    }
    (as_of, out)
}

/// Reads the exports in `dir` as a run does and returns each feature per billed customer (None where
/// missing), the window's end, and the exports' accounting.
fn stream(dir: &Path, specs: &[FeatureSpec]) -> (NaiveDate, BTreeMap<String, Vec<Option<f64>>>, ingest::Exports) {
    let settings = ExportsSettings::default();
    let paths = ExportPaths::locate(Some(dir), ExportPaths::default(), &settings).unwrap();
    let opened = ingest::open_all(&paths, &settings).unwrap();
    let columns: ExportColumns = opened.iter().map(|(s, o)| (*s, o.columns())).collect();
    let (used, skipped) = usable(specs, &columns);
    assert!(skipped.is_empty(), "{skipped:?}");
    let layouts = opened.iter().map(|(s, o)| (*s, (&o.layout, ingest::ValueFormats::new(settings.get(*s))))).collect();
    let mut folds = Folds::new(&used, &layouts, &AttributeSettings::default());
    let ingested = ingest::read_all(&opened, &settings, None, 12, &mut folds, &|_| {}).unwrap();
    let window = ingested.window().unwrap();
    let agg = aggregated(&used, &mut folds, &ingested, window).unwrap();
    let mut out = BTreeMap::new();
    for (s, column) in used.iter().zip(&agg.values) {
        out.insert(s.name.clone(), column.iter().map(|v| (!v.is_nan()).then_some(*v)).collect());
    }
    (window.as_of, out, ingested.exports)
}

fn assert_same(want: &BTreeMap<String, Vec<Option<f64>>>, got: &BTreeMap<String, Vec<Option<f64>>>, what: &str) {
    assert_eq!(want.keys().collect::<Vec<_>>(), got.keys().collect::<Vec<_>>());
    let mut wrong = Vec::new();
    for (name, w) in want {
        let g = &got[name];
        assert_eq!(w.len(), g.len(), "{what}: {name}: customers");
        for (i, (a, b)) in w.iter().zip(g).enumerate() {
            let same = match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                _ => a == b,
            };
            if !same {
                wrong.push(format!("{name}[{i}]: want {a:?}, got {b:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{what}: {} differences: {}", wrong.len(), wrong.iter().take(12).cloned().collect::<Vec<_>>().join("; "));
}

fn check_accounting(exports: &ingest::Exports, injected: &Injected, parquet: bool, what: &str) {
    for (source, e) in exports {
        let s = &e.stats;
        assert_eq!(s.rows_read, s.rows_accepted + s.rows_rejected + s.rows_duplicate + s.rows_outside_window, "{what}: {source}");
        let (rejected, duplicate, csv_only) = injected[source.as_str()];
        let rejected = if parquet { rejected - csv_only } else { rejected };
        assert_eq!((s.rows_rejected, s.rows_duplicate), (rejected, duplicate), "{what}: {source}: {:?}", s.reject_reasons);
    }
}

#[test]
fn streaming_agrees_with_the_reference_on_every_aggregation_kind_whatever_the_chunk_size() {
    for by_feeder in [false, true] {
        let data = generate(7 + by_feeder as u64, by_feeder);
        let dir = tempfile::tempdir().unwrap();
        let injected = write_csv(&data, dir.path());
        let (as_of, want) = reference(&data);
        for chunk in [1, 100, 4096, 1 << 22] {
            let what = format!("CSV, {} outages, chunks of {chunk} bytes", if by_feeder { "feeder-keyed" } else { "customer" });
            let (got_as_of, got, exports) = ingest::csv::with_chunk_bytes(chunk, || stream(dir.path(), &specs()));
            assert_eq!(got_as_of, as_of, "{what}: the window ends at the newest accepted bill");
            assert_same(&want, &got, &what);
            check_accounting(&exports, &injected, false, &what);
            if by_feeder {
                assert!(exports[&Source::Outages].stats.feeder_keyed);
            }
            // Rejects name the physical line, counting the lines of quoted fields.
            let tickets = std::fs::read_to_string(dir.path().join("tickets.csv")).unwrap();
            for r in &exports[&Source::Tickets].rejects {
                let line = tickets.split('\n').nth(r.line as usize - 1).unwrap();
                assert!(line.starts_with("T\"x,"), "{what}: line {} is {line:?}", r.line);
                assert_eq!(r.reason, "stray quote (\")");
            }
        }
    }
}

/// The CSV exports of `csv_dir` as Parquet files in `dir`, read by the csv crate; the rows only CSV
/// can hold (blank, ragged, stray quote) are left out. Every column is text, or with `typed` the
/// contract's numbers, dates and date-times are typed (a value that does not convert is missing).
fn write_parquet(csv_dir: &Path, dir: &Path, typed: bool) {
    use polars::prelude::*;
    for name in ["billing", "outages", "tickets", "customers"] {
        let source = Source::ALL.into_iter().find(|s| s.as_str() == name).unwrap();
        let mut r = ::csv::ReaderBuilder::new().flexible(true).from_path(csv_dir.join(format!("{name}.csv"))).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let mut columns: Vec<Vec<String>> = vec![Vec::new(); header.len()];
        for rec in r.records() {
            let rec = rec.unwrap();
            if rec.len() != header.len() || rec.get(0).unwrap_or("").starts_with("T\"x") {
                continue;
            }
            for (c, v) in columns.iter_mut().zip(rec.iter()) {
                c.push(v.to_string());
            }
        }
        let columns = header.iter().zip(columns).map(|(h, v)| {
            let text = Column::new(h.as_str().into(), v);
            let kind = ingest::contract(source).iter().find(|c| c.name == h.as_str()).map(|c| c.kind);
            let empty_is_null = |c: Column| c.as_materialized_series().str().unwrap().apply(|v| v.filter(|t| !t.is_empty()).map(std::borrow::Cow::Borrowed)).into_column();
            match kind.filter(|_| typed) {
                Some(ingest::Kind::Number) => empty_is_null(text).cast(&DataType::Float64).unwrap(),
                Some(ingest::Kind::Date) => empty_is_null(text).cast(&DataType::Date).unwrap(),
                Some(ingest::Kind::DateTime) => {
                    let ms: Vec<Option<i64>> = text
                        .as_materialized_series()
                        .str()
                        .unwrap()
                        .iter()
                        .map(|t| chrono::NaiveDateTime::parse_from_str(t?, "%Y-%m-%d %H:%M:%S").ok().map(|d| d.and_utc().timestamp_millis()))
                        .collect();
                    Column::new(h.as_str().into(), ms).cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).unwrap()
                }
                _ => text,
            }
        });
        let mut df = DataFrame::new_infer_height(columns.collect()).unwrap();
        ParquetWriter::new(std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap()).finish(&mut df).unwrap();
    }
}

#[test]
fn typed_parquet_values_read_in_place_agree_with_reading_them_cell_by_cell() {
    use polars::prelude::*;
    let data = generate(13, false);
    let csv_dir = tempfile::tempdir().unwrap();
    write_csv(&data, csv_dir.path());
    let pq = tempfile::tempdir().unwrap();
    write_parquet(csv_dir.path(), pq.path(), true);
    let billing = ParquetReader::new(std::fs::File::open(pq.path().join("billing.parquet")).unwrap()).finish().unwrap();
    assert_eq!(billing.column("consumption").unwrap().dtype(), &DataType::Float64);
    assert_eq!(billing.column("bill_date").unwrap().dtype(), &DataType::Date);
    let bits = |m: &BTreeMap<String, Vec<Option<f64>>>| m.iter().map(|(k, v)| (k.clone(), v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>())).collect::<Vec<_>>();
    for rows in [1, 1000, 1 << 19] {
        let before = ingest::scan::rows_read_in_place();
        let (as_of, fast, fast_exports) = ingest::scan::with_parquet_rows(rows, || stream(pq.path(), &specs()));
        let in_place = ingest::scan::rows_read_in_place() - before;
        let (slow_as_of, slow, slow_exports) = ingest::scan::with_parquet_rows(rows, || ingest::scan::cell_by_cell(|| stream(pq.path(), &specs())));
        let what = format!("batches of {rows} rows");
        assert_eq!(as_of, slow_as_of, "{what}");
        assert_eq!(bits(&fast), bits(&slow), "{what}");
        for (source, e) in &fast_exports {
            assert_eq!(e.stats, slow_exports[source].stats, "{what}: {source}");
            assert_eq!(e.rejects, slow_exports[source].rejects, "{what}: {source}");
        }
        // The injected bad rows are still rejected (a null, a number that is not finite, a date in the
        // future, a negative consumption, an outage that ends before it starts), and every accepted
        // row (duplicates and rows outside the window included) was read in place.
        let stats = |s: Source| &fast_exports[&s].stats;
        assert!(stats(Source::Billing).rows_rejected >= 5 && stats(Source::Outages).rows_rejected > 0, "{what}: {:?}", stats(Source::Billing).reject_reasons);
        let reasons = &stats(Source::Billing).reject_reasons;
        for reason in ["date in the future", "negative consumption", "missing customer_id", "not a finite number"] {
            assert!(reasons.keys().any(|r| r.starts_with(reason)), "{what}: {reason} not among {reasons:?}");
        }
        for source in Source::ALL {
            assert!(stats(source).rows_accepted > 0, "{what}: {source}: {:?}", stats(source));
        }
        let accepted: usize = fast_exports.values().map(|e| e.stats.rows_accepted + e.stats.rows_duplicate + e.stats.rows_outside_window).sum();
        assert!(in_place >= accepted as u64, "{what}: {in_place} rows read in place of {accepted}");
    }
}

#[test]
fn streaming_parquet_agrees_with_the_reference_in_batches_of_any_size() {
    let data = generate(11, false);
    let csv_dir = tempfile::tempdir().unwrap();
    let injected = write_csv(&data, csv_dir.path());
    let (_, want) = reference(&data);
    let pq = tempfile::tempdir().unwrap();
    write_parquet(csv_dir.path(), pq.path(), false);
    for rows in [1, 7, 1000, 1 << 19] {
        let what = format!("Parquet, batches of {rows} rows");
        let (_, got, exports) = ingest::scan::with_parquet_rows(rows, || stream(pq.path(), &specs()));
        assert_same(&want, &got, &what);
        check_accounting(&exports, &injected, true, &what);
    }
}

#[test]
fn one_thread_or_two_give_the_same_features_bit_for_bit() {
    let data = generate(3, false);
    let dir = tempfile::tempdir().unwrap();
    write_csv(&data, dir.path());
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| ingest::csv::with_chunk_bytes(2048, || stream(dir.path(), &specs())).1)
    };
    let bits = |m: BTreeMap<String, Vec<Option<f64>>>| m.into_iter().map(|(k, v)| (k, v.into_iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>())).collect::<Vec<_>>();
    assert_eq!(bits(run(1)), bits(run(2)));
}

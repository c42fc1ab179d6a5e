//! Realistic sample exports with planted personas drawn from utility practice, plus the truth file
//! (`truth.csv`: customer_id, persona) that tests and benchmarks score segmentations against.
//!
//! Generation is seeded and parallel over fixed blocks of customers, so the same seed writes the same
//! bytes whatever the thread count.

use std::io::Write;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::output::{Error, Result};

/// A planted kind of customer.
pub struct Persona {
    pub key: &'static str,
    /// Relative frequency.
    weight: f64,
    consumption: f64,
    /// Winter and summer multipliers of consumption.
    winter: f64,
    summer: f64,
    /// Payment methods and their probabilities.
    methods: &'static [(&'static str, f64)],
    late: f64,
    unpaid: f64,
    outages: f64,
    long_share: f64,
    momentary_share: f64,
    tickets: f64,
    categories: &'static [(&'static str, f64)],
    channels: &'static [(&'static str, f64)],
    tenure_years: f64,
    homeowner: f64,
    dwelling_house: f64,
    heating: &'static [(&'static str, f64)],
    ev: f64,
    regions: &'static [(&'static str, f64)],
}

const REGIONS_ANY: &[(&str, f64)] = &[("north", 0.25), ("south", 0.25), ("east", 0.25), ("west", 0.25)];

/// The planted personas: the committed sample has the first six (`SamplePlan::personas`).
pub const PERSONAS: &[Persona] = &[
    Persona {
        key: "basic_service_renters",
        weight: 1.0,
        consumption: 220.0,
        winter: 1.1,
        summer: 1.0,
        methods: &[("online", 0.8), ("bank_debit", 0.2)],
        late: 0.06,
        unpaid: 0.0,
        outages: 0.8,
        long_share: 0.1,
        momentary_share: 0.3,
        tickets: 0.6,
        categories: &[("start_stop", 0.5), ("billing_inquiry", 0.5)],
        channels: &[("web", 0.5), ("app", 0.4), ("call_center", 0.1)],
        tenure_years: 1.5,
        homeowner: 0.05,
        dwelling_house: 0.1,
        heating: &[("electric", 0.6), ("gas", 0.4)],
        ev: 0.02,
        regions: &[("city", 0.7), ("north", 0.1), ("south", 0.1), ("east", 0.1)],
    },
    Persona {
        key: "affluent_homeowners",
        weight: 1.0,
        consumption: 950.0,
        winter: 1.0,
        summer: 1.35,
        methods: &[("bank_debit", 0.9), ("online", 0.1)],
        late: 0.01,
        unpaid: 0.0,
        outages: 1.0,
        long_share: 0.1,
        momentary_share: 0.3,
        tickets: 0.5,
        categories: &[("billing_inquiry", 0.6), ("start_stop", 0.1), ("outage_report", 0.3)],
        channels: &[("app", 0.6), ("web", 0.4)],
        tenure_years: 9.0,
        homeowner: 0.95,
        dwelling_house: 0.9,
        heating: &[("heat_pump", 0.6), ("gas", 0.3), ("electric", 0.1)],
        ev: 0.6,
        regions: REGIONS_ANY,
    },
    Persona {
        key: "long_tenure_seniors",
        weight: 1.0,
        consumption: 420.0,
        winter: 1.3,
        summer: 1.0,
        methods: &[("check", 0.75), ("bank_debit", 0.25)],
        late: 0.02,
        unpaid: 0.0,
        outages: 1.0,
        long_share: 0.1,
        momentary_share: 0.3,
        tickets: 1.2,
        categories: &[("billing_inquiry", 0.7), ("outage_report", 0.3)],
        channels: &[("call_center", 0.85), ("walk_in", 0.15)],
        tenure_years: 28.0,
        homeowner: 0.85,
        dwelling_house: 0.8,
        heating: &[("gas", 0.6), ("electric", 0.4)],
        ev: 0.01,
        regions: REGIONS_ANY,
    },
    Persona {
        key: "outage_hit_families",
        weight: 1.0,
        consumption: 700.0,
        winter: 1.2,
        summer: 1.1,
        methods: &[("online", 0.5), ("bank_debit", 0.5)],
        late: 0.05,
        unpaid: 0.0,
        outages: 9.0,
        long_share: 0.35,
        momentary_share: 0.35,
        tickets: 4.0,
        categories: &[("outage_report", 0.8), ("complaint", 0.1), ("billing_inquiry", 0.1)],
        channels: &[("app", 0.6), ("call_center", 0.4)],
        tenure_years: 7.0,
        homeowner: 0.75,
        dwelling_house: 0.9,
        heating: &[("electric", 0.5), ("gas", 0.5)],
        ev: 0.1,
        regions: &[("rural", 0.8), ("north", 0.2)],
    },
    Persona {
        key: "gas_heated_dissatisfied_renters",
        weight: 1.0,
        consumption: 330.0,
        winter: 2.2,
        summer: 0.8,
        methods: &[("online", 0.6), ("cash", 0.2), ("bank_debit", 0.2)],
        late: 0.15,
        unpaid: 0.02,
        outages: 2.0,
        long_share: 0.1,
        momentary_share: 0.3,
        tickets: 5.0,
        categories: &[("complaint", 0.6), ("billing_inquiry", 0.4)],
        channels: &[("call_center", 0.9), ("web", 0.1)],
        tenure_years: 3.0,
        homeowner: 0.1,
        dwelling_house: 0.2,
        heating: &[("gas", 0.9), ("electric", 0.1)],
        ev: 0.01,
        regions: &[("city", 0.6), ("east", 0.2), ("west", 0.2)],
    },
    Persona {
        key: "financially_stressed_late_payers",
        weight: 1.0,
        consumption: 450.0,
        winter: 1.25,
        summer: 1.05,
        methods: &[("cash", 0.7), ("third_party", 0.2), ("online", 0.1)],
        late: 0.6,
        unpaid: 0.2,
        outages: 1.5,
        long_share: 0.1,
        momentary_share: 0.3,
        tickets: 3.0,
        categories: &[("payment_arrangement", 0.7), ("billing_inquiry", 0.3)],
        channels: &[("call_center", 0.7), ("walk_in", 0.3)],
        tenure_years: 5.0,
        homeowner: 0.2,
        dwelling_house: 0.4,
        heating: &[("electric", 0.5), ("gas", 0.5)],
        ev: 0.01,
        regions: &[("south", 0.5), ("city", 0.3), ("west", 0.2)],
    },
    Persona {
        key: "seasonal_holiday_homes",
        weight: 1.0,
        consumption: 250.0,
        winter: 0.5,
        summer: 2.5,
        methods: &[("bank_debit", 0.7), ("online", 0.3)],
        late: 0.03,
        unpaid: 0.0,
        outages: 1.5,
        long_share: 0.2,
        momentary_share: 0.3,
        tickets: 0.3,
        categories: &[("start_stop", 0.5), ("billing_inquiry", 0.5)],
        channels: &[("web", 0.7), ("call_center", 0.3)],
        tenure_years: 12.0,
        homeowner: 0.97,
        dwelling_house: 0.95,
        heating: &[("electric", 0.7), ("gas", 0.3)],
        ev: 0.05,
        regions: &[("east", 0.5), ("rural", 0.5)],
    },
];

/// How many personas the committed sample plants.
pub const DEFAULT_PERSONAS: usize = 6;

/// The last day of the sample's billing year: bills run from November 2025 to October 2026.
pub fn sample_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()
}

const BLOCK: usize = 2_000;

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, items: &'a [(&'a str, f64)]) -> &'a str {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut r = rng.gen::<f64>() * total;
    for (v, w) in items {
        if r < *w {
            return v;
        }
        r -= w;
    }
    items.last().map(|i| i.0).unwrap_or("")
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.gen::<f64>().max(1e-300);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut Xoshiro256PlusPlus, lambda: f64) -> usize {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as usize;
    }
    let l = (-lambda).exp();
    let (mut k, mut p) = (0usize, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

#[derive(Default)]
struct Block {
    customers: Vec<u8>,
    billing: Vec<u8>,
    outages: Vec<u8>,
    tickets: Vec<u8>,
    truth: Vec<u8>,
}

/// A customer's draws that stay with them from month to month: persona, behaviour levels and the
/// customers-export line.
struct Drawn {
    persona: usize,
    pay: usize,
    grid: usize,
    contact: usize,
    level: f64,
    late_p: f64,
    unpaid_p: f64,
    outage_rate: f64,
    ticket_rate: f64,
    customer_line: String,
}

fn pick_persona(rng: &mut Xoshiro256PlusPlus, plan: &SamplePlan) -> usize {
    let n = plan.personas;
    let weight = |i: usize| match plan.dominant_share {
        None => PERSONAS[i].weight,
        Some(s) if i == 0 => s,
        Some(s) => (1.0 - s) / (n - 1) as f64,
    };
    let total_w: f64 = (0..n).map(weight).sum();
    let mut r = rng.gen::<f64>() * total_w;
    for i in 0..n {
        if r < weight(i) {
            return i;
        }
        r -= weight(i);
    }
    0
}

/// Draws a customer of persona `forced` (or one drawn by weight).
fn draw_customer(rng: &mut Xoshiro256PlusPlus, id: &str, forced: Option<usize>, plan: &SamplePlan) -> Drawn {
    let persona_i = match forced {
        Some(p) => p,
        None => pick_persona(rng, plan),
    };
    let persona = &PERSONAS[persona_i];
    // Overlap: some customers borrow one behaviour (payment, reliability or contact) from another
    // persona, and every customer's levels scatter around their persona's.
    let mut borrow = || {
        if rng.gen::<f64>() < 0.12 {
            rng.gen_range(0..plan.personas)
        } else {
            persona_i
        }
    };
    let (pay, grid, contact) = (borrow(), borrow(), borrow());
    let level = persona.consumption * (0.3 * normal(rng)).exp();
    let late_p = (PERSONAS[pay].late * (0.6 * normal(rng)).exp()).min(0.95);
    let unpaid_p = (PERSONAS[pay].unpaid * (0.6 * normal(rng)).exp()).min(0.9);
    let outage_rate = PERSONAS[grid].outages * (0.4 * normal(rng)).exp();
    let ticket_rate = PERSONAS[contact].tickets * (0.4 * normal(rng)).exp();
    let tenure = (persona.tenure_years * (0.5 * normal(rng)).exp()).min(60.0);
    let service_start = sample_as_of() - Duration::days((tenure * 365.25) as i64);
    let homeowner = rng.gen::<f64>() < persona.homeowner;
    let house = rng.gen::<f64>() < persona.dwelling_house;
    let ev = rng.gen::<f64>() < persona.ev;
    let customer_line = format!(
        "{id},{},residential,{},{},{},{},{}\n",
        pick(rng, persona.regions),
        if house { "house" } else { "apartment" },
        if homeowner { "yes" } else { "no" },
        pick(rng, persona.heating),
        if ev { "yes" } else { "no" },
        service_start
    );
    Drawn { persona: persona_i, pay, grid, contact, level, late_p, unpaid_p, outage_rate, ticket_rate, customer_line }
}

/// Writes one customer's bills, outages and tickets for the 12 months up to `as_of` of `month`
/// (1 = the committed sample's year; each later month shifts everything by one month).
fn emit_activity(rng: &mut Xoshiro256PlusPlus, c: usize, id: &str, d: &Drawn, month: u32, out: &mut Block) {
    let persona = &PERSONAS[d.persona];
    let (pay, grid, contact) = (&PERSONAS[d.pay], &PERSONAS[d.grid], &PERSONAS[d.contact]);
    let shift = chrono::Months::new(month - 1);
    let as_of = sample_as_of() + shift;
    let window_start = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap() + shift;
    let window_days = (as_of - window_start).num_days();
    // 12 monthly bills in the window, and for some customers one older bill outside it.
    let first = if rng.gen::<f64>() < 0.3 { 0 } else { 1 };
    for m in first..=12u32 {
        let bill_date = NaiveDate::from_ymd_opt(2025, 10, 5).unwrap() + chrono::Months::new(m + month - 1);
        let season = match bill_date.month() {
            12 | 1 | 2 => persona.winter,
            6..=8 => persona.summer,
            _ => 1.0,
        };
        let consumption = (d.level * season * (0.12 * normal(rng)).exp()).round();
        let amount = ((consumption * 0.16 + 12.0) * 100.0).round() / 100.0;
        let due = bill_date + Duration::days(20);
        let method = pick(rng, pay.methods);
        let u: f64 = rng.gen();
        let recent = (as_of - due).num_days() < 30;
        let (paid, amount_paid) = if u < d.unpaid_p && !recent {
            (String::new(), String::new())
        } else if u < d.unpaid_p + d.late_p {
            let pd = due + Duration::days(rng.gen_range(3..75));
            if pd > as_of {
                (String::new(), String::new())
            } else {
                (pd.to_string(), format!("{amount:.2}"))
            }
        } else {
            ((due - Duration::days(rng.gen_range(0..15))).to_string(), format!("{amount:.2}"))
        };
        let _ = writeln!(out.billing, "{id},{bill_date},{consumption},{amount:.2},{due},{paid},{amount_paid},{method}");
    }
    for _ in 0..poisson(rng, d.outage_rate) {
        let start = window_start.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(rng.gen_range(0..window_days * 1440));
        let u: f64 = rng.gen();
        let minutes = if u < grid.momentary_share {
            rng.gen_range(1..5)
        } else if u < grid.momentary_share + grid.long_share {
            rng.gen_range(240..900)
        } else {
            rng.gen_range(20..200)
        };
        let end = start + Duration::minutes(minutes);
        let cause = if rng.gen::<f64>() < 0.2 { "planned" } else { "unplanned" };
        let _ = writeln!(
            out.outages,
            "{id},{},{},{cause}",
            start.format("%Y-%m-%d %H:%M:%S"),
            end.format("%Y-%m-%d %H:%M:%S")
        );
    }
    for t in 0..poisson(rng, d.ticket_rate) {
        let opened = window_start.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(rng.gen_range(0..window_days * 1440));
        let closed = opened + Duration::minutes(rng.gen_range(10..4000));
        let _ = writeln!(
            out.tickets,
            "T{}-{t},{id},{},{},{},{}",
            c + 1,
            opened.format("%Y-%m-%d %H:%M:%S"),
            closed.format("%Y-%m-%d %H:%M:%S"),
            pick(rng, contact.categories),
            pick(rng, contact.channels)
        );
    }
}

/// What to generate: month 1 as the committed sample, or a later month of the same customers
/// (`sample-data --month N`), optionally with one persona dominating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplePlan {
    /// 1 = the base year; N shifts every date by N − 1 months.
    pub month: u32,
    /// Share of continuing customers who become another persona (a different household behind the
    /// same account: every behaviour and attribute is drawn anew from the new persona).
    pub moved_share: f64,
    /// Share of month-1 customers absent from this month.
    pub departed_share: f64,
    /// New customers, as a share of month-1 customers (ids after the month-1 ids).
    pub new_share: f64,
    /// The share of customers of the first persona (basic-service renters); the others share the
    /// rest equally. None: every persona equally likely (the committed sample).
    pub dominant_share: Option<f64>,
    /// The personas planted: the first this many of [`PERSONAS`].
    pub personas: usize,
}

impl SamplePlan {
    pub fn first() -> SamplePlan {
        SamplePlan { month: 1, moved_share: 0.0, departed_share: 0.0, new_share: 0.0, dominant_share: None, personas: DEFAULT_PERSONAS }
    }
}

fn customer_rng(seed: u64, month: u32, c: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ (u64::from(month) << 40) ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

/// Customers `b * BLOCK ..` of `n`: month 1 exactly as the committed sample; a later month keeps
/// each customer's month-1 draws (consumed from the same stream, so they are the same customers) and
/// draws that month's activity, moves and departures from a per-customer stream.
fn generate_block(b: usize, n: usize, seed: u64, plan: SamplePlan) -> Block {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out = Block::default();
    let mut discard = Block::default();
    let start = b * BLOCK;
    for c in start..(start + BLOCK).min(n) {
        let id = format!("C{:07}", c + 1);
        let drawn = draw_customer(&mut rng, &id, None, &plan);
        if plan.month == 1 {
            out.customers.extend_from_slice(drawn.customer_line.as_bytes());
            let _ = writeln!(out.truth, "{id},{}", PERSONAS[drawn.persona].key);
            emit_activity(&mut rng, c, &id, &drawn, 1, &mut out);
            continue;
        }
        // Keep the month-1 stream in step, then draw this month from the customer's own stream.
        discard.billing.clear();
        discard.outages.clear();
        discard.tickets.clear();
        emit_activity(&mut rng, c, &id, &drawn, 1, &mut discard);
        let mut own = customer_rng(seed, plan.month, c);
        if own.gen::<f64>() < plan.departed_share {
            continue;
        }
        let drawn = if own.gen::<f64>() < plan.moved_share {
            let other = (drawn.persona + own.gen_range(1..plan.personas)) % plan.personas;
            draw_customer(&mut own, &id, Some(other), &plan)
        } else {
            drawn
        };
        out.customers.extend_from_slice(drawn.customer_line.as_bytes());
        let _ = writeln!(out.truth, "{id},{}", PERSONAS[drawn.persona].key);
        emit_activity(&mut own, c, &id, &drawn, plan.month, &mut out);
    }
    out
}

/// New customers of a later month: ids after the month-1 customers.
fn generate_new(c0: usize, count: usize, seed: u64, plan: SamplePlan) -> Block {
    let mut out = Block::default();
    for c in c0..c0 + count {
        let id = format!("C{:07}", c + 1);
        let mut own = customer_rng(seed, plan.month, c);
        let drawn = draw_customer(&mut own, &id, None, &plan);
        out.customers.extend_from_slice(drawn.customer_line.as_bytes());
        let _ = writeln!(out.truth, "{id},{}", PERSONAS[drawn.persona].key);
        emit_activity(&mut own, c, &id, &drawn, plan.month, &mut out);
    }
    out
}

/// Writes `customers.csv`, `billing.csv`, `outages.csv`, `tickets.csv` and `truth.csv` into `dir`.
pub fn write(dir: &Path, customers: usize, seed: u64) -> Result<()> {
    write_month(dir, customers, seed, SamplePlan::first())
}

/// Writes month `plan.month` of the same customers (see [`SamplePlan`]).
pub fn write_month(dir: &Path, customers: usize, seed: u64, plan: SamplePlan) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let files = [
        ("customers.csv", "customer_id,region,customer_class,dwelling,homeowner,heating,ev_owner,service_start\n"),
        ("billing.csv", "customer_id,bill_date,consumption,amount_due,due_date,paid_date,amount_paid,payment_method\n"),
        ("outages.csv", "customer_id,outage_start,outage_end,cause\n"),
        ("tickets.csv", "ticket_id,customer_id,opened_at,closed_at,category,channel\n"),
        ("truth.csv", "customer_id,persona\n"),
    ];
    let mut writers = Vec::new();
    for (name, header) in files {
        let path = dir.join(name);
        let f = std::fs::File::create(&path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        w.write_all(header.as_bytes()).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        writers.push((path, w));
    }
    let blocks = customers.div_ceil(BLOCK);
    // Generate a bounded number of blocks at a time so memory stays flat for millions of customers.
    for wave in (0..blocks).step_by(64) {
        let done: Vec<Block> = (wave..(wave + 64).min(blocks)).into_par_iter().map(|b| generate_block(b, customers, seed, plan)).collect();
        for block in done {
            for ((path, w), bytes) in writers.iter_mut().zip([&block.customers, &block.billing, &block.outages, &block.tickets, &block.truth]) {
                w.write_all(bytes).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            }
        }
    }
    if plan.month > 1 {
        let new = (customers as f64 * plan.new_share).round() as usize;
        let block = generate_new(customers, new, seed, plan);
        for ((path, w), bytes) in writers.iter_mut().zip([&block.customers, &block.billing, &block.outages, &block.tickets, &block.truth]) {
            w.write_all(bytes).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
    }
    for (path, mut w) in writers {
        w.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    Ok(())
}

/// Rewrites a generated CSV as Parquet, a chunk of records at a time (so that tens of millions of
/// customers convert in bounded memory): each chunk parsed by polars with the column types found in
/// the first chunk, chunks gathered into row groups of [`crate::output::PARQUET_ROWS`] rows.
pub fn to_parquet(csv: &Path, parquet: &Path) -> crate::error::Result<()> {
    use polars::prelude::*;
    use std::io::Cursor;
    let mut reader = crate::ingest::csv::CsvReader::open(csv, b',', crate::ingest::Encoding::Utf8, "sample")?;
    let header = format!("{}\n", reader.header.join(","));
    let context = |what: &str, e| Error::polars(format!("{what} {}", parquet.display()), e);
    let f = std::fs::File::create(parquet).map_err(|e| Error::io(format!("writing {}", parquet.display()), e))?;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, f);
    let mut schema: Option<SchemaRef> = None;
    let mut writer = None;
    let mut chunks = 0usize;
    let mut pending: Option<DataFrame> = None;
    loop {
        let chunk = reader.next_chunk()?;
        if chunk.is_none() && chunks > 0 {
            break;
        }
        chunks += 1;
        let mut text = header.clone().into_bytes();
        if let Some(chunk) = &chunk {
            text.extend_from_slice(&chunk.raw);
        }
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_schema(schema.clone())
            .map_parse_options(|o| o.with_try_parse_dates(true))
            .into_reader_with_file_handle(Cursor::new(text))
            .finish()
            .map_err(|e| context("converting to", e))?;
        if writer.is_none() {
            schema = Some(df.schema().clone());
            writer = Some(ParquetWriter::new(&mut file).batched(df.schema()).map_err(|e| context("writing", e))?);
        }
        // Row groups of the usual size (one per chunk would be a few thousand rows: a file no
        // exporter writes), each written as one piece.
        match &mut pending {
            None => pending = Some(df),
            Some(p) => {
                p.vstack_mut(&df).map_err(|e| context("converting to", e))?;
            }
        }
        if chunk.is_none() {
            break;
        }
        if pending.as_ref().is_some_and(|p| p.height() >= crate::output::PARQUET_ROWS) {
            if let (Some(mut p), Some(w)) = (pending.take(), writer.as_mut()) {
                p.rechunk_mut();
                w.write_batch(&p).map_err(|e| context("writing", e))?;
            }
        }
    }
    let mut writer = writer.expect("one chunk at least");
    if let Some(mut p) = pending.take() {
        p.rechunk_mut();
        writer.write_batch(&p).map_err(|e| context("writing", e))?;
    }
    writer.finish().map_err(|e| context("writing", e))?;
    file.flush().map_err(|e| Error::io(format!("writing {}", parquet.display()), e))?;
    Ok(())
}

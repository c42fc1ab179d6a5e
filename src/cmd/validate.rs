//! `custseg validate`: reads and checks the exports exactly as a run would, without clustering, and
//! prints a data-quality summary per export. What an analyst runs on a new export first.

use std::fmt::Write as _;

use crate::cli::ValidateArgs;
use crate::cmd::plan::{Inputs, ProfileSource};
use crate::error::Result;
use crate::ingest::{self, Export, Source};
use crate::format::{count, percent};

/// Everything `validate` checks, resolved before any data is read.
pub struct ValidatePlan {
    pub profile: ProfileSource,
    pub inputs: Inputs,
}

impl ValidatePlan {
    pub fn from_args(args: &ValidateArgs) -> Result<ValidatePlan> {
        let profile = ProfileSource::read(args.input.profile.as_deref())?;
        let inputs = Inputs::resolve(&args.input, &profile.profile.exports)?;
        Ok(ValidatePlan { profile, inputs })
    }
}

/// Reads without folding: validate looks at the rows, not the features.
struct Nothing;

impl ingest::Sink for Nothing {
    fn fold(&mut self, _: Source, _: &ingest::Layout, _: &ingest::Batch, _: &[u32], _: &[u32], _: Option<ingest::Window>) {}
    fn restart(&mut self, _: Source) {}
}

/// The summary of one export.
fn describe(e: &Export, out: &mut String) {
    let s = &e.stats;
    let _ = writeln!(out, "{} — {} ({})", e.source, s.path, s.format);
    let _ = writeln!(
        out,
        "  rows read {} = accepted {} + rejected {} + duplicates {} + outside the window {}",
        count(s.rows_read),
        count(s.rows_accepted),
        count(s.rows_rejected),
        count(s.rows_duplicate),
        count(s.rows_outside_window)
    );
    let range = e.dates.map(|(a, b)| format!(", dated {a} to {b}")).unwrap_or_default();
    let _ = writeln!(out, "  customers {}{range}", count(s.customers));
    let n = s.rows_accepted.max(1) as f64;
    let empty: Vec<String> = e.empty.iter().map(|(c, k)| format!("{c} {}", percent(*k as f64 / n))).collect();
    if !empty.is_empty() {
        let _ = writeln!(out, "  empty values: {}", empty.join(", "));
    }
    if let Some(n) = s.events_without_customers {
        let _ = writeln!(out, "  events by feeder; events that reached no customer: {}", count(n));
    }
    if !s.missing_optional_columns.is_empty() {
        let _ = writeln!(out, "  optional columns absent: {}", s.missing_optional_columns.join(", "));
    }
    for (reason, k) in &s.reject_reasons {
        let _ = writeln!(out, "  rejected ({reason}): {}", count(*k));
    }
    for r in e.rejects.iter().take(5) {
        let _ = writeln!(out, "    line {}, column {}, value \"{}\": {}", r.line, r.column, r.value, r.reason);
    }
}

pub fn run(args: ValidateArgs) -> Result<()> {
    let plan = ValidatePlan::from_args(&args)?;
    let profile = &plan.profile.profile;
    let opened = ingest::open_all(&plan.inputs.paths, &profile.exports)?;
    let ingested = ingest::read_all(&opened, &profile.exports, plan.inputs.as_of, profile.run.window_months, &mut Nothing, &|_| {})?;
    let gate = ingest::check_rejects(&ingested.exports, &profile.exports, profile.quality.max_reject_share);
    let window = ingested.window()?;
    let mut out = String::new();
    let _ = writeln!(out, "window: {} to {} ({} months)\n", window.start, window.as_of, profile.run.window_months);
    for e in ingested.exports.values() {
        describe(e, &mut out);
        out.push('\n');
    }
    // References between exports.
    let counts = ingested.counts();
    if let Some(n) = counts.billed_not_in_customers {
        let _ = writeln!(out, "customers with bills but not in the customers export: {}", count(n));
        let _ = writeln!(out, "customers in the customers export without bills: {}", count(counts.without_bills["customers"]));
    }
    for source in [Source::Outages, Source::Tickets] {
        if let Some(n) = counts.without_bills.get(source.as_str()) {
            let _ = writeln!(out, "customers in {source} without bills: {}", count(*n));
        }
    }
    // A failed gate wins over a closed stdout: `validate | head` in a pipefail script still fails.
    let printed = crate::output::stdout::print(&out);
    gate?;
    Ok(printed?)
}

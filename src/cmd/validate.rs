//! `custseg validate`: reads and checks the exports exactly as a run would, without clustering, and
//! prints a data-quality summary per export. What an analyst runs on a new export first.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use crate::cli::ValidateArgs;
use crate::cmd::plan::{Inputs, ProfileSource};
use crate::error::Result;
use crate::ingest::{self, Export, Exports, Source};
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

fn distinct_ids(e: &Export) -> Result<HashSet<String>> {
    let context = |err| ingest::Error::polars("customer ids", err);
    let ids = e.frame.column("customer_id").and_then(|c| c.unique()).map_err(context)?;
    let ids = ids.str().map_err(context)?;
    Ok(ids.iter().flatten().map(String::from).collect())
}

fn date_range(e: &Export, column: &str) -> Option<(String, String)> {
    let c = e.frame.column(column).ok()?;
    let s = c.as_materialized_series();
    let min = s.min_reduce().ok()?.into_value();
    let max = s.max_reduce().ok()?.into_value();
    if min.is_null() {
        return None;
    }
    Some((min.to_string(), max.to_string()))
}

/// The summary of one export.
fn describe(e: &Export, out: &mut String) -> Result<()> {
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
    let range = ingest::date_column(e.source).and_then(|c| date_range(e, c)).map(|(a, b)| format!(", dated {a} to {b}")).unwrap_or_default();
    let _ = writeln!(out, "  customers {}{range}", count(s.customers));
    let n = e.frame.height().max(1) as f64;
    let empty: Vec<String> = e
        .frame
        .columns()
        .iter()
        .filter(|c| c.null_count() > 0)
        .map(|c| format!("{} {}", c.name(), percent(c.null_count() as f64 / n)))
        .collect();
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
    Ok(())
}

pub fn run(args: ValidateArgs) -> Result<()> {
    let plan = ValidatePlan::from_args(&args)?;
    let profile = &plan.profile.profile;
    let mut exports: Exports = ingest::load_all(&plan.inputs.paths, &profile.exports, |_: &Export| {})?;
    let gate = ingest::check_rejects(&exports, &profile.exports, profile.quality.max_reject_share);
    let window = ingest::window_exports(&mut exports, plan.inputs.as_of, profile.run.window_months, false)?;
    // Each export's distinct customers, computed once: for its summary and for the references.
    let mut ids: BTreeMap<Source, HashSet<String>> = BTreeMap::new();
    for (source, e) in exports.iter_mut() {
        let set = distinct_ids(e)?;
        e.stats.customers = set.len();
        ids.insert(*source, set);
    }
    let mut out = String::new();
    let _ = writeln!(out, "window: {} to {} ({} months)\n", window.start, window.as_of, profile.run.window_months);
    for e in exports.values() {
        describe(e, &mut out)?;
        out.push('\n');
    }
    // References between exports.
    let billed = &ids[&Source::Billing];
    if let Some(known) = ids.get(&Source::Customers) {
        let _ = writeln!(
            out,
            "customers with bills but not in the customers export: {}",
            count(billed.difference(known).count())
        );
        let _ = writeln!(out, "customers in the customers export without bills: {}", count(known.difference(billed).count()));
    }
    for source in [Source::Outages, Source::Tickets] {
        if let Some(set) = ids.get(&source) {
            let _ = writeln!(out, "customers in {source} without bills: {}", count(set.difference(billed).count()));
        }
    }
    // A failed gate wins over a closed stdout: `validate | head` in a pipefail script still fails.
    let printed = crate::output::stdout::print(&out);
    gate?;
    Ok(printed?)
}

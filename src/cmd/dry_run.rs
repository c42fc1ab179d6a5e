//! `custseg run --dry-run`: the resolved plan, checked against the exports' headers and the bills'
//! dates without reading any other value: which exports, which window, which features and groups the
//! run would use or skip and why. Nothing is written but the plan on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::cmd::run::RunPlan;
use crate::error::Result;
use crate::features::{self, ExportColumns};
use crate::ingest::{self, Source, Window};
use crate::format::count;

pub fn run(plan: &RunPlan, _quiet: bool) -> Result<()> {
    let profile = &plan.profile.profile;
    let mut out = String::new();
    let _ = writeln!(out, "profile: {} (sha256 {})", plan.profile.path, plan.profile.sha256);
    let ks = plan.clustering.k_range();
    let _ = writeln!(
        out,
        "segments: {}, seed {}, language {}",
        if ks.start() == ks.end() { format!("k = {}", ks.start()) } else { format!("k from {} to {}", ks.start(), ks.end()) },
        profile.run.seed,
        profile.report.language
    );
    let mut columns: ExportColumns = BTreeMap::new();
    let mut newest_bill = None;
    // What would stop the run, reported once the plan is printed (it wins over a closed stdout).
    let mut problem: Option<crate::error::Error> = None;
    let mut feeder_keyed = None;
    let _ = writeln!(out, "\nexports:");
    for source in Source::ALL {
        let Some(path) = plan.inputs.paths.get(source) else {
            let _ = writeln!(out, "  {source}: not given");
            continue;
        };
        let settings = profile.exports.get(source);
        let opened = ingest::open(source, path, settings)?;
        // The first pass a run makes: every record read and decoded, only the dates parsed.
        let (dates, _) = ingest::first_pass(&opened, settings)?;
        let shown = match dates {
            Some((a, b)) => format!("; dated {a} to {b}"),
            None if ingest::date_column(source).is_some() => "; no date that parses".into(),
            None => String::new(),
        };
        let _ = writeln!(out, "  {source}: {} ({}){shown}", path.display(), opened.format);
        if !opened.layout.missing_optional.is_empty() {
            let _ = writeln!(out, "    optional columns absent: {}", opened.layout.missing_optional.join(", "));
        }
        if opened.layout.feeder_keyed {
            let _ = writeln!(out, "    events by feeder, joined to customers through feeder_id");
            feeder_keyed = Some(path.clone());
        }
        if source == Source::Billing {
            newest_bill = dates.map(|(_, b)| b);
        }
        columns.insert(source, opened.columns());
    }
    if let Some(outages) = feeder_keyed {
        if !columns.get(&Source::Customers).is_some_and(|c| c.iter().any(|n| n == "feeder_id")) {
            let e = ingest::no_feeder_join(&outages);
            let _ = writeln!(out, "  the run would stop: {e}");
            problem = Some(e.into());
        }
    }
    let as_of = match (plan.inputs.as_of, newest_bill) {
        (Some(d), _) => Some((d, "--as-of")),
        (None, Some(d)) => Some((d, "the newest bill")),
        (None, None) => None,
    };
    match as_of {
        Some((d, why)) => {
            let w = Window::ending(d, profile.run.window_months);
            let _ = writeln!(out, "\nwindow: {} to {} ({} months up to {why})", w.start, w.as_of, profile.run.window_months);
        }
        None => {
            let _ = writeln!(out, "\nwindow: unknown (no bill date parses; the run would stop with exit 3)");
            let billing = plan.inputs.paths.billing.as_ref().map_or(String::new(), |p| p.display().to_string());
            problem.get_or_insert(ingest::Error::Data(format!("{billing}: no bill date parses")).into());
        }
    }

    let (used, skipped) = features::usable(&profile.features, &columns);
    let groups = features::skipped_groups(profile.groups.keys(), &used, &skipped);
    let _ = writeln!(out, "\nfeatures: {} used, {} skipped", count(used.len()), count(skipped.len()));
    for (key, g) in &profile.groups {
        let names: Vec<&str> = used.iter().filter(|f| &f.group == key).map(|f| f.name.as_str()).collect();
        if !names.is_empty() {
            let _ = writeln!(out, "  {key} ({}): {}", g.label, names.join(", "));
        }
    }
    for s in &skipped {
        let _ = writeln!(out, "  skipped {} ({}): {}", s.name, s.group, s.reason);
    }
    for g in &groups {
        let _ = writeln!(out, "  skipped group {}: {}", g.name, g.reason);
    }
    let _ = writeln!(
        out,
        "  (the run may still skip a feature for its values: when no customer has one, or every customer the same)"
    );
    let target = &plan.output.out;
    let exists = if target.exists() && !target.is_dir() {
        " (exists and is not a folder: the run would refuse it)"
    } else if target.exists() && !plan.output.force {
        " (exists: the run would refuse it without --force)"
    } else {
        ""
    };
    let _ = writeln!(out, "\noutput: {}{exists}", target.display());
    if let Some(p) = &plan.previous {
        let _ = writeln!(out, "previous run: {} ({} segments)", p.dir.display(), p.model.k());
    }
    let printed = crate::output::stdout::print(&out);
    if let Some(e) = problem {
        return Err(e);
    }
    Ok(printed?)
}

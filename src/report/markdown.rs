//! `report.md`: the segment profiles in plain language, rendered from the run result.

use std::fmt::Write;

use super::format::{count, number, percent, value};
use super::RunSummary;

/// Text from exports or profiles, made safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ").replace('<', "&lt;").replace('>', "&gt;")
}

fn index_text(i: Option<f64>) -> String {
    i.map(|v| number(v, 0)).unwrap_or_else(|| "–".into())
}

/// Renders the report. `command` is the command line that reproduces the run.
pub fn render(r: &RunSummary, command: &str) -> String {
    let mut o = String::new();
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    let fmt_of = |name: &str| r.features.iter().find(|f| f.name == name).map(|f| f.format).unwrap_or_default();
    let _ = writeln!(o, "# Customer segments: {}\n", cell(&r.profile.name));
    let _ = writeln!(
        o,
        "{} customers with bills between {} and {} ({} months up to {}).",
        count(r.customers),
        r.window.start,
        r.window.as_of,
        months_between(r),
        r.window.as_of
    );
    match r.k {
        Some(k) => {
            let _ = writeln!(o, "They fall into **{k} segments** of comparable size.\n");
        }
        None => {
            let _ = writeln!(
                o,
                "\n**No segmentation passed the checks**: for every number of segments tried, the segments were \
                 too unequal in size or did not come out the same on resampled data. See *How the number of \
                 segments was chosen* below.\n"
            );
        }
    }

    if !r.segments.is_empty() {
        let _ = writeln!(o, "## At a glance\n");
        let _ = writeln!(o, "| # | Segment | Customers | Share | Share of amount billed | Main traits |");
        let _ = writeln!(o, "|---|---|---:|---:|---:|---|");
        for s in &r.segments {
            let traits: Vec<String> = s.traits.iter().take(3).map(|t| cell(&t.text)).collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                s.id,
                cell(&s.name),
                count(s.size),
                percent(s.share),
                percent(s.revenue_share),
                traits.join(", ")
            );
        }
        o.push('\n');
        let _ = writeln!(o, "## The segments\n");
        let _ = writeln!(
            o,
            "*Index* compares a segment with all customers: 100 is average, 200 twice the average, 50 half. \
             *Distance* (z) is how many standard deviations the segment sits from the average; beyond ±{} it \
             counts as a trait.\n",
            super::TRAIT_MIN_Z
        );
        for s in &r.segments {
            let _ = writeln!(o, "### Segment {}: {}\n", s.id, cell(&s.name));
            let _ = writeln!(o, "{}\n", cell(&s.description));
            let _ = writeln!(o, "| Measure | This segment | All customers | Index | Distance (z) |");
            let _ = writeln!(o, "|---|---:|---:|---:|---:|");
            for f in &s.features {
                let fm = fmt_of(&f.name);
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {:+.2} |",
                    cell(&f.label),
                    value(f.mean, fm, cur, unit),
                    value(f.population_mean, fm, cur, unit),
                    index_text(f.index),
                    f.z
                );
            }
            o.push('\n');
            for a in &s.attributes {
                let _ = writeln!(o, "| {} | This segment | All customers |", cell(&a.name));
                let _ = writeln!(o, "|---|---:|---:|");
                for v in &a.values {
                    let _ = writeln!(o, "| {} | {} | {} |", cell(&v.value), percent(v.segment_share), percent(v.population_share));
                }
                o.push('\n');
            }
        }
    }

    let _ = writeln!(o, "## How the number of segments was chosen\n");
    let _ = writeln!(o, "Rule: {}.\n", r.selection_rule);
    let _ = writeln!(
        o,
        "Measured on a sample of {} customers (silhouette on {}). Higher silhouette and Calinski–Harabasz are \
         better, lower Davies–Bouldin is better. Stability compares fits on different halves of the sample: \
         the adjusted Rand index over all customers, and the worst segment's Jaccard match (1 = every \
         segment comes out the same).\n",
        count(r.selection_sample_size),
        count(r.silhouette_sample_size)
    );
    let _ = writeln!(o, "| k | Inertia | Silhouette | Calinski–Harabasz | Davies–Bouldin | Stability (ARI) | Worst segment (Jaccard) | Smallest | Largest | Balanced | Stable | Chosen |");
    let _ = writeln!(o, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|");
    for c in &r.selection {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(
            o,
            "| {} | {} | {:.3} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {} | {} | {} |",
            c.k,
            number(c.inertia, 0),
            c.silhouette,
            number(c.calinski_harabasz, 0),
            c.davies_bouldin,
            c.stability,
            c.segment_stability,
            percent(*c.shares.last().unwrap_or(&0.0)),
            percent(*c.shares.first().unwrap_or(&0.0)),
            yes(c.balanced),
            yes(c.stable),
            if c.chosen { "**yes**" } else { "" }
        );
    }
    o.push('\n');

    let _ = writeln!(o, "## Data used\n");
    let _ = writeln!(o, "| Export | File | Rows read | Used | Rejected | Duplicates | Outside the window | Customers |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|");
    for (name, s) in &r.inputs {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            name,
            cell(&s.path),
            count(s.rows_read),
            count(s.rows_accepted),
            count(s.rows_rejected),
            count(s.rows_duplicate),
            count(s.rows_outside_window),
            count(s.customers)
        );
    }
    o.push('\n');
    for (name, s) in &r.inputs {
        if !s.reject_reasons.is_empty() {
            let reasons: Vec<String> = s.reject_reasons.iter().map(|(k, v)| format!("{} ({})", cell(k), count(*v))).collect();
            let _ = writeln!(o, "- Rejected {name} rows, by reason: {}; see `rejects/{name}.csv`.", reasons.join(", "));
        }
    }
    for (name, n) in &r.customers_without_bills {
        if *n > 0 {
            let _ = writeln!(o, "- {} customers in the {name} export have no bill in the window and were left out.", count(*n));
        }
    }
    for (name, s) in &r.inputs {
        if let Some(n) = s.events_without_customers {
            let _ = writeln!(
                o,
                "- The {name} export lists events by feeder; each reached the customers on its feeder. {} events reached no known customer.",
                count(n)
            );
        }
    }
    if let Some(n) = r.billed_not_in_customers.filter(|n| *n > 0) {
        let _ = writeln!(o, "- {} customers with bills are missing from the customers export: their attributes show as (unknown).", count(n));
    }
    for g in &r.skipped_groups {
        let _ = writeln!(o, "- Feature group **{}** was skipped: {}.", cell(&g.group), cell(&g.reason));
    }
    for f in &r.skipped_features {
        if !r.skipped_groups.iter().any(|g| g.group == f.group) {
            let _ = writeln!(o, "- Feature `{}` was skipped: {}.", f.name, cell(&f.reason));
        }
    }
    o.push('\n');
    let _ = writeln!(o, "## Reproduce this run\n");
    let _ = writeln!(o, "```\n{command}\n```\n");
    let _ = writeln!(
        o,
        "Profile `{}`, seed {}, custseg {}. The same inputs, profile and seed give the same segments.",
        cell(&r.profile.path),
        r.seed,
        r.version
    );
    o
}

fn months_between(r: &RunSummary) -> i32 {
    use chrono::Datelike;
    let (a, b) = (r.window.start, r.window.as_of);
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

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
            if let Some(b) = &r.balance {
                let n = r.customers.max(1) as f64;
                let _ = writeln!(
                    o,
                    "Segment sizes were **enforced**: every segment holds between {} and {} customers ({} to {}). \
                     Left to itself, k-means would have made segments of {} to {} of customers; keeping within \
                     the bounds makes the segments {} less tight (within-segment spread {} against {}).\n",
                    count(b.size_min),
                    count(b.size_max),
                    percent(b.size_min as f64 / n),
                    percent(b.size_max as f64 / n),
                    percent(*b.unconstrained_shares.last().unwrap_or(&0.0)),
                    percent(*b.unconstrained_shares.first().unwrap_or(&0.0)),
                    percent(b.inertia_cost),
                    number(b.inertia, 0),
                    number(b.unconstrained_inertia, 0)
                );
            }
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
            let flag = if s.carried_over == Some(false) { " *(new)*" } else { "" };
            let _ = writeln!(
                o,
                "| {} | {}{flag} | {} | {} | {} | {} |",
                s.id,
                cell(&s.name),
                count(s.size),
                percent(s.share),
                percent(s.revenue_share),
                traits.join(", ")
            );
        }
        o.push('\n');
        if let Some(m) = &r.migration {
            migration(&mut o, m);
        }
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

    if let Some(model) = &r.scored_with_model {
        scoring(&mut o, r, model);
    } else {
        selection(&mut o, r);
    }
    data_used(&mut o, r, command);
    o
}

/// How a run scored with a saved model (`custseg assign`) placed customers, and the drift.
fn scoring(o: &mut String, r: &RunSummary, model: &str) {
    let _ = writeln!(o, "## How customers were placed\n");
    let _ = writeln!(
        o,
        "Customers were scored with the saved model `{}`: each goes to the segment whose centre is nearest, \
         measured with the same features and scaling as when the model was fitted. Nothing was refitted, so \
         segment numbers and names are the model's ({}).\n",
        cell(model),
        cell(&r.selection_rule)
    );
    if let Some(d) = &r.drift {
        let _ = writeln!(
            o,
            "**Drift**: {} of customers sit farther from their segment's centre than any customer the model \
             was fitted on, and {} farther than 99% of them (about 1% when customers have not changed). \
             When these shares grow, fit a new segmentation with `custseg run --previous`.\n",
            percent(d.beyond_max_share),
            percent(d.beyond_p99_share)
        );
    }
}

/// The from → to table of a run with `--previous`.
fn migration(o: &mut String, m: &crate::migration::Migration) {
    let _ = writeln!(o, "## Changes since the previous run\n");
    let new_total: usize = m.new_customers.iter().sum();
    let departed_total: usize = m.departed_customers.iter().sum();
    let _ = writeln!(
        o,
        "Compared with the previous run (`{}`): of the {} customers in both, **{} ({}) changed segment**. \
         {} customers are new and {} have left. Segments that continue a previous one keep its number and name.\n",
        cell(&m.previous_run),
        count(m.continuing),
        count(m.moved),
        percent(m.moved_share),
        count(new_total),
        count(departed_total)
    );
    let _ = write!(o, "| Previous segment → now |");
    for t in &m.to {
        let _ = write!(o, " {}: {} |", t.id, cell(&t.name));
    }
    let _ = writeln!(o, " Left |");
    let _ = writeln!(o, "|---|{}---:|", "---:|".repeat(m.to.len()));
    for (r, f) in m.from.iter().enumerate() {
        let _ = write!(o, "| {}: {} |", f.id, cell(&f.name));
        for c in 0..m.to.len() {
            let n = m.counts[r][c];
            let bold = if f.id == m.to[c].id { "**" } else { "" };
            let _ = write!(o, " {bold}{} ({}){bold} |", count(n), percent(m.shares[r][c]));
        }
        let _ = writeln!(o, " {} |", count(m.departed_customers[r]));
    }
    let _ = write!(o, "| New customers |");
    for n in &m.new_customers {
        let _ = write!(o, " {} |", count(*n));
    }
    let _ = writeln!(o, " |\n");
    let _ = writeln!(o, "Shares are of the previous segment's customers who are still customers; **bold** cells are those who stayed.\n");
    let _ = writeln!(o, "![Customers moving between segments since the previous run](charts/migration.svg)\n");
    for t in &m.to {
        if !m.from.iter().any(|f| f.id == t.id) {
            let _ = writeln!(o, "- Segment {} ({}) is new: it matches none of the previous run's segments.", t.id, cell(&t.name));
        }
    }
    for f in &m.from {
        if !m.to.iter().any(|t| t.id == f.id) {
            let _ = writeln!(o, "- Previous segment {} ({}) has no successor in this run.", f.id, cell(&f.name));
        }
    }
    o.push('\n');
}

fn selection(o: &mut String, r: &RunSummary) {
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
}

fn data_used(o: &mut String, r: &RunSummary, command: &str) {
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
}

fn months_between(r: &RunSummary) -> i32 {
    use chrono::Datelike;
    let (a, b) = (r.window.start, r.window.as_of);
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

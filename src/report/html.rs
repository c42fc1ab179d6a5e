//! `report.html`: the segment profiles for the people who act on them. One self-contained file: inline
//! CSS and inline SVG charts, no script, nothing fetched from the network; printable. Rendered from the
//! same run result as `report.md` and `summary.json`. Every string from an export or a profile is
//! escaped.

use std::fmt::Write;

use super::format::{count, number, percent, value};
use super::{charts, RunSummary, SegmentProfile};

/// Text made safe inside HTML elements and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A suggested programme and the rule that suggests it.
pub struct Action {
    pub programme: &'static str,
    pub why: String,
}

/// Rules from utility practice (documented in the README): a segment gets a programme when one of the
/// listed features sits at least half a standard deviation on the named side of the average.
const RULES: &[(&str, &[&str], &str)] = &[
    ("Credit management: payment reminders, payment plans, deposit review", &["arrears_60", "unpaid_share", "late_share", "days_late_mean", "payment_arrangements"], "high"),
    ("Reliability outreach: proactive outage notices, restoration updates, compensation where due", &["interruptions", "long_interruptions", "minutes_interrupted"], "high"),
    ("Efficiency and EV offers: heat pumps, solar, smart thermostats, EV tariffs", &["consumption_mean", "bill_mean"], "high"),
    ("Channel shift: self-service app, web payments, callbacks instead of queues", &["tickets", "call_center_share", "complaints"], "high"),
    ("Retention: loyalty recognition, named contact, early renewal offers", &["tenure_years"], "high"),
];

pub fn actions(s: &SegmentProfile) -> Vec<Action> {
    let mut out = Vec::new();
    for (programme, features, side) in RULES {
        let hits: Vec<String> = features
            .iter()
            .filter_map(|f| s.features.iter().find(|st| st.name == *f))
            .filter(|st| if *side == "high" { st.z >= super::TRAIT_MIN_Z } else { st.z <= -super::TRAIT_MIN_Z })
            .map(|st| format!("{} {:+.1} SD", st.label.to_lowercase(), st.z))
            .collect();
        if !hits.is_empty() {
            out.push(Action { programme, why: hits.join(", ") });
        }
    }
    // A segment billed well beyond its size is worth keeping whatever else it does.
    if s.revenue_share >= 1.3 * s.share && !out.iter().any(|a| a.programme.starts_with("Retention")) {
        out.push(Action {
            programme: RULES[4].0,
            why: format!("{} of the amount billed from {} of customers", percent(s.revenue_share), percent(s.share)),
        });
    }
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;color:#212121;margin:0 auto;max-width:1100px;padding:24px;line-height:1.45}
h1{font-size:1.8em;margin-bottom:0.2em}h2{border-bottom:2px solid #0072b2;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:12px 0;width:100%}th,td{border:1px solid #ddd;padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.n{text-align:right;white-space:nowrap}th.n{text-align:right}thead th{background:#f3f6f9;font-size:0.92em;overflow-wrap:normal;hyphens:auto}
td:first-child{min-width:12em;overflow-wrap:normal}
.card{border:1px solid #ccc;border-left:8px solid var(--c);border-radius:4px;padding:12px 18px;margin:18px 0;break-inside:avoid}
.swatch{display:inline-block;width:12px;height:12px;background:var(--c);margin-right:6px;border:1px solid #555}
.chart{max-width:100%;overflow-x:auto}.chart svg{max-width:100%;height:auto}
.muted{color:#555;font-size:0.92em}code,pre{background:#f5f5f5;padding:2px 4px;white-space:pre-wrap;overflow-wrap:anywhere}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}.card{break-inside:avoid}}";

fn colour(position: usize) -> String {
    let (r, g, b) = charts::SEGMENT_COLOURS[position % charts::SEGMENT_COLOURS.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The charts of a run, as (file name under `charts/`, SVG).
pub fn chart_files(r: &RunSummary) -> crate::error::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if !r.segments.is_empty() {
        out.push(("sizes.svg".to_string(), charts::segment_sizes(r)?));
        out.push(("profile-heatmap.svg".to_string(), charts::zscore_heatmap(r)?));
        if r.projection.is_some() {
            out.push(("map.svg".to_string(), charts::projection_map(r)?));
        }
        for (i, s) in r.segments.iter().enumerate() {
            out.push((format!("segment-{}-index.svg", s.id), charts::index_bars(r, i)?));
        }
    }
    if !r.selection.is_empty() {
        out.push(("k-selection.svg".to_string(), charts::k_selection(r)?));
    }
    if let Some(m) = &r.migration {
        out.push(("migration.svg".to_string(), charts::migration_heatmap(m)?));
    }
    Ok(out)
}

fn chart(o: &mut String, charts: &[(String, String)], name: &str, alt: &str) {
    if let Some((_, svg)) = charts.iter().find(|(n, _)| n == name) {
        let _ = writeln!(o, "<figure class=\"chart\" role=\"img\" aria-label=\"{}\">{}</figure>", esc(alt), svg.trim());
    }
}

/// Renders the report. `command` reproduces the run.
pub fn render(r: &RunSummary, command: &str, charts: &[(String, String)]) -> String {
    let mut o = String::new();
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    let fmt_of = |name: &str| r.features.iter().find(|f| f.name == name).map(|f| f.format).unwrap_or_default();
    let _ = writeln!(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>");
    let _ = writeln!(o, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>");
    let _ = writeln!(o, "<title>Customer segments: {}</title>\n<style>{CSS}</style>\n</head>\n<body>", esc(&r.profile.name));
    let _ = writeln!(o, "<h1>Customer segments: {}</h1>", esc(&r.profile.name));
    let _ = writeln!(
        o,
        "<p>{} customers with bills between {} and {}.",
        count(r.customers),
        r.window.start,
        r.window.as_of
    );
    match r.k {
        Some(k) => {
            let _ = writeln!(o, " They fall into <strong>{k} segments</strong> of comparable size.</p>");
        }
        None => {
            let _ = writeln!(
                o,
                "</p><p><strong>No segmentation passed the checks</strong>: for every number of segments tried, the segments \
                 were too unequal in size or did not come out the same on resampled data. See <a href=\"#selection\">How the \
                 number of segments was chosen</a>.</p>"
            );
        }
    }
    if let Some(b) = &r.balance {
        let _ = writeln!(
            o,
            "<p>Segment sizes were <strong>enforced</strong> between {} and {} customers; that makes the segments {} less tight \
             than k-means left to itself, whose segments would hold {} to {} of customers.</p>",
            count(b.size_min),
            count(b.size_max),
            percent(b.inertia_cost),
            percent(*b.unconstrained_shares.last().unwrap_or(&0.0)),
            percent(*b.unconstrained_shares.first().unwrap_or(&0.0))
        );
    }

    if !r.segments.is_empty() {
        let _ = writeln!(o, "<h2 id=\"summary\">In short</h2>");
        for (i, s) in r.segments.iter().enumerate() {
            let _ = writeln!(
                o,
                "<p style=\"--c:{}\"><span class=\"swatch\"></span><strong>Segment {}: {}.</strong> {}</p>",
                colour(i),
                s.id,
                esc(&s.name),
                esc(&s.description)
            );
        }

        // Overview: size and value, then the first feature of each group (the profile's headline measure).
        let mut headline: Vec<&super::FeatureInfo> = Vec::new();
        for f in &r.features {
            if !headline.iter().any(|h| h.group == f.group) {
                headline.push(f);
            }
        }
        let _ = writeln!(o, "<h2 id=\"overview\">Overview</h2>");
        let _ = write!(o, "<table>\n<thead><tr><th>Segment</th><th class=\"n\">Customers</th><th class=\"n\">Share</th><th class=\"n\">Share of amount billed</th>");
        for h in &headline {
            let _ = write!(o, "<th class=\"n\">{}</th>", esc(&h.label));
        }
        let _ = writeln!(o, "</tr></thead>\n<tbody>");
        for (i, s) in r.segments.iter().enumerate() {
            let _ = write!(
                o,
                "<tr style=\"--c:{}\"><td><span class=\"swatch\"></span>{}: {}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                colour(i),
                s.id,
                esc(&s.name),
                if s.carried_over == Some(false) { " <em>(new)</em>" } else { "" },
                count(s.size),
                percent(s.share),
                percent(s.revenue_share)
            );
            for h in &headline {
                let v = s.features.iter().find(|st| st.name == h.name).map(|st| value(st.mean, h.format, cur, unit)).unwrap_or_default();
                let _ = write!(o, "<td class=\"n\">{}</td>", esc(&v));
            }
            let _ = writeln!(o, "</tr>");
        }
        let _ = write!(o, "<tr><td><strong>All customers</strong></td><td class=\"n\">{}</td><td class=\"n\">100%</td><td class=\"n\">100%</td>", count(r.customers));
        for h in &headline {
            let v = r.segments.first().and_then(|s| s.features.iter().find(|st| st.name == h.name)).map(|st| value(st.population_mean, h.format, cur, unit)).unwrap_or_default();
            let _ = write!(o, "<td class=\"n\">{}</td>", esc(&v));
        }
        let _ = writeln!(o, "</tr>\n</tbody></table>");
        chart(&mut o, charts, "sizes.svg", "Customers per segment");
        if r.migration.is_some() {
            let _ = writeln!(o, "<h2 id=\"migration\">Changes since the previous run</h2>");
            if let Some(m) = &r.migration {
                let _ = writeln!(
                    o,
                    "<p>Of the {} customers in both runs, <strong>{} ({}) changed segment</strong>; {} customers are new and {} have left.</p>",
                    count(m.continuing),
                    count(m.moved),
                    percent(m.moved_share),
                    count(m.new_customers.iter().sum()),
                    count(m.departed_customers.iter().sum())
                );
            }
            chart(&mut o, charts, "migration.svg", "Customers moving between segments since the previous run");
        }

        let _ = writeln!(o, "<h2 id=\"segments\">The segments</h2>");
        let _ = writeln!(
            o,
            "<p class=\"muted\"><em>Index</em> compares a segment with all customers: 100 is average, 200 twice the average, 50 half. \
             <em>Distance</em> is how many standard deviations the segment sits from the average; beyond ±{} it counts as a trait.</p>",
            super::TRAIT_MIN_Z
        );
        chart(&mut o, charts, "profile-heatmap.svg", "How each segment differs from the average customer");
        chart(&mut o, charts, "map.svg", "Map of the segments");
        for (i, s) in r.segments.iter().enumerate() {
            let _ = writeln!(o, "<section class=\"card\" style=\"--c:{}\" id=\"segment-{}\">", colour(i), s.id);
            let _ = writeln!(o, "<h3><span class=\"swatch\"></span>Segment {}: {}</h3>", s.id, esc(&s.name));
            let _ = writeln!(o, "<p>{}</p>", esc(&s.description));
            let acts = actions(s);
            if !acts.is_empty() {
                let _ = writeln!(o, "<p><strong>Suggested actions</strong></p>\n<ul>");
                for a in acts {
                    let _ = writeln!(o, "<li>{} <span class=\"muted\">({})</span></li>", esc(a.programme), esc(&a.why));
                }
                let _ = writeln!(o, "</ul>");
            }
            let _ = writeln!(o, "<table>\n<thead><tr><th>Measure</th><th class=\"n\">This segment</th><th class=\"n\">All customers</th><th class=\"n\">Index</th><th class=\"n\">Distance</th></tr></thead>\n<tbody>");
            for f in &s.features {
                let fm = fmt_of(&f.name);
                let strong = if f.z.abs() >= super::TRAIT_MIN_Z { " style=\"font-weight:600\"" } else { "" };
                let _ = writeln!(
                    o,
                    "<tr{strong}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:+.2}</td></tr>",
                    esc(&f.label),
                    esc(&value(f.mean, fm, cur, unit)),
                    esc(&value(f.population_mean, fm, cur, unit)),
                    f.index.map(|v| number(v, 0)).unwrap_or_else(|| "–".into()),
                    f.z
                );
            }
            let _ = writeln!(o, "</tbody></table>");
            chart(&mut o, charts, &format!("segment-{}-index.svg", s.id), &format!("Segment {} index against the average customer", s.id));
            for a in &s.attributes {
                let _ = writeln!(o, "<table>\n<thead><tr><th>{}</th><th class=\"n\">This segment</th><th class=\"n\">All customers</th></tr></thead>\n<tbody>", esc(&a.name));
                for v in &a.values {
                    let _ = writeln!(o, "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>", esc(&v.value), percent(v.segment_share), percent(v.population_share));
                }
                let _ = writeln!(o, "</tbody></table>");
            }
            let _ = writeln!(o, "</section>");
        }
    }

    if !r.selection.is_empty() {
        let _ = writeln!(o, "<h2 id=\"selection\">How the number of segments was chosen</h2>");
        let _ = writeln!(o, "<p>Rule: {}.</p>", esc(&r.selection_rule));
        chart(&mut o, charts, "k-selection.svg", "k-selection diagnostics");
        let _ = writeln!(o, "<table>\n<thead><tr><th class=\"n\">k</th><th class=\"n\">Silhouette</th><th class=\"n\">Calinski–Harabasz</th><th class=\"n\">Davies–Bouldin</th><th class=\"n\">Worst segment reproduced</th><th class=\"n\">Smallest</th><th class=\"n\">Largest</th><th>Balanced</th><th>Stable</th><th>Chosen</th></tr></thead>\n<tbody>");
        for c in &r.selection {
            let yes = |b: bool| if b { "yes" } else { "no" };
            let _ = writeln!(
                o,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.k,
                c.silhouette,
                number(c.calinski_harabasz, 0),
                c.davies_bouldin,
                c.segment_stability,
                percent(*c.shares.last().unwrap_or(&0.0)),
                percent(*c.shares.first().unwrap_or(&0.0)),
                yes(c.balanced),
                yes(c.stable),
                if c.chosen { "<strong>yes</strong>" } else { "" }
            );
        }
        let _ = writeln!(o, "</tbody></table>");
    } else if let Some(model) = &r.scored_with_model {
        let _ = writeln!(o, "<h2 id=\"selection\">How customers were placed</h2>");
        let _ = writeln!(o, "<p>Scored with the saved model <code>{}</code>: {}.</p>", esc(model), esc(&r.selection_rule));
        if let Some(d) = &r.drift {
            let _ = writeln!(
                o,
                "<p><strong>Drift</strong>: {} of customers sit farther from their segment's centre than any customer the model was fitted on.</p>",
                percent(d.beyond_max_share)
            );
        }
    }

    let _ = writeln!(o, "<h2 id=\"quality\">Data used</h2>");
    let _ = writeln!(o, "<table>\n<thead><tr><th>Export</th><th>File</th><th class=\"n\">Rows read</th><th class=\"n\">Used</th><th class=\"n\">Rejected</th><th class=\"n\">Duplicates</th><th class=\"n\">Outside the window</th><th class=\"n\">Customers</th></tr></thead>\n<tbody>");
    for (name, s) in &r.inputs {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(name),
            esc(&s.path),
            count(s.rows_read),
            count(s.rows_accepted),
            count(s.rows_rejected),
            count(s.rows_duplicate),
            count(s.rows_outside_window),
            count(s.customers)
        );
    }
    let _ = writeln!(o, "</tbody></table>");
    let mut notes: Vec<String> = Vec::new();
    for (name, s) in &r.inputs {
        if !s.reject_reasons.is_empty() {
            let reasons: Vec<String> = s.reject_reasons.iter().map(|(k, v)| format!("{} ({})", esc(k), count(*v))).collect();
            notes.push(format!("Rejected {} rows, by reason: {}; see <code>rejects/{}.csv</code>.", esc(name), reasons.join(", "), esc(name)));
        }
    }
    for g in &r.skipped_groups {
        notes.push(format!("Feature group <strong>{}</strong> was skipped: {}.", esc(&g.group), esc(&g.reason)));
    }
    if !notes.is_empty() {
        let _ = writeln!(o, "<ul>");
        for n in notes {
            let _ = writeln!(o, "<li>{n}</li>");
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(o, "<h2 id=\"reproduce\">Reproduce this run</h2>");
    let _ = writeln!(o, "<pre>{}</pre>", esc(command));
    let _ = writeln!(
        o,
        "<p class=\"muted\">Profile <code>{}</code>, seed {}, custseg {}. Input checksums are in <code>manifest.json</code>.</p>",
        esc(&r.profile.path),
        r.seed,
        esc(&r.version)
    );
    let _ = writeln!(o, "</body>\n</html>");
    o
}

//! `custseg history`: a line of monthly runs read back from their folders — segment sizes per month,
//! the flows of customers between consecutive months (each run's migration against its previous
//! run), each segment's headline measures over time and the months where a gate fired — as one
//! document (`history.html`) with its charts, and as `history.csv`.

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::charts::{draw_error, segment_colour, text, wrap, ChartError, GRID, INK};
use super::document::{Block, Cell, Document, Row, Table};
use super::RunSummary;
use crate::format::{count, percent, value};
use crate::i18n::{f, t, Lang, Text as Words};

/// One month: a run folder's summary and how the run ended.
pub struct Month {
    /// The run folder's name (`2026-03`).
    pub name: String,
    pub summary: RunSummary,
    /// The manifest's exit code (0 when the manifest is missing).
    pub exit_code: i32,
}

/// The months, oldest first, and the segments seen in any of them (by id, with the newest name).
pub struct History {
    pub months: Vec<Month>,
    pub segments: Vec<(usize, Words)>,
    /// The headline measures (the newest run's overview features), with their labels.
    pub measures: Vec<(String, Words, crate::features::ValueFormat)>,
}

impl History {
    pub fn new(months: Vec<Month>) -> History {
        let mut segments: Vec<(usize, Words)> = Vec::new();
        for m in &months {
            for s in &m.summary.segments {
                match segments.iter_mut().find(|(id, _)| *id == s.id) {
                    Some(entry) => entry.1 = s.name.clone(),
                    None => segments.push((s.id, s.name.clone())),
                }
            }
        }
        segments.sort_by_key(|(id, _)| *id);
        let measures = months
            .last()
            .map(|m| {
                m.summary
                    .overview
                    .iter()
                    .filter_map(|name| m.summary.features.iter().find(|f| &f.name == name).map(|f| (f.name.clone(), f.label.clone(), f.format)))
                    .collect()
            })
            .unwrap_or_default();
        History { months, segments, measures }
    }

    /// The position of segment `id` among every segment seen: its colour in every chart.
    fn position(&self, id: usize) -> usize {
        self.segments.iter().position(|(s, _)| *s == id).unwrap_or(0)
    }

    /// What a gated month's gate was, in words: the segments that vanished or appeared, or the exit code.
    fn gate_text(&self, m: &Month, lang: Lang) -> Option<String> {
        if m.exit_code == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if let Some(mig) = &m.summary.migration {
            for v in mig.vanished() {
                parts.push(f(lang, "segment {0} gone", &[&f(lang, "{0}: {1}", &[&v.segment.id, &v.segment.name.get(lang)])]));
            }
            for s in mig.new_segments() {
                parts.push(f(lang, "segment {0} new", &[&f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)])]));
            }
        }
        if parts.is_empty() {
            parts.push(f(lang, "exit code {0} (see that month's report)", &[&m.exit_code]));
        }
        Some(parts.join(t(lang, "; ")))
    }
}

/// `history.csv`: one row per fact, in long form (`kind` says which columns are filled):
/// `size` (a segment's customers and share that month), `measure` (a segment's mean of a headline
/// measure), `flow` (customers from a segment of the previous month to a segment of this one, and
/// their share of that previous segment's continuing customers) and `gate` (a month that ended at a
/// gate, with its exit code and what fired).
pub fn csv(h: &History, lang: Lang) -> Vec<Vec<String>> {
    let mut rows = vec![["kind", "month", "as_of", "exit_code", "from_segment", "segment", "segment_name", "customers", "share", "measure", "value", "detail"]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()];
    for m in &h.months {
        let base = |kind: &str| vec![kind.to_string(), m.name.clone(), m.summary.window.as_of.to_string(), m.exit_code.to_string()];
        for s in &m.summary.segments {
            let mut r = base("size");
            r.extend([String::new(), s.id.to_string(), s.name.get(lang).to_string(), s.size.to_string(), format!("{:.6}", s.share), String::new(), String::new(), String::new()]);
            rows.push(r);
            for (name, _, _) in &h.measures {
                if let Some(stat) = s.features.iter().find(|x| &x.name == name) {
                    let mut r = base("measure");
                    r.extend([String::new(), s.id.to_string(), s.name.get(lang).to_string(), String::new(), String::new(), name.clone(), format!("{}", stat.mean), String::new()]);
                    rows.push(r);
                }
            }
        }
        if let Some(mig) = &m.summary.migration {
            for (ri, from) in mig.from.iter().enumerate() {
                for (ci, to) in mig.to.iter().enumerate() {
                    if mig.counts[ri][ci] > 0 {
                        let mut r = base("flow");
                        r.extend([
                            from.id.to_string(),
                            to.id.to_string(),
                            to.name.get(lang).to_string(),
                            mig.counts[ri][ci].to_string(),
                            format!("{:.6}", mig.shares[ri][ci]),
                            String::new(),
                            String::new(),
                            String::new(),
                        ]);
                        rows.push(r);
                    }
                }
            }
        }
        if let Some(g) = h.gate_text(m, lang) {
            let mut r = base("gate");
            r.extend([String::new(), String::new(), String::new(), String::new(), String::new(), String::new(), String::new(), g]);
            rows.push(r);
        }
    }
    rows
}

/// The history page's document.
pub fn document(h: &History, lang: Lang) -> Document {
    let mut b = Vec::new();
    let profile = h.months.last().map(|m| m.summary.profile.name.get(lang).to_string()).unwrap_or_default();
    let title = f(lang, "Segment history: {0}", &[&profile]);
    let (first, last) = (h.months.first().map_or("", |m| m.name.as_str()), h.months.last().map_or("", |m| m.name.as_str()));
    b.push(para(f(lang, "{0} monthly runs, from {1} to {2}.", &[&h.months.len(), &first, &last])));
    let gated: Vec<(&Month, String)> = h.months.iter().filter_map(|m| h.gate_text(m, lang).map(|g| (m, g))).collect();
    if gated.is_empty() {
        b.push(para(t(lang, "No month ended at a gate.").to_string()));
    } else {
        b.push(Block::Heading { level: 2, id: Some("gates".into()), text: t(lang, "Months where a gate fired").into(), swatch: None });
        let rows = gated.iter().map(|(m, g)| Row::new(vec![Cell::text(m.name.clone()), Cell::num(m.exit_code.to_string()), Cell::text(g.clone())])).collect();
        b.push(Block::Table(Table { head: vec![Cell::text(t(lang, "Month")), Cell::num(t(lang, "Exit code")), Cell::text(t(lang, "What fired"))], rows }));
    }
    b.push(Block::Heading { level: 2, id: Some("sizes".into()), text: t(lang, "Segment sizes").into(), swatch: None });
    b.push(Block::Chart { file: "sizes.svg".into(), alt: t(lang, "Share of customers in each segment, month by month").into() });
    let mut head = vec![Cell::text(t(lang, "Segment"))];
    head.extend(h.months.iter().map(|m| Cell::num(m.name.clone())));
    let rows = h
        .segments
        .iter()
        .map(|(id, name)| {
            let mut cells = vec![Cell::text(f(lang, "{0}: {1}", &[id, &name.get(lang)]))];
            for m in &h.months {
                cells.push(Cell::num(m.summary.segments.iter().find(|s| s.id == *id).map(|s| format!("{} ({})", count(s.size), percent(s.share))).unwrap_or_else(|| "–".into())));
            }
            Row { swatch: Some(h.position(*id)), ..Row::new(cells) }
        })
        .collect();
    b.push(Block::Table(Table { head, rows }));
    if h.months.iter().any(|m| m.summary.migration.is_some()) {
        b.push(Block::Heading { level: 2, id: Some("flows".into()), text: t(lang, "Customers moving between segments").into(), swatch: None });
        b.push(para(t(lang, "Each column is a month, each block a segment (its height: its customers); the bands between two months are the customers who moved from one segment to another, or stayed.").to_string()));
        b.push(Block::Chart { file: "flows.svg".into(), alt: t(lang, "Flows of customers between segments from month to month").into() });
    }
    if !h.measures.is_empty() {
        b.push(Block::Heading { level: 2, id: Some("measures".into()), text: t(lang, "Headline measures over time").into(), swatch: None });
        for (i, (_, label, _)) in h.measures.iter().enumerate() {
            b.push(Block::Chart { file: format!("measure-{}.svg", i + 1), alt: label.get(lang).to_string() });
        }
    }
    Document { lang, title, blocks: b }
}

fn para(s: String) -> Block {
    Block::Para { content: super::document::plain_text(s), muted: false, swatch: None }
}

/// The charts of the page, as (name, SVG).
pub fn charts(h: &History, lang: Lang) -> Result<Vec<(String, String)>, ChartError> {
    let mut out = vec![("sizes.svg".to_string(), lines(h, lang, t(lang, "Share of customers"), |s| Some(s.share), &percent)?)];
    let (currency, unit) = h.months.last().map(|m| (m.summary.profile.currency.clone(), m.summary.profile.consumption_unit.clone())).unwrap_or_default();
    if h.months.iter().any(|m| m.summary.migration.is_some()) {
        out.push(("flows.svg".to_string(), flows(h, lang)?));
    }
    for (i, (name, label, format)) in h.measures.iter().enumerate() {
        let fmt = |v: f64| value(v, *format, &currency, &unit);
        let svg = lines(h, lang, label.get(lang).to_string(), |s| s.features.iter().find(|x| &x.name == name).map(|x| x.mean), &fmt)?;
        out.push((format!("measure-{}.svg", i + 1), svg));
    }
    Ok(out)
}

/// One line per segment over the months: `y` of each segment (None: not there that month).
fn lines(h: &History, lang: Lang, title: impl Into<String>, y: impl Fn(&super::SegmentProfile) -> Option<f64>, fmt: &dyn Fn(f64) -> String) -> Result<String, ChartError> {
    let title = title.into();
    let n = h.months.len().max(1);
    let legend: Vec<String> = h.segments.iter().map(|(id, name)| f(lang, "{0}: {1}", &[id, &name.get(lang)])).collect();
    let legend_w = legend.iter().map(|l| super::charts::text_px(l, 12)).max().unwrap_or(0) + 40;
    let (left, top, plot_w, plot_h) = (70i32, 40i32, (120 * n as i32).clamp(360, 720), 260i32);
    // Wide enough for the title and the legend, both measured: nothing is cut.
    let width = (left + plot_w + 30 + legend_w).max(super::charts::text_px(&title, 15) + 16);
    let height = top + plot_h + 50;
    let values: Vec<f64> = h.months.iter().flat_map(|m| m.summary.segments.iter().filter_map(&y)).collect();
    let max = values.iter().copied().fold(f64::MIN, f64::max).max(1e-9);
    let min = values.iter().copied().fold(f64::MAX, f64::min).min(0.0);
    let x_of = |i: usize| left + if n == 1 { plot_w / 2 } else { (i as i32 * plot_w) / (n as i32 - 1) };
    let y_of = |v: f64| top + plot_h - (((v - min) / (max - min).max(1e-12)) * plot_h as f64).round() as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(title.clone(), (8, 16), text(15, &INK, HPos::Left))).map_err(draw_error)?;
        for k in 0..=4 {
            let v = min + (max - min) * k as f64 / 4.0;
            let yy = y_of(v);
            root.draw(&PathElement::new(vec![(left, yy), (left + plot_w, yy)], GRID)).map_err(draw_error)?;
            root.draw(&Text::new(fmt(v), (left - 6, yy), text(11, &INK, HPos::Right))).map_err(draw_error)?;
        }
        for (i, m) in h.months.iter().enumerate() {
            root.draw(&Text::new(m.name.clone(), (x_of(i), top + plot_h + 18), text(11, &INK, HPos::Center))).map_err(draw_error)?;
        }
        for (p, (id, _)) in h.segments.iter().enumerate() {
            let colour = segment_colour(p);
            let points: Vec<(usize, f64)> = h
                .months
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.summary.segments.iter().find(|s| s.id == *id).and_then(&y).map(|v| (i, v)))
                .collect();
            // Consecutive months joined; a month without the segment breaks the line.
            for w in points.windows(2).filter(|w| w[1].0 == w[0].0 + 1) {
                root.draw(&PathElement::new(vec![(x_of(w[0].0), y_of(w[0].1)), (x_of(w[1].0), y_of(w[1].1))], colour.stroke_width(3))).map_err(draw_error)?;
            }
            for &(i, v) in &points {
                root.draw(&Circle::new((x_of(i), y_of(v)), 4, colour.filled())).map_err(draw_error)?;
            }
            let ly = top + 10 + p as i32 * 20;
            let lx = left + plot_w + 30;
            root.draw(&Rectangle::new([(lx, ly - 6), (lx + 12, ly + 6)], colour.filled())).map_err(draw_error)?;
            root.draw(&Text::new(legend[p].clone(), (lx + 18, ly), text(12, &INK, HPos::Left))).map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// The alluvial chart: a column per month with a block per segment (height ∝ customers), and bands
/// between consecutive months from each previous segment to each segment now (width ∝ customers who
/// made that move, from the later run's migration), drawn with plotters' polygons.
fn flows(h: &History, lang: Lang) -> Result<String, ChartError> {
    let n = h.months.len() as i32;
    let (left, top, col_w, gap_w, plot_h) = (20i32, 40i32, 26i32, 150i32, 420i32);
    let legend: Vec<String> = h.segments.iter().map(|(id, name)| f(lang, "{0}: {1}", &[id, &name.get(lang)])).collect();
    let legend_w = legend.iter().map(|l| super::charts::text_px(l, 12)).max().unwrap_or(0) + 40;
    let width = left + n * col_w + (n - 1).max(0) * gap_w + 40 + legend_w;
    let height = top + plot_h + 56;
    let max_total = h.months.iter().map(|m| m.summary.customers).max().unwrap_or(1).max(1) as f64;
    let pad = 6; // pixels between blocks
    let scale = |c: usize, blocks: usize| c as f64 / max_total * (plot_h - pad * blocks.saturating_sub(1) as i32) as f64;
    // Each month's blocks: (segment id, top y, height), in id order.
    let blocks: Vec<Vec<(usize, f64, f64)>> = h
        .months
        .iter()
        .map(|m| {
            let mut y = top as f64;
            let mut segs: Vec<&super::SegmentProfile> = m.summary.segments.iter().collect();
            segs.sort_by_key(|s| s.id);
            let k = segs.len();
            segs.iter()
                .map(|s| {
                    let hgt = scale(s.size, k);
                    let b = (s.id, y, hgt);
                    y += hgt + pad as f64;
                    b
                })
                .collect()
        })
        .collect();
    let x_of = |i: i32| left + i * (col_w + gap_w);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(t(lang, "Customers moving between segments").to_string(), (8, 16), text(15, &INK, HPos::Left))).map_err(draw_error)?;
        for i in 1..h.months.len() {
            let Some(mig) = &h.months[i].summary.migration else { continue };
            let (from_blocks, to_blocks) = (&blocks[i - 1], &blocks[i]);
            let (m_from, m_to) = (&h.months[i - 1].summary, &h.months[i].summary);
            // Fill each block from the top: outgoing bands on the left column, incoming on the right.
            let mut out_y: Vec<f64> = from_blocks.iter().map(|b| b.1).collect();
            let mut in_y: Vec<f64> = to_blocks.iter().map(|b| b.1).collect();
            for (ri, from) in mig.from.iter().enumerate() {
                let Some(fb) = from_blocks.iter().position(|b| b.0 == from.id) else { continue };
                let from_size = m_from.segments.iter().find(|s| s.id == from.id).map_or(1, |s| s.size.max(1));
                for (ci, to) in mig.to.iter().enumerate() {
                    let c = mig.counts[ri][ci];
                    let Some(tb) = to_blocks.iter().position(|b| b.0 == to.id) else { continue };
                    if c == 0 {
                        continue;
                    }
                    let to_size = m_to.segments.iter().find(|s| s.id == to.id).map_or(1, |s| s.size.max(1));
                    let w_from = from_blocks[fb].2 * c as f64 / from_size as f64;
                    let w_to = to_blocks[tb].2 * c as f64 / to_size as f64;
                    let (x0, x1) = (x_of(i as i32 - 1) + col_w, x_of(i as i32));
                    let (a0, a1, b0, b1) = (out_y[fb], out_y[fb] + w_from, in_y[tb], in_y[tb] + w_to);
                    out_y[fb] = a1;
                    in_y[tb] = b1;
                    // A band: a smooth S from the left block to the right one, sampled in 16 steps.
                    let steps = 16;
                    let ease = |s: f64| s * s * (3.0 - 2.0 * s);
                    let mut pts: Vec<(i32, i32)> = Vec::new();
                    for k in 0..=steps {
                        let s = k as f64 / steps as f64;
                        let x = x0 as f64 + (x1 - x0) as f64 * s;
                        pts.push((x.round() as i32, (a0 + (b0 - a0) * ease(s)).round() as i32));
                    }
                    for k in (0..=steps).rev() {
                        let s = k as f64 / steps as f64;
                        let x = x0 as f64 + (x1 - x0) as f64 * s;
                        pts.push((x.round() as i32, (a1 + (b1 - a1) * ease(s)).round() as i32));
                    }
                    let colour = segment_colour(h.position(from.id));
                    root.draw(&Polygon::new(pts, colour.mix(if from.id == to.id { 0.35 } else { 0.6 }).filled())).map_err(draw_error)?;
                }
            }
        }
        for (i, (m, bl)) in h.months.iter().zip(&blocks).enumerate() {
            let x = x_of(i as i32);
            for &(id, y, hgt) in bl {
                root.draw(&Rectangle::new([(x, y.round() as i32), (x + col_w, (y + hgt).round() as i32)], segment_colour(h.position(id)).filled()))
                    .map_err(draw_error)?;
            }
            for (l, line) in wrap(&m.name, 12).into_iter().enumerate() {
                root.draw(&Text::new(line, (x + col_w / 2, top + plot_h + 22 + 13 * l as i32), text(11, &INK, HPos::Center))).map_err(draw_error)?;
            }
        }
        let lx = x_of(n - 1) + col_w + 40;
        for (p, label) in legend.iter().enumerate() {
            let ly = top + 10 + p as i32 * 20;
            root.draw(&Rectangle::new([(lx, ly - 6), (lx + 12, ly + 6)], segment_colour(p).filled())).map_err(draw_error)?;
            root.draw(&Text::new(label.clone(), (lx + 18, ly), text(12, &INK, HPos::Left))).map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

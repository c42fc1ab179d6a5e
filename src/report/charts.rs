//! Charts as standalone SVG (plotters' SVG backend). Text is written as SVG text with a generic font
//! family, so no font file is read or needed to draw them.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::migration::Migration;
use crate::i18n::{f, t, Lang};
use super::RunSummary;

/// The charts of a run in `lang`, as (file name under `charts/`, SVG).
pub fn render_all(r: &RunSummary, lang: Lang) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if !r.segments.is_empty() {
        out.push(("sizes.svg".to_string(), segment_sizes(r, lang)?));
        out.push(("profile-heatmap.svg".to_string(), zscore_heatmap(r, lang)?));
        if r.projection.is_some() {
            out.push(("map.svg".to_string(), projection_map(r, lang)?));
        }
        for (i, s) in r.segments.iter().enumerate() {
            out.push((format!("segment-{}-index.svg", s.id), index_bars(r, i, lang)?));
        }
    }
    if !r.selection.is_empty() {
        out.push(("k-selection.svg".to_string(), k_selection(r, lang)?));
    }
    if let Some(m) = &r.migration {
        out.push(("migration.svg".to_string(), migration_heatmap(m, lang)?));
    }
    Ok(out)
}

/// Segment colours: the Okabe–Ito palette (distinguishable with colour-vision deficiencies), in an
/// order whose lightness alternates so that neighbours also differ in grayscale print.
pub const SEGMENT_COLOURS: [(u8, u8, u8); 8] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (0, 0, 0),
];

/// The colour of the segment at `position` (0-based, in report order): the same in every chart.
pub fn segment_colour(position: usize) -> RGBColor {
    let (r, g, b) = SEGMENT_COLOURS[position % SEGMENT_COLOURS.len()];
    RGBColor(r, g, b)
}

pub(super) const INK: RGBColor = RGBColor(33, 33, 33);
pub(super) const GRID: RGBColor = RGBColor(210, 210, 210);

/// Fill for a share in 0..=1: white to dark blue on a square-root scale (so that moves of a few per
/// cent still show), darker meaning more, in colour and in grayscale print alike.
fn shade(share: f64) -> RGBColor {
    let t = share.clamp(0.0, 1.0).sqrt();
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
}

/// Width of a character in units of a narrow (Latin) character: CJK and other wide characters take
/// two.
pub(super) fn width(ch: char) -> usize {
    let c = ch as u32;
    let wide = (0x1100..=0x115F).contains(&c)
        || (0x2E80..=0xA4CF).contains(&c)
        || (0xAC00..=0xD7A3).contains(&c)
        || (0xF900..=0xFAFF).contains(&c)
        || (0xFE30..=0xFE4F).contains(&c)
        || (0xFF00..=0xFF60).contains(&c)
        || (0xFFE0..=0xFFE6).contains(&c)
        || (0x20000..=0x3FFFD).contains(&c);
    if wide {
        2
    } else {
        1
    }
}

/// The width in pixels of `s` set at `size` pixels in a sans-serif font, over-estimated (0.56 em per
/// narrow character, CJK characters double): what a label needs so that it is not cut.
pub(super) fn text_px(s: &str, size: i32) -> i32 {
    (s.chars().map(width).sum::<usize>() as f64 * size as f64 * 0.56).ceil() as i32
}

/// `s` in lines of at most `max` narrow-character widths, broken at spaces (or, in text without them
/// such as Chinese, between characters): never cut.
pub(super) fn wrap(s: &str, max: usize) -> Vec<String> {
    let w = |t: &str| t.chars().map(width).sum::<usize>();
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if w(&candidate) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than a line: broken between characters.
        for ch in word.chars() {
            if !line.is_empty() && w(&line) + width(ch) > max {
                lines.push(std::mem::take(&mut line));
            }
            line.push(ch);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text of `size` CSS pixels (plotters' SVG backend writes `size / 1.24`, hence the factor).
pub(super) fn text<'a>(size: i32, color: &'a RGBColor, h: HPos) -> TextStyle<'a> {
    TextStyle::from(("sans-serif", size as f64 * 1.24).into_font()).color(color).pos(Pos::new(h, VPos::Center))
}

/// plotters failed to draw a chart (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("drawing a chart: {0}")]
pub struct ChartError(String);

type Result<T, E = ChartError> = std::result::Result<T, E>;

pub(super) fn draw_error<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// The migration heatmap: one row per previous segment (and new customers), one column per segment
/// now (and customers who left); each cell gives the customers and their share of the row.
pub fn migration_heatmap(m: &Migration, lang: Lang) -> Result<String> {
    let row_label = |id: usize, name: &str| f(lang, "{0}: {1}", &[&id, &name]);
    let names: Vec<Vec<String>> = m.to.iter().map(|t| wrap(t.name.get(lang), 14)).collect();
    let extra = 12 * (names.iter().map(Vec::len).max().unwrap_or(1).max(1) as i32 - 1);
    let widest = m.from.iter().map(|s| text_px(&row_label(s.id, s.name.get(lang)), 13)).chain([text_px(t(lang, "New customers"), 13), 200]).max().unwrap_or(200);
    let (cell_w, cell_h, left, top) = (96i32, 46i32, widest + 24, 86i32 + extra);
    let cols = m.to.len() as i32 + 1;
    let rows = m.from.len() as i32 + 1;
    let (w, h) = ((left + cols * cell_w + 16) as u32, (top + rows * cell_h + 40) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let dark = RGBColor(33, 33, 33);
        root.draw(&Text::new(t(lang, "Customers moving between segments since the previous run").to_string(), (8, 18), text(16, &dark, HPos::Left)))
            .map_err(draw_error)?;
        root.draw(&Text::new(t(lang, "Previous segment ↓ · segment now →").to_string(), (8, top - 16), text(13, &dark, HPos::Left)))
            .map_err(draw_error)?;
        // Column headers.
        for (c, (t, lines)) in m.to.iter().zip(&names).enumerate() {
            let x = left + c as i32 * cell_w + cell_w / 2;
            root.draw(&Text::new(f(lang, "Now {0}", &[&t.id]), (x, top - 36 - extra), text(13, &dark, HPos::Center))).map_err(draw_error)?;
            for (i, line) in lines.iter().enumerate() {
                root.draw(&Text::new(line.clone(), (x, top - 16 - extra + 12 * i as i32), text(10, &dark, HPos::Center))).map_err(draw_error)?;
            }
        }
        root.draw(&Text::new(t(lang, "Left").to_string(), (left + (cols - 1) * cell_w + cell_w / 2, top - 26), text(13, &dark, HPos::Center)))
            .map_err(draw_error)?;
        let cell = |r: i32, c: i32, count: usize, share: Option<f64>| -> Result<()> {
            let (x0, y0) = (left + c * cell_w, top + r * cell_h);
            let fill = shade(share.unwrap_or(0.0));
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w - 2, y0 + cell_h - 2)], fill.filled())).map_err(draw_error)?;
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w - 2, y0 + cell_h - 2)], RGBColor(200, 200, 200).stroke_width(1)))
                .map_err(draw_error)?;
            let ink = if share.unwrap_or(0.0).sqrt() > 0.6 { WHITE } else { dark };
            let label = match share {
                Some(s) => format!("{} ({})", crate::format::count(count), crate::format::percent(s)),
                None => crate::format::count(count),
            };
            root.draw(&Text::new(label, (x0 + cell_w / 2 - 1, y0 + cell_h / 2 - 1), text(12, &ink, HPos::Center))).map_err(draw_error)?;
            Ok(())
        };
        for (r, f) in m.from.iter().enumerate() {
            let y = top + r as i32 * cell_h + cell_h / 2;
            root.draw(&Text::new(row_label(f.id, f.name.get(lang)), (8, y), text(13, &dark, HPos::Left))).map_err(draw_error)?;
            for c in 0..m.to.len() {
                cell(r as i32, c as i32, m.counts[r][c], Some(m.shares[r][c]))?;
            }
            cell(r as i32, cols - 1, m.departed_customers[r], None)?;
        }
        let r = rows - 1;
        root.draw(&Text::new(t(lang, "New customers").to_string(), (8, top + r * cell_h + cell_h / 2), text(13, &dark, HPos::Left))).map_err(draw_error)?;
        for c in 0..m.to.len() {
            cell(r, c as i32, m.new_customers[c], None)?;
        }
        root.draw(&Text::new(
            t(lang, "Shares are of each previous segment's customers who are still customers; darker = more.").to_string(),
            (8, top + rows * cell_h + 20),
            text(12, &dark, HPos::Left),
        ))
        .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// Horizontal bars: one per segment, its share of customers, labelled with the count and share.
pub fn segment_sizes(r: &RunSummary, lang: Lang) -> Result<String> {
    let rows = r.segments.len() as i32;
    // Names in full: the label column is as wide as the widest name needs.
    let labels: Vec<String> = r.segments.iter().map(|s| f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)])).collect();
    let left = labels.iter().map(|l| text_px(l, 13)).max().unwrap_or(0).max(160) + 24;
    let (top, bar_h) = (40i32, 34i32);
    let width = left + 480;
    let h = (top + rows * bar_h + 40) as u32;
    let max = r.segments.iter().map(|s| s.share).fold(0.0, f64::max).max(1e-9);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width as u32, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(t(lang, "Customers per segment").to_string(), (8, 16), text(16, &INK, HPos::Left))).map_err(draw_error)?;
        let span = width - left - 150;
        for (i, s) in r.segments.iter().enumerate() {
            let y = top + i as i32 * bar_h;
            root.draw(&Text::new(labels[i].clone(), (8, y + bar_h / 2), text(13, &INK, HPos::Left))).map_err(draw_error)?;
            let len = ((s.share / max) * span as f64).round() as i32;
            root.draw(&Rectangle::new([(left, y + 5), (left + len.max(1), y + bar_h - 5)], segment_colour(i).filled()))
                .map_err(draw_error)?;
            let label = format!("{} ({})", crate::format::count(s.size), crate::format::percent(s.share));
            root.draw(&Text::new(label, (left + len + 8, y + bar_h / 2), text(12, &INK, HPos::Left))).map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// Fill for a z-score: brown below average, teal above, white at 0, saturating at ±2 (ColorBrewer's
/// BrBG ends: a diverging scale whose lightness encodes the size of the difference, and whose hues
/// say neither good nor bad, as red and green or red and blue would).
fn diverging(z: f64) -> RGBColor {
    let t = (z / 2.0).clamp(-1.0, 1.0);
    let (to_r, to_g, to_b) = if t < 0.0 { (140.0, 81.0, 10.0) } else { (1.0, 102.0, 94.0) };
    let a = t.abs();
    let mix = |to: f64| (255.0 + (to - 255.0) * a).round() as u8;
    RGBColor(mix(to_r), mix(to_g), mix(to_b))
}

/// Segment × feature heatmap of z-scores (how many population standard deviations each segment's mean
/// sits from the average), features in profile order, segments in report order.
pub fn zscore_heatmap(r: &RunSummary, lang: Lang) -> Result<String> {
    let features = &r.features;
    let names: Vec<Vec<String>> = r.segments.iter().map(|s| wrap(s.name.get(lang), 11)).collect();
    let extra = 12 * (names.iter().map(Vec::len).max().unwrap_or(1).max(1) as i32 - 1);
    let widest = features.iter().map(|f| text_px(f.label.get(lang), 12)).max().unwrap_or(0).max(140);
    let (left, top, cell_w, cell_h) = (widest + 20, 150i32 + extra, 64i32, 22i32);
    let cols = r.segments.len() as i32;
    let rows = features.len() as i32;
    let (w, h) = ((left + cols * cell_w + 20) as u32, (top + rows * cell_h + 50) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(t(lang, "How each segment differs from the average customer").to_string(), (8, 16), text(16, &INK, HPos::Left)))
            .map_err(draw_error)?;
        root.draw(&Text::new(
            t(lang, "Columns are segments. Standard deviations from the average: teal above, brown below, white average").to_string(),
            (8, 38),
            text(12, &INK, HPos::Left),
        ))
        .map_err(draw_error)?;
        for (c, (s, lines)) in r.segments.iter().zip(&names).enumerate() {
            let x = left + c as i32 * cell_w + cell_w / 2;
            root.draw(&Rectangle::new([(x - 20, top - 58 - extra), (x + 20, top - 50 - extra)], segment_colour(c).filled())).map_err(draw_error)?;
            root.draw(&Text::new(format!("{}", s.id), (x, top - 36 - extra), text(14, &INK, HPos::Center))).map_err(draw_error)?;
            for (i, line) in lines.iter().enumerate() {
                root.draw(&Text::new(line.clone(), (x, top - 18 - extra + 12 * i as i32), text(10, &INK, HPos::Center))).map_err(draw_error)?;
            }
        }
        for (j, f) in features.iter().enumerate() {
            let y = top + j as i32 * cell_h;
            root.draw(&Text::new(f.label.get(lang).to_string(), (8, y + cell_h / 2), text(12, &INK, HPos::Left))).map_err(draw_error)?;
            for (c, s) in r.segments.iter().enumerate() {
                let z = s.features.iter().find(|st| st.name == f.name).map(|st| st.z).unwrap_or(0.0);
                let x = left + c as i32 * cell_w;
                root.draw(&Rectangle::new([(x, y), (x + cell_w - 2, y + cell_h - 2)], diverging(z).filled())).map_err(draw_error)?;
                let ink = if z.abs() > 1.2 { WHITE } else { INK };
                let shown = if z.abs() < 0.05 { 0.0 } else { z };
                root.draw(&Text::new(format!("{shown:+.1}"), (x + cell_w / 2 - 1, y + cell_h / 2 - 1), text(11, &ink, HPos::Center)))
                    .map_err(draw_error)?;
            }
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// The k-selection diagnostics: each metric per k on its own small panel (scaled to its own range),
/// balanced k marked with a filled dot, unbalanced with a hollow one, the chosen k with a ring.
pub fn k_selection(r: &RunSummary, lang: Lang) -> Result<String> {
    type Metric = (&'static str, fn(&crate::cluster::Candidate) -> f64);
    let metrics: [Metric; 5] = [
        ("Silhouette (higher is better)", |c| c.silhouette),
        ("Calinski–Harabasz (higher is better)", |c| c.calinski_harabasz),
        ("Davies–Bouldin (lower is better)", |c| c.davies_bouldin),
        ("Worst segment reproduced (Jaccard, higher is better)", |c| c.segment_stability),
        ("Inertia (lower is better)", |c| c.inertia),
    ];
    let cands = &r.selection;
    let (panel_w, panel_h, gap) = (300i32, 150i32, 30i32);
    let (w, h) = ((2 * panel_w + 3 * gap) as u32, (3 * (panel_h + gap) + 40) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(
            t(lang, "How the number of segments was chosen: filled dots are balanced k, the ring is the chosen k").to_string(),
            (8, 16),
            text(13, &INK, HPos::Left),
        ))
        .map_err(draw_error)?;
        for (m, (title, get)) in metrics.iter().enumerate() {
            let (px, py) = (gap + (m as i32 % 2) * (panel_w + gap), 40 + (m as i32 / 2) * (panel_h + gap));
            root.draw(&Text::new(t(lang, title).to_string(), (px, py + 8), text(12, &INK, HPos::Left))).map_err(draw_error)?;
            let (x0, x1, y0, y1) = (px + 36, px + panel_w - 10, py + 26, py + panel_h - 22);
            root.draw(&PathElement::new(vec![(x0, y1), (x1, y1)], GRID.stroke_width(1))).map_err(draw_error)?;
            if cands.is_empty() {
                continue;
            }
            let values: Vec<f64> = cands.iter().map(get).collect();
            let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            let span = if hi > lo { hi - lo } else { 1.0 };
            let kx = |i: usize| if cands.len() > 1 { x0 + ((x1 - x0) as f64 * i as f64 / (cands.len() - 1) as f64) as i32 } else { (x0 + x1) / 2 };
            let vy = |v: f64| y1 - ((v - lo) / span * (y1 - y0) as f64) as i32;
            let points: Vec<(i32, i32)> = values.iter().enumerate().map(|(i, &v)| (kx(i), vy(v))).collect();
            root.draw(&PathElement::new(points.clone(), segment_colour(0).stroke_width(2))).map_err(draw_error)?;
            for (i, c) in cands.iter().enumerate() {
                let (x, y) = points[i];
                let style = if c.balanced { segment_colour(0).filled() } else { WHITE.filled() };
                root.draw(&Circle::new((x, y), 4, style)).map_err(draw_error)?;
                root.draw(&Circle::new((x, y), 4, segment_colour(0).stroke_width(1))).map_err(draw_error)?;
                if c.chosen {
                    root.draw(&Circle::new((x, y), 8, INK.stroke_width(2))).map_err(draw_error)?;
                }
                root.draw(&Text::new(format!("{}", c.k), (x, y1 + 12), text(11, &INK, HPos::Center))).map_err(draw_error)?;
            }
            root.draw(&Text::new(crate::format::number(hi, if hi.abs() >= 100.0 { 0 } else { 2 }), (px, y0), text(10, &INK, HPos::Left)))
                .map_err(draw_error)?;
            root.draw(&Text::new(crate::format::number(lo, if lo.abs() >= 100.0 { 0 } else { 2 }), (px, y1), text(10, &INK, HPos::Left)))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// The segment map: sampled customers on the first two principal components, one colour per segment,
/// with a legend.
pub fn projection_map(r: &RunSummary, lang: Lang) -> Result<String> {
    let Some(p) = &r.projection else { return Ok(String::new()) };
    let (w, h) = (760u32, 560u32);
    let (x0, y0, x1, y1) = (60i32, 50i32, 540i32, 510i32);
    let (mut lo1, mut hi1, mut lo2, mut hi2) = (f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY);
    for &(a, b, _) in &p.points {
        lo1 = lo1.min(a);
        hi1 = hi1.max(a);
        lo2 = lo2.min(b);
        hi2 = hi2.max(b);
    }
    let sx = |a: f32| x0 + (((a - lo1) / (hi1 - lo1).max(1e-9)) * (x1 - x0) as f32) as i32;
    let sy = |b: f32| y1 - (((b - lo2) / (hi2 - lo2).max(1e-9)) * (y1 - y0) as f32) as i32;
    let position = |id: usize| r.segments.iter().position(|s| s.id == id).unwrap_or(0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(t(lang, "Map of the segments: each dot is a customer (a sample)").to_string(), (8, 16), text(16, &INK, HPos::Left)))
            .map_err(draw_error)?;
        root.draw(&Rectangle::new([(x0, y0), (x1, y1)], GRID.stroke_width(1))).map_err(draw_error)?;
        for &(a, b, id) in &p.points {
            root.draw(&Circle::new((sx(a), sy(b)), 2, segment_colour(position(id)).mix(0.6).filled())).map_err(draw_error)?;
        }
        root.draw(&Text::new(
            f(lang, "Main direction of difference ({0} of the variation)", &[&crate::format::percent(p.explained[0])]),
            ((x0 + x1) / 2, y1 + 18),
            text(12, &INK, HPos::Center),
        ))
        .map_err(draw_error)?;
        root.draw(&Text::new(f(lang, "Second direction ({0})", &[&crate::format::percent(p.explained[1])]), (x0, y0 - 12), text(12, &INK, HPos::Left)))
            .map_err(draw_error)?;
        // The legend: each segment's name wrapped to the room right of the plot.
        let mut y = y0 + 10;
        for (i, s) in r.segments.iter().enumerate() {
            root.draw(&Circle::new((x1 + 24, y), 6, segment_colour(i).filled())).map_err(draw_error)?;
            let lines = wrap(&f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)]), 26);
            for line in &lines {
                root.draw(&Text::new(line.clone(), (x1 + 36, y), text(12, &INK, HPos::Left))).map_err(draw_error)?;
                y += 15;
            }
            y += 9;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// Index bars of one segment's traits: 100 is the average customer; bars start at 100 and run to the
/// segment's index, on a logarithmic scale so that 50 and 200 are equally far from 100.
pub fn index_bars(r: &RunSummary, position: usize, lang: Lang) -> Result<String> {
    let s = &r.segments[position];
    let shown: Vec<&super::FeatureStat> = s.features.iter().filter(|f| f.index.is_some()).collect();
    let widest = shown.iter().map(|f| text_px(&super::document::label(r, &f.name, lang), 11)).max().unwrap_or(0).max(140);
    let (left, top, row_h) = (widest + 20, 34i32, 22i32);
    let width = left + 430;
    let h = (top + shown.len() as i32 * row_h + 30) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width as u32, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(f(lang, "Segment {0}: index against the average customer (100)", &[&s.id]), (8, 14), text(13, &INK, HPos::Left)))
            .map_err(draw_error)?;
        let span = (width - left - 70) as f64;
        let x_of = |index: f64| left + ((index.clamp(12.5, 800.0) / 12.5).log2() / 6.0 * span) as i32;
        let x100 = x_of(100.0);
        for mark in [25.0, 50.0, 100.0, 200.0, 400.0] {
            let x = x_of(mark);
            let style = if mark == 100.0 { INK.stroke_width(1) } else { GRID.stroke_width(1) };
            root.draw(&PathElement::new(vec![(x, top - 4), (x, top + shown.len() as i32 * row_h)], style)).map_err(draw_error)?;
            root.draw(&Text::new(format!("{mark}"), (x, top + shown.len() as i32 * row_h + 12), text(10, &INK, HPos::Center)))
                .map_err(draw_error)?;
        }
        for (i, f) in shown.iter().enumerate() {
            let y = top + i as i32 * row_h;
            let index = f.index.unwrap_or(100.0);
            root.draw(&Text::new(super::document::label(r, &f.name, lang), (8, y + row_h / 2), text(11, &INK, HPos::Left))).map_err(draw_error)?;
            let x = x_of(index);
            let (a, b) = if x >= x100 { (x100, x) } else { (x, x100) };
            root.draw(&Rectangle::new([(a, y + 4), (b.max(a + 1), y + row_h - 4)], segment_colour(position).filled())).map_err(draw_error)?;
            root.draw(&Text::new(crate::format::number(index, 0), (width - 60, y + row_h / 2), text(11, &INK, HPos::Left)))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrapping_breaks_at_spaces_or_between_chinese_characters_and_never_cuts() {
        assert_eq!(wrap("Live in apartments · Low consumption", 14), ["Live in", "apartments ·", "Low", "consumption"]);
        assert_eq!(wrap("Rural", 14), ["Rural"]);
        // Chinese characters count double: five to a line of 10.
        assert_eq!(wrap("住公寓 · 用电量低", 10), ["住公寓 ·", "用电量低"]);
        assert_eq!(wrap("热泵采暖银行代扣缴费", 10), ["热泵采暖银", "行代扣缴费"]);
        let long = "Supercalifragilistic";
        assert_eq!(wrap(long, 8).concat(), long);
    }

    use super::*;
    use crate::model::migration::{compute, SegmentRef};
    use std::collections::HashMap;

    #[test]
    fn the_heatmap_holds_every_cell_and_escapes_names() {
        let previous: HashMap<String, usize> = [("a", 1), ("b", 2)].iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let seg = |id: usize, name: &str| SegmentRef { id, name: crate::i18n::Text::en(name) };
        let m = compute("prev", &previous, vec![seg(1, "<script>x</script>"), seg(2, "A & B")], &[("a", 1), ("b", 1), ("c", 2)], vec![
            seg(1, "<script>x</script>"),
            seg(2, "A & B"),
        ]);
        let svg = migration_heatmap(&m, Lang::En).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<script>"), "unescaped name: {svg}");
        assert!(svg.contains("&lt;script&gt;") && svg.contains("A &amp; B"), "{svg}");
        assert!(svg.contains("1 (100%)") && svg.contains("0 (0%)"), "{svg}");
        assert!(svg.contains("New customers") && svg.contains("Left"));
    }
}

//! Charts as standalone SVG (plotters' SVG backend). Text is written as SVG text with a generic font
//! family, so no font file is read or needed to draw them.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::migration::Migration;

/// Fill for a share in 0..=1: white to dark blue on a square-root scale (so that moves of a few per
/// cent still show), darker meaning more, in colour and in grayscale print alike.
fn shade(share: f64) -> RGBColor {
    let t = share.clamp(0.0, 1.0).sqrt();
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

fn text<'a>(size: i32, color: &'a RGBColor, h: HPos) -> TextStyle<'a> {
    TextStyle::from(("sans-serif", size).into_font()).color(color).pos(Pos::new(h, VPos::Center))
}

fn draw_error<E: std::fmt::Debug>(e: E) -> crate::error::Error {
    crate::error::Error::io("drawing a chart", std::io::Error::other(format!("{e:?}")))
}

/// The migration heatmap: one row per previous segment (and new customers), one column per segment
/// now (and customers who left); each cell gives the customers and their share of the row.
pub fn migration_heatmap(m: &Migration) -> crate::error::Result<String> {
    let (cell_w, cell_h, left, top) = (96i32, 46i32, 300i32, 86i32);
    let cols = m.to.len() as i32 + 1;
    let rows = m.from.len() as i32 + 1;
    let (w, h) = ((left + cols * cell_w + 16) as u32, (top + rows * cell_h + 40) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let dark = RGBColor(33, 33, 33);
        root.draw(&Text::new("Customers moving between segments since the previous run".to_string(), (left / 2, 18), text(16, &dark, HPos::Left)))
            .map_err(draw_error)?;
        root.draw(&Text::new("Previous segment ↓ · segment now →".to_string(), (8, top - 16), text(13, &dark, HPos::Left)))
            .map_err(draw_error)?;
        // Column headers.
        for (c, t) in m.to.iter().enumerate() {
            let x = left + c as i32 * cell_w + cell_w / 2;
            root.draw(&Text::new(format!("Now {}", t.id), (x, top - 36), text(13, &dark, HPos::Center))).map_err(draw_error)?;
            root.draw(&Text::new(clip(&t.name, 14), (x, top - 16), text(10, &dark, HPos::Center))).map_err(draw_error)?;
        }
        root.draw(&Text::new("Left".to_string(), (left + (cols - 1) * cell_w + cell_w / 2, top - 26), text(13, &dark, HPos::Center)))
            .map_err(draw_error)?;
        let cell = |r: i32, c: i32, count: usize, share: Option<f64>| -> crate::error::Result<()> {
            let (x0, y0) = (left + c * cell_w, top + r * cell_h);
            let fill = shade(share.unwrap_or(0.0));
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w - 2, y0 + cell_h - 2)], fill.filled())).map_err(draw_error)?;
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w - 2, y0 + cell_h - 2)], RGBColor(200, 200, 200).stroke_width(1)))
                .map_err(draw_error)?;
            let ink = if share.unwrap_or(0.0).sqrt() > 0.6 { WHITE } else { dark };
            let label = match share {
                Some(s) => format!("{} ({})", super::format::count(count), super::format::percent(s)),
                None => super::format::count(count),
            };
            root.draw(&Text::new(label, (x0 + cell_w / 2 - 1, y0 + cell_h / 2 - 1), text(12, &ink, HPos::Center))).map_err(draw_error)?;
            Ok(())
        };
        for (r, f) in m.from.iter().enumerate() {
            let y = top + r as i32 * cell_h + cell_h / 2;
            root.draw(&Text::new(format!("{}: {}", f.id, clip(&f.name, 34)), (8, y), text(13, &dark, HPos::Left))).map_err(draw_error)?;
            for c in 0..m.to.len() {
                cell(r as i32, c as i32, m.counts[r][c], Some(m.shares[r][c]))?;
            }
            cell(r as i32, cols - 1, m.departed_customers[r], None)?;
        }
        let r = rows - 1;
        root.draw(&Text::new("New customers".to_string(), (8, top + r * cell_h + cell_h / 2), text(13, &dark, HPos::Left))).map_err(draw_error)?;
        for c in 0..m.to.len() {
            cell(r, c as i32, m.new_customers[c], None)?;
        }
        root.draw(&Text::new(
            "Shares are of each previous segment's customers who are still customers; darker = more.".to_string(),
            (8, top + rows * cell_h + 20),
            text(12, &dark, HPos::Left),
        ))
        .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{compute, SegmentRef};
    use std::collections::HashMap;

    #[test]
    fn the_heatmap_holds_every_cell_and_escapes_names() {
        let previous: HashMap<String, usize> = [("a", 1), ("b", 2)].iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let seg = |id: usize, name: &str| SegmentRef { id, name: name.into() };
        let m = compute("prev", &previous, vec![seg(1, "<script>x</script>"), seg(2, "A & B")], &[("a", 1), ("b", 1), ("c", 2)], vec![
            seg(1, "<script>x</script>"),
            seg(2, "A & B"),
        ]);
        let svg = migration_heatmap(&m).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<script>"), "unescaped name: {svg}");
        assert!(svg.contains("&lt;script&gt;") && svg.contains("A &amp; B"), "{svg}");
        assert!(svg.contains("1 (100%)") && svg.contains("0 (0%)"), "{svg}");
        assert!(svg.contains("New customers") && svg.contains("Left"));
    }
}

//! `report.html`: the report document ([`super::document`]) for the people who act on it. One
//! self-contained file: inline CSS and inline SVG charts, no script, nothing fetched from the network;
//! printable. Every string from an export or a profile is escaped.

use std::fmt::Write;

use super::charts;
use super::document::{Block, Cell, Document, Rich, Style, Table};

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

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;color:#212121;margin:0 auto;max-width:1100px;padding:24px;line-height:1.45}
h1{font-size:1.8em;margin-bottom:0.2em}h2{border-bottom:2px solid #0072b2;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:12px 0;width:100%}th,td{border:1px solid #ddd;padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.n{text-align:right;white-space:nowrap}th.n{text-align:right}thead th{background:#f3f6f9;font-size:0.92em;overflow-wrap:normal;hyphens:auto}:lang(zh) thead th{word-break:keep-all}
td:first-child{min-width:12em;overflow-wrap:normal}
.card{border:1px solid #ccc;border-left:8px solid var(--c);border-radius:4px;padding:12px 18px;margin:18px 0;break-inside:avoid}
.swatch{display:inline-block;width:12px;height:12px;background:var(--c);margin-right:6px;border:1px solid #555}
.chart{max-width:100%;overflow-x:auto}.chart svg{max-width:100%;height:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(470px,1fr));gap:14px;margin:12px 0}.cards .card{margin:0}
.card h3{margin:0.2em 0 0.4em}.card p{margin:0.45em 0}.card ul{margin:0.3em 0;padding-left:1.2em}
.traits{list-style:none;padding-left:0!important}.traits li{margin:7px 0}
.bars{display:block;margin-top:3px}.bar{display:block;height:7px;border-radius:3px;min-width:2px}.bar.s{background:var(--c)}.bar.a{background:#b8b8b8;margin-top:2px}
.appendix{margin-top:3em;border-top:4px double #999}
details{margin:10px 0;border:1px solid #ddd;border-radius:4px;padding:4px 12px}summary{cursor:pointer;font-weight:600;padding:4px 0}
.muted{color:#555;font-size:0.92em}code,pre{background:#f5f5f5;padding:2px 4px;white-space:pre-wrap;overflow-wrap:anywhere}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}.card{break-inside:avoid}}";

fn colour(position: usize) -> String {
    let (r, g, b) = charts::SEGMENT_COLOURS[position % charts::SEGMENT_COLOURS.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn inline(content: &Rich) -> String {
    let mut o = String::new();
    for span in content {
        let text = esc(&span.text);
        let _ = match span.style {
            Style::Plain => write!(o, "{text}"),
            Style::Strong => write!(o, "<strong>{text}</strong>"),
            Style::Em => write!(o, "<em>{text}</em>"),
            Style::Code => write!(o, "<code>{text}</code>"),
        };
    }
    o
}

const SWATCH: &str = "<span class=\"swatch\"></span>";

fn cell(o: &mut String, tag: &str, c: &Cell, swatch: bool) {
    let class = if c.numeric { " class=\"n\"" } else { "" };
    let _ = write!(o, "<{tag}{class}>{}{}</{tag}>", if swatch { SWATCH } else { "" }, inline(&c.content));
}

fn table(o: &mut String, t: &Table) {
    o.push_str("<table>\n<thead><tr>");
    for c in &t.head {
        cell(o, "th", c, false);
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        let mut style = String::new();
        if let Some(p) = row.swatch {
            let _ = write!(style, "--c:{};", colour(p));
        }
        if row.strong {
            style.push_str("font-weight:600;");
        }
        if style.is_empty() {
            o.push_str("<tr>");
        } else {
            let _ = write!(o, "<tr style=\"{style}\">");
        }
        for (i, c) in row.cells.iter().enumerate() {
            cell(o, "td", c, i == 0 && row.swatch.is_some());
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
}

fn blocks(o: &mut String, list: &[Block], charts: &[(String, String)]) {
    for b in list {
        match b {
            Block::Heading { level, id, text, swatch } => {
                let id = id.as_ref().map(|i| format!(" id=\"{}\"", esc(i))).unwrap_or_default();
                let _ = writeln!(o, "<h{level}{id}>{}{}</h{level}>", if swatch.is_some() { SWATCH } else { "" }, esc(text));
            }
            Block::Para { content, muted, swatch } => {
                let class = if *muted { " class=\"muted\"" } else { "" };
                match swatch {
                    Some(p) => {
                        let _ = writeln!(o, "<p{class} style=\"--c:{}\">{SWATCH}{}</p>", colour(*p), inline(content));
                    }
                    None => {
                        let _ = writeln!(o, "<p{class}>{}</p>", inline(content));
                    }
                }
            }
            Block::List(items) => {
                o.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(o, "<li>{}</li>", inline(item));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(t) => table(o, t),
            Block::Chart { file, alt } => {
                if let Some((_, svg)) = charts.iter().find(|(n, _)| n == file) {
                    let _ = writeln!(o, "<figure class=\"chart\" role=\"img\" aria-label=\"{}\">{}</figure>", esc(alt), svg.trim());
                }
            }
            Block::Pre(text) => {
                let _ = writeln!(o, "<pre>{}</pre>", esc(text));
            }
            Block::Grid(inner) => {
                o.push_str("<div class=\"cards\">\n");
                blocks(o, inner, charts);
                o.push_str("</div>\n");
            }
            Block::Traits { position, items } => {
                let _ = writeln!(o, "<ul class=\"traits\" style=\"--c:{}\">", colour(*position));
                for item in items {
                    let _ = writeln!(
                        o,
                        "<li>{}<span class=\"bars\" aria-hidden=\"true\"><span class=\"bar s\" style=\"width:{:.0}%\"></span><span class=\"bar a\" style=\"width:{:.0}%\"></span></span></li>",
                        inline(&item.text),
                        (item.segment * 100.0).clamp(0.0, 100.0),
                        (item.all * 100.0).clamp(0.0, 100.0)
                    );
                }
                o.push_str("</ul>\n");
            }
            Block::Appendix { id, title, blocks: inner } => {
                let _ = writeln!(o, "<section class=\"appendix\" id=\"{}\">\n<h2>{}</h2>", esc(id), esc(title));
                blocks(o, inner, charts);
                o.push_str("</section>\n");
            }
            Block::Details { summary, blocks: inner } => {
                let _ = writeln!(o, "<details>\n<summary>{}</summary>", esc(summary));
                blocks(o, inner, charts);
                o.push_str("</details>\n");
            }
            Block::Card { position, id, blocks: inner } => {
                let _ = writeln!(o, "<section class=\"card\" style=\"--c:{}\" id=\"{}\">", colour(*position), esc(id));
                blocks(o, inner, charts);
                o.push_str("</section>\n");
            }
        }
    }
}

/// Renders the report document as one HTML file, with `charts` (file name under `charts/`, SVG)
/// inlined where the document places them.
pub fn render(doc: &Document, charts: &[(String, String)]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\"/>", doc.lang.html_code());
    let _ = writeln!(o, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>");
    let _ = writeln!(o, "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>", esc(&doc.title));
    let _ = writeln!(o, "<h1>{}</h1>", esc(&doc.title));
    blocks(&mut o, &doc.blocks, charts);
    let _ = writeln!(o, "</body>\n</html>");
    o
}

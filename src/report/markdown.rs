//! `report.md`: the report document ([`super::document`]) as Markdown, for analysts and for diffing
//! runs. Charts are linked from `charts/`.

use std::fmt::Write;

use super::document::{Block, Cell, Document, Rich, Style, Table};

/// Text from exports or profiles, made inert in Markdown: punctuation that could start markup is
/// backslash-escaped (web addresses too, so that no autolink is made), angle brackets and ampersands
/// become entities, line breaks become spaces.
fn escape(s: &str) -> String {
    let out = escape_chars(s);
    // GitHub turns `http://…` and `www.…` into links by themselves.
    out.replace("://", "\\://").replace("www.", "www\\.").replace("WWW.", "WWW\\.")
}

fn escape_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        // An underscore inside a word (`heat_pump`) is never emphasis.
        let inside_word = ch == '_'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
        match ch {
            '_' if inside_word => out.push(ch),
            '\\' | '*' | '_' | '`' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// A code span that holds any text: fenced with more backticks than it contains. In a table cell a
/// pipe would end the cell even inside the span, so there it is escaped.
fn code(s: &str, in_table: bool) -> String {
    let mut s = s.replace(['\n', '\r'], " ");
    if in_table {
        s = s.replace('|', "\\|");
    }
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn inline(content: &Rich, in_table: bool) -> String {
    let mut o = String::new();
    for span in content {
        if span.text.is_empty() {
            continue;
        }
        match span.style {
            Style::Plain => o.push_str(&escape(&span.text)),
            Style::Strong => {
                let _ = write!(o, "**{}**", escape(&span.text));
            }
            Style::Em => {
                let _ = write!(o, "*{}*", escape(&span.text));
            }
            Style::Code => o.push_str(&code(&span.text, in_table)),
        }
    }
    o
}

fn cell(c: &Cell) -> String {
    inline(&c.content, true)
}

fn table(o: &mut String, t: &Table) {
    let head: Vec<String> = t.head.iter().map(cell).collect();
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let align: Vec<&str> = t.head.iter().map(|c| if c.numeric { "---:" } else { "---" }).collect();
    let _ = writeln!(o, "|{}|", align.join("|"));
    for row in &t.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| {
                let text = cell(c);
                if row.strong && !text.is_empty() {
                    format!("**{text}**")
                } else {
                    text
                }
            })
            .collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    o.push('\n');
}

fn blocks(o: &mut String, list: &[Block]) {
    for b in list {
        match b {
            Block::Heading { level, text, .. } => {
                let _ = writeln!(o, "{} {}\n", "#".repeat(*level as usize), escape(text));
            }
            Block::Para { content, .. } => {
                let _ = writeln!(o, "{}\n", inline(content, false));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(o, "- {}", inline(item, false));
                }
                o.push('\n');
            }
            Block::Table(t) => table(o, t),
            Block::Chart { file, alt } => {
                let _ = writeln!(o, "![{}](charts/{file})\n", escape(alt));
            }
            Block::Pre(text) => {
                let fence = if text.contains("```") { "~~~~" } else { "```" };
                let _ = writeln!(o, "{fence}\n{text}\n{fence}\n");
            }
            Block::Card { blocks: inner, .. } | Block::Grid(inner) => blocks(o, inner),
            Block::Traits { items, .. } => {
                for item in items {
                    let _ = writeln!(o, "- {}", inline(&item.text, false));
                }
                o.push('\n');
            }
            Block::Appendix { title, blocks: inner, .. } => {
                let _ = writeln!(o, "## {}\n", escape(title));
                blocks(o, inner);
            }
            Block::Details { summary, blocks: inner } => {
                let _ = writeln!(o, "#### {}\n", escape(summary));
                blocks(o, inner);
            }
        }
    }
}

/// Renders the report document as Markdown.
pub fn render(doc: &Document) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", escape(&doc.title));
    blocks(&mut o, &doc.blocks);
    while o.ends_with("\n\n") {
        o.pop();
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(escape("a|b *c* <script> [x](y)"), "a\\|b \\*c\\* &lt;script&gt; \\[x\\](y)");
        assert_eq!(escape("heat_pump _x_"), "heat_pump \\_x\\_");
        assert_eq!(escape("Key #1 ~~x~~ =HYPERLINK(\"http://evil.example\") www.x.cn"), "Key \\#1 \\~\\~x\\~\\~ =HYPERLINK(\"http\\://evil.example\") www\\.x.cn");
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x", false), "`` `x ``");
        assert_eq!((code("a|b", false), code("a|b", true)), ("`a|b`".to_string(), "`a\\|b`".to_string()));
    }
}

//! Numbers formatted for reading: thousands separators, percentages, money and units.

use crate::features::ValueFormat;

/// `1234567` → `1,234,567`.
pub fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A number with `decimals` decimals and thousands separators: `12345.678` → `12,345.68`.
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let int: usize = int.parse().unwrap_or(0);
    let mut out = String::new();
    if x < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
        out.push('-');
    }
    out.push_str(&count(int));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

/// Decimals that keep about three significant digits for everyday magnitudes.
fn auto_decimals(x: f64) -> usize {
    let a = x.abs();
    if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    }
}

/// A share in 0..1 → `12.3%`.
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return "–".into();
    }
    let p = share * 100.0;
    if p != 0.0 && p.abs() < 1.0 {
        format!("{:.1}%", p)
    } else {
        format!("{:.0}%", p)
    }
}

/// A file size: `812.0 MB`, `4.2 kB`, `17 B` (decimal units).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut x = n as f64 / 1000.0;
    let mut unit = 0;
    while x >= 1000.0 && unit < UNITS.len() - 1 {
        x /= 1000.0;
        unit += 1;
    }
    format!("{x:.1} {}", UNITS[unit])
}

/// A feature value in the way its profile entry asks for.
pub fn value(x: f64, format: ValueFormat, currency: &str, unit: &str) -> String {
    match format {
        ValueFormat::Percent => percent(x),
        ValueFormat::Money => format!("{currency}{}", number(x, if x.abs() >= 100.0 { 0 } else { 2 })),
        ValueFormat::Consumption => format!("{} {unit}", number(x, auto_decimals(x))),
        ValueFormat::Number => number(x, auto_decimals(x)),
    }
}

/// Whether `c` is invisible formatting that can make text read otherwise than it is: the bidirectional
/// controls (embeddings, overrides, isolates, marks).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text from exports or profiles made visible for a terminal, Markdown, HTML or SVG: control
/// characters (but line breaks and tabs) and bidirectional controls are written as `\u{…}`, so that no
/// value can move the cursor, recolour a terminal or reorder the text around it.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c);
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn numbers_round_and_separate() {
        assert_eq!(number(12345.678, 2), "12,345.68");
        assert_eq!(number(-1234.4, 0), "-1,234");
        assert_eq!(number(-0.001, 2), "0.00");
        assert_eq!(percent(0.1234), "12%");
        assert_eq!(percent(0.004), "0.4%");
        assert_eq!(value(1500.0, ValueFormat::Money, "$", "kWh"), "$1,500");
        assert_eq!(value(412.3, ValueFormat::Consumption, "$", "kWh"), "412 kWh");
        assert_eq!((bytes(17), bytes(4_200), bytes(812_047_341), bytes(2_500_000_000_000_000)), ("17 B".into(), "4.2 kB".into(), "812.0 MB".into(), "2500.0 TB".into()));
    }
}

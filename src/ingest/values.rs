//! Text values parsed by the formats an export declares, the same way for every row and every file:
//! nothing is inferred from other rows, and nothing is guessed.
//!
//! - **Numbers**: optional sign, digits with an optional fraction and exponent (`-1234.5`, `1e3`), after
//!   removing the declared thousands separator and reading the declared decimal separator (defaults:
//!   none and `.`). Surrounding spaces are ignored. `NaN`, `inf` and values beyond the range of a
//!   double (`1e309`) are rejected as not finite.
//! - **Dates**: `%Y-%m-%d` exactly (`2026-03-05`, not `2026-3-5` or `2026/03/05`) unless the profile
//!   declares `date_formats` (chrono codes), tried all: a value that two formats read as different
//!   dates is rejected as ambiguous, naming both. Years 1000 to 9999.
//! - **Date-times**: `YYYY-MM-DD HH:MM[:SS]` (or `T` instead of the space) or a bare date, unless the
//!   profile declares `datetime_formats` (a format without a time reads the date at midnight).
//! - An empty value (after trimming, for numbers and dates) is missing.
//!
//! Hand-written because these run on every field of every row: the default formats and declared
//! formats made only of `%Y %m %d %H %M %S` and literal characters parse several times faster than
//! chrono's general `parse_from_str`, which is used for every other declared format and for values
//! the fast shape does not fit (a test checks the two agree).

use chrono::{NaiveDate, NaiveDateTime};

/// What a text value is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parsed<T> {
    /// Empty: the value is missing.
    Missing,
    Value(T),
    /// Does not parse; the reason (`not a number`, …).
    Bad(&'static str),
}

pub const NOT_A_NUMBER: &str = "not a number";
pub const NOT_FINITE: &str = "not a finite number";
pub const NOT_A_DATE: &str = "not a date";
pub const NOT_A_DATETIME: &str = "not a date-time";
pub const AMBIGUOUS_DATE: &str = "ambiguous date (two declared formats read it differently)";
pub const OUT_OF_RANGE: &str = "date out of range (years 1000 to 9999)";

const MS_PER_DAY: i64 = 86_400_000;

/// Days from 1970-01-01 to a civil date, or None for an impossible date: from a table of month starts
/// for the years of [`MONTH_STARTS`] (every billing date is one of those), else by the formula.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if (TABLE_FIRST_YEAR..TABLE_FIRST_YEAR + TABLE_YEARS).contains(&y) && (1..=12).contains(&m) {
        let i = ((y - TABLE_FIRST_YEAR) * 12 + m - 1) as usize;
        let (start, next) = (MONTH_STARTS[i], MONTH_STARTS[i + 1]);
        return (d >= 1 && d <= (next - start) as i64).then(|| start as i64 + d - 1);
    }
    civil_formula(y, m, d)
}

const TABLE_FIRST_YEAR: i64 = 1900;
const TABLE_YEARS: i64 = 256;

/// Days from 1970-01-01 to the first of each month of the years 1900 to 2155, and to 2156-01-01 (a
/// month's length is the difference of neighbours). Computed at compile time by the formula.
static MONTH_STARTS: [i32; TABLE_YEARS as usize * 12 + 1] = {
    let mut t = [0i32; TABLE_YEARS as usize * 12 + 1];
    let mut i = 0;
    while i < t.len() {
        let (y, m) = (TABLE_FIRST_YEAR + (i / 12) as i64, (i % 12) as i64 + 1);
        t[i] = civil_days(y, m, 1) as i32;
        i += 1;
    }
    t
};

/// Howard Hinnant's days_from_civil, for a date known to exist.
const fn civil_days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days from 1970-01-01 to a civil date by Howard Hinnant's algorithm, or None for an impossible date.
fn civil_formula(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    Some(civil_days(y, m, d))
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as i64))
}

/// Milliseconds since 1970-01-01 of `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (a `T`
/// may stand for the space).
pub fn parse_default_datetime_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let days = days_from_civil(digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let secs = match b.len() {
        10 => 0,
        16 | 19 if (b[10] == b' ' || b[10] == b'T') && b[13] == b':' => {
            let (h, m) = (digits(&b[11..13])?, digits(&b[14..16])?);
            let sec = if b.len() == 19 {
                if b[16] != b':' {
                    return None;
                }
                digits(&b[17..19])?
            } else {
                0
            };
            if h > 23 || m > 59 || sec > 59 {
                return None;
            }
            h * 3600 + m * 60 + sec
        }
        _ => return None,
    };
    Some(days * MS_PER_DAY + secs * 1000)
}

/// A piece of a compiled date format.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Literal(u8),
}

/// A declared chrono format: its text, and its pieces when it is made only of `%Y %m %d %H %M %S` and
/// ASCII literals (the fast shape).
#[derive(Debug, Clone)]
pub struct DateFormat {
    pub text: String,
    fast: Option<Vec<Piece>>,
}

impl DateFormat {
    pub fn new(text: &str) -> DateFormat {
        let mut pieces = Vec::new();
        let mut bytes = text.bytes();
        let mut ok = true;
        while let Some(b) = bytes.next() {
            if b == b'%' {
                match bytes.next() {
                    Some(b'Y') => pieces.push(Piece::Year),
                    Some(b'm') => pieces.push(Piece::Month),
                    Some(b'd') => pieces.push(Piece::Day),
                    Some(b'H') => pieces.push(Piece::Hour),
                    Some(b'M') => pieces.push(Piece::Minute),
                    Some(b'S') => pieces.push(Piece::Second),
                    _ => ok = false,
                }
            } else if b.is_ascii() && !b.is_ascii_digit() {
                // A literal: matched exactly (chrono also reads other spacing for a space: such values
                // do not fit the fast shape and go to chrono).
                pieces.push(Piece::Literal(b));
            } else {
                ok = false;
            }
        }
        let has_date = [Piece::Year, Piece::Month, Piece::Day].iter().all(|p| pieces.contains(p));
        DateFormat { text: text.to_string(), fast: (ok && has_date).then_some(pieces) }
    }

    /// The value as milliseconds since 1970-01-01 by the fast shape: `None` when the value does not
    /// fit it exactly (then chrono decides), `Some(None)` when it fits but is no valid date-time.
    fn fast(&self, s: &[u8]) -> Option<Option<i64>> {
        let pieces = self.fast.as_ref()?;
        let (mut y, mut mo, mut d, mut h, mut mi, mut se) = (0, 0, 0, 0, 0, 0);
        let mut at = 0;
        for p in pieces {
            let width = match p {
                Piece::Year => 4,
                Piece::Literal(_) => 1,
                _ => 2,
            };
            let field = s.get(at..at + width)?;
            match p {
                Piece::Literal(c) => {
                    if field[0] != *c {
                        return None;
                    }
                }
                _ => {
                    let v = digits(field)?;
                    match p {
                        Piece::Year => y = v,
                        Piece::Month => mo = v,
                        Piece::Day => d = v,
                        Piece::Hour => h = v,
                        Piece::Minute => mi = v,
                        _ => se = v,
                    }
                }
            }
            at += width;
        }
        if at != s.len() {
            return None;
        }
        if se == 60 {
            // A leap second: chrono's rules.
            return None;
        }
        let Some(days) = days_from_civil(y, mo, d) else { return Some(None) };
        if h > 23 || mi > 59 || se > 59 {
            return Some(None);
        }
        Some(Some(days * MS_PER_DAY + (h * 3600 + mi * 60 + se) * 1000))
    }

    /// The value as milliseconds since 1970-01-01, or None.
    fn parse_ms(&self, s: &str) -> Option<i64> {
        if let Some(v) = self.fast(s.as_bytes()) {
            return v;
        }
        NaiveDateTime::parse_from_str(s, &self.text)
            .ok()
            .or_else(|| NaiveDate::parse_from_str(s, &self.text).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
            .map(|dt| dt.and_utc().timestamp_millis())
    }
}

/// How one export's values are written (`[exports.<export>]` in the profile).
#[derive(Debug, Clone)]
pub struct ValueFormats {
    decimal: u8,
    thousands: Option<u8>,
    dates: Vec<DateFormat>,
    datetimes: Vec<DateFormat>,
}

const YEAR_MIN_MS: i64 = -30_610_224_000_000; // 1000-01-01
const YEAR_MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31 23:59:59.999

impl ValueFormats {
    pub fn new(settings: &super::ExportSettings) -> ValueFormats {
        ValueFormats {
            decimal: settings.decimal.as_deref().and_then(|d| d.bytes().next()).unwrap_or(b'.'),
            thousands: settings.thousands.as_deref().and_then(|t| t.bytes().next()),
            dates: settings.date_formats.iter().map(|f| DateFormat::new(f)).collect(),
            datetimes: settings.datetime_formats.iter().map(|f| DateFormat::new(f)).collect(),
        }
    }

    /// The declared date formats, for messages (`%Y-%m-%d` by default).
    pub fn date_formats(&self) -> String {
        if self.dates.is_empty() {
            "%Y-%m-%d".into()
        } else {
            self.dates.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join(", ")
        }
    }

    pub fn number(&self, text: &str) -> Parsed<f64> {
        let t = text.as_bytes().trim_ascii();
        if t.is_empty() {
            return Parsed::Missing;
        }
        // Most values need no cleaning: parsed as they are.
        let mut buf = [0u8; 64];
        let clean: &[u8] = if self.decimal == b'.' && self.thousands.is_none_or(|s| !t.contains(&s)) {
            t
        } else {
            let mut n = 0;
            for &b in t {
                if Some(b) == self.thousands {
                    continue;
                }
                if n == buf.len() {
                    return Parsed::Bad(NOT_A_NUMBER);
                }
                buf[n] = if b == self.decimal { b'.' } else { b };
                n += 1;
            }
            &buf[..n]
        };
        if let Some(v) = simple_decimal(clean) {
            return Parsed::Value(v);
        }
        if !number_shape(clean) {
            return Parsed::Bad(if is_non_finite_word(clean) { NOT_FINITE } else { NOT_A_NUMBER });
        }
        // The shape is ASCII.
        match std::str::from_utf8(clean).ok().and_then(|s| s.parse::<f64>().ok()) {
            Some(v) if v.is_finite() => Parsed::Value(v),
            Some(_) => Parsed::Bad(NOT_FINITE),
            None => Parsed::Bad(NOT_A_NUMBER),
        }
    }

    /// A date, as days since 1970-01-01.
    pub fn date(&self, text: &str) -> Parsed<i32> {
        let t = text.trim_ascii();
        if t.is_empty() {
            return Parsed::Missing;
        }
        let ms = if self.dates.is_empty() {
            if t.len() != 10 {
                return Parsed::Bad(NOT_A_DATE);
            }
            parse_default_datetime_ms(t)
        } else {
            match one_of(&self.dates, t) {
                Ok(v) => v,
                Err(bad) => return Parsed::Bad(bad),
            }
        };
        match ms {
            Some(ms) if !(YEAR_MIN_MS..=YEAR_MAX_MS).contains(&ms) => Parsed::Bad(OUT_OF_RANGE),
            Some(ms) => Parsed::Value(ms.div_euclid(MS_PER_DAY) as i32),
            None => Parsed::Bad(NOT_A_DATE),
        }
    }

    /// A date-time, as milliseconds since 1970-01-01.
    pub fn datetime(&self, text: &str) -> Parsed<i64> {
        let t = text.trim_ascii();
        if t.is_empty() {
            return Parsed::Missing;
        }
        let ms = if self.datetimes.is_empty() {
            parse_default_datetime_ms(t)
        } else {
            match one_of(&self.datetimes, t) {
                Ok(v) => v,
                Err(bad) => return Parsed::Bad(bad),
            }
        };
        match ms {
            Some(ms) if !(YEAR_MIN_MS..=YEAR_MAX_MS).contains(&ms) => Parsed::Bad(OUT_OF_RANGE),
            Some(ms) => Parsed::Value(ms),
            None => Parsed::Bad(NOT_A_DATETIME),
        }
    }
}

/// The value every format that reads `t` agrees on (None when none reads it), or the ambiguity.
fn one_of(formats: &[DateFormat], t: &str) -> Result<Option<i64>, &'static str> {
    let mut found: Option<i64> = None;
    for f in formats {
        if let Some(v) = f.parse_ms(t) {
            match found {
                Some(prev) if prev != v => return Err(AMBIGUOUS_DATE),
                _ => found = Some(v),
            }
        }
    }
    Ok(found)
}

/// `[-]digits[.digits]` with at most 15 digits in all: its value exactly as `str::parse` gives it
/// (the digits are an exact integer below 2^53 and the power of ten is exact, so one IEEE division
/// rounds correctly). None for anything else, which the general parser then reads.
fn simple_decimal(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut frac: Option<usize> = None;
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + (c - b'0') as u64;
                count += 1;
            }
            b'.' if frac.is_none() && i > 0 && i + 1 < digits.len() => frac = Some(digits.len() - i - 1),
            _ => return None,
        }
    }
    if count > 15 {
        return None;
    }
    let v = mantissa as f64 / POW10[frac.unwrap_or(0)];
    Some(if neg { -v } else { v })
}

/// `[+-]digits[.digits][(e|E)[+-]digits]`, at least one mantissa digit.
fn number_shape(b: &[u8]) -> bool {
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa = i - start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        mantissa += i - f;
    }
    if mantissa == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

fn is_non_finite_word(b: &[u8]) -> bool {
    let s = b.strip_prefix(b"+").or_else(|| b.strip_prefix(b"-")).unwrap_or(b);
    ["nan", "inf", "infinity"].iter().any(|w| s.eq_ignore_ascii_case(w.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ExportSettings;

    fn formats(edit: impl FnOnce(&mut ExportSettings)) -> ValueFormats {
        let mut s = ExportSettings::default();
        edit(&mut s);
        ValueFormats::new(&s)
    }

    #[test]
    fn days_from_the_table_agree_with_chrono_inside_and_outside_its_years() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        // Across both ends of the table (1900, 2156), and far outside it.
        for y in (1890..2170).chain([1000, 1600, 2400, 9999]) {
            for m in 0..=13 {
                for d in 0..=32 {
                    let want = NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).map(|date| (date - epoch).num_days());
                    assert_eq!(days_from_civil(y, m, d), want, "{y}-{m}-{d}");
                }
            }
        }
    }

    #[test]
    fn numbers_parse_by_the_declared_separators_and_only_finite_ones() {
        let plain = formats(|_| {});
        assert_eq!(plain.number(" 12.5 "), Parsed::Value(12.5));
        assert_eq!(plain.number("-3e2"), Parsed::Value(-300.0));
        assert_eq!(plain.number(".5"), Parsed::Value(0.5));
        assert_eq!(plain.number(""), Parsed::Missing);
        assert_eq!(plain.number("   "), Parsed::Missing);
        for bad in ["abc", "1,234.5", "12x", "1e", "--1", "0x10", "1.2.3", "."] {
            assert_eq!(plain.number(bad), Parsed::Bad(NOT_A_NUMBER), "{bad}");
        }
        for bad in ["NaN", "inf", "-Infinity", "1e309", "-1e400"] {
            assert_eq!(plain.number(bad), Parsed::Bad(NOT_FINITE), "{bad}");
        }
        let eu = formats(|s| {
            s.decimal = Some(",".into());
            s.thousands = Some(".".into());
        });
        assert_eq!(eu.number("1.234,50"), Parsed::Value(1234.5));
        let us = formats(|s| s.thousands = Some(",".into()));
        assert_eq!(us.number("1,234.50"), Parsed::Value(1234.5));
        // The fast decimal path agrees with the general parser.
        for t in ["0", "-0.5", "41.92", "123456789012345", "0.00000000000001", "99999.99", "1.0", "-7"] {
            assert_eq!(plain.number(t), Parsed::Value(t.parse::<f64>().unwrap()), "{t}");
            assert_eq!(simple_decimal(t.as_bytes()).map(f64::to_bits), Some(t.parse::<f64>().unwrap().to_bits()), "{t}");
        }
        for t in ["1.", ".5", "1e3", "1234567890123456", "1.2.3", "-", "+1"] {
            assert_eq!(simple_decimal(t.as_bytes()), None, "{t}");
        }
        let mut r: u64 = 99;
        for _ in 0..20_000 {
            r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let int = (r >> 20) % 10_000_000;
            let scale = (r >> 8) % 8;
            let text = if scale == 0 { int.to_string() } else { format!("{}.{:0width$}", int / 10u64.pow(scale as u32), int % 10u64.pow(scale as u32), width = scale as usize) };
            assert_eq!(simple_decimal(text.as_bytes()).map(f64::to_bits), Some(text.parse::<f64>().unwrap().to_bits()), "{text}");
        }
        let spaced = formats(|s| {
            s.decimal = Some(",".into());
            s.thousands = Some(" ".into());
        });
        assert_eq!(spaced.number(" 12 345,5 "), Parsed::Value(12345.5));
        assert_eq!(plain.number("二十五"), Parsed::Bad(NOT_A_NUMBER));
    }

    #[test]
    fn dates_parse_by_the_declared_formats_only() {
        let iso = formats(|_| {});
        assert_eq!(iso.date("1970-01-02"), Parsed::Value(1));
        for bad in ["2026-3-5", "2026/01/05", "05/01/2026", "2026-02-30", "20260105", "2026-01-05 10:00"] {
            assert_eq!(iso.date(bad), Parsed::Bad(NOT_A_DATE), "{bad}");
        }
        assert_eq!(iso.date("0999-12-31"), Parsed::Bad(OUT_OF_RANGE));
        let slash = formats(|s| s.date_formats = vec!["%Y/%m/%d".into(), "%Y%m%d".into()]);
        assert_eq!(slash.date("1970/01/02"), Parsed::Value(1));
        assert_eq!(slash.date("19700103"), Parsed::Value(2));
        assert_eq!(slash.date("1970-01-02"), Parsed::Bad(NOT_A_DATE));
        // chrono reads a single-digit month where the fast shape needs two.
        assert_eq!(slash.date("1970/1/2"), Parsed::Value(1));
        // US and European day-first formats together: a day above 12 decides, one at or below 12
        // is ambiguous unless both read the same date.
        let both = formats(|s| s.date_formats = vec!["%m/%d/%Y".into(), "%d/%m/%Y".into()]);
        assert_eq!(both.date("03/04/2026"), Parsed::Bad(AMBIGUOUS_DATE));
        assert_eq!(both.date("05/05/2026"), Parsed::Value(days_from_civil(2026, 5, 5).unwrap() as i32));
        assert_eq!(both.date("12/31/2026"), Parsed::Value(days_from_civil(2026, 12, 31).unwrap() as i32));
    }

    #[test]
    fn datetimes_parse_by_the_default_or_declared_formats() {
        let iso = formats(|_| {});
        assert_eq!(iso.datetime("1970-01-01 00:01:00"), Parsed::Value(60_000));
        assert_eq!(iso.datetime("1970-01-01T00:01"), Parsed::Value(60_000));
        assert_eq!(iso.datetime("1970-01-02"), Parsed::Value(MS_PER_DAY));
        for bad in ["2026-02-29 10:00:00", "2026-10-05 24:00", "2026/10/05 10:00", "2026-10-05 10:00:00Z", "2026-1-5"] {
            assert_eq!(iso.datetime(bad), Parsed::Bad(NOT_A_DATETIME), "{bad}");
        }
        let dt = formats(|s| s.datetime_formats = vec!["%Y/%m/%d %H:%M".into()]);
        assert_eq!(dt.datetime("1970/01/01 00:01"), Parsed::Value(60_000));
        assert_eq!(dt.datetime("1970/01/02"), Parsed::Bad(NOT_A_DATETIME));
    }

    #[test]
    fn the_fast_shape_agrees_with_chrono() {
        let fmts = ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M"];
        let mut r: u64 = 12345;
        let mut next = |m: u64| {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            r % m
        };
        for f in fmts {
            let df = DateFormat::new(f);
            assert!(df.fast.is_some(), "{f} has the fast shape");
            for _ in 0..3000 {
                // Mostly valid, some impossible days, months and hours.
                let (y, m, d, h, mi, s) = (1900 + next(300), 1 + next(13), 1 + next(31), next(25), next(61), next(61));
                let text = f
                    .replace("%Y", &format!("{y:04}"))
                    .replace("%m", &format!("{m:02}"))
                    .replace("%d", &format!("{d:02}"))
                    .replace("%H", &format!("{h:02}"))
                    .replace("%M", &format!("{mi:02}"))
                    .replace("%S", &format!("{s:02}"));
                let chrono = NaiveDateTime::parse_from_str(&text, f)
                    .ok()
                    .or_else(|| NaiveDate::parse_from_str(&text, f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
                    .map(|dt| dt.and_utc().timestamp_millis());
                match df.fast(text.as_bytes()) {
                    Some(fast) => assert_eq!(fast, chrono, "{f}: {text}"),
                    None => assert_eq!(s, 60, "{f}: {text} left to chrono"),
                }
            }
        }
        // Month names are chrono's.
        assert!(DateFormat::new("%d %b %Y").fast.is_none());
    }
}

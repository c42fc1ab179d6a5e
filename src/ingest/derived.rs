//! The values of the derived columns ([`super::derived_columns`] names them and what they need), row
//! by row from a batch's typed columns:
//!
//! | export | column | value |
//! |---|---|---|
//! | billing, outages, tickets | `month` | month (1–12) of the bill date, outage start or ticket opening |
//! | billing | `days_late` | days from `due_date` to `paid_date` (to the window's end while unpaid), at least 0 |
//! | billing | `late` | `days_late` > 0 |
//! | billing | `arrears_60` | the amount still owed (`amount_due` − `amount_paid`, at least 0) of an unpaid bill due more than 60 days before the window's end; else 0 |
//! | billing | `unpaid` | no `paid_date` |
//! | outages | `minutes` | `outage_end` − `outage_start`, whole seconds, in minutes |
//! | outages | `long`, `momentary` | `minutes` ≥ 240; `minutes` < 5 |
//! | tickets | `hours_to_close` | `closed_at` − `opened_at`, whole seconds, in hours |

use super::batch::{Batch, Layout};
use super::Source;

/// A value of a row: of a contract column, a derived column or an attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Null,
    Number(f64),
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Day(i32),
}

/// A derived column, resolved against a file's layout (the specs it reads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Derived {
    Month(usize),
    DaysLate { due: usize, paid: usize },
    Late { due: usize, paid: usize },
    Arrears60 { due: usize, paid: usize, amount_due: usize, amount_paid: Option<usize> },
    Unpaid(usize),
    Minutes { start: usize, end: usize },
    Long { start: usize, end: usize },
    Momentary { start: usize, end: usize },
    HoursToClose { open: usize, close: usize },
}

const MS_PER_DAY: i64 = 86_400_000;

impl Derived {
    /// The derived column `name` of a file with this layout, when it has what the column needs.
    pub fn resolve(layout: &Layout, name: &str) -> Option<Derived> {
        let s = |c: &str| layout.spec(c);
        Some(match (layout.source, name) {
            (Source::Billing, "month") => Derived::Month(s("bill_date")?),
            (Source::Outages, "month") => Derived::Month(s("outage_start")?),
            (Source::Tickets, "month") => Derived::Month(s("opened_at")?),
            (Source::Billing, "days_late") => Derived::DaysLate { due: s("due_date")?, paid: s("paid_date")? },
            (Source::Billing, "late") => Derived::Late { due: s("due_date")?, paid: s("paid_date")? },
            (Source::Billing, "arrears_60") => Derived::Arrears60 {
                due: s("due_date")?,
                paid: s("paid_date")?,
                amount_due: s("amount_due")?,
                amount_paid: s("amount_paid"),
            },
            (Source::Billing, "unpaid") => Derived::Unpaid(s("paid_date")?),
            (Source::Outages, "minutes") => Derived::Minutes { start: s("outage_start")?, end: s("outage_end")? },
            (Source::Outages, "long") => Derived::Long { start: s("outage_start")?, end: s("outage_end")? },
            (Source::Outages, "momentary") => Derived::Momentary { start: s("outage_start")?, end: s("outage_end")? },
            (Source::Tickets, "hours_to_close") => Derived::HoursToClose { open: s("opened_at")?, close: s("closed_at")? },
            _ => return None,
        })
    }

    /// Row `i`'s value; `as_of` is the window's end (days since 1970-01-01).
    pub fn value<'a>(&self, batch: &'a Batch, i: usize, as_of: i32) -> Val<'a> {
        let day = |si: usize| batch.column(si).and_then(|c| c.day(i));
        let ms = |si: usize| batch.column(si).and_then(|c| c.ms(i));
        let num = |si: usize| batch.column(si).and_then(|c| c.number(i));
        let days_late = |due: usize, paid: usize| -> Option<f64> {
            let due = day(due)?;
            let settled = day(paid).unwrap_or(as_of);
            Some(((settled - due) as f64).max(0.0))
        };
        // Whole seconds, as polars' `total_seconds` counts a duration.
        let seconds = |a: usize, b: usize| -> Option<f64> { Some(((ms(b)? - ms(a)?) / 1000) as f64) };
        let opt = |v: Option<f64>| v.map_or(Val::Null, Val::Number);
        match *self {
            Derived::Month(si) => match ms(si) {
                Some(m) => Val::Int(month_of_day(m.div_euclid(MS_PER_DAY) as i32) as i64),
                None => Val::Null,
            },
            Derived::DaysLate { due, paid } => opt(days_late(due, paid)),
            Derived::Late { due, paid } => days_late(due, paid).map_or(Val::Null, |d| Val::Bool(d > 0.0)),
            Derived::Arrears60 { due, paid, amount_due, amount_paid } => {
                let unpaid_and_overdue = day(paid).is_none() && day(due).is_some_and(|d| as_of - d > 60);
                if !unpaid_and_overdue {
                    return Val::Number(0.0);
                }
                let owed = match amount_paid {
                    Some(p) => num(amount_due).map(|d| d - num(p).unwrap_or(0.0)),
                    None => num(amount_due),
                };
                opt(owed.map(|o| o.max(0.0)))
            }
            Derived::Unpaid(paid) => Val::Bool(day(paid).is_none()),
            Derived::Minutes { start, end } => opt(seconds(start, end).map(|s| s / 60.0)),
            Derived::Long { start, end } => seconds(start, end).map_or(Val::Null, |s| Val::Bool(s / 60.0 >= 240.0)),
            Derived::Momentary { start, end } => seconds(start, end).map_or(Val::Null, |s| Val::Bool(s / 60.0 < 5.0)),
            Derived::HoursToClose { open, close } => opt(seconds(open, close).map(|s| s / 3600.0)),
        }
    }
}

/// The month (1–12) of a day since 1970-01-01.
pub fn month_of_day(day: i32) -> u32 {
    // Howard Hinnant's civil_from_days.
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    (if mp < 10 { mp + 3 } else { mp - 9 }) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn months_agree_with_chrono() {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for day in (-400_000..400_000).step_by(37) {
            let d = epoch + chrono::Duration::days(day as i64);
            assert_eq!(month_of_day(day), d.month(), "{d}");
        }
    }

    #[test]
    fn every_derived_column_of_the_table_resolves_on_a_full_layout() {
        for source in Source::ALL {
            let names: Vec<String> = crate::ingest::contract(source).iter().map(|c| c.name.to_string()).collect();
            let layout = Layout::new(source, std::path::Path::new("x"), names).unwrap();
            for d in crate::ingest::derived_columns(source) {
                assert!(Derived::resolve(&layout, d.name).is_some(), "{source}.{}", d.name);
                // Without one of the columns it needs (other than required ones), it does not.
                for need in d.needs {
                    if crate::ingest::contract(source).iter().any(|c| c.name == *need && c.required) {
                        continue;
                    }
                    let fewer: Vec<String> = crate::ingest::contract(source).iter().map(|c| c.name.to_string()).filter(|n| n != need).collect();
                    let layout = Layout::new(source, std::path::Path::new("x"), fewer).unwrap();
                    assert!(Derived::resolve(&layout, d.name).is_none(), "{source}.{} without {need}", d.name);
                }
            }
        }
    }
}

//! The canonical export contract: the four exports, the columns each has, their kind, which are
//! required, and the columns ingest derives from them. The one place that knows export columns:
//! profile validation and the features stage read them from here.

use serde::{Deserialize, Serialize};

/// One of the four exports a run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Billing,
    Outages,
    Tickets,
    Customers,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Billing, Source::Outages, Source::Tickets, Source::Customers];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Billing => "billing",
            Source::Outages => "outages",
            Source::Tickets => "tickets",
            Source::Customers => "customers",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a column's values are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A customer identifier: text, never empty.
    Id,
    Text,
    /// A decimal number (`1234.5`).
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DDTHH:MM[:SS]` or a bare date (midnight).
    DateTime,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Id | Kind::Text => "text",
            Kind::Number => "a number such as 1234.5",
            Kind::Date => "a date such as 2026-10-05",
            Kind::DateTime => "a date-time such as 2026-10-05 14:30:00",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec { name, kind, required: true }
}
const fn opt(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec { name, kind, required: false }
}

const BILLING: &[ColumnSpec] = &[
    req("customer_id", Kind::Id),
    req("bill_date", Kind::Date),
    req("consumption", Kind::Number),
    req("amount_due", Kind::Number),
    opt("due_date", Kind::Date),
    opt("paid_date", Kind::Date),
    opt("amount_paid", Kind::Number),
    opt("payment_method", Kind::Text),
];

const OUTAGES: &[ColumnSpec] = &[
    req("customer_id", Kind::Id),
    req("outage_start", Kind::DateTime),
    req("outage_end", Kind::DateTime),
    opt("cause", Kind::Text),
    // Event-level exports of outage-management systems name the feeder instead of the customer; they
    // are joined to customers through the customers export's feeder_id.
    opt("feeder_id", Kind::Text),
];

const TICKETS: &[ColumnSpec] = &[
    req("customer_id", Kind::Id),
    req("opened_at", Kind::DateTime),
    req("category", Kind::Text),
    opt("ticket_id", Kind::Text),
    opt("closed_at", Kind::DateTime),
    opt("channel", Kind::Text),
];

const CUSTOMERS: &[ColumnSpec] =
    &[req("customer_id", Kind::Id), opt("service_start", Kind::Date), opt("feeder_id", Kind::Text)];

/// The contract of one export. Columns beyond it are ignored, except in the customers export, where
/// they are kept as customer attributes.
pub fn contract(source: Source) -> &'static [ColumnSpec] {
    match source {
        Source::Billing => BILLING,
        Source::Outages => OUTAGES,
        Source::Tickets => TICKETS,
        Source::Customers => CUSTOMERS,
    }
}

/// A per-row column that ingest derives from contract columns (documented in profiles/README.md).
#[derive(Debug, Clone, Copy)]
pub struct DerivedColumn {
    pub name: &'static str,
    /// The contract columns it needs; without them the column does not exist.
    pub needs: &'static [&'static str],
}

const fn derived(name: &'static str, needs: &'static [&'static str]) -> DerivedColumn {
    DerivedColumn { name, needs }
}

const BILLING_DERIVED: &[DerivedColumn] = &[
    derived("month", &["bill_date"]),
    derived("days_late", &["due_date", "paid_date"]),
    derived("late", &["due_date", "paid_date"]),
    derived("arrears_60", &["due_date", "paid_date", "amount_due"]),
    derived("unpaid", &["paid_date"]),
];

const OUTAGES_DERIVED: &[DerivedColumn] = &[
    derived("month", &["outage_start"]),
    derived("minutes", &["outage_start", "outage_end"]),
    derived("long", &["outage_start", "outage_end"]),
    derived("momentary", &["outage_start", "outage_end"]),
];

const TICKETS_DERIVED: &[DerivedColumn] = &[derived("month", &["opened_at"]), derived("hours_to_close", &["opened_at", "closed_at"])];

/// The derived columns of an export.
pub fn derived_columns(source: Source) -> &'static [DerivedColumn] {
    match source {
        Source::Billing => BILLING_DERIVED,
        Source::Outages => OUTAGES_DERIVED,
        Source::Tickets => TICKETS_DERIVED,
        Source::Customers => &[],
    }
}

/// The columns a feature may aggregate or filter on: the contract's non-key columns and the derived
/// ones (the customers export offers every column it has, so it has no fixed list).
pub fn feature_columns(source: Source) -> Vec<&'static str> {
    if source == Source::Customers {
        return Vec::new();
    }
    // Keys (customer, feeder, ticket ids) and the raw dates are not aggregated; the dates reach
    // features through the derived columns.
    let contract_columns = contract(source).iter().filter(|c| !c.name.ends_with("_id") && !is_date(c.kind));
    let mut out: Vec<&'static str> = contract_columns.map(|c| c.name).collect();
    out.extend(derived_columns(source).iter().map(|d| d.name));
    out
}

fn is_date(kind: Kind) -> bool {
    matches!(kind, Kind::Date | Kind::DateTime)
}

/// The contract columns a derived column is made from, when `column` is one.
pub fn derived_from(source: Source, column: &str) -> Option<&'static [&'static str]> {
    derived_columns(source).iter().find(|d| d.name == column).map(|d| d.needs)
}

/// The column that dates each row of an export, if any.
pub fn date_column(source: Source) -> Option<&'static str> {
    match source {
        Source::Billing => Some("bill_date"),
        Source::Outages => Some("outage_start"),
        Source::Tickets => Some("opened_at"),
        Source::Customers => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_columns_are_the_contract_values_and_the_derived_columns() {
        let billing = feature_columns(Source::Billing);
        for c in ["consumption", "amount_due", "amount_paid", "payment_method", "days_late", "late", "unpaid", "arrears_60", "month"] {
            assert!(billing.contains(&c), "{c}");
        }
        assert!(!billing.contains(&"customer_id") && !billing.contains(&"bill_date"));
        assert_eq!(feature_columns(Source::Outages), ["cause", "month", "minutes", "long", "momentary"]);
        assert_eq!(feature_columns(Source::Tickets), ["category", "channel", "month", "hours_to_close"]);
        // Every column a derived column needs is in the contract.
        for s in Source::ALL {
            for d in derived_columns(s) {
                for n in d.needs {
                    assert!(contract(s).iter().any(|c| c.name == *n), "{s}.{}: {n}", d.name);
                }
            }
        }
    }
}

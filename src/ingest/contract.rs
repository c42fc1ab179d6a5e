//! The canonical export contract: which columns each export has, their kind, and which are required.

use crate::profile::Source;

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

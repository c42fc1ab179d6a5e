//! `custseg sample-data`: writes generated exports with planted personas.

use crate::cli::{LogArgs, SampleDataArgs};
use crate::error::{Error, Result};

/// The most customers `sample-data` writes: a billion, the order of the largest utilities' customer
/// counts times ten (and well inside the 2^32 customers a run indexes).
pub const MAX_CUSTOMERS: usize = 1_000_000_000;

pub fn run(args: SampleDataArgs, logargs: &LogArgs) -> Result<()> {
    if args.customers == 0 {
        return Err(Error::Usage("--customers must be at least 1".into()));
    }
    if args.customers > MAX_CUSTOMERS {
        return Err(Error::Usage(format!(
            "--customers {}: at most {} (a run segments at most that many customers)",
            args.customers,
            crate::format::count(MAX_CUSTOMERS)
        )));
    }
    if !(1..=120).contains(&args.month) {
        return Err(Error::Usage(format!("--month {}: expected 1 to 120", args.month)));
    }
    for (flag, v) in [("--moved-share", args.moved_share), ("--departed-share", args.departed_share), ("--new-share", args.new_share)] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::Usage(format!("{flag} {v}: expected a share between 0 and 1")));
        }
    }
    if let Some(v) = args.dominant_share.filter(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::Usage(format!("--dominant-share {v}: expected a share between 0 and 1")));
    }
    // A month whose bills would end after today is refused: a run rejects future-dated bills.
    let ends = crate::sample::sample_as_of() + chrono::Months::new(args.month - 1);
    let today = chrono::Local::now().date_naive();
    if ends > today {
        let latest = (1..=args.month).rev().find(|m| crate::sample::sample_as_of() + chrono::Months::new(m - 1) <= today).unwrap_or(1);
        return Err(Error::Usage(format!(
            "--month {}: its bills would run up to {ends}, after today ({today}), and a run rejects future-dated bills; \
             the latest month that ends before today is --month {latest}",
            args.month
        )));
    }
    let n = crate::sample::PERSONAS.len();
    if !(4..=n).contains(&args.personas) {
        return Err(Error::Usage(format!("--personas {}: expected 4 to {n}", args.personas)));
    }
    let plan = if args.month == 1 {
        crate::sample::SamplePlan { dominant_share: args.dominant_share, personas: args.personas, ..crate::sample::SamplePlan::first() }
    } else {
        crate::sample::SamplePlan {
            month: args.month,
            moved_share: args.moved_share,
            departed_share: args.departed_share,
            new_share: args.new_share,
            dominant_share: args.dominant_share,
            personas: args.personas,
        }
    };
    crate::sample::write_month(&args.out, args.customers, args.seed, plan)?;
    if args.parquet {
        for name in ["customers", "billing", "outages", "tickets"] {
            let csv = args.out.join(format!("{name}.csv"));
            crate::sample::to_parquet(&csv, &args.out.join(format!("{name}.parquet")))?;
        }
    }
    let log = crate::log::Log::new(logargs.format(), logargs.quiet);
    log.info(format!("wrote {} customers to {}", crate::format::count(args.customers), args.out.display()));
    Ok(())
}

//! `custseg sample-data`: writes generated exports with planted personas.

use polars::prelude::*;

use crate::cli::SampleDataArgs;
use crate::error::{Error, Result};
use crate::output;

pub fn run(args: SampleDataArgs) -> Result<()> {
    if args.customers == 0 {
        return Err(Error::Usage("--customers must be at least 1".into()));
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
    let plan = if args.month == 1 {
        crate::sample::SamplePlan { dominant_share: args.dominant_share, ..crate::sample::SamplePlan::first() }
    } else {
        crate::sample::SamplePlan {
            month: args.month,
            moved_share: args.moved_share,
            departed_share: args.departed_share,
            new_share: args.new_share,
            dominant_share: args.dominant_share,
        }
    };
    crate::sample::write_month(&args.out, args.customers, args.seed, plan)?;
    if args.parquet {
        for name in ["customers", "billing", "outages", "tickets"] {
            let csv = args.out.join(format!("{name}.csv"));
            let mut df = CsvReadOptions::default()
                .with_has_header(true)
                .map_parse_options(|o| o.with_try_parse_dates(true))
                .try_into_reader_with_file_path(Some(csv.clone()))
                .and_then(|r| r.finish())
                .map_err(|e| output::Error::polars(format!("reading {}", csv.display()), e))?;
            let pq = args.out.join(format!("{name}.parquet"));
            let f = std::fs::File::create(&pq).map_err(|e| output::Error::io(format!("writing {}", pq.display()), e))?;
            ParquetWriter::new(f).finish(&mut df).map_err(|e| output::Error::polars(format!("writing {}", pq.display()), e))?;
        }
    }
    eprintln!("wrote {} customers to {}", crate::format::count(args.customers), args.out.display());
    Ok(())
}

//! `custseg sample-data`: writes generated exports with planted personas.

use polars::prelude::*;

use crate::cli::SampleDataArgs;
use crate::error::{Error, Result};

pub fn run(args: SampleDataArgs) -> Result<()> {
    if args.customers == 0 {
        return Err(Error::Usage("--customers must be at least 1".into()));
    }
    crate::sample::write(&args.out, args.customers, args.seed)?;
    if args.parquet {
        for name in ["customers", "billing", "outages", "tickets"] {
            let csv = args.out.join(format!("{name}.csv"));
            let mut df = CsvReadOptions::default()
                .with_has_header(true)
                .map_parse_options(|o| o.with_try_parse_dates(true))
                .try_into_reader_with_file_path(Some(csv.clone()))
                .and_then(|r| r.finish())
                .map_err(|e| Error::polars(format!("reading {}", csv.display()), e))?;
            let pq = args.out.join(format!("{name}.parquet"));
            let f = std::fs::File::create(&pq).map_err(|e| Error::io(format!("writing {}", pq.display()), e))?;
            ParquetWriter::new(f).finish(&mut df).map_err(|e| Error::polars(format!("writing {}", pq.display()), e))?;
        }
    }
    eprintln!("wrote {} customers to {}", crate::report::format::count(args.customers), args.out.display());
    Ok(())
}

//! `assignments.csv` and `assignments.parquet`: each customer's segment id and name and the distance to
//! the segment's centre, and the reasons: the two or three of its segment's traits the customer shows
//! most strongly.

use polars::prelude::*;

use super::{csv_error, spreadsheet_safe, Error, Output, Result, RunDir};

/// One customer's segment, as written to the assignment files.
pub struct Assignment<'a> {
    pub customer_id: &'a str,
    pub segment: u32,
    pub segment_name: &'a str,
    pub distance: f64,
    /// The traits that most place the customer in its segment, in the report's language.
    pub reasons: &'a str,
}

/// Every customer's assignment, made when it is written (a table of them would cost 64 bytes a
/// customer beside the feature matrix).
pub trait Rows: Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn row(&self, i: usize) -> Assignment<'_>;
}

/// `assignments.csv` (text cells spreadsheet-safe, distances with 6 decimals).
pub struct Csv<'a, R: Rows>(pub &'a R);

/// `assignments.parquet` (values as they are).
pub struct Parquet<'a, R: Rows>(pub &'a R);

impl<R: Rows> Output for Csv<'_, R> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        let (path, file) = dir.create_file("assignments.csv")?;
        let map = csv_error(&path);
        let mut w = csv::Writer::from_writer(file);
        w.write_record(["customer_id", "segment", "segment_name", "distance", "reasons"]).map_err(&map)?;
        for i in 0..self.0.len() {
            let r = self.0.row(i);
            w.write_record([
                spreadsheet_safe(r.customer_id).as_ref(),
                &r.segment.to_string(),
                spreadsheet_safe(r.segment_name).as_ref(),
                &format!("{:.6}", r.distance),
                spreadsheet_safe(r.reasons).as_ref(),
            ])
            .map_err(&map)?;
        }
        w.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

impl<R: Rows> Output for Parquet<'_, R> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        let all = self.0;
        super::write_parquet(dir, "assignments.parquet", all.len(), super::ParquetLayout::NARROW, |start, end| {
            let rows: Vec<Assignment<'_>> = (start..end).map(|i| all.row(i)).collect();
            DataFrame::new_infer_height(vec![
                Column::new("customer_id".into(), rows.iter().map(|r| r.customer_id).collect::<Vec<_>>()),
                Column::new("segment".into(), rows.iter().map(|r| r.segment).collect::<Vec<_>>()),
                Column::new("segment_name".into(), rows.iter().map(|r| r.segment_name).collect::<Vec<_>>()),
                Column::new("distance".into(), rows.iter().map(|r| r.distance).collect::<Vec<_>>()),
                Column::new("reasons".into(), rows.iter().map(|r| r.reasons).collect::<Vec<_>>()),
            ])
        })
    }
}

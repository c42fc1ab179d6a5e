//! `features.parquet`: one row per customer (in the assignments' order) with every feature's value as
//! aggregated (after the missing-value rule, before any transform: column `<feature>`) and the
//! coordinate clustering saw (transformed, winsorized, z-scored and weighted: `<feature>_scaled`), so
//! analysts can check them and reuse them.

use polars::prelude::*;

use super::{Output, Result, RunDir};
use crate::features::FeatureMatrix;

pub struct FeaturesParquet<'a>(pub &'a FeatureMatrix);

impl Output for FeaturesParquet<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        let fm = self.0;
        super::write_parquet(dir, "features.parquet", fm.customer_ids.len(), super::ParquetLayout::wide(1 + 2 * fm.specs.len()), |start, end| {
            let mut columns = Vec::with_capacity(1 + 2 * fm.specs.len());
            columns.push(Column::new("customer_id".into(), (start..end).map(|i| fm.customer_ids.get(i)).collect::<Vec<_>>()));
            for (j, spec) in fm.specs.iter().enumerate() {
                columns.push(Column::new(spec.name.as_str().into(), fm.raw.column_range(j, start, end).into_owned()));
            }
            for (j, spec) in fm.specs.iter().enumerate() {
                columns.push(Column::new(format!("{}_scaled", spec.name).into(), fm.scaled.column(j).slice(ndarray::s![start..end]).to_vec()));
            }
            DataFrame::new_infer_height(columns)
        })
    }
}

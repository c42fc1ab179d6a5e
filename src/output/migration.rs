//! `migration.csv` (with `--previous`): customers from each previous segment to each segment now, plus
//! rows for the customers who left and the new ones.

use super::{csv_error, spreadsheet_safe, Error, Output, Result, RunDir};
use crate::model::migration::Migration;
use crate::i18n::{t, Lang, Text};

/// The migration matrix, names in `lang`.
pub struct MigrationCsv<'a> {
    pub migration: &'a Migration,
    pub lang: Lang,
}

impl Output for MigrationCsv<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        let (m, lang) = (self.migration, self.lang);
        let (path, file) = dir.create_file("migration.csv")?;
        let map = csv_error(&path);
        let mut w = csv::Writer::from_writer(file);
        w.write_record(["from_segment", "from_name", "to_segment", "to_name", "customers", "share_of_from"]).map_err(&map)?;
        let safe = |s: &Text| spreadsheet_safe(s.get(lang)).into_owned();
        for (r, f) in m.from.iter().enumerate() {
            for (c, to) in m.to.iter().enumerate() {
                w.write_record([f.id.to_string(), safe(&f.name), to.id.to_string(), safe(&to.name), m.counts[r][c].to_string(), format!("{:.6}", m.shares[r][c])])
                    .map_err(&map)?;
            }
            w.write_record([f.id.to_string(), safe(&f.name), String::new(), t(lang, "(left)").into(), m.departed_customers[r].to_string(), String::new()])
                .map_err(&map)?;
        }
        for (c, to) in m.to.iter().enumerate() {
            w.write_record([String::new(), t(lang, "(new customer)").into(), to.id.to_string(), safe(&to.name), m.new_customers[c].to_string(), String::new()])
                .map_err(&map)?;
        }
        w.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

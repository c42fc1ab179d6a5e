//! `rejects/<export>.csv`: every rejected row of an export with its file, line, column, value and
//! reason (text cells spreadsheet-safe).

use super::{csv_error, spreadsheet_safe, Error, Output, Result, RunDir};
use crate::ingest::Exports;

/// The rejects of every export that has any.
pub struct Rejects<'a>(pub &'a Exports);

impl Output for Rejects<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        for e in self.0.values().filter(|e| !e.rejects.is_empty()) {
            let (path, file) = dir.create_file(&format!("rejects/{}.csv", e.source))?;
            let map = csv_error(&path);
            let mut w = csv::Writer::from_writer(file);
            w.write_record(["file", "line", "column", "value", "reason"]).map_err(&map)?;
            for r in &e.rejects {
                w.write_record([
                    spreadsheet_safe(&r.file).as_ref(),
                    r.line.to_string().as_str(),
                    &spreadsheet_safe(&r.column),
                    &spreadsheet_safe(&r.value),
                    &r.reason,
                ])
                .map_err(&map)?;
            }
            w.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
        Ok(())
    }
}

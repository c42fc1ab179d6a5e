//! Writing a run's folder: files are written into a temporary folder beside `--out`, which replaces
//! `--out` only once everything is written, so a failed run never leaves a half-written folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::Reject;

/// A run folder under construction.
pub struct RunDir {
    pub target: PathBuf,
    pub tmp: PathBuf,
    committed: bool,
}

impl RunDir {
    pub fn create(target: &Path) -> Result<RunDir> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(format!("removing {}", tmp.display()), e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
        Ok(RunDir { target: target.to_path_buf(), tmp, committed: false })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    pub fn write_text(&self, name: &str, text: &str) -> Result<()> {
        let p = self.path(name);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        std::fs::write(&p, text).map_err(|e| Error::io(format!("writing {}", p.display()), e))
    }

    pub fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).expect("run results serialize");
        text.push('\n');
        self.write_text(name, &text)
    }

    /// Moves the finished folder into place, replacing an earlier run there.
    pub fn commit(mut self) -> Result<PathBuf> {
        let io = |what: String| move |e: std::io::Error| Error::io(what, e);
        if self.target.exists() {
            let old = self.tmp.with_extension("old");
            std::fs::rename(&self.target, &old).map_err(io(format!("moving aside {}", self.target.display())))?;
            std::fs::rename(&self.tmp, &self.target).map_err(io(format!("moving into {}", self.target.display())))?;
            std::fs::remove_dir_all(&old).map_err(io(format!("removing {}", old.display())))?;
        } else {
            std::fs::rename(&self.tmp, &self.target).map_err(io(format!("moving into {}", self.target.display())))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// A text cell safe to open in a spreadsheet: a leading `=`, `+`, `-` or `@` gets an apostrophe.
pub fn spreadsheet_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// One customer's segment, as written to the assignment files.
pub struct Assignment<'a> {
    pub customer_id: &'a str,
    pub segment: u32,
    pub segment_name: &'a str,
    pub distance: f64,
}

pub fn write_assignments_csv(path: &Path, rows: &[Assignment<'_>]) -> Result<()> {
    let io = |e: std::io::Error| Error::io(format!("writing {}", path.display()), e);
    let f = std::fs::File::create(path).map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, f));
    let map = |e: csv::Error| Error::io(format!("writing {}", path.display()), e.into());
    w.write_record(["customer_id", "segment", "segment_name", "distance"]).map_err(map)?;
    for r in rows {
        w.write_record([
            spreadsheet_safe(r.customer_id).as_ref(),
            &r.segment.to_string(),
            spreadsheet_safe(r.segment_name).as_ref(),
            &format!("{:.6}", r.distance),
        ])
        .map_err(map)?;
    }
    w.flush().map_err(io)
}

pub fn write_assignments_parquet(path: &Path, rows: &[Assignment<'_>]) -> Result<()> {
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), rows.iter().map(|r| r.customer_id).collect::<Vec<_>>()),
        Column::new("segment".into(), rows.iter().map(|r| r.segment).collect::<Vec<_>>()),
        Column::new("segment_name".into(), rows.iter().map(|r| r.segment_name).collect::<Vec<_>>()),
        Column::new("distance".into(), rows.iter().map(|r| r.distance).collect::<Vec<_>>()),
    ])
    .map_err(|e| Error::polars("building the assignments table", e))?;
    let f = std::fs::File::create(path).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    ParquetWriter::new(f).finish(&mut df).map_err(|e| Error::polars(format!("writing {}", path.display()), e))?;
    Ok(())
}

pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    let f = std::fs::File::create(path).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    let map = |e: csv::Error| Error::io(format!("writing {}", path.display()), e.into());
    w.write_record(["file", "line", "column", "value", "reason"]).map_err(map)?;
    for r in rejects {
        w.write_record([
            spreadsheet_safe(&r.file).as_ref(),
            r.line.to_string().as_str(),
            &spreadsheet_safe(&r.column),
            &spreadsheet_safe(&r.value),
            &r.reason,
        ])
            .map_err(map)?;
    }
    w.into_inner().map_err(|e| Error::io(format!("writing {}", path.display()), e.into_error()))?.flush().map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

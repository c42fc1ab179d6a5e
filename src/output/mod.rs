//! Every file a run writes, in one place: the run folder itself ([`RunDir`]: lock, temporary folder,
//! atomic exchange, signal cleanup) and one module per format, each behind the [`Output`] trait —
//! `summary.json` and `model.json` ([`json`]), `assignments.csv` / `.parquet` ([`assignments`]),
//! `features.parquet` ([`features`]),
//! `migration.csv` ([`migration`]), `rejects/<export>.csv` ([`rejects`]), the reports and charts
//! ([`report`]), and `manifest.json`, written last with every other file's checksum ([`manifest`]).
//! Standard output goes through [`stdout`], where a closed pipe is not an error.

pub mod assignments;
pub mod features;
pub mod json;
pub mod manifest;
pub mod migration;
pub mod rejects;
pub mod report;
mod run_dir;
pub mod stdout;

use std::path::Path;

pub use run_dir::{install_signal_cleanup, lock, resolved_path, RunDir};

/// What can go wrong while writing outputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--out` exists (without `--force`), or is not a folder (exit 2).
    #[error("{0}")]
    Exists(String),
    /// Another run holds the lock on the output folder (exit 6).
    #[error("{0}")]
    Busy(String),
    /// Writing a file failed (exit 1).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// polars failed while writing a Parquet file (exit 1).
    #[error(transparent)]
    Polars(#[from] crate::error::PolarsFailure),
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    pub fn polars(context: impl Into<String>, source: polars::error::PolarsError) -> Self {
        Error::Polars(crate::error::PolarsFailure::new(context, source))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One output format: it holds (borrows) what it renders and writes its file or files into the run
/// folder.
pub trait Output {
    fn write(&self, dir: &RunDir) -> Result<()>;
}

/// SHA-256 of a file, in hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 of bytes, in hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A text cell safe to open in a spreadsheet: a leading `=`, `+`, `-` or `@` (also after spaces, also
/// fullwidth `＝＋－＠`), tab or line break gets an apostrophe.
pub fn spreadsheet_safe(s: &str) -> std::borrow::Cow<'_, str> {
    // Spreadsheets skip leading spaces before a formula, and some read the fullwidth signs as theirs.
    let start = s.trim_start_matches([' ', '\u{3000}', '\u{a0}']);
    if s.starts_with(['\t', '\r', '\n']) || start.starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Rows per Parquet row group the outputs write (polars' default), each built and written on its own so
/// that a table of millions of customers is never copied whole.
pub const PARQUET_ROWS: usize = 512 * 512;

/// How a Parquet output is laid out: rows per row group and the compression.
#[derive(Debug, Clone, Copy)]
struct ParquetLayout {
    group_rows: usize,
    compression: polars::prelude::ParquetCompression,
}

impl ParquetLayout {
    /// polars' defaults: 262,144-row groups, zstd.
    const NARROW: ParquetLayout = ParquetLayout { group_rows: PARQUET_ROWS, compression: polars::prelude::ParquetCompression::Zstd(None) };
    /// For wide tables of floats (features.parquet): groups of about 16 MiB of values, so that one
    /// group in memory stays small beside the customer table, and Snappy, which every Parquet reader
    /// reads and which compresses floats nearly as well as zstd at a fraction of its time.
    fn wide(columns: usize) -> ParquetLayout {
        let group_rows = ((16 << 20) / (8 * columns.max(1))).clamp(8_192, PARQUET_ROWS);
        ParquetLayout { group_rows, compression: polars::prelude::ParquetCompression::Snappy }
    }
}

/// Writes `name` as Parquet, `rows` rows, the frame of rows `start..end` made by `frame`.
fn write_parquet(
    dir: &RunDir,
    name: &str,
    rows: usize,
    layout: ParquetLayout,
    frame: impl Fn(usize, usize) -> polars::prelude::PolarsResult<polars::prelude::DataFrame>,
) -> Result<()> {
    use polars::prelude::*;
    let (path, mut file) = dir.create_file(name)?;
    let context = |e| Error::polars(format!("writing {}", path.display()), e);
    let first = frame(0, rows.min(layout.group_rows)).map_err(context)?;
    let mut writer = ParquetWriter::new(&mut file)
        .with_compression(layout.compression)
        .with_row_group_size(Some(layout.group_rows))
        .batched(first.schema())
        .map_err(context)?;
    writer.write_batch(&first).map_err(context)?;
    let mut start = first.height();
    drop(first);
    while start < rows {
        let end = (start + layout.group_rows).min(rows);
        writer.write_batch(&frame(start, end).map_err(context)?).map_err(context)?;
        start = end;
    }
    writer.finish().map_err(context)?;
    drop(writer);
    // Flushed here, not on drop, so that a full disk is an error.
    std::io::Write::flush(&mut file).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// A CSV writer's error as an output error naming the file.
fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::io(format!("writing {}", path.display()), e.into())
}

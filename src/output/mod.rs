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

pub use run_dir::{install_signal_cleanup, RunDir};

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

/// A text cell safe to open in a spreadsheet: a leading `=`, `+`, `-` or `@` gets an apostrophe.
pub fn spreadsheet_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A CSV writer's error as an output error naming the file.
fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::io(format!("writing {}", path.display()), e.into())
}

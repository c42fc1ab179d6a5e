//! Typed errors of the library and the exit code each maps to (the only place exit codes are decided).

use std::path::PathBuf;

/// Everything that can stop a run, with what the user needs to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible (exit 2).
    #[error("{0}")]
    Usage(String),

    /// A profile key or value is wrong (exit 2).
    #[error("profile {path}: {message}")]
    Profile { path: PathBuf, message: String },

    /// An export cannot be read or lacks a required column (exit 3).
    #[error("{path}: {message}")]
    Export { path: PathBuf, message: String },

    /// An export was read but fails a data-quality gate (exit 3).
    #[error("{0}")]
    DataQuality(String),

    /// No segmentation passed the balance and stability checks (exit 4).
    #[error("{0}")]
    Clustering(String),

    /// With `--previous`, more customers changed segment than `quality.max_migration_share` allows, or
    /// with `assign`, more customers lie beyond the model's reach than `quality.max_drift_share` (exit 5).
    #[error("{0}")]
    Drift(String),

    /// Another run holds the lock on the output folder (exit 6).
    #[error("{0}")]
    Busy(String),

    /// Writing outputs or another I/O step failed (exit 1).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Any other failure inside polars that is not attributable to one export (exit 1).
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
}

impl Error {
    /// The process exit code documented in the README.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Profile { .. } => 2,
            Error::Export { .. } | Error::DataQuality(_) => 3,
            Error::Clustering(_) => 4,
            Error::Drift(_) => 5,
            Error::Busy(_) => 6,
            Error::Io { .. } | Error::Polars { .. } => 1,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    pub fn polars(context: impl Into<String>, source: polars::error::PolarsError) -> Self {
        Error::Polars { context: context.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The error that ends a command: one variant per layer, each layer's own typed error inside, and the
//! exit code each maps to (the only place exit codes are decided; the README lists them).

use crate::output::stdout::StdoutError;

/// Everything that can stop a command, with what the user needs to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A profile key or value is wrong (exit 2).
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// Reading the exports (exit 2 when an export is not there, 3 for its contents, 1 inside polars).
    #[error(transparent)]
    Ingest(#[from] crate::ingest::Error),
    /// Building features (exit 3 when the data gives none).
    #[error(transparent)]
    Features(#[from] crate::features::Error),
    /// Clustering (exit 3 with too few customers, 4 when no segmentation passes the checks, 1 for a
    /// failed constrained assignment).
    #[error(transparent)]
    Cluster(#[from] crate::cluster::Error),
    /// The saved model or the previous run (exit 2 when it is not there, 3 when it is corrupt, 5 for
    /// the migration and drift gates).
    #[error(transparent)]
    Model(#[from] crate::model::Error),
    /// Writing outputs (exit 2 for an existing `--out`, 6 when another run holds the lock, 1 otherwise).
    #[error(transparent)]
    Output(#[from] crate::output::Error),
    /// Standard output (exit 0 when it was closed, 1 when it could not be written).
    #[error(transparent)]
    Stdout(#[from] StdoutError),
}

impl Error {
    /// The process exit code documented in the README.
    pub fn exit_code(&self) -> i32 {
        use crate::{cluster, features, ingest, model, output};
        match self {
            Error::Usage(_) | Error::Profile(_) => 2,
            Error::Ingest(e) => match e {
                ingest::Error::NotFound(_) => 2,
                ingest::Error::Export { .. } | ingest::Error::Data(_) => 3,
                ingest::Error::Polars(_) => 1,
            },
            Error::Features(features::Error::Data(_)) => 3,
            Error::Cluster(e) => match e {
                cluster::Error::TooFewCustomers { .. } => 3,
                cluster::Error::NoSegmentation(_) => 4,
                cluster::Error::Balance(_) => 1,
            },
            Error::Model(e) => match e {
                model::Error::Usage(_) => 2,
                model::Error::Corrupt { .. } => 3,
                model::Error::Gate(_) => 5,
            },
            Error::Output(e) => match e {
                output::Error::Exists(_) => 2,
                output::Error::Busy(_) => 6,
                output::Error::Io { .. } | output::Error::Polars(_) => 1,
            },
            Error::Stdout(StdoutError::Closed) => 0,
            Error::Stdout(StdoutError::Failed(_)) => 1,
        }
    }

    /// Whether the command should end without a word: standard output was closed by its reader.
    pub fn is_silent(&self) -> bool {
        matches!(self, Error::Stdout(StdoutError::Closed))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// polars failed on a step (`context` names it); the layers' errors carry it (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct PolarsFailure {
    pub context: String,
    #[source]
    pub source: polars::error::PolarsError,
}

impl PolarsFailure {
    pub fn new(context: impl Into<String>, source: polars::error::PolarsError) -> PolarsFailure {
        PolarsFailure { context: context.into(), source }
    }
}

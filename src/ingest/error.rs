//! What can go wrong while reading exports.

use std::path::PathBuf;

use polars::error::PolarsError;

use crate::error::PolarsFailure;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An export the command line or the profile names is not there, or is named twice (exit 2).
    #[error("{0}")]
    NotFound(String),
    /// An export cannot be read or lacks a required column (exit 3).
    #[error("{path}: {message}")]
    Export { path: PathBuf, message: String },
    /// The exports hold nothing to work with, or too many of their rows are rejected (exit 3).
    #[error("{0}")]
    Data(String),
    /// polars failed on something not attributable to one export's contents (exit 1).
    #[error(transparent)]
    Polars(#[from] PolarsFailure),
}

impl Error {
    pub fn polars(context: impl Into<String>, source: PolarsError) -> Error {
        Error::Polars(PolarsFailure::new(context, source))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

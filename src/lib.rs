//! custseg: segments a utility's customers from billing, outage and service-ticket exports.
//!
//! The pipeline reads in order, one module per stage: [`ingest`] → [`features`] → [`cluster`] →
//! [`model`] (saved models, previous runs, migration) → [`report`] (the run result and its report);
//! [`output`] writes every file a run produces; [`sql`] compiles a saved model to SQL that scores in a
//! warehouse. [`profile`] is a job's configuration, made of each stage's settings. [`cmd`] holds one module per subcommand, each turning its arguments into a plan
//! and running the stages; [`cli`] and `cmd` are the only places clap appears.

pub mod cli;
pub mod cluster;
pub mod cmd;
pub mod error;
pub mod features;
pub mod format;
pub mod i18n;
pub mod ingest;
pub mod log;
pub mod model;
pub mod output;
pub mod profile;
pub mod report;
pub mod sample;
pub mod sql;

pub use error::{Error, Result};

//! custseg: segments a utility's customers from billing, outage and service-ticket exports.
//!
//! The pipeline reads in order, one module per stage: [`ingest`] → [`features`] → [`cluster`] →
//! [`report`]. [`cmd`] holds one module per subcommand; [`cli`] is the only place clap appears.

pub mod cli;
pub mod cluster;
pub mod cmd;
pub mod error;
pub mod features;
pub mod ingest;
pub mod log;
pub mod migration;
pub mod model;
pub mod output;
pub mod profile;
pub mod report;
pub mod sample;

pub use error::{Error, Result};

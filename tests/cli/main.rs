//! Integration tests: they run the `custseg` binary. One test binary, one module per subcommand.

mod balance;
mod browser;
mod common;
mod errors;
mod report;
mod rerun;
mod run;
mod sample_data;
mod snapshots;
mod validate;
mod formats;
mod language;

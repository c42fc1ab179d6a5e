//! Integration tests: they run the `custseg` binary. One test binary; a module per subcommand
//! (`run`, with `--dry-run`; `assign`; `validate`; `report`; `sample_data`; `profile`; `completions`),
//! and a module per concern that spans subcommands: `errors` (bad input and its messages), `formats`
//! (export layouts: encodings, delimiters, Parquet), `language` (Chinese reports, segment names),
//! `household` (attributes as features, reasons, features.parquet), `balance` (enforced sizes), `rerun` (monthly reruns, locks, signals, manifest, logs), `stdout`
//! (closed pipes, full disks), `report_html` (what report.html holds), `browser` (headless Chromium),
//! `snapshots` (insta), `sql` (the generated SQL in DuckDB, Spark and sqlglot), `inputs` (one regression test per input that once misled or crashed) and
//! `fuzz` (mutated inputs for every reader, on a fixed seed). `common` holds the helpers.

mod assign;
mod balance;
mod browser;
mod common;
mod completions;
mod errors;
mod formats;
mod history;
mod household;
mod fuzz;
mod inputs;
mod language;
mod profile;
mod report;
mod report_html;
mod rerun;
mod run;
mod sample_data;
mod snapshots;
mod sql;
mod stdout;
mod validate;

//! The command line (clap derive). Only this module and `cmd` know about clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "custseg", version, about = "Segment a utility's customers from billing, outage and service-ticket exports")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Segment customers: read exports, build features, cluster, write assignments and reports.
    Run(RunArgs),
    /// Check exports as a run reads them, without clustering: row accounting, rejects, date ranges,
    /// customers, empty values and references between exports. Exit 3 when a quality gate fails.
    Validate(ValidateArgs),
    /// Write realistic sample exports with planted personas (and their truth file).
    SampleData(SampleDataArgs),
}

/// Where the exports are and how to read them; shared by `run` and `validate`.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Folder holding billing, outages, tickets and customers exports (.csv or .parquet).
    /// Default: data-samples, when no export is named one by one.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The billing export (overrides DIR/billing.*).
    #[arg(long, value_name = "FILE")]
    pub billing: Option<PathBuf>,
    /// The outages export (overrides DIR/outages.*).
    #[arg(long, value_name = "FILE")]
    pub outages: Option<PathBuf>,
    /// The service-tickets export (overrides DIR/tickets.*).
    #[arg(long, value_name = "FILE")]
    pub tickets: Option<PathBuf>,
    /// The customers export (overrides DIR/customers.*).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Profile (TOML). Default: the bundled profiles/residential.toml.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// End of the analysis window, YYYY-MM-DD (default: the newest bill).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder for this run; replaced as a whole when the run succeeds.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Random seed (overrides the profile's run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fix the number of segments (2..=7; overrides the profile).
    #[arg(long)]
    pub k: Option<usize>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SampleDataArgs {
    /// Folder to write the sample exports into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of customers.
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Also write Parquet copies of every export.
    #[arg(long)]
    pub parquet: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

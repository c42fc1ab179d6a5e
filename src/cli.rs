//! The command line (clap derive). Only this module and `cmd` know about clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;

#[derive(Debug, Parser)]
#[command(name = "custseg", version, about = "Segment a utility's customers from billing, outage and service-ticket exports")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub log: LogArgs,
}

/// How progress and errors are reported on stderr (any subcommand).
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Progress and error lines on stderr as text, or as one JSON object per line (for log collectors).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Print nothing but errors (no progress, and no report path on stdout).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogArgs {
    /// The log the command writes to stderr.
    pub fn format(&self) -> crate::log::LogFormat {
        match self.log_format {
            LogFormat::Text => crate::log::LogFormat::Text,
            LogFormat::Json => crate::log::LogFormat::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Segment customers: read exports, build features, cluster, write assignments and reports.
    Run(RunArgs),
    /// Check exports as a run reads them, without clustering: row accounting, rejects, date ranges,
    /// customers, empty values and references between exports. Exit 3 when a quality gate fails.
    Validate(ValidateArgs),
    /// Score customers with a saved model (no refit): the same features and scaling, each customer to
    /// the nearest saved segment; writes the same outputs as a run and reports drift.
    Assign(AssignArgs),
    /// Re-render a finished run's report (report.html, report.md, charts) from its summary.json,
    /// in another language or after an upgrade; the run itself is left untouched.
    Report(ReportArgs),
    /// A history of monthly runs: every run folder under --runs (as contrib/monthly-run.sh writes
    /// them), as OUT/history.html (segment sizes, flows between months, headline measures, gates) and
    /// OUT/history.csv.
    History(HistoryArgs),
    /// Write realistic sample exports with planted personas (and their truth file).
    SampleData(SampleDataArgs),
    /// Profiles: show one with every default filled in.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// SQL for the warehouse: score every customer with a saved model inside DuckDB, Spark, Trino or
    /// BigQuery, or extract a deterministic sample of customers to fit on.
    #[command(subcommand)]
    Sql(SqlCommand),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum SqlCommand {
    /// Print one query that computes the model's features from the bill-level tables and returns
    /// customer_id, segment, segment_name and distance for every customer with a bill in the window:
    /// the answer `custseg assign` gives on the same rows, up to floating-point rounding.
    Score(SqlScoreArgs),
    /// Print one query per export that extracts a deterministic sample of customers (by the MD5 of
    /// their id, the same in every dialect) with all their rows, to fit a model on locally.
    Sample(SqlSampleArgs),
}

/// Where the SQL reads and how it is written, shared by `sql score` and `sql sample`.
#[derive(Debug, Args)]
pub struct SqlTargetArgs {
    /// The engine the SQL is written for: duckdb, spark, trino or bigquery.
    #[arg(long, default_value = "duckdb", value_name = "DIALECT")]
    pub dialect: crate::sql::Dialect,
    /// The table an export is read from, as EXPORT=TABLE (repeatable): billing=sales.bills. Default:
    /// a table named as the export (billing, outages, tickets, customers).
    #[arg(long = "table", value_name = "EXPORT=TABLE")]
    pub tables: Vec<String>,
    /// How the outages table is keyed: by customer_id, or by feeder_id (events reaching every customer
    /// whose customers.feeder_id it is). Default for `score`: as the fitted run read its outages;
    /// for `sample`: customer.
    #[arg(long, value_enum, value_name = "KEY")]
    pub outages_by: Option<OutagesKey>,
    /// Write the SQL to FILE (replaced whole, never half-written) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutagesKey {
    Customer,
    Feeder,
}

#[derive(Debug, Args)]
pub struct SqlScoreArgs {
    /// The model: a run's folder or its model.json.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub target: SqlTargetArgs,
    /// End of the analysis window, YYYY-MM-DD (default: the newest bill in the billing table, read
    /// when the query runs).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Language of segment_name: en or zh (default: the model's report language).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<Lang>,
    /// Also return every feature's value (after the missing-value rule), one column per feature.
    #[arg(long)]
    pub with_features: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("size").required(true).args(["customers", "fraction"])))]
pub struct SqlSampleArgs {
    /// Profile (TOML) whose [exports.*] columns mapping names the tables' columns. Default: the
    /// bundled profiles/residential.toml.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Sample this many customers: those whose ids have the smallest MD5.
    #[arg(long, value_name = "N")]
    pub customers: Option<u64>,
    /// Sample this share of customers (0 < F <= 1): those whose id's MD5 falls in the first F of
    /// its range.
    #[arg(long, value_name = "F")]
    pub fraction: Option<f64>,
    /// The exports to extract (repeatable; default: billing, outages, tickets and customers), one
    /// statement each.
    #[arg(long = "export", value_name = "EXPORT")]
    pub exports: Vec<String>,
    #[command(flatten)]
    pub target: SqlTargetArgs,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Print the resolved profile as TOML: FILE (default: the bundled profiles/residential.toml) with
    /// every key its default fills in, checked as a run checks it.
    Show {
        /// The profile (TOML).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The folder holding one run folder per month (their names sort by date, as YYYY-MM does).
    #[arg(long, value_name = "DIR")]
    pub runs: PathBuf,
    /// Output folder for history.html and history.csv (written like a run's: in a temporary folder,
    /// moved into place).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Language of history.html: en or zh (default: the newest run's).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<Lang>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The finished run's folder (it holds summary.json).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// Language of the report: en or zh (default: the run's).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<Lang>,
    /// Folder to write the report into. Default: DIR/report-LANG.
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
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
    #[command(flatten)]
    pub output: OutputArgs,
    /// A previous run's folder: segments that match its segments keep their ids and names, and the
    /// report shows who moved between segments (also OUT/migration.csv).
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// Random seed (overrides the profile's run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fix the number of segments (2..=7; overrides the profile).
    #[arg(long)]
    pub k: Option<usize>,
    /// Worker threads, 1 to 256 (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Resolve the profile and the exports, read only the exports' headers and the bills' date range,
    /// and print which features and groups the run would use or skip and why; nothing is written.
    /// Exits like a run would before clustering: 0, 2 (usage or profile) or 3 (data).
    #[arg(long)]
    pub dry_run: bool,
}

/// Where a run writes, shared by `run` and `assign`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output folder. Written in a temporary folder beside it and moved into place when complete.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Replace --out if it exists (only once the new run has finished).
    #[arg(long)]
    pub force: bool,
    /// Language of the reports and of segment names in the CSV outputs: en or zh (overrides the
    /// profile's report.language).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<Lang>,
}

#[derive(Debug, Args)]
// The model carries its profile: `--profile` (shared with `run`) is refused, so not offered in help.
#[command(mut_arg("profile", |a| a.hide(true)))]
pub struct AssignArgs {
    /// The model: a run's folder or its model.json.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// A previous run's folder to report migration against (OUT/migration.csv).
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// Keep every segment within the model's size bounds (size-constrained assignment) instead of
    /// the plain nearest-centre rule.
    #[arg(long)]
    pub enforce_balance: bool,
    /// Worker threads, 1 to 256 (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
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
    /// Write a later month of the same customers: every date shifts by MONTH − 1 months, some customers
    /// change persona, leave or join (truth.csv gives each customer's persona that month).
    #[arg(long, default_value_t = 1, value_name = "MONTH")]
    pub month: u32,
    /// With --month > 1: share of customers who become another persona.
    #[arg(long, default_value_t = 0.10, value_name = "SHARE")]
    pub moved_share: f64,
    /// With --month > 1: share of customers who leave.
    #[arg(long, default_value_t = 0.03, value_name = "SHARE")]
    pub departed_share: f64,
    /// With --month > 1: new customers, as a share of the month-1 customers.
    #[arg(long, default_value_t = 0.03, value_name = "SHARE")]
    pub new_share: f64,
    /// Make the first persona (basic-service renters) this share of customers, the others sharing
    /// the rest: naturally unbalanced data, for balance = "enforce".
    #[arg(long, value_name = "SHARE")]
    pub dominant_share: Option<f64>,
    /// Plant the first N of the seven personas (4 to 7; truth.csv names each customer's): data
    /// with a known number of segments, for checking how k is chosen.
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub personas: usize,
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

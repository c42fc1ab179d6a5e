//! One module per subcommand, each turning its arguments into one resolved plan (`<Sub>Plan::from_args`)
//! and running stages with it. [`plan`] holds the plan parts several commands share; [`run_folder`]
//! is what `run` and `assign` share: a run folder from the exports to the committed outputs.

pub mod assign;
pub mod completions;
mod dry_run;
pub mod history;
pub mod plan;
pub mod profile;
pub mod report;
pub mod run;
mod run_folder;
pub mod sample_data;
pub mod sql;
pub mod validate;

use crate::cli::{Cli, Command, ProfileCommand, SqlCommand};
use crate::error::Result;

pub fn dispatch(cli: Cli) -> Result<()> {
    let log = cli.log;
    match cli.command {
        Command::Run(args) => run::run(args, &log),
        Command::Assign(args) => assign::run(args, &log),
        Command::Validate(args) => validate::run(args),
        Command::Report(args) => report::run(args, &log),
        Command::History(args) => history::run(args, &log),
        Command::SampleData(args) => sample_data::run(args, &log),
        Command::Profile(ProfileCommand::Show { file }) => profile::show(file.as_deref()),
        Command::Sql(SqlCommand::Score(args)) => sql::score(args, &log),
        Command::Sql(SqlCommand::Sample(args)) => sql::sample(args),
        Command::Completions(args) => completions::run(args.shell),
    }
}

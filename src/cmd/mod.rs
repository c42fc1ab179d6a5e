//! One module per subcommand, each with a `run` entry point taking its parsed arguments; `pipeline`
//! holds what `run` and `assign` share.

pub mod assign;
pub(crate) mod pipeline;
pub mod report;
pub mod run;
pub mod sample_data;
pub mod validate;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn dispatch(cli: Cli) -> Result<()> {
    let log = cli.log;
    match cli.command {
        Command::Run(args) => run::run(args, &log),
        Command::Assign(args) => assign::run(args, &log),
        Command::Validate(args) => validate::run(args),
        Command::Report(args) => report::run(args, &log),
        Command::SampleData(args) => sample_data::run(args),
    }
}

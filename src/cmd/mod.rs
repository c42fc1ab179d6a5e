//! One module per subcommand, each with a `run` entry point taking its parsed arguments.

pub mod run;
pub mod sample_data;
pub mod validate;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::SampleData(args) => sample_data::run(args),
    }
}

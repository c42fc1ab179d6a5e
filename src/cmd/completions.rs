//! `custseg completions bash|zsh|fish`: a shell completion script, from the command line's definition.

use clap::CommandFactory;

use crate::cli::{Cli, Shell};
use crate::error::Result;

pub fn run(shell: Shell) -> Result<()> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "custseg", &mut script);
    crate::output::stdout::print(&String::from_utf8_lossy(&script))?;
    Ok(())
}

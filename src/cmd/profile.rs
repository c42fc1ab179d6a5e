//! `custseg profile show [FILE]`: the profile as a run resolves it, every default filled in, as TOML.

use std::path::Path;

use crate::cmd::plan::ProfileSource;
use crate::error::{Error, Result};

/// The resolved profile of `file` (or the bundled one) as TOML that parses back to the same profile.
pub fn show_text(file: Option<&Path>) -> Result<String> {
    let source = ProfileSource::read(file)?;
    let toml = toml::to_string(&source.profile).map_err(|e| Error::Usage(format!("{}: cannot print the profile as TOML: {e}", source.path)))?;
    Ok(format!("# {} (sha256 {}), every default filled in\n{toml}", source.path, source.sha256))
}

pub fn show(file: Option<&Path>) -> Result<()> {
    crate::output::stdout::print(&show_text(file)?)?;
    Ok(())
}

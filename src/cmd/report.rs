//! `custseg report`: re-renders a finished run's report from its `summary.json`, in any language,
//! into a folder of its own (written like a run's: locked, in a temporary folder, moved into place).

use std::path::{Path, PathBuf};

use crate::cli::{LogArgs, ReportArgs};
use crate::cmd::run_folder::write_report;
use crate::error::{Error, Result};
use crate::log::Log;
use crate::output::RunDir;
use crate::i18n::Lang;
use crate::report::RunSummary;

/// What `report` renders, and where.
pub struct ReportPlan {
    pub summary: RunSummary,
    pub lang: Lang,
    /// The command that reproduces the run: the run's own, from its manifest.
    pub command: String,
    pub out: PathBuf,
    pub force: bool,
}

impl ReportPlan {
    pub fn from_args(args: &ReportArgs) -> Result<ReportPlan> {
        let summary_path = args.run.join("summary.json");
        let text = std::fs::read_to_string(&summary_path).map_err(|e| {
            Error::Usage(format!("--run {}: no summary.json to render ({e}); give the folder of a finished custseg run", args.run.display()))
        })?;
        let summary: RunSummary = serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!("{}: not a custseg summary (line {}, column {}): {e}", summary_path.display(), e.line(), e.column()))
        })?;
        let command = std::fs::read_to_string(args.run.join("manifest.json"))
            .ok()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
            .and_then(|m| m.get("command")?.as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ")))
            .unwrap_or_else(|| format!("(see {})", args.run.join("manifest.json").display()));
        let lang = args.lang.unwrap_or(summary.language);
        let out: PathBuf = args.out.clone().unwrap_or_else(|| args.run.join(format!("report-{lang}")));
        // The report goes beside the run, never over it: replacing the run's folder (or one holding it)
        // would lose the run.
        if absolute(&args.run).starts_with(absolute(&out)) {
            return Err(Error::Usage(format!(
                "--out {} holds the run {}: the report would replace it; give another folder",
                out.display(),
                args.run.display()
            )));
        }
        Ok(ReportPlan { summary, lang, command, out, force: args.force })
    }
}

/// `p` made absolute, with symbolic links resolved as far as the path exists.
fn absolute(p: &Path) -> PathBuf {
    let resolved = match (p.parent(), p.file_name()) {
        _ if p.exists() => p.canonicalize().ok(),
        (Some(parent), Some(name)) => std::path::absolute(parent).ok().and_then(|d| d.canonicalize().ok()).map(|d| d.join(name)),
        _ => None,
    };
    resolved.or_else(|| std::path::absolute(p).ok()).unwrap_or_else(|| p.to_path_buf())
}

pub fn run(args: ReportArgs, logargs: &LogArgs) -> Result<()> {
    let plan = ReportPlan::from_args(&args)?;
    crate::output::install_signal_cleanup();
    let dir = RunDir::create(&plan.out, plan.force)?;
    let log = Log::new(logargs.format(), logargs.quiet);
    write_report(&dir, &plan.summary, plan.lang, &plan.command, &log)?;
    let done = dir.commit()?;
    if !logargs.quiet {
        crate::output::stdout::print(&format!("{}\n", done.join("report.html").display()))?;
    }
    Ok(())
}

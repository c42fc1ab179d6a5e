//! `custseg report`: re-renders a finished run's report from its `summary.json`, in any language,
//! into a folder of its own (written like a run's: locked, in a temporary folder, moved into place).

use std::path::PathBuf;

use crate::cli::{LogArgs, ReportArgs};
use crate::cmd::run_folder::write_report;
use crate::error::{Error, Result};
use crate::log::Log;
use crate::output::manifest::ReportManifestJson;
use crate::output::{lock, resolved_path, Output, RunDir};
use crate::i18n::Lang;
use crate::report::RunSummary;

/// What `report` renders, and where.
pub struct ReportPlan {
    pub summary: RunSummary,
    pub summary_sha256: String,
    /// The run folder rendered (locked while its report is written).
    pub run: PathBuf,
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
        let summary_sha256 = crate::output::sha256_bytes(text.as_bytes());
        // A summary.json that is there but unreadable is a corrupt run (exit 3), as a corrupt model is.
        let summary: RunSummary = serde_json::from_str(&text).map_err(|e| crate::model::Error::Corrupt {
            path: summary_path.clone(),
            message: format!("not a custseg summary (line {}, column {}): {e}", e.line(), e.column()),
        })?;
        let command = crate::output::manifest::read_back(&args.run)
            .and_then(|m| m.get("command")?.as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ")))
            .unwrap_or_else(|| format!("(see {})", args.run.join("manifest.json").display()));
        let lang = args.lang.unwrap_or(summary.language);
        let out: PathBuf = args.out.clone().unwrap_or_else(|| args.run.join(format!("report-{lang}")));
        // The report goes beside the run, never over it: replacing the run's folder (or one holding it)
        // would lose the run.
        if resolved_path(&args.run).starts_with(resolved_path(&out)) {
            return Err(Error::Usage(format!(
                "--out {} holds the run {}: the report would replace it; give another folder",
                out.display(),
                args.run.display()
            )));
        }
        Ok(ReportPlan { summary, summary_sha256, run: args.run.clone(), lang, command, out, force: args.force })
    }
}

pub fn run(args: ReportArgs, logargs: &LogArgs) -> Result<()> {
    let plan = ReportPlan::from_args(&args)?;
    crate::output::install_signal_cleanup();
    // The run is locked while its report is written: a forced run replacing it meanwhile would lose
    // the report (and a report of a run half replaced would mix two runs).
    let _run_lock = lock(&resolved_path(&plan.run))?;
    let dir = RunDir::create(&plan.out, plan.force)?;
    let log = Log::new(logargs.format(), logargs.quiet);
    write_report(&dir, &plan.summary, plan.lang, &plan.command, &log)?;
    ReportManifestJson { run: &plan.run, summary_sha256: &plan.summary_sha256, language: plan.lang }.write(&dir)?;
    let done = dir.commit()?;
    if !logargs.quiet {
        crate::output::stdout::print(&format!("{}\n", done.join("report.html").display()))?;
    }
    Ok(())
}

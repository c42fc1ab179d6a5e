//! `custseg report`: re-renders a finished run's report from its `summary.json`, in any language,
//! into a folder of its own (written like a run's: locked, in a temporary folder, moved into place).

use std::path::PathBuf;

use crate::cli::{LogArgs, ReportArgs};
use crate::cmd::pipeline;
use crate::error::{Error, Result};
use crate::output::RunDir;
use crate::report::RunSummary;

pub fn run(args: ReportArgs, logargs: &LogArgs) -> Result<()> {
    crate::output::install_signal_cleanup();
    let summary_path = args.run.join("summary.json");
    let text = std::fs::read_to_string(&summary_path).map_err(|e| {
        Error::Usage(format!("--run {}: no summary.json to render ({e}); give the folder of a finished custseg run", args.run.display()))
    })?;
    let summary: RunSummary = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!("{}: not a custseg summary (line {}, column {}): {e}", summary_path.display(), e.line(), e.column()))
    })?;
    // The command that reproduces the run is the run's own, from its manifest.
    let command = std::fs::read_to_string(args.run.join("manifest.json"))
        .ok()
        .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
        .and_then(|m| m.get("command")?.as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ")))
        .unwrap_or_else(|| format!("(see {})", args.run.join("manifest.json").display()));
    let lang = args.lang.unwrap_or(summary.language);
    let out: PathBuf = args.out.clone().unwrap_or_else(|| args.run.join(format!("report-{lang}")));
    // The report goes beside the run, never over it: replacing the run's folder (or one holding it)
    // would lose the run.
    let absolute = |p: &std::path::Path| {
        let resolved = match (p.parent(), p.file_name()) {
            _ if p.exists() => p.canonicalize().ok(),
            (Some(parent), Some(name)) => std::path::absolute(parent).ok().and_then(|d| d.canonicalize().ok()).map(|d| d.join(name)),
            _ => None,
        };
        resolved.or_else(|| std::path::absolute(p).ok()).unwrap_or_else(|| p.to_path_buf())
    };
    let (run_abs, out_abs) = (absolute(&args.run), absolute(&out));
    if run_abs.starts_with(&out_abs) {
        return Err(Error::Usage(format!(
            "--out {} holds the run {}: the report would replace it; give another folder",
            out.display(),
            args.run.display()
        )));
    }
    let dir = RunDir::create(&out, args.force)?;
    let log = crate::log::Log::new(logargs);
    pipeline::write_reports_in(&dir, &summary, lang, &command, &log)?;
    let done = dir.commit()?;
    if !logargs.quiet {
        println!("{}", done.join("report.html").display());
    }
    Ok(())
}

//! `custseg history`: reads every run folder under `--runs` (oldest first, by name) and writes
//! `OUT/history.html` and `OUT/history.csv` ([`crate::report::history`]), written like a run's folder
//! (locked, in a temporary folder, moved into place).

use std::path::PathBuf;

use crate::cli::{HistoryArgs, LogArgs};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::log::Log;
use crate::output::{resolved_path, RunDir};
use crate::report::history::{self, History, Month};
use crate::report::RunSummary;

/// What `history` reads and where it writes.
pub struct HistoryPlan {
    pub months: Vec<Month>,
    /// Folders under `--runs` that are not finished runs (no summary.json), skipped.
    pub skipped: Vec<PathBuf>,
    pub lang: Lang,
    pub out: PathBuf,
    pub force: bool,
}

impl HistoryPlan {
    pub fn from_args(args: &HistoryArgs) -> Result<HistoryPlan> {
        let entries = std::fs::read_dir(&args.runs).map_err(|e| Error::Usage(format!("--runs {}: {e}", args.runs.display())))?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        dirs.sort();
        let out = resolved_path(&args.out);
        let mut months = Vec::new();
        let mut skipped = Vec::new();
        for dir in dirs {
            if resolved_path(&dir) == out {
                continue;
            }
            let path = dir.join("summary.json");
            let Ok(text) = std::fs::read_to_string(&path) else {
                skipped.push(dir);
                continue;
            };
            let summary: RunSummary = serde_json::from_str(&text).map_err(|e| crate::model::Error::Corrupt {
                path: path.clone(),
                message: format!("not a custseg summary (line {}, column {}): {e}", e.line(), e.column()),
            })?;
            let exit_code = crate::output::manifest::exit_code_of(&dir).unwrap_or(0) as i32;
            let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            months.push(Month { name, summary, exit_code });
        }
        if months.is_empty() {
            return Err(Error::Usage(format!("--runs {}: no run folder (one with a summary.json) in it", args.runs.display())));
        }
        let lang = args.lang.unwrap_or(months.last().map_or(Lang::En, |m| m.summary.language));
        Ok(HistoryPlan { months, skipped, lang, out: args.out.clone(), force: args.force })
    }
}

pub fn run(args: HistoryArgs, logargs: &LogArgs) -> Result<()> {
    let plan = HistoryPlan::from_args(&args)?;
    crate::output::install_signal_cleanup();
    let log = Log::new(logargs.format(), logargs.quiet);
    for s in &plan.skipped {
        log.warn(format!("{}: not a finished run (no summary.json), left out", s.display()));
    }
    let dir = RunDir::create(&plan.out, plan.force)?;
    let n = plan.months.len();
    let h = History::new(plan.months);
    crate::i18n::take_missing();
    let charts = history::charts(&h, plan.lang).map_err(|e| Error::Output(crate::output::Error::io("drawing the charts", std::io::Error::other(e.to_string()))))?;
    let charts: Vec<(String, String)> = charts.into_iter().map(|(name, svg)| (name, crate::format::visible(&svg).into_owned())).collect();
    let doc = history::document(&h, plan.lang);
    dir.write_text("history.html", &crate::format::visible(&crate::report::html::render(&doc, &charts)))?;
    let (path, file) = dir.create_file("history.csv")?;
    let mut w = csv::Writer::from_writer(file);
    for row in history::csv(&h, plan.lang) {
        let row: Vec<String> = row.iter().map(|c| crate::output::spreadsheet_safe(c).into_owned()).collect();
        w.write_record(&row).map_err(|e| Error::Output(crate::output::Error::io(format!("writing {}", path.display()), std::io::Error::other(e.to_string()))))?;
    }
    w.flush().map_err(|e| Error::Output(crate::output::Error::io(format!("writing {}", path.display()), e)))?;
    drop(w);
    let manifest = serde_json::json!({ "tool": "custseg", "version": env!("CARGO_PKG_VERSION"), "kind": "history", "runs": args.runs.display().to_string(), "months": n });
    dir.write_text("manifest.json", &serde_json::to_string_pretty(&manifest).unwrap_or_default())?;
    let missing = crate::i18n::take_missing();
    if !missing.is_empty() {
        log.warn(format!("{} texts have no {} translation and show in English", missing.len(), plan.lang));
    }
    let done = dir.commit()?;
    if !logargs.quiet {
        crate::output::stdout::print(&format!("{}\n", done.join("history.html").display()))?;
    }
    Ok(())
}

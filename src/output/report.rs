//! The reports of a run result: `report.md`, `report.html` and the charts under `charts/`, in one
//! language, all from one report document.

use super::{Error, Output, Result, RunDir};
use crate::format::visible;
use crate::i18n::Lang;
use crate::report::{self, RunSummary};

pub struct Report<'a> {
    pub summary: &'a RunSummary,
    pub lang: Lang,
    /// The command line that reproduces the run (the report's *Reproduce* section).
    pub command: &'a str,
}

impl Output for Report<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        let charts = report::charts::render_all(self.summary, self.lang).map_err(|e| Error::io("drawing the charts", std::io::Error::other(e.to_string())))?;
        // Control and bidirectional characters from the data are made visible in every text written
        // (the templates hold none, so the whole text can be filtered).
        let charts: Vec<(String, String)> = charts.into_iter().map(|(name, svg)| (name, visible(&svg).into_owned())).collect();
        for (name, svg) in &charts {
            dir.write_text(&format!("charts/{name}"), svg)?;
        }
        let doc = report::document::build(self.summary, self.lang, self.command);
        dir.write_text("report.md", &visible(&report::markdown::render(&doc)))?;
        dir.write_text("report.html", &visible(&report::html::render(&doc, &charts)))
    }
}

//! `summary.json` (the run result) and `model.json` (the saved model).

use super::{Output, Result, RunDir};
use crate::model::Model;
use crate::report::RunSummary;

pub struct SummaryJson<'a>(pub &'a RunSummary);

impl Output for SummaryJson<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        dir.write_json("summary.json", self.0)
    }
}

/// `model.json`: a model fitted by this run, or the bytes of the model it was scored with (copied as
/// they are, so the folder can serve as the next run's `--previous`).
pub enum ModelJson<'a> {
    Fitted(&'a Model),
    Copied(&'a [u8]),
}

impl Output for ModelJson<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        match self {
            ModelJson::Fitted(model) => dir.write_json("model.json", model),
            ModelJson::Copied(bytes) => dir.write_bytes("model.json", bytes),
        }
    }
}

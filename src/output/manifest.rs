//! `manifest.json`: what produced the folder, from what, and what it holds — tool version, command
//! line, times, exit code, the profile and every input with its SHA-256 (hashed on a background
//! thread while the run reads them), row counts, per-stage seconds and peak memory, and every output
//! file with its size and SHA-256. Written last, so it can checksum every other file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::{sha256_file, Error, Output, Result, RunDir};
use crate::ingest::{expand, ExportPaths, InputStats, Source};
use crate::log::StageTiming;
pub use crate::report::InputFile;

/// One output file as the manifest records it.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The `manifest.json` of a folder custseg wrote, as JSON (None when it is missing or unreadable):
/// what later commands read back from a finished run (its exit code, inputs, command line).
pub fn read_back(dir: &std::path::Path) -> Option<serde_json::Value> {
    let bytes = std::fs::read(dir.join("manifest.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The exit code a finished run's manifest records.
pub fn exit_code_of(dir: &std::path::Path) -> Option<i64> {
    read_back(dir)?.get("exit_code")?.as_i64()
}

/// A file the run was configured with (profile, model) and its checksum.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileRef {
    pub path: String,
    pub sha256: String,
}

/// The manifest. The one output that differs between two otherwise identical runs (times, command
/// line).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub command: Vec<String>,
    pub working_directory: String,
    pub started_at: String,
    pub finished_at: String,
    /// The exit code the run ends with (0, or a gate's code when the folder holds diagnostics).
    pub exit_code: i32,
    pub profile: ProfileRef,
    pub seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ProfileRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_run: Option<String>,
    pub inputs: Vec<InputFile>,
    pub rows: BTreeMap<String, InputStats>,
    pub customers: usize,
    pub k: Option<usize>,
    pub timings: Vec<StageTiming>,
    pub outputs: Vec<OutputFile>,
}

/// The input files' checksums: being computed on a background thread, or known.
pub enum InputHashes {
    Hashing(std::thread::JoinHandle<Result<Vec<InputFile>>>),
    Hashed(Vec<InputFile>),
}

impl InputHashes {
    /// Starts hashing every file the paths name, on a background thread.
    pub fn start(paths: &ExportPaths) -> InputHashes {
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for source in Source::ALL {
            if let Some(p) = paths.get(source) {
                for f in expand(p) {
                    files.push((source.as_str().to_string(), f));
                }
            }
        }
        InputHashes::Hashing(std::thread::spawn(move || {
            files
                .into_iter()
                .map(|(export, f)| {
                    let io = |e| Error::io(format!("hashing {}", f.display()), e);
                    let bytes = std::fs::metadata(&f).map_err(io)?.len();
                    let sha256 = sha256_file(&f).map_err(io)?;
                    Ok(InputFile { export, path: f.display().to_string(), bytes, sha256 })
                })
                .collect()
        }))
    }

    /// The checksums, waiting for the hashing thread if it is still running (they are kept, so a
    /// second call does not wait again).
    pub fn resolve(&mut self) -> Result<Vec<InputFile>> {
        let files = match std::mem::replace(self, InputHashes::Hashed(Vec::new())) {
            InputHashes::Hashed(files) => files,
            InputHashes::Hashing(thread) => {
                thread.join().map_err(|_| Error::io("hashing inputs", std::io::Error::other("hashing thread panicked")))??
            }
        };
        *self = InputHashes::Hashed(files.clone());
        Ok(files)
    }
}

/// Everything about a run that the manifest needs besides its outputs and timings.
pub struct RunRecord {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub profile: ProfileRef,
    pub seed: u64,
    pub model: Option<ProfileRef>,
    pub previous_run: Option<String>,
    pub inputs: InputHashes,
}

/// The manifest of a run about to be committed.
pub struct ManifestJson<'a> {
    pub record: &'a RunRecord,
    /// The input checksums (resolved from `record.inputs`).
    pub inputs: Vec<InputFile>,
    pub rows: BTreeMap<String, InputStats>,
    pub customers: usize,
    pub k: Option<usize>,
    pub exit_code: i32,
    /// Stage timings for the manifest, taken once the outputs are checksummed.
    pub log: &'a crate::log::Log,
}

impl Output for ManifestJson<'_> {
    /// Checksums every file written so far and writes `manifest.json` beside them.
    fn write(&self, dir: &RunDir) -> Result<()> {
        self.log.begin("writing the manifest");
        let outputs = outputs(dir)?;
        self.log.stage_done("manifest");
        let record = self.record;
        let manifest = Manifest {
            tool: "custseg".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: std::env::args().collect(),
            working_directory: std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
            started_at: record.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            exit_code: self.exit_code,
            profile: record.profile.clone(),
            seed: record.seed,
            model: record.model.clone(),
            previous_run: record.previous_run.clone(),
            inputs: self.inputs.clone(),
            rows: self.rows.clone(),
            customers: self.customers,
            k: self.k,
            timings: self.log.timings(),
            outputs,
        };
        dir.write_json("manifest.json", &manifest)
    }
}

/// The manifest of a re-rendered report's folder (`custseg report`): what it was rendered from, and
/// its files with their checksums. It also marks the folder as custseg's, for `--force`.
#[derive(Debug, Clone, Serialize)]
pub struct ReportManifest {
    pub tool: String,
    pub version: String,
    pub command: Vec<String>,
    pub working_directory: String,
    pub rendered_at: String,
    /// The run folder whose `summary.json` was rendered.
    pub run: String,
    pub summary_sha256: String,
    pub language: String,
    pub outputs: Vec<OutputFile>,
}

/// Writes [`ReportManifest`] last into a report folder.
pub struct ReportManifestJson<'a> {
    pub run: &'a std::path::Path,
    pub summary_sha256: &'a str,
    pub language: crate::i18n::Lang,
}

/// Every file written so far into `dir`, with its size and checksum.
fn outputs(dir: &RunDir) -> Result<Vec<OutputFile>> {
    let mut outputs = Vec::new();
    for file in dir.files()? {
        let p = dir.path(&file);
        let io = |e| Error::io(format!("hashing {}", p.display()), e);
        outputs.push(OutputFile { bytes: std::fs::metadata(&p).map_err(io)?.len(), sha256: sha256_file(&p).map_err(io)?, file });
    }
    Ok(outputs)
}

impl Output for ReportManifestJson<'_> {
    fn write(&self, dir: &RunDir) -> Result<()> {
        let manifest = ReportManifest {
            tool: "custseg".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: std::env::args().collect(),
            working_directory: std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
            rendered_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            run: self.run.display().to_string(),
            summary_sha256: self.summary_sha256.to_string(),
            language: self.language.to_string(),
            outputs: outputs(dir)?,
        };
        dir.write_json("manifest.json", &manifest)
    }
}

//! Progress and errors on stderr: text lines, or one JSON object per line (`--log-format json`); a
//! spinner with the current stage only when stderr is a terminal; nothing but errors with `--quiet`.
//! Also times the pipeline's stages for the manifest. A closed or full stderr never stops a command:
//! once a write fails, logging stops.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Set once writing to stderr has failed: later lines are dropped.
static STDERR_BROKEN: AtomicBool = AtomicBool::new(false);

/// Writes one line to stderr; a failure (closed pipe, full disk) silences stderr for the rest of the
/// process instead of stopping it.
fn line_to_stderr(line: &str) {
    if STDERR_BROKEN.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{line}").and_then(|()| err.flush()).is_err() {
        STDERR_BROKEN.store(true, Ordering::Relaxed);
    }
}

/// Wall time of one stage of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageTiming {
    pub stage: String,
    pub seconds: f64,
    /// The process's peak resident memory so far, in MiB, when the stage ended (Linux; null elsewhere).
    #[serde(default)]
    pub peak_rss_mib: Option<u64>,
}

/// The process's peak resident set size so far (`VmHWM` in /proc/self/status), in MiB.
pub fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Whether errors go out as JSON lines (set once the command line is read); for messages printed
/// outside a `Log`, such as the signal handler's.
static JSON_ERRORS: AtomicBool = AtomicBool::new(false);

/// An error line in the chosen format.
pub fn emit_error(message: &str, exit_code: i32) {
    let message = &crate::format::visible(message);
    if JSON_ERRORS.load(Ordering::Relaxed) {
        line_to_stderr(&json_line("error", None, message, Some(("exit_code", serde_json::json!(exit_code)))));
    } else {
        line_to_stderr(&format!("error: {message}"));
    }
}

pub struct Log {
    format: LogFormat,
    quiet: bool,
    start: Instant,
    stage_start: Mutex<Instant>,
    timings: Mutex<Vec<StageTiming>>,
    spinner: Option<indicatif::ProgressBar>,
}

fn json_line(level: &str, t: Option<f64>, message: &str, extra: Option<(&str, serde_json::Value)>) -> String {
    let mut o = serde_json::Map::new();
    // Wall-clock time of the line (UTC, milliseconds), for log collectors that do not stamp lines.
    o.insert("time".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into());
    o.insert("level".into(), level.into());
    if let Some(t) = t {
        o.insert("elapsed_s".into(), serde_json::json!((t * 1000.0).round() / 1000.0));
    }
    o.insert("message".into(), message.into());
    if let Some((k, v)) = extra {
        o.insert(k.into(), v);
    }
    serde_json::Value::Object(o).to_string()
}

impl Log {
    pub fn new(format: LogFormat, quiet: bool) -> Log {
        JSON_ERRORS.store(format == LogFormat::Json, Ordering::Relaxed);
        let start = Instant::now();
        let spinner = (format == LogFormat::Text && !quiet && std::io::stderr().is_terminal()).then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        });
        Log {
            format,
            quiet,
            start,
            stage_start: Mutex::new(start),
            timings: Mutex::new(Vec::new()),
            spinner,
        }
    }

    /// A progress line.
    pub fn info(&self, msg: impl AsRef<str>) {
        self.line("info", "", msg.as_ref(), None);
    }

    /// A warning: a line like [`Log::info`]'s, marked as a warning (`"level": "warning"` in JSON).
    pub fn warn(&self, msg: impl AsRef<str>) {
        self.line("warning", "warning: ", msg.as_ref(), None);
    }

    /// A line about the run as a whole (its start and its end), with `fields` under `"run"` in JSON
    /// for log collectors; the text form is `msg` alone.
    pub fn event(&self, msg: impl AsRef<str>, fields: serde_json::Value) {
        self.line("info", "", msg.as_ref(), Some(("run", fields)));
    }

    /// One line on stderr (unless quiet): JSON with `level` (and `extra`), or text with `prefix`.
    fn line(&self, level: &str, prefix: &str, msg: &str, extra: Option<(&str, serde_json::Value)>) {
        if self.quiet {
            return;
        }
        let t = self.start.elapsed().as_secs_f64();
        let msg = crate::format::visible(msg);
        match (self.format, &self.spinner) {
            (LogFormat::Json, _) => line_to_stderr(&json_line(level, Some(t), msg.as_ref(), extra)),
            (LogFormat::Text, Some(pb)) => pb.println(format!("[{t:>6.2}s] {prefix}{msg}")),
            (LogFormat::Text, None) => line_to_stderr(&format!("[{t:>6.2}s] {prefix}{}", msg.as_ref())),
        }
    }

    /// Marks the start of a stage: shown on the spinner.
    pub fn begin(&self, what: &str) {
        if let Some(pb) = &self.spinner {
            pb.set_message(what.to_string());
        }
    }

    /// Records the time since the previous stage ended as stage `name`.
    pub fn stage_done(&self, name: &str) {
        let now = Instant::now();
        let mut s = self.stage_start.lock().unwrap_or_else(|e| e.into_inner());
        let seconds = (now - *s).as_secs_f64();
        *s = now;
        self.timings.lock().unwrap_or_else(|e| e.into_inner()).push(StageTiming { stage: name.to_string(), seconds, peak_rss_mib: peak_rss_mib() });
    }

    pub fn timings(&self) -> Vec<StageTiming> {
        self.timings.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Clears the spinner (before the final stdout line or an error).
    pub fn finish(&self) {
        if let Some(pb) = &self.spinner {
            pb.finish_and_clear();
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Prints the error that ends the process, in the chosen format (always, even with `--quiet`).
pub fn report_error(format: LogFormat, e: &Error) {
    JSON_ERRORS.store(format == LogFormat::Json, Ordering::Relaxed);
    emit_error(&e.to_string(), e.exit_code());
}

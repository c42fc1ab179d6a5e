//! `custseg sql score` and `custseg sql sample`: the arguments resolved into one plan (a model or
//! profile, the dialect, the tables), the SQL compiled by [`crate::sql`], written to standard output
//! or, whole, to `--out`.

use std::path::{Path, PathBuf};

use crate::cli::{LogArgs, OutagesKey, SqlSampleArgs, SqlScoreArgs, SqlTargetArgs};
use crate::cmd::plan::{parse_as_of, ProfileSource};
use crate::error::{Error, Result};
use crate::ingest::Source;
use crate::log::Log;
use crate::model::Model;
use crate::sql::{self, Dialect, SampleOptions, SampleSize, ScoreOptions, Tables};

/// Where the SQL goes.
struct Target {
    dialect: Dialect,
    tables: Tables,
    out: Option<PathBuf>,
}

impl Target {
    fn from_args(args: &SqlTargetArgs) -> Result<Target> {
        Ok(Target { dialect: args.dialect, tables: Tables::parse(&args.tables).map_err(Error::Usage)?, out: args.out.clone() })
    }

    fn write(&self, sql: &str) -> Result<()> {
        match &self.out {
            None => Ok(crate::output::stdout::print(sql)?),
            Some(path) => write_whole(path, sql),
        }
    }
}

/// Everything `sql score` needs, resolved before anything is written.
pub struct ScorePlan {
    pub model: Model,
    pub options: ScoreOptions,
    target: Target,
}

impl ScorePlan {
    pub fn from_args(args: &SqlScoreArgs, log: &Log) -> Result<ScorePlan> {
        let path = if args.model.is_dir() { args.model.join("model.json") } else { args.model.clone() };
        let model = Model::load(&path)?;
        let target = Target::from_args(&args.target)?;
        // The run folder the model is in says what its exports held.
        let run = path.parent().unwrap_or(Path::new("."));
        let fitted = match FittedInputs::of_run(run)? {
            Some(fitted) => fitted,
            None => {
                log.warn(format!(
                    "{}: no summary.json beside the model, so nothing says what the fitted exports held: the SQL assumes every optional \
                     column is in the tables and outages are keyed by customer (--outages-by feeder if not)",
                    run.display()
                ));
                FittedInputs::default()
            }
        };
        let outages_by_feeder = match args.target.outages_by {
            Some(key) => key == OutagesKey::Feeder,
            None => fitted.outages_by_feeder,
        };
        let options = ScoreOptions {
            dialect: target.dialect,
            as_of: args.as_of.as_deref().map(parse_as_of).transpose()?,
            tables: target.tables.clone(),
            outages_by_feeder,
            absent: fitted.absent,
            lang: args.lang.unwrap_or(model.profile.report.language),
            with_features: args.with_features,
        };
        Ok(ScorePlan { model, options, target })
    }
}

/// What the fitted run's summary.json says of the exports it read: which optional columns they
/// lacked, and whether outages were keyed by feeder. A bare model.json says nothing (every optional
/// column present, outages by customer).
#[derive(Default)]
struct FittedInputs {
    absent: Vec<(Source, String)>,
    outages_by_feeder: bool,
}

impl FittedInputs {
    /// `None` when the folder has no summary.json.
    fn of_run(dir: &Path) -> Result<Option<FittedInputs>> {
        let path = dir.join("summary.json");
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
        let summary: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| crate::model::Error::Corrupt { path: path.clone(), message: format!("not a run summary: {e}") })?;
        let mut fitted = FittedInputs::default();
        for source in Source::ALL {
            let input = &summary["inputs"][source.as_str()];
            for c in input["missing_optional_columns"].as_array().into_iter().flatten().filter_map(|c| c.as_str()) {
                fitted.absent.push((source, c.to_string()));
            }
            if source == Source::Outages && input["feeder_keyed"].as_bool() == Some(true) {
                fitted.outages_by_feeder = true;
            }
        }
        Ok(Some(fitted))
    }
}

pub fn score(args: SqlScoreArgs, logargs: &LogArgs) -> Result<()> {
    let log = Log::new(logargs.format(), logargs.quiet);
    let plan = ScorePlan::from_args(&args, &log)?;
    let sql = sql::score(&plan.model, &plan.options).map_err(|e| Error::Usage(format!("{}: cannot be scored in SQL: {e}", args.model.display())))?;
    plan.target.write(&sql)
}

pub fn sample(args: SqlSampleArgs) -> Result<()> {
    let profile = ProfileSource::read(args.profile.as_deref())?;
    let target = Target::from_args(&args.target)?;
    let size = match (args.customers, args.fraction) {
        (Some(n), None) => SampleSize::Customers(n),
        (None, Some(f)) => SampleSize::Fraction(f),
        _ => return Err(Error::Usage("give one of --customers N and --fraction F".into())),
    };
    let mut exports = Vec::new();
    for e in &args.exports {
        let source = Source::ALL
            .into_iter()
            .find(|s| s.as_str() == e)
            .ok_or_else(|| Error::Usage(format!("--export {e}: not an export (billing, outages, tickets, customers)")))?;
        if !exports.contains(&source) {
            exports.push(source);
        }
    }
    if exports.is_empty() {
        exports = Source::ALL.to_vec();
    }
    let options = SampleOptions {
        dialect: target.dialect,
        size,
        tables: target.tables.clone(),
        exports,
        outages_by_feeder: args.target.outages_by == Some(OutagesKey::Feeder),
    };
    let sql = sql::sample(&profile.profile, &options).map_err(|e| Error::Usage(e.0))?;
    target.write(&sql)
}

/// Writes `text` into a temporary file beside `path` and moves it into place: a reader never sees
/// half of it.
fn write_whole(path: &Path, text: &str) -> Result<()> {
    let io = |what: &str, e: std::io::Error| crate::output::Error::io(format!("{what} {}", path.display()), e);
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| Error::Usage(format!("--out {}: not a file name", path.display())))?;
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| io("writing", e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("moving into", e)
    })?;
    Ok(())
}

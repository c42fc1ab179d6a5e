//! The parts of a command's plan that several commands share, each resolved once from the flags before
//! any data is read: the profile (its text read once, its checksum taken from that read), where the
//! exports are and the window's end, where the run writes, the thread count.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::cli::{InputArgs, OutputArgs};
use crate::error::{Error, Result};
use crate::ingest::{ExportPaths, ExportsSettings};
use crate::output::manifest::ProfileRef;
use crate::profile::{Profile, ProfileError, DEFAULT_PROFILE_NAME, DEFAULT_PROFILE_TOML};
use crate::i18n::Lang;

/// The most worker threads `--threads` may ask for.
pub const MAX_THREADS: usize = 256;

/// A profile as the run uses it: parsed and checked, with where it came from and the SHA-256 of the
/// very text that was parsed.
#[derive(Debug, Clone)]
pub struct ProfileSource {
    /// How reports and the manifest name it (the path given, or the bundled profile's name).
    pub path: String,
    pub sha256: String,
    pub profile: Profile,
}

impl ProfileSource {
    /// The profile at `path`, or the bundled default.
    pub fn read(path: Option<&Path>) -> Result<ProfileSource, ProfileError> {
        match path {
            None => Ok(ProfileSource::parse(DEFAULT_PROFILE_TOML, Path::new(DEFAULT_PROFILE_NAME))?),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ProfileError { path: p.to_path_buf(), message: format!("cannot read the file: {e}") })?;
                ProfileSource::parse(&text, p)
            }
        }
    }

    fn parse(text: &str, path: &Path) -> Result<ProfileSource, ProfileError> {
        Ok(ProfileSource {
            path: path.display().to_string(),
            sha256: crate::output::sha256_bytes(text.as_bytes()),
            profile: Profile::parse(text, path)?,
        })
    }

    /// How the manifest records it.
    pub fn reference(&self) -> ProfileRef {
        ProfileRef { path: self.path.clone(), sha256: self.sha256.clone() }
    }
}

/// Where the exports are, and where the analysis window ends.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub paths: ExportPaths,
    /// `--as-of`; `None`: the newest bill.
    pub as_of: Option<NaiveDate>,
}

impl Inputs {
    /// The exports the flags name (the profile's `exports.<export>.file` filling the rest): `--data
    /// DIR`, files named one by one, or `./data-samples` when neither is given.
    pub fn resolve(args: &InputArgs, exports: &ExportsSettings) -> Result<Inputs> {
        let as_of = match &args.as_of {
            Some(s) => Some(parse_as_of(s)?),
            None => None,
        };
        let explicit = ExportPaths {
            billing: args.billing.clone(),
            outages: args.outages.clone(),
            tickets: args.tickets.clone(),
            customers: args.customers.clone(),
        };
        let named = explicit.billing.is_some() || explicit.outages.is_some() || explicit.tickets.is_some() || explicit.customers.is_some();
        let data: Option<PathBuf> = match &args.data {
            Some(d) if !d.is_dir() => return Err(Error::Usage(format!("--data {}: no such folder", d.display()))),
            Some(d) => Some(d.clone()),
            None if !named => {
                let d = PathBuf::from("data-samples");
                if !d.is_dir() {
                    return Err(Error::Usage(
                        "no --data folder given, and ./data-samples does not exist here (run from the project folder, or pass --data DIR)"
                            .into(),
                    ));
                }
                Some(d)
            }
            None => None,
        };
        Ok(Inputs { paths: ExportPaths::locate(data.as_deref(), explicit, exports)?, as_of })
    }
}

/// `--as-of`: a date as `YYYY-MM-DD`.
pub(crate) fn parse_as_of(s: &str) -> Result<NaiveDate> {
    use chrono::Datelike;
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Error::Usage(format!("--as-of {s}: expected a date as YYYY-MM-DD")))?;
    // The years exports may hold (see ingest::values): a window ending elsewhere holds no bill.
    if !(1000..=9999).contains(&date.year()) {
        return Err(Error::Usage(format!("--as-of {s}: expected a year between 1000 and 9999")));
    }
    Ok(date)
}

/// Where a run writes, and in which language.
#[derive(Debug, Clone)]
pub struct OutputTarget {
    pub out: PathBuf,
    pub force: bool,
    /// `--lang`, overriding the profile's `report.language`.
    pub lang: Option<Lang>,
}

impl OutputTarget {
    pub fn from_args(args: &OutputArgs) -> OutputTarget {
        OutputTarget { out: args.out.clone(), force: args.force, lang: args.lang }
    }

    /// Refuses an `--out` that holds one of the exports: replacing the folder would delete them.
    pub fn check_inputs(&self, inputs: &Inputs) -> Result<()> {
        let out = crate::output::resolved_path(&self.out);
        for source in crate::ingest::Source::ALL {
            if let Some(p) = inputs.paths.get(source) {
                if crate::output::resolved_path(p).starts_with(&out) {
                    return Err(Error::Usage(format!(
                        "--out {} holds the {source} export {}: the run replaces its output folder whole, which would \
                         delete the export; write the run to another folder",
                        self.out.display(),
                        p.display()
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `--threads`, checked (at least 1, at most [`MAX_THREADS`]), sizes the thread pools of polars and
/// rayon. Called first, before anything (a previous run's Parquet) starts a pool.
pub fn configure_threads(threads: Option<usize>) -> Result<()> {
    if let Some(t) = threads {
        if t == 0 {
            return Err(Error::Usage("--threads must be at least 1".into()));
        }
        if t > MAX_THREADS {
            return Err(Error::Usage(format!("--threads {t}: at most {MAX_THREADS} worker threads")));
        }
        // polars reads its pool size from the environment on first use.
        std::env::set_var("POLARS_MAX_THREADS", t.to_string());
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads: {e}")))?;
    }
    Ok(())
}

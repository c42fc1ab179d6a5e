//! Where the exports are: `--data DIR` and the profile's `exports.<export>.file`, or files named one by
//! one; a file name may be a pattern matching several files of one export.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Error, ExportsSettings, Result, Source};

/// Where each export is read from. Only billing is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportPaths {
    pub billing: Option<PathBuf>,
    pub outages: Option<PathBuf>,
    pub tickets: Option<PathBuf>,
    pub customers: Option<PathBuf>,
}

impl ExportPaths {
    pub fn get(&self, source: Source) -> Option<&PathBuf> {
        match source {
            Source::Billing => self.billing.as_ref(),
            Source::Outages => self.outages.as_ref(),
            Source::Tickets => self.tickets.as_ref(),
            Source::Customers => self.customers.as_ref(),
        }
    }

    fn slot(&mut self, source: Source) -> &mut Option<PathBuf> {
        match source {
            Source::Billing => &mut self.billing,
            Source::Outages => &mut self.outages,
            Source::Tickets => &mut self.tickets,
            Source::Customers => &mut self.customers,
        }
    }

    /// Fills every export not named explicitly from the profile's `exports.<export>.file` (inside
    /// `DIR`), or else `DIR/<export>.csv` or `DIR/<export>.parquet`.
    pub fn locate(data_dir: Option<&Path>, explicit: ExportPaths, settings: &ExportsSettings) -> Result<ExportPaths> {
        let mut paths = explicit;
        for source in Source::ALL {
            if paths.get(source).is_none() {
                if let Some(file) = &settings.get(source).file {
                    let p = match data_dir {
                        Some(d) => d.join(file),
                        None => PathBuf::from(file),
                    };
                    if expand(&p).is_empty() {
                        return Err(Error::NotFound(format!(
                            "the {source} export {} (exports.{source}.file in the profile) matches no file",
                            p.display()
                        )));
                    }
                    *paths.slot(source) = Some(p);
                }
            }
            if let Some(p) = paths.get(source) {
                if expand(p).is_empty() {
                    return Err(Error::NotFound(format!(
                        "the {source} export {} does not exist or is not a file",
                        p.display()
                    )));
                }
                continue;
            }
            let Some(dir) = data_dir else { continue };
            let found: Vec<PathBuf> = ["csv", "parquet"]
                .iter()
                .map(|ext| dir.join(format!("{}.{ext}", source.as_str())))
                .filter(|p| p.is_file())
                .collect();
            match found.len() {
                0 => {}
                1 => *paths.slot(source) = found.into_iter().next(),
                _ => {
                    return Err(Error::NotFound(format!(
                        "{} holds both {source}.csv and {source}.parquet: keep one, or name it with --{source}",
                        dir.display()
                    )))
                }
            }
        }
        if paths.billing.is_none() {
            let where_ = match data_dir {
                Some(d) => format!("{}/billing.csv or {}/billing.parquet not found", d.display(), d.display()),
                None => "no --data folder and no --billing file given".to_string(),
            };
            return Err(Error::NotFound(format!("the billing export is required: {where_}")));
        }
        Ok(paths)
    }
}

/// Whether a path's file name is a pattern (`*` any characters, `?` one).
pub(super) fn is_pattern(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(['*', '?']))
}

fn matches(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => matches(&pattern[1..], name) || (!name.is_empty() && matches(pattern, &name[1..])),
        (Some('?'), Some(_)) => matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// The files a path names: itself if it is a file, or the files its file-name pattern matches, in
/// name order.
pub fn expand(path: &Path) -> Vec<PathBuf> {
    if !is_pattern(path) {
        return if path.is_file() { vec![path.to_path_buf()] } else { Vec::new() };
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let pattern: Vec<char> = path.file_name().and_then(|n| n.to_str()).unwrap_or("").chars().collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    let name: Vec<char> = p.file_name().and_then(|n| n.to_str()).unwrap_or("").chars().collect();
                    matches(&pattern, &name)
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}


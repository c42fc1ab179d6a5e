//! What `run` and `assign` share: a run folder, from the exports to the features in it
//! ([`RunFolder::prepare`]) and from the segmentation to the committed folder ([`RunFolder::finish`]):
//! the run result built once (segments profiled and named, migration, projection, checksums), every
//! output written from it, the manifest last, then the move into place.

use ndarray::Array2;

use crate::cluster::{EnforcedBalance, Selection};
use crate::cmd::plan::{Inputs, ProfileSource};
use crate::error::{Error, Result};
use crate::features::{self, Attributes, FeatureMatrix, FeaturePlan};
use crate::format::count;
use crate::ingest::{self, CustomerCounts, Exports, Window};
use crate::log::Log;
use crate::model::migration::SegmentRef;
use crate::model::previous::{PreviousRun, SegmentIdentity};
use crate::model::{Drift, FittedModel, Model};
use crate::output::assignments::{self, Assignment};
use crate::output::features::FeaturesParquet;
use crate::output::json::{ModelJson, SummaryJson};
use crate::output::manifest::{ManifestJson, RunRecord};
use crate::output::migration::MigrationCsv;
use crate::output::rejects::Rejects;
use crate::output::report::Report;
use crate::output::{Output, RunDir};
use crate::profile::Profile;
use crate::report::segments::SegmentsInput;
use crate::report::{self, ProfileInfo, RunSummary, SummaryParts};

/// A run folder being written: the temporary folder (locked), what the manifest will record, the log.
pub(crate) struct RunFolder<'a> {
    dir: RunDir,
    record: RunRecord,
    log: &'a Log,
}

/// The exports read, checked, windowed and turned into features.
pub(crate) struct Prepared {
    pub exports: Exports,
    pub window: Window,
    pub fm: FeatureMatrix,
    pub counts: CustomerCounts,
    pub attributes: Attributes,
}

/// How features are scaled: fitted on these customers (`run`) or a saved model's (`assign`).
pub(crate) enum Scaling<'a> {
    Fit(FeaturePlan<'a>),
    Saved(&'a Model),
}

/// The customers put into segments: by a fit (`run`) or by a saved model (`assign`).
pub(crate) struct Segmented {
    pub centroids: Array2<f64>,
    /// Each customer's segment, in fit order (`0..k`).
    pub labels: Vec<u32>,
    /// Each customer's squared distance to its segment's centre.
    pub d2: Vec<f64>,
    pub identity: SegmentIdentity,
    /// With `balance = "enforce"`: the bounds kept and their cost.
    pub balance: Option<EnforcedBalance>,
    /// `assign`: how far customers sit from what the model saw.
    pub drift: Option<Drift>,
}

/// Where `model.json` comes from.
pub(crate) enum ModelSource<'a> {
    /// A model fitted by this run; a new segment's id continues the previous run's lineage.
    Fitted,
    /// The model the customers were scored with, copied as it is.
    Scored { path: String, bytes: &'a [u8] },
}

/// Everything a finished segmentation hands over to be written.
pub(crate) struct Finished<'a> {
    pub profile: &'a ProfileSource,
    pub prep: Prepared,
    pub selection: Selection,
    /// `None` when no segmentation passed the checks (then `gate` says why).
    pub segmented: Option<Segmented>,
    pub previous: Option<&'a PreviousRun>,
    pub model: ModelSource<'a>,
    /// A gate that already failed (no segmentation, drift): the folder is written, then this is the
    /// command's error.
    pub gate: Option<Error>,
}

impl<'a> RunFolder<'a> {
    /// Takes the lock on `out` and starts its temporary folder.
    pub fn open(out: &std::path::Path, force: bool, record: RunRecord, log: &'a Log) -> Result<RunFolder<'a>> {
        let dir = RunDir::create(out, force)?;
        log.event(
            format!("started: writing {}{}", out.display(), record.previous_run.as_ref().map(|p| format!(", previous run {p}")).unwrap_or_default()),
            serde_json::json!({ "event": "start", "out": out.display().to_string(), "previous": record.previous_run }),
        );
        Ok(RunFolder { dir, record, log })
    }

    /// The folder's final path, as the user gave it.
    pub fn shown(&self) -> &std::path::Path {
        &self.dir.shown
    }

    /// Ingest and features. On a failed quality gate the folder (rejects and manifest) is moved into
    /// place before the error is returned.
    pub fn prepare(self, inputs: &Inputs, profile: &Profile, scaling: Scaling<'_>) -> Result<(Prepared, RunFolder<'a>)> {
        let log = self.log;
        log.begin("reading exports");
        let opened = ingest::open_all(&inputs.paths, &profile.exports)?;
        let columns: features::ExportColumns = opened.iter().map(|(s, o)| (*s, o.columns())).collect();
        let (used, skipped) = match scaling {
            Scaling::Fit(plan) => features::usable(plan.features, &columns),
            Scaling::Saved(model) => (model.features.clone(), Vec::new()),
        };
        let layouts = opened.iter().map(|(s, o)| (*s, (&o.layout, ingest::ValueFormats::new(profile.exports.get(*s))))).collect();
        let mut folds = features::Folds::new(&used, &layouts, &profile.attributes);
        let ingested = ingest::read_all(&opened, &profile.exports, inputs.as_of, profile.run.window_months, &mut folds, &|e| {
            log.info(format!(
                "read {}: {} rows from {} ({} rejected)",
                e.source,
                count(e.stats.rows_read),
                e.path.display(),
                count(e.stats.rows_rejected)
            ))
        })?;
        log.stage_done("read");
        Rejects(&ingested.exports).write(&self.dir)?;
        if let Err(err) = ingest::check_rejects(&ingested.exports, &profile.exports, profile.quality.max_reject_share) {
            let err = Error::from(err);
            self.commit(ingest::input_stats(&ingested.exports), 0, None, err.exit_code())?;
            return Err(err);
        }
        let window = ingested.window()?;
        log.info(format!("window: {} to {}", window.start, window.as_of));
        log.begin("building features");
        let counts = ingested.counts();
        let mut ingested = ingested;
        let (fm, attributes) = match scaling {
            Scaling::Fit(plan) => features::build(plan, used, skipped, folds, &mut ingested, window)?,
            Scaling::Saved(model) => features::build_with_scaler(&model.features, &model.scaler, folds, &mut ingested, window)?,
        };
        log.info(format!(
            "features: {} customers x {} features ({} skipped)",
            count(fm.customer_ids.len()),
            fm.specs.len(),
            fm.skipped.len()
        ));
        log.stage_done("features");
        Ok((Prepared { exports: ingested.exports, window, fm, counts, attributes }, self))
    }

    /// Writes the manifest and moves the folder into place.
    fn commit(mut self, rows: std::collections::BTreeMap<String, ingest::InputStats>, customers: usize, k: Option<usize>, exit_code: i32) -> Result<std::path::PathBuf> {
        let inputs = self.record.inputs.resolve()?;
        ManifestJson { record: &self.record, inputs, rows, customers, k, exit_code, log: self.log }.write(&self.dir)?;
        Ok(self.dir.commit()?)
    }

    /// The run result and every output, the manifest, the move into place; then the gate's error if
    /// one failed (the folder is written either way), else the report's path on stdout.
    pub fn finish(mut self, run: Finished<'_>, quiet: bool) -> Result<()> {
        let log = self.log;
        let Finished { profile: source, mut prep, selection, segmented, previous, model, mut gate } = run;
        let profile = &source.profile;
        let lang = profile.report.language;
        let segments = match &segmented {
            Some(s) => report::segments::profile(SegmentsInput {
                features: &prep.fm,
                labels: &s.labels,
                k: s.centroids.nrows(),
                attributes: &prep.attributes,
                attribute_settings: &profile.attributes,
                identity: &s.identity,
                names: &profile.segments,
            }),
            None => Vec::new(),
        };
        // The revenue and the household attributes served the segment profiles only: freed before
        // the outputs are written, at the report stage's peak (130 MB at 10M customers).
        prep.fm.revenue = Vec::new();
        prep.attributes = Attributes::default();
        let fm = &prep.fm;
        // Each customer's segment id.
        let segment_of = segmented.as_ref().map_or_else(report::SegmentOf::default, |s| report::SegmentOf { labels: &s.labels, ids: &s.identity.ids });
        let migration = match (previous, &segmented) {
            (Some(p), Some(_)) => {
                let current: Vec<(&str, usize)> = fm.customer_ids.iter().enumerate().map(|(i, id)| (id, segment_of.get(i))).collect();
                Some(p.migration(&current, segments.iter().map(|s| SegmentRef { id: s.id, name: s.name.clone() }).collect()))
            }
            _ => None,
        };
        if gate.is_none() {
            let csv = self.dir.shown.join("migration.csv");
            gate = migration
                .as_ref()
                .and_then(|m| m.segment_gate(profile.quality.fail_on_segment_change).or_else(|| m.gate(profile.quality.max_migration_share, &csv)))
                .map(Error::from);
        }
        for s in segments.iter() {
            if let (Some(before), Some(now)) = (&s.leading_changed_from, s.traits.first()) {
                log.warn(format!(
                    "segment {} ({}) is now set apart most by \"{}\" (it was \"{}\"){}",
                    s.id,
                    s.name.en,
                    now.text.en,
                    before.en,
                    if profile.segments.rename_when_traits_change { "; renamed (segments.rename_when_traits_change)" } else { "; its name is kept" }
                ));
            }
        }
        if let Some(m) = &migration {
            for v in m.vanished() {
                log.warn(format!("segment {} ({}) of the previous run has no successor", v.segment.id, v.segment.name.en));
            }
            for s in m.new_segments() {
                log.warn(format!("segment {} ({}) is new since the previous run", s.id, s.name.en));
            }
        }
        let projection = segmented
            .as_ref()
            .map(|s| report::projection::map_of_segments(fm.scaled.view(), segment_of, s.centroids.nrows(), profile.run.seed));
        // The report names every input with its checksum: wait for the hashing thread here.
        let input_files = self.record.inputs.resolve()?;
        if let Some(p) = previous {
            for (export, path) in p.same_inputs(&input_files) {
                log.warn(format!(
                    "the {export} export {path} is identical to the previous run's (same SHA-256): check that this month's export was written"
                ));
            }
        }
        let summary = RunSummary::new(SummaryParts {
            profile: ProfileInfo {
                path: source.path.clone(),
                name: profile.display_text(&source.path),
                consumption_unit: profile.run.consumption_unit.clone(),
                currency: profile.run.currency.clone(),
            },
            seed: profile.run.seed,
            language: lang,
            report: &profile.report,
            groups: &profile.groups,
            window: prep.window,
            features: fm,
            selection: &selection,
            segments,
            inputs: ingest::input_stats(&prep.exports),
            counts: prep.counts.clone(),
            scored_with_model: match &model {
                ModelSource::Scored { path, .. } => Some(path.clone()),
                ModelSource::Fitted => None,
            },
            migration,
            drift: segmented.as_ref().and_then(|s| s.drift.clone()),
            balance: segmented.as_ref().and_then(|s| s.balance.clone()),
            projection,
            input_files,
        });

        // Outputs, all from the run result.
        if let Some(m) = &summary.migration {
            MigrationCsv { migration: m, lang }.write(&self.dir)?;
        }
        if let Some(s) = &segmented {
            let name_of = |id: usize| summary.segments.iter().find(|seg| seg.id == id).map(|seg| seg.name.clone()).unwrap_or_default();
            let reasons = report::segments::reasons(fm, segment_of, &summary.segments, lang);
            let names: Vec<&str> = names_by_segment_id(&summary.segments, lang);
            let rows = AssignmentRows { ids: &fm.customer_ids, segment_of, names: &names, d2: &s.d2, reasons: &reasons };
            // features.parquet, the widest output, is written beside the others (no output depends on
            // the order in which files are written).
            let dir = &self.dir;
            let (features, others) = rayon::join(
                || FeaturesParquet(fm).write(dir),
                || -> Result<()> {
                    assignments::Csv(&rows).write(dir)?;
                    assignments::Parquet(&rows).write(dir)?;
                    match model {
                        ModelSource::Scored { bytes, .. } => ModelJson::Copied(bytes).write(dir)?,
                        ModelSource::Fitted => {
                            let fitted = Model::fitted(FittedModel {
                                profile,
                                profile_path: &source.path,
                                profile_sha256: &source.sha256,
                                window: prep.window,
                                features: fm,
                                centroids: s.centroids.view(),
                                labels: &s.labels,
                                ids: &s.identity.ids,
                                names: s.identity.ids.iter().map(|&id| name_of(id)).collect(),
                                previous_next_id: previous.map_or(0, |p| p.model.next_segment_id),
                            });
                            ModelJson::Fitted(&fitted).write(dir)?;
                        }
                    }
                    Ok(())
                },
            );
            features?;
            others?;
        }
        SummaryJson(&summary).write(&self.dir)?;
        if lang == crate::i18n::Lang::Zh {
            let missing = profile.untranslated();
            if !missing.is_empty() {
                let shown: Vec<&str> = missing.iter().take(8).map(String::as_str).collect();
                log.warn(format!(
                    "{} texts of the profile have no Chinese and show in English in the report: {}{}",
                    missing.len(),
                    shown.join(", "),
                    if missing.len() > shown.len() { ", …" } else { "" }
                ));
            }
            // Values of the profiled attributes are data, but a Chinese report should not show them
            // in English unknowingly: each attribute with untranslated values is named.
            for (name, values) in untranslated_values(&summary) {
                log.warn(format!(
                    "attribute {name}: the values {} show as exported in the Chinese report; translate them under [attributes] values_zh.{name}",
                    values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let command = std::env::args().collect::<Vec<_>>().join(" ");
        write_report(&self.dir, &summary, lang, &command, log)?;
        log.stage_done("report");

        let exit_code = gate.as_ref().map_or(0, Error::exit_code);
        let rows = summary.inputs.clone();
        let previous_run = self.record.previous_run.clone();
        let out = self.commit(rows, summary.customers, summary.k, exit_code)?;
        let moved = summary.migration.as_ref().map(|m| m.moved_share);
        log.event(
            format!(
                "finished: exit {exit_code}, k = {}{}{}",
                summary.k.map_or("none".to_string(), |k| k.to_string()),
                moved.map(|m| format!(", {} of continuing customers changed segment", crate::format::percent(m))).unwrap_or_default(),
                gate.as_ref().map(|g| format!(", gate: {g}")).unwrap_or_default()
            ),
            serde_json::json!({
                "event": "end",
                "out": out.display().to_string(),
                "previous": previous_run,
                "k": summary.k,
                "migration_share": moved,
                "gate": gate.as_ref().map(|g| g.to_string()),
                "exit_code": exit_code,
            }),
        );
        if let Some(e) = gate {
            return Err(e);
        }
        log.info(format!("wrote {} (report: {})", out.display(), out.join("report.md").display()));
        log.finish();
        if !quiet {
            crate::output::stdout::print(&format!("{}\n", out.join("report.md").display()))?;
        }
        Ok(())
    }
}

/// `report.md`, `report.html` and the charts of `summary` in `lang`; `command` reproduces the run. A
/// fixed text without a translation is shown in English and named in a warning.
pub(crate) fn write_report(dir: &RunDir, summary: &RunSummary, lang: crate::i18n::Lang, command: &str, log: &Log) -> Result<()> {
    crate::i18n::take_missing();
    Report { summary, lang, command }.write(dir)?;
    let missing = crate::i18n::take_missing();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|m| format!("\"{m}\"")).collect();
        log.info(format!("warning: {} report texts have no {lang} translation and show in English: {}", missing.len(), list.join(", ")));
    }
    Ok(())
}

/// Per profiled attribute, its values (of any segment) in Latin letters without a Chinese wording, in
/// order of first sight; the placeholders custseg writes itself ("(other)", "(unknown)") are
/// translated already.
fn untranslated_values(summary: &RunSummary) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for a in summary.segments.iter().flat_map(|s| &s.attributes) {
        // A value already written in Chinese (or in digits only) needs no translation.
        let missing = a.values.iter().filter(|v| {
            !v.value.starts_with('(') && v.value.chars().any(|c| c.is_ascii_alphabetic()) && v.label.as_ref().is_none_or(|l| l.zh.is_none())
        });
        let entry = match out.iter().position(|(n, _)| *n == a.name) {
            Some(i) => &mut out[i].1,
            None => {
                out.push((a.name.clone(), Vec::new()));
                &mut out.last_mut().expect("just pushed").1
            }
        };
        for v in missing {
            if !entry.contains(&v.value) {
                entry.push(v.value.clone());
            }
        }
    }
    out.retain(|(_, v)| !v.is_empty());
    out
}

/// Segment names by segment id (an id no segment has: empty).
fn names_by_segment_id(segments: &[report::SegmentProfile], lang: crate::i18n::Lang) -> Vec<&str> {
    let top = segments.iter().map(|s| s.id + 1).max().unwrap_or(0);
    (0..top).map(|id| segments.iter().find(|x| x.id == id).map_or("", |x| x.name.get(lang))).collect()
}

/// The assignment files' rows, made one at a time from the run result.
struct AssignmentRows<'a> {
    ids: &'a features::Ids,
    segment_of: report::SegmentOf<'a>,
    names: &'a [&'a str],
    d2: &'a [f64],
    reasons: &'a report::segments::Reasons,
}

impl assignments::Rows for AssignmentRows<'_> {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn row(&self, i: usize) -> Assignment<'_> {
        let seg = self.segment_of.get(i);
        Assignment {
            customer_id: self.ids.get(i),
            segment: seg as u32,
            segment_name: self.names.get(seg).copied().unwrap_or(""),
            distance: self.d2[i].sqrt(),
            reasons: self.reasons.get(i),
        }
    }
}

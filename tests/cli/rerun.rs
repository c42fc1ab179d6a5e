//! Monthly reruns: segment ids kept across runs, migration, and the
//! operational guarantees cron relies on (refused or locked output folders, signals, manifest, logs).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

fn pairs(path: &Path, a: &str, b: &str) -> HashMap<String, String> {
    read_pairs(path, a, b).into_iter().collect()
}

/// The segment most of a persona's customers are in, for each persona.
fn segment_of_persona(truth: &HashMap<String, String>, seg: &HashMap<String, String>) -> BTreeMap<String, String> {
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (id, p) in truth {
        *counts.entry(p.clone()).or_default().entry(seg[id].clone()).or_default() += 1;
    }
    counts.into_iter().map(|(p, c)| (p, c.into_iter().max_by_key(|(_, n)| *n).unwrap().0)).collect()
}

#[test]
fn a_second_month_keeps_every_personas_segment_and_reports_the_planted_moves() {
    let t = tempfile::tempdir().unwrap();
    let (g1, g2, r1, r2) = (t.path().join("g1"), t.path().join("g2"), t.path().join("r1"), t.path().join("r2"));
    generate(&g1, 6000, 3);
    custseg()
        .args(["sample-data", "--customers", "6000", "--seed", "3", "--month", "2", "--moved-share", "0.1"])
        .args(["--departed-share", "0.03", "--new-share", "0.03", "--out"])
        .arg(&g2)
        .assert()
        .success();
    custseg().args(["run", "--quiet", "--k", "6", "--data"]).arg(&g1).arg("--out").arg(&r1).assert().success();
    // A different seed, so the second fit starts elsewhere: ids must come from matching, not luck.
    custseg()
        .args(["run", "--quiet", "--k", "6", "--seed", "99", "--data"])
        .arg(&g2)
        .arg("--out")
        .arg(&r2)
        .arg("--previous")
        .arg(&r1)
        .assert()
        .success();

    let (t1, t2) = (pairs(&g1.join("truth.csv"), "customer_id", "persona"), pairs(&g2.join("truth.csv"), "customer_id", "persona"));
    let (a1, a2) = (pairs(&r1.join("assignments.csv"), "customer_id", "segment"), pairs(&r2.join("assignments.csv"), "customer_id", "segment"));
    let (n1, n2) = (pairs(&r1.join("assignments.csv"), "segment", "segment_name"), pairs(&r2.join("assignments.csv"), "segment", "segment_name"));
    let (s1, s2) = (segment_of_persona(&t1, &a1), segment_of_persona(&t2, &a2));
    assert_eq!(s1.len(), 6);
    assert_eq!(s1.values().collect::<std::collections::BTreeSet<_>>().len(), 6, "personas share a segment: {s1:?}");
    for (persona, seg) in &s1 {
        assert_eq!(&s2[persona], seg, "{persona} moved from segment {seg} to {}", s2[persona]);
        assert_eq!(n1[seg], n2[seg], "segment {seg} changed its name");
    }

    // Migration: new and departed customers exactly; the from → to shares within sampling noise of
    // the planted moves (persona changes mapped through the month-1 persona → segment map).
    let s = read_json(&r2.join("summary.json"));
    let m = &s["migration"];
    let sum = |v: &serde_json::Value| v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).sum::<u64>();
    let new = t2.keys().filter(|id| !t1.contains_key(*id)).count() as u64;
    let departed = t1.keys().filter(|id| !t2.contains_key(*id)).count() as u64;
    assert_eq!(sum(&m["new_customers"]), new);
    assert_eq!(sum(&m["departed_customers"]), departed);
    let both: Vec<&String> = t1.keys().filter(|id| t2.contains_key(*id)).collect();
    assert_eq!(m["continuing"].as_u64().unwrap(), both.len() as u64);
    let planted_moves = both.iter().filter(|id| t1[**id] != t2[**id]).count() as f64 / both.len() as f64;
    assert!((planted_moves - 0.1).abs() < 0.02, "planted {planted_moves}");
    let moved = m["moved_share"].as_f64().unwrap();
    assert!((moved - planted_moves).abs() < 0.05, "moved share {moved} vs planted {planted_moves}");
    let from: Vec<String> = m["from"].as_array().unwrap().iter().map(|f| f["id"].to_string()).collect();
    let to: Vec<String> = m["to"].as_array().unwrap().iter().map(|f| f["id"].to_string()).collect();
    let mut expected: HashMap<(String, String), f64> = HashMap::new();
    let mut row_total: HashMap<String, f64> = HashMap::new();
    for id in &both {
        let (f, g) = (s1[&t1[*id]].clone(), s1[&t2[*id]].clone());
        *expected.entry((f.clone(), g)).or_default() += 1.0;
        *row_total.entry(f).or_default() += 1.0;
    }
    for (r, f) in from.iter().enumerate() {
        for (c, g) in to.iter().enumerate() {
            let observed = m["shares"][r][c].as_f64().unwrap();
            let planted = expected.get(&(f.clone(), g.clone())).copied().unwrap_or(0.0) / row_total[f];
            assert!((observed - planted).abs() < 0.08, "{f} → {g}: observed {observed:.3}, planted {planted:.3}");
        }
    }
    let csv = std::fs::read_to_string(r2.join("migration.csv")).unwrap();
    assert!(csv.starts_with("from_segment,from_name,to_segment,to_name,customers,share_of_from\n"));
    assert_eq!(csv.lines().count(), 1 + 6 * 6 + 6 + 6);
    let report = std::fs::read_to_string(r2.join("report.md")).unwrap();
    assert!(report.contains("## Changes since the previous run") && report.contains("](charts/migration.svg)"));
    let svg = std::fs::read_to_string(r2.join("charts/migration.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("New customers"));
    for f in m["from"].as_array().unwrap() {
        assert!(svg.contains(&format!("{}: ", f["id"])), "the heatmap lacks previous segment {}", f["id"]);
    }
}

/// Month-1 and month-2 exports of the same 2,000 customers.
pub(crate) fn two_months(dir: &Path) -> (PathBuf, PathBuf) {
    let (g1, g2) = (dir.join("g1"), dir.join("g2"));
    generate(&g1, 2000, 5);
    custseg().args(["sample-data", "--customers", "2000", "--seed", "5", "--month", "2", "--out"]).arg(&g2).assert().success();
    (g1, g2)
}

pub(crate) fn profile_with(dir: &Path, quality_line: &str) -> PathBuf {
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = dir.join("gated.toml");
    std::fs::write(&p, edit(&base, "[quality]\n", &format!("[quality]\n{quality_line}\n"))).unwrap();
    p
}

#[test]
fn a_migration_beyond_max_migration_share_exits_5_with_every_output_written() {
    let t = tempfile::tempdir().unwrap();
    let (g1, g2) = two_months(t.path());
    let p = profile_with(t.path(), "max_migration_share = 0.02");
    let (r1, r2) = (t.path().join("r1"), t.path().join("r2"));
    custseg().args(["run", "--quiet", "--k", "6", "--profile"]).arg(&p).arg("--data").arg(&g1).arg("--out").arg(&r1).assert().success();
    let a = custseg()
        .args(["run", "--quiet", "--k", "6", "--profile"])
        .arg(&p)
        .arg("--data")
        .arg(&g2)
        .arg("--out")
        .arg(&r2)
        .arg("--previous")
        .arg(&r1)
        .assert()
        .code(5);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("changed segment") && err.contains("max_migration_share"), "{err}");
    for f in ["migration.csv", "charts/migration.svg", "assignments.csv", "model.json", "report.md", "manifest.json"] {
        assert!(r2.join(f).is_file(), "{f} missing");
    }
    assert_eq!(read_json(&r2.join("manifest.json"))["exit_code"], 5);
}

#[test]
fn a_held_lock_refuses_a_second_run_with_exit_6() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    // What a concurrent run holds while it works.
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(t.path().join(".o.lock")).unwrap();
    lock.lock().unwrap();
    let a = custseg().args(["run", "--quiet", "--out"]).arg(&out).assert().code(6);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("another custseg run is writing"), "{err}");
    assert!(!out.exists());
    lock.unlock().unwrap();
    custseg().args(["run", "--quiet", "--out"]).arg(&out).assert().success();
}

/// Starts a run over `out` that pauses once everything is written, just before it moves its folder
/// into place (the test hook `CUSTSEG_HOLD_BEFORE_COMMIT`), and waits until it is there. Creating
/// `release` lets it go on.
// The caller waits for the child (or kills it).
#[allow(clippy::zombie_processes)]
fn paused_run(dir: &Path, out: &Path, release: &Path, extra: &[&str]) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("custseg"))
        .current_dir(repo())
        .args(["run", "--quiet", "--k", "3"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .env("CUSTSEG_HOLD_BEFORE_COMMIT", release)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let name = out.file_name().unwrap().to_string_lossy().to_string();
    let start = Instant::now();
    loop {
        let tmp = leftovers(dir).into_iter().find(|n| n.starts_with(&format!(".{name}.tmp-")));
        if tmp.is_some_and(|t| dir.join(t).join("manifest.json").is_file()) {
            return child;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the run never reached its commit");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_second_run_on_a_folder_being_written_exits_6() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    let release = t.path().join("release");
    let mut first = paused_run(t.path(), &out, &release, &[]);
    let second = custseg().args(["run", "--quiet", "--out"]).arg(&out).output().unwrap();
    assert_eq!(second.status.code(), Some(6), "{}", String::from_utf8_lossy(&second.stderr));
    std::fs::write(&release, "").unwrap();
    assert!(first.wait().unwrap().success());
    assert!(out.join("manifest.json").is_file());
    assert!(leftovers(t.path()).is_empty());
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()).map(|e| (e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap_or_default())).collect()
}

/// A finished run in `dir/o`, then a second run over it (`--force`) stopped by `signal` when it has
/// written everything but not yet moved it into place. Returns the first run's files and the status.
fn interrupted(dir: &Path, signal: i32) -> (BTreeMap<String, Vec<u8>>, std::process::ExitStatus) {
    let out = dir.join("o");
    custseg().args(["run", "--quiet", "--out"]).arg(&out).assert().success();
    let before = snapshot(&out);
    let mut child = paused_run(dir, &out, &dir.join("never"), &["--force"]);
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    (before, child.wait().unwrap())
}

#[test]
fn a_terminated_run_leaves_the_previous_output_intact_and_no_partial_folder() {
    let t = tempfile::tempdir().unwrap();
    let (before, status) = interrupted(t.path(), libc::SIGTERM);
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{status:?}");
    assert_eq!(snapshot(&t.path().join("o")), before, "the previous output changed");
    assert!(leftovers(t.path()).is_empty(), "left behind: {:?}", leftovers(t.path()));
}

#[test]
fn a_killed_run_leaves_the_previous_output_intact_and_the_next_run_clears_its_leftovers() {
    let t = tempfile::tempdir().unwrap();
    let (before, status) = interrupted(t.path(), libc::SIGKILL);
    assert!(!status.success());
    let out = t.path().join("o");
    assert_eq!(snapshot(&out), before, "the previous output changed");
    // SIGKILL cannot be caught: the temporary folder stays until the next run on this folder.
    assert_eq!(leftovers(t.path()).len(), 1);
    custseg().args(["run", "--quiet", "--force", "--out"]).arg(&out).assert().success();
    assert!(leftovers(t.path()).is_empty(), "left behind: {:?}", leftovers(t.path()));
}

#[test]
fn the_manifest_checksums_every_input_and_output() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--seed", "5", "--out"]).arg(&out).assert().success();
    let m = read_json(&out.join("manifest.json"));
    assert_eq!(m["seed"], 5);
    assert_eq!(m["exit_code"], 0);
    assert_eq!(m["profile"]["path"], "profiles/residential.toml");
    assert_eq!(
        m["profile"]["sha256"].as_str().unwrap(),
        custseg::output::sha256_bytes(&std::fs::read(repo().join("profiles/residential.toml")).unwrap())
    );
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 4);
    for i in inputs {
        let p = repo().join(i["path"].as_str().unwrap());
        assert_eq!(i["bytes"].as_u64().unwrap(), std::fs::metadata(&p).unwrap().len());
        assert_eq!(i["sha256"].as_str().unwrap(), custseg::output::sha256_file(&p).unwrap());
    }
    let outputs = m["outputs"].as_array().unwrap();
    let names: Vec<&str> = outputs.iter().map(|o| o["file"].as_str().unwrap()).collect();
    // Every file of the folder but the manifest itself, sorted.
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().to_string());
            }
        }
    }
    let mut on_disk = Vec::new();
    walk(&out, &out, &mut on_disk);
    on_disk.retain(|f| f != "manifest.json");
    on_disk.sort();
    assert_eq!(names, on_disk);
    for f in ["assignments.csv", "assignments.parquet", "model.json", "report.md", "report.html", "summary.json", "charts/sizes.svg"] {
        assert!(names.contains(&f), "{f} not in the manifest");
    }
    for o in outputs {
        let p = out.join(o["file"].as_str().unwrap());
        assert_eq!(o["sha256"].as_str().unwrap(), custseg::output::sha256_file(&p).unwrap());
    }
    let stages: Vec<&str> = m["timings"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["read", "features", "cluster", "report", "manifest"]);
    assert_eq!(m["rows"]["billing"]["rows_read"], 24_599);
}

#[test]
fn json_logs_are_one_object_per_line_and_errors_carry_the_exit_code() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    let a = custseg().args(["run", "--log-format", "json", "--out"]).arg(&out).assert().success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.lines().count() >= 5, "{err}");
    for line in err.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(v["level"], "info");
        assert!(v["message"].is_string() && v["elapsed_s"].is_number());
    }
    let a = custseg().args(["--log-format", "json", "run", "--out"]).arg(&out).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!((v["level"].as_str(), v["exit_code"].as_i64()), (Some("error"), Some(2)));
    // --quiet: nothing on stderr or stdout when all goes well; errors still.
    let a = custseg().args(["run", "--quiet", "--force", "--out"]).arg(&out).assert().success();
    assert!(a.get_output().stderr.is_empty() && a.get_output().stdout.is_empty());
}

#[test]
fn the_monthly_script_passes_the_previous_run_and_keeps_the_newest_runs() {
    let t = tempfile::tempdir().unwrap();
    let runs = t.path().join("runs");
    let months = ["2026-01", "2026-02", "2026-03"];
    for (i, id) in months.iter().enumerate() {
        // Months 1 and 2 of the same customers (a third generated month would be dated after today),
        // then month 2's exports again under the third name.
        let data = t.path().join(format!("g{}", i.min(1)));
        if i < 2 {
            custseg()
                .args(["sample-data", "--customers", "1500", "--seed", "4", "--month", &(i + 1).to_string(), "--out"])
                .arg(&data)
                .assert()
                .success();
        }
        let out = std::process::Command::new("bash")
            .arg(repo().join("contrib/monthly-run.sh"))
            .args(["--data"])
            .arg(&data)
            .arg("--runs")
            .arg(&runs)
            .args(["--keep", "2", "--id", id, "--", "--k", "6"])
            .env("CUSTSEG", assert_cmd::cargo::cargo_bin("custseg"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        }
        let m = read_json(&runs.join(id).join("manifest.json"));
        match i {
            0 => assert!(m.get("previous_run").is_none()),
            _ => assert_eq!(m["previous_run"].as_str().unwrap(), runs.join(months[i - 1]).display().to_string()),
        }
    }
    let mut left: Vec<String> = std::fs::read_dir(&runs).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).filter(|n| !n.starts_with('.')).collect();
    left.sort();
    assert_eq!(left, ["2026-02", "2026-03"]);
    // The same month again is refused (exit 2) and prunes nothing.
    let again = std::process::Command::new("bash")
        .arg(repo().join("contrib/monthly-run.sh"))
        .arg("--data")
        .arg(t.path().join("g1"))
        .arg("--runs")
        .arg(&runs)
        .args(["--keep", "1", "--id", "2026-03"])
        .env("CUSTSEG", assert_cmd::cargo::cargo_bin("custseg"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(runs.join("2026-02").is_dir());
}

#[test]
fn an_output_folder_that_cannot_be_created_exits_1() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let a = custseg().args(["run", "--quiet", "--out"]).arg(file.join("out")).assert().code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("a-file"), "{err}");
}


/// `run --as-of` a month earlier, then the newest month with `--previous`: the same customers, with
/// behaviour unchanged and 11 of 12 months shared.
fn rolling_window(dir: &Path, extra: &[&str]) -> (PathBuf, PathBuf, String) {
    let (a, b) = (dir.join("a"), dir.join("b"));
    custseg().args(["run", "--quiet", "--as-of", "2026-09-05", "--out"]).arg(&a).assert().success();
    let out = custseg().args(["run", "--log-format", "json", "--previous"]).arg(&a).arg("--out").arg(&b).args(extra).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (a, b, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn a_rolling_window_keeps_k_and_nearly_every_customers_segment() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, log) = rolling_window(t.path(), &[]);
    let (sa, sb) = (read_json(&a.join("summary.json")), read_json(&b.join("summary.json")));
    assert_eq!(sb["previous_k"], sa["k"]);
    assert_eq!(sb["kept_previous_k"], true);
    assert_eq!(sb["k"], sa["k"]);
    let moved = sb["migration"]["moved_share"].as_f64().unwrap();
    assert!(moved <= 0.03, "{moved} of the customers changed segment");
    // Checked against the assignments themselves, not only the summary's figure.
    let (pa, pb) = (pairs(&a.join("assignments.csv"), "customer_id", "segment"), pairs(&b.join("assignments.csv"), "customer_id", "segment"));
    let kept = pb.iter().filter(|(id, s)| pa.get(*id) == Some(s)).count();
    assert!(kept as f64 >= 0.97 * pb.len() as f64, "{kept} of {} kept their segment", pb.len());
    // The log says so, and every JSON line has a timestamp.
    assert!(log.contains("kept k = ") && log.contains("the fit starts from its segments"), "{log}");
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let time = v["time"].as_str().unwrap_or_else(|| panic!("no time in {line}"));
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    }
    // The start and end lines carry what cron needs to know.
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let start = lines.iter().find(|v| v["run"]["event"] == "start").expect("a start line");
    assert_eq!((start["run"]["out"].as_str(), start["run"]["previous"].as_str()), (Some(b.to_str().unwrap()), Some(a.to_str().unwrap())));
    let end = lines.iter().find(|v| v["run"]["event"] == "end").expect("an end line");
    assert_eq!((end["run"]["k"].clone(), end["run"]["exit_code"].as_i64(), end["run"]["gate"].is_null()), (sb["k"].clone(), Some(0), true));
    assert_eq!(end["run"]["migration_share"].as_f64(), Some(moved));
    // The same exports as last time: a warning per export.
    let same: Vec<&serde_json::Value> = lines.iter().filter(|v| v["level"] == "warning" && v["message"].as_str().unwrap().contains("identical to the previous run's")).collect();
    assert_eq!(same.len(), 4, "{log}");
    let report = std::fs::read_to_string(b.join("report.md")).unwrap();
    assert!(report.contains("segments, as in the previous run"), "{report}");
}

/// The committed sample's customers with the sixth persona's customers drawn from the other five.
fn five_personas(dir: &Path) -> PathBuf {
    let d = dir.join("five");
    custseg().args(["sample-data", "-q", "--customers", "2000", "--seed", "7", "--personas", "5", "--out"]).arg(&d).assert().success();
    d
}

#[test]
fn a_vanished_segment_exits_5_says_where_its_customers_went_and_can_be_accepted() {
    let t = tempfile::tempdir().unwrap();
    let first = t.path().join("first");
    custseg().args(["run", "--quiet", "--out"]).arg(&first).assert().success();
    let data = five_personas(t.path());
    let second = t.path().join("second");
    let out = custseg().args(["run", "--data"]).arg(&data).arg("--previous").arg(&first).arg("--out").arg(&second).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("has no successor") && stderr.contains("of its customers are now in segment"), "{stderr}");
    assert!(stderr.contains("warning: k changed from 6 (the previous run) to"), "{stderr}");
    // Every output is written, and the report says it before anything else.
    for f in ["assignments.csv", "model.json", "migration.csv", "report.html"] {
        assert!(second.join(f).is_file(), "{f}");
    }
    let report = std::fs::read_to_string(second.join("report.md")).unwrap();
    let top = &report[..report.find("## The segments").expect("The segments")];
    assert!(top.contains("of the previous run is gone.**") && top.contains("of its customers are now in segment"), "{top}");
    let summary = read_json(&second.join("summary.json"));
    assert_eq!((summary["previous_k"].as_u64(), summary["kept_previous_k"].as_bool()), (Some(6), Some(false)));
    // The profile may accept the change.
    let p = edited_profile(t.path(), "accept.toml", &[("max_reject_share = 0.01", "max_reject_share = 0.01\nfail_on_segment_change = false")]);
    custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--data").arg(&data).arg("--previous").arg(&first).arg("--out").arg(t.path().join("accepted")).assert().success();
}

#[test]
fn keep_k_refuses_a_change_of_k_with_exit_4() {
    let t = tempfile::tempdir().unwrap();
    let first = t.path().join("first");
    custseg().args(["run", "--quiet", "--out"]).arg(&first).assert().success();
    let data = five_personas(t.path());
    let p = edited_profile(t.path(), "keep.toml", &[("min_stability = 0.75", "min_stability = 0.75\nkeep_k = true")]);
    let second = t.path().join("second");
    let out = custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--data").arg(&data).arg("--previous").arg(&first).arg("--out").arg(&second).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("clustering.keep_k: the previous run's k = 6 no longer passes the checks"), "{stderr}");
    // On data that still supports it, keep_k changes nothing.
    let (_, b, _) = rolling_window(t.path(), &["--profile", p.to_str().unwrap()]);
    assert_eq!(read_json(&b.join("summary.json"))["kept_previous_k"], true);
}

fn monthly(runs: &Path, data: &Path, id: &str, extra: &[&str]) -> std::process::Output {
    std::process::Command::new("bash")
        .arg(repo().join("contrib/monthly-run.sh"))
        .arg("--data")
        .arg(data)
        .arg("--runs")
        .arg(runs)
        .args(["--keep", "2", "--id", id])
        .args(extra)
        .env("CUSTSEG", assert_cmd::cargo::cargo_bin("custseg"))
        .output()
        .unwrap()
}

#[test]
fn the_monthly_script_retries_a_failed_month_skips_a_gated_baseline_and_logs_what_it_prunes() {
    let t = tempfile::tempdir().unwrap();
    let runs = t.path().join("runs");
    let good = repo().join("data-samples");
    let five = five_personas(t.path());
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).to_string();
    assert!(monthly(&runs, &good, "2026-01", &[]).status.success());
    // A month whose segments changed: exit 5, written, but not the next month's baseline.
    let gated = monthly(&runs, &five, "2026-02", &[]);
    assert_eq!(gated.status.code(), Some(5), "{}", text(&gated));
    // A failed attempt at March (no k can be that balanced: exit 4).
    let strict = edited_profile(t.path(), "strict.toml", &[("max_size_ratio = 5.0", "max_size_ratio = 1.01")]);
    let failed = monthly(&runs, &good, "2026-03", &["--profile", strict.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(4), "{}", text(&failed));
    assert!(runs.join("2026-03/manifest.json").is_file());
    // The retry replaces it, takes January (not gated February) as its baseline, and prunes January
    // (keep 2), saying so in JSON.
    let retry = monthly(&runs, &good, "2026-03", &[]);
    assert!(retry.status.success(), "{}", text(&retry));
    let m = read_json(&runs.join("2026-03/manifest.json"));
    assert_eq!(m["previous_run"].as_str().unwrap(), runs.join("2026-01").display().to_string());
    let lines: Vec<serde_json::Value> = text(&retry).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(lines.iter().any(|v| v["message"].as_str().unwrap().contains("replacing") && v["time"].is_string()), "{lines:?}");
    assert!(lines.iter().any(|v| v["message"].as_str().unwrap().contains("pruning") && v["message"].as_str().unwrap().contains("2026-01")), "{lines:?}");
    assert!(!runs.join("2026-01").exists() && runs.join("2026-02").is_dir());
    // custseg itself refuses a gated run as --previous unless the profile accepts it.
    let out = custseg().args(["run", "--quiet", "--previous"]).arg(runs.join("2026-02")).arg("--out").arg(t.path().join("x")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("quality.accept_gated_previous"));
    let accept = edited_profile(t.path(), "accept.toml", &[("max_reject_share = 0.01", "max_reject_share = 0.01\naccept_gated_previous = true")]);
    custseg().args(["run", "--quiet", "--profile"]).arg(&accept).arg("--data").arg(&five).arg("--previous").arg(runs.join("2026-02")).arg("--out").arg(t.path().join("y")).assert().success();
    // No lock file is left beside a finished run.
    let locks: Vec<String> = std::fs::read_dir(&runs).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).filter(|n| n.ends_with(".lock")).collect();
    assert!(locks.is_empty(), "{locks:?}");
    assert!(!t.path().join(".y.lock").exists());
}

#[test]
fn a_segment_whose_leading_trait_changed_is_flagged_and_renamed_only_if_the_profile_says_so() {
    let t = tempfile::tempdir().unwrap();
    let first = t.path().join("first");
    custseg().args(["run", "--quiet", "--out"]).arg(&first).assert().success();
    // The previous run as if segment 1 had been set apart most by another trait.
    let path = first.join("summary.json");
    let mut summary = read_json(&path);
    let seg = summary["segments"].as_array_mut().unwrap().iter_mut().find(|s| s["id"] == 1).unwrap();
    let actual = seg["traits"][0]["feature"].as_str().unwrap().to_string();
    let other = if actual == "tickets" { "complaints" } else { "tickets" };
    seg["traits"][0]["feature"] = other.into();
    seg["traits"][0]["text"] = serde_json::json!({ "en": "Earlier trait", "zh": "以前的特征" });
    std::fs::write(&path, serde_json::to_string_pretty(&summary).unwrap()).unwrap();
    assert_eq!(read_json(&path)["segments"][0]["traits"][0]["feature"], other, "the edit took");
    let name_before = summary["segments"].as_array().unwrap().iter().find(|s| s["id"] == 1).unwrap()["name"]["en"].clone();

    let kept = t.path().join("kept");
    let out = custseg().args(["run", "--previous"]).arg(&first).arg("--out").arg(&kept).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: segment 1 (") && stderr.contains("(it was \"Earlier trait\"); its name is kept"), "{stderr}");
    let s = read_json(&kept.join("summary.json"));
    let seg = s["segments"].as_array().unwrap().iter().find(|s| s["id"] == 1).unwrap().clone();
    assert_eq!(seg["leading_changed_from"]["en"], "Earlier trait");
    assert_eq!(seg["name"]["en"], name_before);
    assert!(s["segments"].as_array().unwrap().iter().filter(|s| s.get("leading_changed_from").is_some()).count() == 1);
    let report = std::fs::read_to_string(kept.join("report.md")).unwrap();
    let top = &report[..report.find("## The segments").unwrap()];
    assert!(top.contains("has changed**: it was set apart most by “Earlier trait”"), "{top}");

    let p = edited_profile(t.path(), "rename.toml", &[("[groups]", "[segments]\nrename_when_traits_change = true\n\n[groups]")]);
    let renamed = t.path().join("renamed");
    custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--previous").arg(&first).arg("--out").arg(&renamed).assert().success();
    let s = read_json(&renamed.join("summary.json"));
    let seg = s["segments"].as_array().unwrap().iter().find(|s| s["id"] == 1).unwrap().clone();
    assert_ne!(seg["name"]["en"], name_before, "renamed");
    assert_eq!(seg["id"], 1, "the id stays");
}

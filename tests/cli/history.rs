//! `custseg history`: a line of monthly runs read back into history.csv (checked against each run's
//! summary) and history.html (every chart drawn, nothing overflowing, in headless Chromium).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;

/// Four months in `runs`: the committed sample as of August, September and October (each with the
/// previous month), then a month whose segments changed (exit 5).
fn four_months(t: &Path) -> PathBuf {
    let runs = t.join("runs");
    let months = [("2026-08", Some("2026-08-05")), ("2026-09", Some("2026-09-05")), ("2026-10", None)];
    let mut previous: Option<PathBuf> = None;
    for (name, as_of) in months {
        let out = runs.join(name);
        let mut cmd = custseg();
        cmd.args(["run", "--quiet", "--out"]).arg(&out);
        if let Some(d) = as_of {
            cmd.args(["--as-of", d]);
        }
        if let Some(p) = &previous {
            cmd.arg("--previous").arg(p);
        }
        cmd.assert().success();
        previous = Some(out);
    }
    let five = t.join("five");
    custseg().args(["sample-data", "-q", "--customers", "2000", "--seed", "7", "--personas", "5", "--out"]).arg(&five).assert().success();
    custseg().args(["run", "--quiet", "--data"]).arg(&five).arg("--previous").arg(previous.unwrap()).arg("--out").arg(runs.join("2026-11")).assert().code(5);
    // Not a run: left out with a warning.
    std::fs::create_dir_all(runs.join("notes")).unwrap();
    runs
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|rec| head.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect()).collect()
}

#[test]
fn history_csv_gives_each_months_sizes_flows_measures_and_gates_as_the_runs_say() {
    let t = tempfile::tempdir().unwrap();
    let runs = four_months(t.path());
    let out = t.path().join("history");
    let a = custseg().args(["history", "--runs"]).arg(&runs).arg("--out").arg(&out).assert().success();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("notes: not a finished run"));
    let csv = rows(&out.join("history.csv"));
    for month in ["2026-08", "2026-09", "2026-10", "2026-11"] {
        let summary = read_json(&runs.join(month).join("summary.json"));
        let of = |kind: &str| csv.iter().filter(|r| r["kind"] == kind && r["month"] == month).collect::<Vec<_>>();
        // Sizes: one row per segment, as the summary has them.
        let sizes = of("size");
        let segments = summary["segments"].as_array().unwrap();
        assert_eq!(sizes.len(), segments.len(), "{month}");
        for s in segments {
            let id = s["id"].as_u64().unwrap().to_string();
            let row = sizes.iter().find(|r| r["segment"] == id).unwrap();
            assert_eq!(row["customers"], s["size"].to_string());
            assert!((row["share"].parse::<f64>().unwrap() - s["share"].as_f64().unwrap()).abs() < 1e-6);
            assert_eq!(row["as_of"], summary["window"]["as_of"].as_str().unwrap());
            // Measures: the overview's features, each segment's mean.
            for name in summary["overview"].as_array().unwrap() {
                let m = of("measure").into_iter().find(|r| r["segment"] == id && r["measure"] == name.as_str().unwrap()).unwrap().clone();
                let mean = s["features"].as_array().unwrap().iter().find(|f| f["name"] == *name).unwrap()["mean"].as_f64().unwrap();
                assert!((m["value"].parse::<f64>().unwrap() - mean).abs() <= 1e-9 * mean.abs().max(1.0), "{month} {name}");
            }
        }
        // Flows: the run's migration counts, every non-zero cell.
        let flows = of("flow");
        match summary["migration"].as_object() {
            None => assert!(flows.is_empty()),
            Some(m) => {
                let (from, to, counts) = (m["from"].as_array().unwrap(), m["to"].as_array().unwrap(), m["counts"].as_array().unwrap());
                let mut cells = 0;
                for (ri, f) in from.iter().enumerate() {
                    let from_id = f["id"].as_u64().unwrap().to_string();
                    for (ci, s) in to.iter().enumerate() {
                        let c = counts[ri][ci].as_u64().unwrap();
                        if c > 0 {
                            cells += 1;
                            let to_id = s["id"].as_u64().unwrap().to_string();
                            let row = flows.iter().find(|r| r["from_segment"] == from_id && r["segment"] == to_id).unwrap();
                            assert_eq!(row["customers"], c.to_string());
                        }
                    }
                }
                assert_eq!(flows.len(), cells);
            }
        }
        let gates = of("gate");
        if month == "2026-11" {
            assert_eq!(gates.len(), 1);
            assert_eq!(gates[0]["exit_code"], "5");
            assert!(gates[0]["detail"].contains("gone"), "{:?}", gates[0]);
        } else {
            assert!(gates.is_empty(), "{month}");
        }
    }
    let html = std::fs::read_to_string(out.join("history.html")).unwrap();
    assert!(html.contains("id=\"gates\"") && html.contains("2026-11"));
    // In Chinese too, with every text translated.
    let zh = t.path().join("history-zh");
    let a = custseg().args(["history", "--lang", "zh", "--runs"]).arg(&runs).arg("--out").arg(&zh).assert().success();
    assert!(!String::from_utf8_lossy(&a.get_output().stderr).contains("translation"), "{}", String::from_utf8_lossy(&a.get_output().stderr));
    assert!(std::fs::read_to_string(zh.join("history.html")).unwrap().contains("客户群变化历史"));
    // An existing --out is refused without --force, replaced with it.
    custseg().args(["history", "--quiet", "--runs"]).arg(&runs).arg("--out").arg(&out).assert().code(2);
    custseg().args(["history", "--quiet", "--force", "--runs"]).arg(&runs).arg("--out").arg(&out).assert().success();
    // A folder with no run is a usage error.
    custseg().args(["history", "--runs"]).arg(runs.join("notes")).arg("--out").arg(t.path().join("x")).assert().code(2);
}

#[test]
fn history_html_renders_in_headless_chromium_without_overflow() {
    let Some(browser) = crate::browser::required_chromium() else {
        eprintln!("skipped: no chromium on PATH (`.ci/run` installs it)");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let runs = four_months(t.path());
    for lang in ["en", "zh"] {
        let out = t.path().join(format!("history-{lang}"));
        custseg().args(["history", "--quiet", "--lang", lang, "--runs"]).arg(&runs).arg("--out").arg(&out).assert().success();
        let findings = crate::browser::probe_page(&browser, &out.join("history.html"), t.path());
        let overview = read_json(&runs.join("2026-11/summary.json"))["overview"].as_array().unwrap().len();
        assert_eq!(findings.first().map(String::as_str), Some(format!("charts={}", 2 + overview).as_str()), "{findings:?}");
        assert!(findings.len() == 1, "layout problems ({lang}): {:?}", &findings[1..]);
    }
}

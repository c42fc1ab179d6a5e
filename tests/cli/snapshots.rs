//! Snapshots (insta) of what marketing reads, on the committed sample: `report.md` and the segment
//! section of `summary.json`. A change to either shows up as a reviewed diff, not a silent drift.
//! The command line in the report's *Reproduce* section depends on where the test runs and is masked.

use crate::common::*;

fn sample_run() -> (String, serde_json::Value) {
    sample_run_in("en")
}

fn sample_run_in(lang: &str) -> (String, serde_json::Value) {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--lang", lang, "--out"]).arg(&out).assert().success();
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let mut lines: Vec<String> = report.lines().map(String::from).collect();
    let heading = if lang == "zh" { "### 重现本次运行" } else { "### Reproduce this run" };
    let at = lines.iter().position(|l| l == heading).expect("a Reproduce section");
    assert_eq!(lines[at + 2], "```");
    assert!(lines[at + 3].contains("custseg") && lines[at + 3].contains(" run --quiet --lang "), "{}", lines[at + 3]);
    lines[at + 3] = "[command line]".into();
    (lines.join("\n") + "\n", read_json(&out.join("summary.json")))
}

#[test]
fn report_md_on_the_committed_sample() {
    let (report, _) = sample_run();
    insta::assert_snapshot!("report_md", report);
}

#[test]
fn chinese_report_md_on_the_committed_sample() {
    let (report, _) = sample_run_in("zh");
    insta::assert_snapshot!("report_md_zh", report);
}

#[test]
fn summary_segments_on_the_committed_sample() {
    let (_, summary) = sample_run();
    insta::assert_snapshot!("summary_segments", serde_json::to_string_pretty(&summary["segments"]).unwrap());
}

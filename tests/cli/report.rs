//! `custseg report`: re-rendering a finished run's report, in its language or another, beside the run.

use std::path::PathBuf;

use crate::common::{custseg, read_json};
use crate::language::{assert_chinese, p, read, run_ok};

#[test]
fn report_re_renders_a_finished_run_exactly_and_leaves_the_run_alone() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    run_ok(&["run", "--out", p(&run)], 0);
    let before: Vec<(PathBuf, Vec<u8>)> = ["summary.json", "manifest.json", "report.html", "report.md", "model.json"]
        .iter()
        .map(|f| (run.join(f), std::fs::read(run.join(f)).unwrap()))
        .collect();
    // In the run's own language, from summary.json alone: the same report, byte for byte.
    let again = t.path().join("again");
    let out = custseg().args(["report", "--run", p(&run), "--out", p(&again)]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), p(&again.join("report.html")));
    for f in ["report.md", "report.html", "charts/sizes.svg", "charts/k-selection.svg", "charts/segment-1-index.svg"] {
        assert!(std::fs::read(run.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(), "{f} differs when re-rendered");
    }
    // In Chinese, into DIR/report-zh by default; a second time needs --force.
    run_ok(&["report", "--run", p(&run), "--lang", "zh"], 0);
    assert_chinese(&read(run.join("report-zh/report.md")));
    assert!(read(run.join("report-zh/charts/profile-heatmap.svg")).contains("月均用电量"));
    let again = custseg().args(["report", "--quiet", "--run", p(&run), "--lang", "zh"]).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"), "{}", String::from_utf8_lossy(&again.stderr));
    run_ok(&["report", "--run", p(&run), "--lang", "zh", "--force"], 0);
    for (path, bytes) in before {
        assert!(std::fs::read(&path).unwrap() == bytes, "{} changed", path.display());
    }
    // Not a run folder; an unknown language.
    let bad = custseg().args(["report", "--run", p(t.path())]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no summary.json"), "{}", String::from_utf8_lossy(&bad.stderr));
    // Never over the run itself, or a folder holding it.
    for out in [run.clone(), t.path().to_path_buf()] {
        let bad = custseg().args(["report", "--run", p(&run), "--force", "--out", p(&out)]).output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("would replace it"));
    }
    assert!(run.join("summary.json").is_file());
    let bad = custseg().args(["report", "--run", p(&run), "--lang", "fr"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown language \"fr\""));
}

/// Every segment card ends its description with programmes, each with a reason in plain numbers, or
/// with a sentence saying that no rule fits; the committed sample has one segment of each kind.
#[test]
fn every_segment_gets_a_programme_or_a_sentence_saying_none_fits() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--out"]).arg(&out).assert().success();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let cards: Vec<&str> = md.split("\n### Segment ").skip(1).map(|c| c.split("\n## ").next().unwrap()).collect();
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(cards.len(), summary["segments"].as_array().unwrap().len());
    let none_fits = "None of the programme rules fits this segment";
    let (mut with, mut without) = (0, 0);
    for card in &cards {
        let offers = card.split("**What to offer**").nth(1).unwrap_or_else(|| panic!("no offers in {card}"));
        let items: Vec<&str> = offers.lines().filter(|l| l.starts_with("- **")).collect();
        if card.contains(none_fits) {
            without += 1;
        } else {
            with += 1;
            assert!(!items.is_empty(), "{card}");
            for i in &items {
                assert!(!i.contains(" SD") && (i.contains("(all customers: ") || i.contains("of the amount billed")), "{i}");
            }
        }
    }
    assert!(with > 0 && without > 0, "{with} with programmes, {without} without");
}

//! `custseg assign`: scoring with a saved model — reproducing a run, drift, old models, and the
//! previous run it may be compared with.

use crate::common::*;
use crate::rerun::{profile_with, two_months};

#[test]
fn assign_on_the_fitted_data_reproduces_the_run_exactly_and_sees_no_drift() {
    let t = tempfile::tempdir().unwrap();
    let (run, scored) = (t.path().join("run"), t.path().join("scored"));
    custseg().args(["run", "--quiet", "--out"]).arg(&run).assert().success();
    custseg().args(["assign", "--quiet", "--model"]).arg(&run).arg("--out").arg(&scored).assert().success();
    for f in ["assignments.csv", "assignments.parquet"] {
        assert!(std::fs::read(run.join(f)).unwrap() == std::fs::read(scored.join(f)).unwrap(), "{f} differs");
    }
    let (a, b) = (read_json(&run.join("summary.json")), read_json(&scored.join("summary.json")));
    assert_eq!(a["segments"], b["segments"]);
    assert_eq!(b["drift"]["beyond_max_share"], 0.0);
    assert!(b["scored_with_model"].as_str().unwrap().ends_with("model.json"));
    let report = std::fs::read_to_string(scored.join("report.md")).unwrap();
    assert!(report.contains("## How customers were placed") && report.contains("**Drift**"), "{report}");
    // The model's profile is the profile: another one is refused.
    custseg()
        .args(["assign", "--quiet", "--profile", "profiles/residential.toml", "--model"])
        .arg(&run)
        .arg("--out")
        .arg(t.path().join("x"))
        .assert()
        .code(2);
}

#[test]
fn drift_beyond_max_drift_share_exits_5_when_scoring_changed_customers() {
    let t = tempfile::tempdir().unwrap();
    let (g1, _) = two_months(t.path());
    let p = profile_with(t.path(), "max_drift_share = 0.001");
    let r1 = t.path().join("r1");
    custseg().args(["run", "--quiet", "--k", "6", "--profile"]).arg(&p).arg("--data").arg(&g1).arg("--out").arg(&r1).assert().success();
    // The same customers, but every bill ten times larger: far outside what the model saw.
    let g3 = t.path().join("g3");
    std::fs::create_dir_all(&g3).unwrap();
    for f in ["outages.csv", "tickets.csv", "customers.csv"] {
        std::fs::copy(g1.join(f), g3.join(f)).unwrap();
    }
    let billing = std::fs::read_to_string(g1.join("billing.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in billing.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0 {
            cells[2] = (cells[2].parse::<f64>().unwrap() * 10.0).to_string();
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(g3.join("billing.csv"), out).unwrap();
    let scored = t.path().join("scored");
    let a = custseg().args(["assign", "--quiet", "--model"]).arg(&r1).arg("--data").arg(&g3).arg("--out").arg(&scored).assert().code(5);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("max_drift_share"), "{err}");
    let drift = read_json(&scored.join("summary.json"))["drift"]["beyond_max_share"].as_f64().unwrap();
    // Consumption and bills are clipped to the range the model was fitted on, so a tenfold bill moves
    // a customer by at most that range: about one customer in seven ends up beyond the farthest.
    assert!(drift > 0.1, "drift {drift}");
}

#[test]
fn a_model_from_before_segment_ids_and_drift_still_scores_and_serves_as_previous() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--out"]).arg(&run).assert().success();
    let mut model = read_json(&run.join("model.json"));
    for key in ["segment_ids", "next_segment_id", "distance_p99", "distance_max", "customers", "profile_sha256"] {
        model.as_object_mut().unwrap().remove(key);
    }
    std::fs::write(run.join("model.json"), serde_json::to_string_pretty(&model).unwrap()).unwrap();
    let scored = t.path().join("scored");
    custseg().args(["assign", "--quiet", "--model"]).arg(&run).arg("--out").arg(&scored).assert().success();
    assert!(read_json(&scored.join("summary.json"))["drift"].is_null());
    assert!(std::fs::read(run.join("assignments.csv")).unwrap() == std::fs::read(scored.join("assignments.csv")).unwrap());
    let next = t.path().join("next");
    custseg().args(["run", "--quiet", "--seed", "3", "--previous"]).arg(&run).arg("--out").arg(&next).assert().success();
    let ids: Vec<u64> = read_json(&next.join("model.json"))["segment_ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=ids.len() as u64).collect::<Vec<_>>(), "every segment of the same data carries over");
}

#[test]
fn assign_refuses_a_previous_run_whose_segments_are_not_the_models() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    custseg().args(["run", "--quiet", "--k", "6", "--out"]).arg(&a).assert().success();
    custseg().args(["run", "--quiet", "--k", "3", "--out"]).arg(&b).assert().success();
    let err = custseg().args(["assign", "--quiet", "--model"]).arg(&a).arg("--previous").arg(&b).arg("--out").arg(t.path().join("x")).assert().code(2);
    assert!(String::from_utf8_lossy(&err.get_output().stderr).contains("its segments are not this model's"));
    // Against itself it is fine, and nobody moved.
    let s = t.path().join("s");
    custseg().args(["assign", "--quiet", "--model"]).arg(&a).arg("--previous").arg(&a).arg("--out").arg(&s).assert().success();
    assert_eq!(read_json(&s.join("summary.json"))["migration"]["moved"], 0);
}

#[test]
fn assign_help_does_not_offer_the_profile_it_refuses() {
    let a = custseg().args(["assign", "--help"]).assert().success();
    let help = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(help.contains("--model") && !help.contains("--profile"), "{help}");
    let a = custseg().args(["run", "--help"]).assert().success();
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("--profile"));
}

//! `balance = "enforce"`: size-constrained k-means on data whose natural clusters are unbalanced.

use std::collections::HashMap;

use crate::common::*;

fn enforce_profile(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = dir.join("enforce.toml");
    std::fs::write(&p, edit(&base, "[clustering]\n", &format!("[clustering]\nbalance = \"enforce\"\n{extra}"))).unwrap();
    p
}

#[test]
fn one_persona_at_70_percent_every_segment_within_bounds_and_the_cost_reported() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    custseg()
        .args(["sample-data", "--customers", "8000", "--seed", "21", "--dominant-share", "0.7", "--out"])
        .arg(&data)
        .assert()
        .success();
    let truth = read_pairs(&data.join("truth.csv"), "customer_id", "persona");
    let big = truth.iter().filter(|(_, p)| p == "basic_service_renters").count() as f64 / truth.len() as f64;
    assert!((big - 0.7).abs() < 0.02, "{big}");
    // (At 60%, plain k-means at k = 6 now cuts the big persona by household into shares that pass
    // the balance check: 36% to 7.7%, under 5 times.)

    // Plain k-means with the balance check refuses this data.
    custseg().args(["run", "--quiet", "--k", "6", "--data"]).arg(&data).arg("--out").arg(t.path().join("plain")).assert().code(4);

    let p = enforce_profile(t.path(), "");
    let out = t.path().join("enforced");
    custseg().args(["run", "--quiet", "--k", "6", "--profile"]).arg(&p).arg("--data").arg(&data).arg("--out").arg(&out).assert().success();
    let s = read_json(&out.join("summary.json"));
    let b = &s["balance"];
    let (lo, hi) = (b["size_min"].as_u64().unwrap(), b["size_max"].as_u64().unwrap());
    assert_eq!((lo, hi), (400, 2000)); // 5% and 25% of 8,000
    for seg in s["segments"].as_array().unwrap() {
        let size = seg["size"].as_u64().unwrap();
        assert!((lo..=hi).contains(&size), "segment {} has {size}", seg["id"]);
    }
    assert!(b["unconstrained_shares"][0].as_f64().unwrap() > 0.25, "plain k-means was balanced already: {b}");
    let cost = b["inertia_cost"].as_f64().unwrap();
    assert!(cost > 0.0 && cost < 0.5, "inertia cost {cost}");
    assert!((b["inertia"].as_f64().unwrap() / b["unconstrained_inertia"].as_f64().unwrap() - 1.0 - cost).abs() < 1e-12);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Segment sizes were **enforced**") && report.contains("less alike inside"), "{report}");

    // assign: the enforced rule reproduces the run; the plain nearest-centre rule does not keep bounds.
    let scored = t.path().join("scored");
    custseg().args(["assign", "--quiet", "--enforce-balance", "--data"]).arg(&data).arg("--model").arg(&out).arg("--out").arg(&scored).assert().success();
    assert!(std::fs::read(out.join("assignments.csv")).unwrap() == std::fs::read(scored.join("assignments.csv")).unwrap());
    let nearest = t.path().join("nearest");
    custseg().args(["assign", "--quiet", "--data"]).arg(&data).arg("--model").arg(&out).arg("--out").arg(&nearest).assert().success();
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for (_, seg) in read_pairs(&nearest.join("assignments.csv"), "customer_id", "segment") {
        *sizes.entry(seg).or_default() += 1;
    }
    assert!(sizes.values().any(|&n| n > hi), "nearest-centre scoring kept the bounds anyway: {sizes:?}");
}

#[test]
fn explicit_size_bounds_are_kept_and_enforce_only_keys_are_refused_in_check_mode() {
    let t = tempfile::tempdir().unwrap();
    let p = enforce_profile(t.path(), "size_min = 250\nsize_max = 450\n");
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--k", "6", "--profile"]).arg(&p).arg("--out").arg(&out).assert().success();
    let s = read_json(&out.join("summary.json"));
    for seg in s["segments"].as_array().unwrap() {
        let size = seg["size"].as_u64().unwrap();
        assert!((250..=450).contains(&size), "segment {} has {size}", seg["id"]);
    }
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let bad = t.path().join("bad.toml");
    std::fs::write(&bad, edit(&base, "[clustering]\n", "[clustering]\nmax_share = 0.3\n")).unwrap();
    let a = custseg().args(["run", "--quiet", "--profile"]).arg(&bad).arg("--out").arg(t.path().join("x")).assert().code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("only with balance = \"enforce\""));
}

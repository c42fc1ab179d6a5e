//! `custseg run` on the committed sample and on generated data.

use std::collections::{BTreeMap, HashMap};

use crate::common::*;
use custseg::cluster::metrics::adjusted_rand_index;

fn run_into(out: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    custseg().args(["run", "--quiet", "--out"]).arg(out).args(extra).assert().success();
    read_json(&out.join("summary.json"))
}

#[test]
fn default_run_on_committed_sample_is_balanced_and_accounts_for_every_row() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let s = run_into(&out, &[]);
    let k = s["k"].as_u64().expect("k chosen") as usize;
    assert!((2..=7).contains(&k), "k = {k}");
    let segments = s["segments"].as_array().unwrap();
    assert_eq!(segments.len(), k);
    let sizes: Vec<f64> = segments.iter().map(|g| g["size"].as_f64().unwrap()).collect();
    let total: f64 = sizes.iter().sum();
    assert_eq!(total as u64, s["customers"].as_u64().unwrap());
    let (min, max) = (sizes.iter().cloned().fold(f64::MAX, f64::min), sizes.iter().cloned().fold(0.0, f64::max));
    assert!(min / total >= 0.05, "smallest segment {min} of {total}");
    assert!(max / min <= 5.0, "largest/smallest = {}", max / min);
    // Every k tried is reported with its metrics, and exactly one is chosen.
    let sel = s["selection"].as_array().unwrap();
    assert_eq!(sel.len(), 6);
    assert_eq!(sel.iter().filter(|c| c["chosen"] == true).count(), 1);
    for c in sel {
        for m in ["inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability"] {
            assert!(c[m].as_f64().is_some(), "{m} missing for k={}", c["k"]);
        }
    }
    // Row accounting for every export.
    for (name, i) in s["inputs"].as_object().unwrap() {
        let g = |f: &str| i[f].as_u64().unwrap();
        assert_eq!(
            g("rows_read"),
            g("rows_accepted") + g("rows_rejected") + g("rows_duplicate") + g("rows_outside_window"),
            "{name}"
        );
    }
    // The committed sample has one bill before the 12-month window for some customers.
    assert!(s["inputs"]["billing"]["rows_outside_window"].as_u64().unwrap() > 0);
    // Outputs.
    let assignments = read_pairs(&out.join("assignments.csv"), "customer_id", "segment");
    assert_eq!(assignments.len() as u64, s["customers"].as_u64().unwrap());
    for f in ["assignments.parquet", "model.json", "report.md"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for seg in segments {
        assert!(report.contains(seg["name"]["en"].as_str().unwrap()), "report lacks segment {}", seg["name"]);
        assert!(!seg["description"]["en"].as_str().unwrap().is_empty());
        assert!(!seg["description"]["zh"].as_str().unwrap().is_empty());
    }
    // Group weighting: each group's scales, squared, add up to the group weight; a
    // category's indicators count once.
    let model = read_json(&out.join("model.json"));
    let mut per_group: BTreeMap<String, f64> = BTreeMap::new();
    let mut blocks = std::collections::BTreeSet::new();
    for (f, spec) in s["features"].as_array().unwrap().iter().zip(model["features"].as_array().unwrap()) {
        assert_eq!(f["name"], spec["name"]);
        if spec["block"].as_str().is_none_or(|b| blocks.insert(b.to_string())) {
            *per_group.entry(f["group"].as_str().unwrap().to_string()).or_default() += f["scale"].as_f64().unwrap().powi(2);
        }
    }
    assert_eq!(per_group.len(), 5);
    for (g, v) in per_group {
        // The default profile weighs the household 3, every behaviour group 1.
        let weight = if g == "household" { 3.0 } else { 1.0 };
        assert!((v - weight).abs() < 1e-9, "group {g} carries {v}");
    }
    assert_eq!(model["centroids"].as_array().unwrap().len(), k);
    assert!(leftovers(t.path()).is_empty());
}

#[test]
fn same_seed_gives_byte_identical_assignments_with_one_or_two_threads() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    run_into(&a, &["--threads", "1"]);
    run_into(&b, &["--threads", "2"]);
    for f in ["assignments.csv", "summary.json", "model.json"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
}

#[test]
fn parquet_exports_give_byte_identical_outputs_with_one_or_two_threads() {
    // Typed Parquet columns are read in place, in pieces on the pool's threads.
    let t = tempfile::tempdir().unwrap();
    let generated = t.path().join("generated");
    custseg().args(["sample-data", "--quiet", "--customers", "3000", "--seed", "5", "--parquet", "--out"]).arg(&generated).assert().success();
    let data = t.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for export in ["billing", "outages", "tickets", "customers"] {
        std::fs::copy(generated.join(format!("{export}.parquet")), data.join(format!("{export}.parquet"))).unwrap();
    }
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    let summary = run_into(&a, &["--threads", "1", "--data", data.to_str().unwrap()]);
    run_into(&b, &["--threads", "2", "--data", data.to_str().unwrap()]);
    for export in ["billing", "outages", "tickets", "customers"] {
        assert_eq!(summary["inputs"][export]["format"], "parquet", "{export}");
        assert!(summary["inputs"][export]["rows_accepted"].as_u64().unwrap() > 0, "{export}");
    }
    for f in ["assignments.csv", "features.parquet", "summary.json", "model.json"] {
        assert!(std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(), "{f} differs between 1 and 2 threads");
    }
}

fn labels_vs_truth(data: &std::path::Path, out: &std::path::Path) -> (Vec<String>, Vec<String>) {
    let truth: HashMap<String, String> = read_pairs(&data.join("truth.csv"), "customer_id", "persona").into_iter().collect();
    let got = read_pairs(&out.join("assignments.csv"), "customer_id", "segment");
    let personas = got.iter().map(|(id, _)| truth[id].clone()).collect();
    let segments = got.into_iter().map(|(_, s)| s).collect();
    (personas, segments)
}

#[test]
fn with_k_fixed_at_the_planted_number_segments_recover_the_personas() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    generate(&data, 20_000, 11);
    let out = t.path().join("run");
    custseg().args(["run", "--quiet", "--k", "6", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    let (personas, segments) = labels_vs_truth(&data, &out);
    let pid: Vec<&str> = personas.iter().map(String::as_str).collect();
    let sid: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ari = adjusted_rand_index(&pid, &sid);
    assert!(ari >= 0.8, "adjusted Rand index {ari:.3} < 0.8");
}

#[test]
fn default_selection_finds_at_least_five_of_six_personas() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    generate(&data, 20_000, 12);
    let out = t.path().join("run");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    let (personas, segments) = labels_vs_truth(&data, &out);
    // A persona is found when some segment is mostly (>= 60%) that persona and holds most (>= 50%) of it.
    let mut table: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut seg_size: BTreeMap<&str, usize> = BTreeMap::new();
    let mut persona_size: BTreeMap<&str, usize> = BTreeMap::new();
    for (p, s) in personas.iter().zip(&segments) {
        *table.entry((p, s)).or_default() += 1;
        *seg_size.entry(s).or_default() += 1;
        *persona_size.entry(p).or_default() += 1;
    }
    let found: Vec<&str> = persona_size
        .iter()
        .filter(|(p, &np)| {
            seg_size.iter().any(|(s, &ns)| {
                let both = *table.get(&(**p, *s)).unwrap_or(&0) as f64;
                both / ns as f64 >= 0.6 && both / np as f64 >= 0.5
            })
        })
        .map(|(p, _)| *p)
        .collect();
    assert!(found.len() >= 5, "found only {found:?}; table {table:?}");
}

#[test]
fn runs_without_outages_or_tickets_and_says_which_groups_were_skipped() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let d = repo().join("data-samples");
    let s = run_into(&out, &["--billing", d.join("billing.csv").to_str().unwrap(), "--customers", d.join("customers.csv").to_str().unwrap()]);
    let skipped: Vec<&str> = s["skipped_groups"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(skipped, ["reliability"], "only reliability has no feature left");
    let reasons = serde_json::to_string(&s["skipped_features"]).unwrap();
    assert!(reasons.contains("no outages export was given"), "{reasons}");
    assert!(reasons.contains("no tickets export was given"), "{reasons}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Feature group **Reliability experience** was skipped: no outages export was given"), "{report}");
}

#[test]
fn reads_parquet_exports_like_csv() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    custseg().args(["sample-data", "--customers", "600", "--seed", "5", "--parquet", "--out"]).arg(&data).assert().success();
    let pq = t.path().join("pq");
    std::fs::create_dir(&pq).unwrap();
    for f in ["billing", "outages", "tickets", "customers"] {
        std::fs::copy(data.join(format!("{f}.parquet")), pq.join(format!("{f}.parquet"))).unwrap();
    }
    let csv_dir = t.path().join("csv");
    std::fs::create_dir(&csv_dir).unwrap();
    for f in ["billing", "outages", "tickets", "customers"] {
        std::fs::copy(data.join(format!("{f}.csv")), csv_dir.join(format!("{f}.csv"))).unwrap();
    }
    let a = run_into(&t.path().join("a"), &["--data", csv_dir.to_str().unwrap()]);
    let b = run_into(&t.path().join("b"), &["--data", pq.to_str().unwrap()]);
    assert_eq!(a["k"], b["k"]);
    assert_eq!(a["segments"], b["segments"], "Parquet and CSV inputs give different segments");
    let ra = std::fs::read(t.path().join("a/assignments.csv")).unwrap();
    let rb = std::fs::read(t.path().join("b/assignments.csv")).unwrap();
    assert!(ra == rb);
}

#[test]
fn gbk_export_with_chinese_headers_runs_and_rejects_exactly_the_planted_rows() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let s = run_into(
        &out,
        &["--profile", "profiles/examples/gbk-chinese-headers.toml", "--data", "data-samples/gbk-example"],
    );
    assert!(s["k"].as_u64().is_some());
    assert!(s["skipped_features"].as_array().unwrap().is_empty(), "{}", s["skipped_features"]);
    let planted = std::fs::read_to_string(repo().join("data-samples/gbk-example/planted_rejects.csv")).unwrap();
    for export in ["billing", "outages"] {
        let expected: Vec<(String, String)> = planted
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0] == export).then(|| (f[1].to_string(), f[2].to_string()))
            })
            .collect();
        let got = read_pairs(&out.join(format!("rejects/{export}.csv")), "line", "reason");
        assert_eq!(got, expected, "{export}");
    }
    for (name, i) in s["inputs"].as_object().unwrap() {
        let g = |f: &str| i[f].as_u64().unwrap();
        assert_eq!(g("rows_read"), g("rows_accepted") + g("rows_rejected") + g("rows_duplicate") + g("rows_outside_window"), "{name}");
        assert!(g("rows_accepted") > 0, "{name}");
    }
    // Attribute values in Chinese come through to the report.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("市区") || report.contains("农村"), "region values missing from the report");
}

#[test]
fn outage_events_by_feeder_reach_the_customers_on_the_feeder() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let src = repo().join("data-samples");
    std::fs::copy(src.join("billing.csv"), data.join("billing.csv")).unwrap();
    // Customers on 40 feeders; feeder f carries f % 3 + 1 events, and two events hit a feeder nobody is on.
    let customers = std::fs::read_to_string(src.join("customers.csv")).unwrap();
    let mut with_feeder = Vec::new();
    let mut feeder_of = Vec::new();
    for (i, line) in customers.lines().enumerate() {
        if i == 0 {
            with_feeder.push(format!("{line},feeder_id"));
        } else {
            feeder_of.push(i % 40);
            with_feeder.push(format!("{line},F{}", i % 40));
        }
    }
    std::fs::write(data.join("customers.csv"), with_feeder.join("\n") + "\n").unwrap();
    let mut events = vec!["feeder_id,outage_start,outage_end,cause".to_string()];
    for f in 0..40 {
        for e in 0..(f % 3 + 1) {
            let (m, d) = (e + 3, f % 28 + 1);
            events.push(format!("F{f},2026-0{m}-{d:02} 10:00:00,2026-0{m}-{d:02} 11:30:00,unplanned"));
        }
    }
    events.push("F999,2026-05-05 10:00:00,2026-05-05 12:00:00,planned".into());
    events.push("F999,2026-06-05 10:00:00,2026-06-05 12:00:00,planned".into());
    std::fs::write(data.join("outages.csv"), events.join("\n") + "\n").unwrap();
    let out = t.path().join("run");
    let s = run_into(&out, &["--data", data.to_str().unwrap()]);
    let o = &s["inputs"]["outages"];
    assert_eq!(o["feeder_keyed"], true);
    assert_eq!(o["events_without_customers"], 2, "{o}");
    assert_eq!(o["rows_read"].as_u64().unwrap(), events.len() as u64 - 1);
    let expected: f64 = feeder_of.iter().map(|f| (f % 3 + 1) as f64).sum::<f64>() / feeder_of.len() as f64;
    let interruptions = s["segments"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "interruptions")
        .expect("interruptions feature")["population_mean"]
        .as_f64()
        .unwrap();
    assert!((interruptions - expected).abs() < 1e-9, "population mean {interruptions}, expected {expected}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("2 events reached no known customer"), "{report}");
}

#[test]
fn f32_precision_gives_the_same_segments_as_f64() {
    let t = tempfile::tempdir().unwrap();
    let p = edited_profile(t.path(), "f32.toml", &[("[clustering]\n", "[clustering]\nprecision = \"f32\"\n")]);
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    // Not quiet: the log says which storage the final fit ran on.
    let storage = |out: &std::path::Path, extra: &[&str]| {
        let o = custseg().args(["run", "--out"]).arg(out).args(extra).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(storage(&a, &[]).contains("fitted every customer on f64 storage"));
    let log = storage(&b, &["--profile", p.to_str().unwrap()]);
    assert!(log.contains("fitted every customer on f32 storage"), "{log}");
    let la: Vec<String> = read_pairs(&a.join("assignments.csv"), "customer_id", "segment").into_iter().map(|x| x.1).collect();
    let lb: Vec<String> = read_pairs(&b.join("assignments.csv"), "customer_id", "segment").into_iter().map(|x| x.1).collect();
    assert_eq!(la.len(), lb.len());
    let same = la.iter().zip(&lb).filter(|(x, y)| x == y).count();
    assert!(same as f64 / la.len() as f64 >= 0.999, "{same} of {} labels agree", la.len());
}

/// The features a dry run lists as used, in profile order.
fn dry_run_features(stdout: &str) -> Vec<String> {
    let start = stdout.find("\nfeatures:").expect("features section") + 1;
    stdout[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.trim_start().starts_with("skipped") && !l.trim_start().starts_with('('))
        .flat_map(|l| l.split_once("): ").map(|(_, names)| names.split(", ").map(String::from).collect::<Vec<_>>()).unwrap_or_default())
        .collect()
}

#[test]
fn a_dry_run_lists_the_features_the_run_uses_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let dry = custseg().args(["run", "--dry-run", "--out"]).arg(&out).output().unwrap();
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(!out.exists(), "a dry run wrote {}", out.display());
    let stdout = String::from_utf8_lossy(&dry.stdout).to_string();
    let mut listed = dry_run_features(&stdout);
    let s = run_into(&out, &[]);
    // A category is listed once by the dry run, and is one indicator per value in the run.
    let model = read_json(&out.join("model.json"));
    let mut used: Vec<String> = model["features"].as_array().unwrap().iter().map(|f| f["block"].as_str().or(f["name"].as_str()).unwrap().to_string()).collect();
    used.dedup();
    assert_eq!(used.len(), 26);
    // Listed by group, used in profile order: the same features.
    listed.sort();
    used.sort();
    assert_eq!(listed, used, "{stdout}");
    // The window it announces is the run's.
    let window = format!("window: {} to {}", s["window"]["start"].as_str().unwrap(), s["window"]["as_of"].as_str().unwrap());
    assert!(stdout.contains(&window), "{window} not in\n{stdout}");
    assert!(stdout.contains("billing: data-samples/billing.csv (csv); dated "), "{stdout}");
}

/// Without tickets (and without the customers export, whose tenure is also a service feature in the
/// bundled profile), the service group has nothing left.
#[test]
fn a_dry_run_without_tickets_lists_the_service_group_as_skipped() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["billing.csv", "outages.csv"] {
        std::fs::copy(repo().join("data-samples").join(f), data.join(f)).unwrap();
    }
    let dry = custseg().args(["run", "--dry-run", "--data"]).arg(&data).output().unwrap();
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let stdout = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(stdout.contains("tickets: not given"), "{stdout}");
    assert!(stdout.contains("skipped group service: no tickets export was given"), "{stdout}");
    assert!(stdout.contains("skipped tickets (service): no tickets export was given"), "{stdout}");
    let listed = dry_run_features(&stdout);
    assert!(listed.contains(&"interruptions".to_string()) && !listed.iter().any(|f| f == "tickets" || f == "complaints"), "{stdout}");
    // The run agrees.
    let s = run_into(&t.path().join("run"), &["--data", data.to_str().unwrap()]);
    let skipped: Vec<&str> = s["skipped_groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(skipped, ["household", "service"]);
}

#[test]
fn a_dry_run_takes_as_of_and_reads_parquet_and_feeder_keyed_outages() {
    let t = tempfile::tempdir().unwrap();
    let dry = custseg().args(["run", "--dry-run", "--as-of", "2026-06-30"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(dry.status.success());
    assert!(stdout.contains("window: 2025-06-30 to 2026-06-30 (12 months up to --as-of)"), "{stdout}");
    // Parquet exports, outages by feeder joined through the customers' feeder_id.
    let data = t.path().join("pq");
    custseg().args(["sample-data", "--customers", "300", "--parquet", "--out"]).arg(&data).assert().success();
    for f in ["billing", "outages", "tickets", "customers"] {
        std::fs::remove_file(data.join(format!("{f}.csv"))).unwrap();
    }
    let dry = custseg().args(["run", "--dry-run", "--data"]).arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(stdout.contains("billing.parquet (parquet); dated "), "{stdout}");
    assert_eq!(dry_run_features(&stdout).len(), 26, "{stdout}");
}

#[test]
fn a_dry_run_exits_like_a_run_on_bad_profiles_and_bad_exports() {
    let t = tempfile::tempdir().unwrap();
    let p = edited_profile(t.path(), "bad.toml", &[("restarts = 4", "restarts = 0")]);
    custseg().args(["run", "--dry-run", "--profile"]).arg(&p).assert().code(2);
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let billing = std::fs::read_to_string(repo().join("data-samples/billing.csv")).unwrap();
    std::fs::write(data.join("billing.csv"), edit(&billing, "consumption", "usage")).unwrap();
    let a = custseg().args(["run", "--dry-run", "--data"]).arg(&data).assert().code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("no column \"consumption\" (required)"), "{err}");
}

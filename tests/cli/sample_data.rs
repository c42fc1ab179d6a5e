//! `custseg sample-data`.

use crate::common::*;

#[test]
fn writes_every_export_and_the_truth_deterministically() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    generate(&a, 300, 3);
    generate(&b, 300, 3);
    for f in ["customers.csv", "billing.csv", "outages.csv", "tickets.csv", "truth.csv"] {
        let x = std::fs::read(a.join(f)).unwrap();
        assert_eq!(x, std::fs::read(b.join(f)).unwrap(), "{f} differs between two runs with one seed");
        assert!(x.len() > 50, "{f} is nearly empty");
    }
    let truth = read_pairs(&a.join("truth.csv"), "customer_id", "persona");
    assert_eq!(truth.len(), 300);
    let personas: std::collections::BTreeSet<_> = truth.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(personas.len(), 6, "all six personas planted: {personas:?}");
}

#[test]
fn committed_sample_is_what_the_generator_writes() {
    // data-samples/ is generated with: custseg sample-data --out data-samples --customers 2000 --seed 7
    let t = tempfile::tempdir().unwrap();
    generate(t.path(), 2000, 7);
    for f in ["customers.csv", "billing.csv", "outages.csv", "tickets.csv", "truth.csv"] {
        let fresh = std::fs::read(t.path().join(f)).unwrap();
        let committed = std::fs::read(repo().join("data-samples").join(f)).unwrap();
        assert!(fresh == committed, "data-samples/{f} is stale: regenerate it with the command above");
    }
}

#[test]
fn a_month_that_would_end_after_today_is_refused_naming_the_latest_possible() {
    let t = tempfile::tempdir().unwrap();
    let out = custseg().args(["sample-data", "--month", "120", "--out"]).arg(t.path().join("m")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("after today") && err.contains("the latest month that ends before today is --month"), "{err}");
    assert!(!t.path().join("m").exists());
}

#[test]
fn sample_data_quiet_prints_nothing() {
    let t = tempfile::tempdir().unwrap();
    let a = custseg().args(["sample-data", "-q", "--customers", "50", "--out"]).arg(t.path().join("q")).assert().success();
    assert!(a.get_output().stdout.is_empty() && a.get_output().stderr.is_empty());
}

//! `custseg validate`.

use crate::common::*;

#[test]
fn summarizes_each_export_and_its_references() {
    let a = custseg()
        .args(["validate", "--profile", "profiles/examples/gbk-chinese-headers.toml", "--data", "data-samples/gbk-example"])
        .assert()
        .success();
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(out.contains("rows read 3,692 = accepted 3,600 + rejected 5 + duplicates 0 + outside the window 87"), "{out}");
    assert!(out.contains("line 45, column amount_due, value \"二十五\": not a number"), "{out}");
    assert!(out.contains("customers in tickets without bills: 0"), "{out}");
    assert!(out.contains("empty values: paid_date"), "{out}");
}

#[test]
fn exits_3_when_too_many_rows_are_rejected() {
    let t = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("data-samples/billing.csv")).unwrap();
    let spoiled: Vec<String> =
        text.lines().enumerate().map(|(i, l)| if i > 0 && i % 10 == 0 { l.replacen(",2", ",x2", 1) } else { l.to_string() }).collect();
    std::fs::write(t.path().join("billing.csv"), spoiled.join("\n") + "\n").unwrap();
    let a = custseg().args(["validate", "--billing"]).arg(t.path().join("billing.csv")).assert().code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("more than quality.max_reject_share"), "{err}");
}

#[test]
fn a_file_in_the_wrong_encoding_names_the_encoding_key() {
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("data-samples/gbk-example/billing.csv"), t.path().join("billing.csv")).unwrap();
    let a = custseg().args(["validate", "--billing"]).arg(t.path().join("billing.csv")).assert().code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("not UTF-8") && err.contains("encoding = \"gbk\" under [exports.billing]"), "{err}");
}

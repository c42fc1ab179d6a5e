//! Every error the run promises: a clear message, the right exit code, no panic, no half-written folder.

use std::path::Path;

use crate::common::*;

/// Writes a small valid data folder (from the committed sample) into `dir`.
fn small_data(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for f in ["billing.csv", "outages.csv", "tickets.csv", "customers.csv"] {
        std::fs::copy(repo().join("data-samples").join(f), dir.join(f)).unwrap();
    }
}

fn fails(args: &[&str], data: &Path, out: &Path, code: i32) -> String {
    let a = custseg().args(["run", "--quiet", "--data"]).arg(data).arg("--out").arg(out).args(args).assert().code(code);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(!err.contains("panicked"), "panic: {err}");
    err
}

#[test]
fn missing_required_column_names_export_column_and_columns_found() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    std::fs::write(data.join("billing.csv"), edit(&text, "consumption", "usage")).unwrap();
    let err = fails(&[], &data, &t.path().join("out"), 3);
    assert!(err.contains("billing.csv"), "{err}");
    assert!(err.contains("no column \"consumption\""), "{err}");
    assert!(err.contains("columns found: customer_id, bill_date, usage, amount_due"), "{err}");
    assert!(!t.path().join("out").exists(), "a failed run left an output folder");
    assert!(leftovers(t.path()).is_empty());
}

#[test]
fn unparseable_values_name_file_line_column_and_value() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Spoil 5% of the rows: over the 1% gate.
    let n = lines.len();
    for (i, line) in lines.iter_mut().enumerate().skip(1) {
        if i % 20 == 0 {
            let mut f: Vec<&str> = line.split(',').collect();
            f[2] = "12x";
            *line = f.join(",");
        }
    }
    lines[4] = edit(&lines[4], "2026-", "2026/");
    std::fs::write(data.join("billing.csv"), lines.join("\n") + "\n").unwrap();
    let out = t.path().join("out");
    let err = fails(&[], &data, &out, 3);
    assert!(err.contains("billing.csv"), "{err}");
    assert!(err.contains("line 5, column bill_date, value \"2026/"), "{err}");
    assert!(err.contains("column consumption, value \"12x\": not a number"), "{err}");
    assert!(err.contains(&format!("top reasons: not a number ({}), not a date (1)", (n - 1) / 20)), "{err}");
    // The rejects file lists every spoiled row with its line.
    let rejects = read_pairs(&out.join("rejects/billing.csv"), "line", "reason");
    assert_eq!(rejects.len(), (n - 1) / 20 + 1);
    assert!(rejects.iter().any(|(l, r)| l == "5" && r.starts_with("not a date")), "{rejects:?}");
    assert!(rejects.iter().any(|(l, r)| l == "21" && r == "not a number"), "{rejects:?}");
}

#[test]
fn a_few_rejected_rows_are_written_out_and_the_run_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut f: Vec<String> = lines[10].split(',').map(String::from).collect();
    f[2] = "-5".into();
    lines[10] = f.join(",");
    lines[20] = lines[20].split_once(',').map(|(_, rest)| format!(",{rest}")).unwrap();
    std::fs::write(data.join("billing.csv"), lines.join("\n") + "\n").unwrap();
    let out = t.path().join("out");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    let rejects = read_pairs(&out.join("rejects/billing.csv"), "line", "reason");
    assert_eq!(rejects, vec![("11".into(), "negative consumption".into()), ("21".into(), "missing customer_id".into())]);
    let s = read_json(&out.join("summary.json"));
    assert_eq!(s["inputs"]["billing"]["rows_rejected"], 2);
}

#[test]
fn profile_errors_name_the_key_and_the_file() {
    let t = tempfile::tempdir().unwrap();
    let data = repo().join("data-samples");
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();

    let p = t.path().join("typo.toml");
    std::fs::write(&p, edit(&base, "window_months = 12", "window_month = 12")).unwrap();
    let err = fails(&["--profile", p.to_str().unwrap()], &data, &t.path().join("o1"), 2);
    assert!(err.contains("typo.toml") && err.contains("window_month"), "{err}");

    let p = t.path().join("eight.toml");
    std::fs::write(&p, edit(&base, "k_min = 2", "k = 8\nk_min = 2")).unwrap();
    let err = fails(&["--profile", p.to_str().unwrap()], &data, &t.path().join("o2"), 2);
    assert!(err.contains("eight.toml") && err.contains("clustering.k = 8") && err.contains("at most 7"), "{err}");

    let p = t.path().join("badvalue.toml");
    std::fs::write(&p, edit(&base, "min_share = 0.05", "min_share = \"five\"")).unwrap();
    let err = fails(&["--profile", p.to_str().unwrap()], &data, &t.path().join("o3"), 2);
    assert!(err.contains("badvalue.toml") && err.contains("min_share"), "{err}");

    let err = fails(&["--k", "8"], &data, &t.path().join("o4"), 2);
    assert!(err.contains("--k 8"), "{err}");
    assert!(!t.path().join("o1").exists() && !t.path().join("o4").exists());
}

#[test]
fn empty_missing_and_binary_exports_get_clear_messages() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    std::fs::write(data.join("tickets.csv"), "").unwrap();
    let err = fails(&[], &data, &t.path().join("o"), 3);
    assert!(err.contains("tickets.csv") && err.contains("empty"), "{err}");

    std::fs::write(data.join("tickets.csv"), [0xff, 0xfe, 0x00, 0x01, 0x9c, 0x80, b'\n', 0xc3, 0x28]).unwrap();
    let err = fails(&[], &data, &t.path().join("o"), 3);
    assert!(err.contains("tickets.csv"), "{err}");

    std::fs::remove_file(data.join("billing.csv")).unwrap();
    let err = fails(&[], &data, &t.path().join("o"), 2);
    assert!(err.contains("billing export is required"), "{err}");
    assert!(!t.path().join("o").exists());
    assert!(leftovers(t.path()).is_empty());
}

#[test]
fn header_only_billing_says_there_is_nothing_to_segment() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    std::fs::write(data.join("billing.csv"), "customer_id,bill_date,consumption,amount_due\n").unwrap();
    let err = fails(&[], &data, &t.path().join("o"), 3);
    assert!(err.contains("billing.csv") && err.contains("no usable bill"), "{err}");
}

#[test]
fn unbalanced_data_exits_4_and_still_writes_diagnostics() {
    let t = tempfile::tempdir().unwrap();
    let data = repo().join("data-samples");
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    // No segmentation of the sample can keep every segment above 40% with k >= 3.
    let p = t.path().join("strict.toml");
    std::fs::write(&p, edit(&edit(&base, "k_min = 2", "k_min = 3"), "min_share = 0.05", "min_share = 0.4")).unwrap();
    let out = t.path().join("out");
    let err = fails(&["--profile", p.to_str().unwrap()], &data, &out, 4);
    assert!(err.contains("no number of segments passed"), "{err}");
    let s = read_json(&out.join("summary.json"));
    assert!(s["k"].is_null());
    assert_eq!(s["selection"].as_array().unwrap().len(), 5);
    assert!(std::fs::read_to_string(out.join("report.md")).unwrap().contains("No segmentation passed the checks"));
    assert!(!out.join("assignments.csv").exists());
}

#[test]
fn a_window_without_bills_is_a_data_error_not_a_panic() {
    let t = tempfile::tempdir().unwrap();
    let err = fails(&["--as-of", "2001-01-31"], &repo().join("data-samples"), &t.path().join("o"), 3);
    assert!(err.contains("no customer has a bill between 2000-01-31 and 2001-01-31"), "{err}");
    let err = fails(&["--as-of", "31/01/2026"], &repo().join("data-samples"), &t.path().join("o"), 2);
    assert!(err.contains("--as-of 31/01/2026"), "{err}");
    assert!(!t.path().join("o").exists());
}

#[test]
fn an_existing_out_is_refused_without_force_and_replaced_whole_with_it() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--out"]).arg(&out).assert().success();
    std::fs::write(out.join("stale.txt"), "from an earlier run").unwrap();
    let a = custseg().args(["run", "--quiet", "--k", "3", "--out"]).arg(&out).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("already exists") && err.contains("--force"), "{err}");
    assert!(out.join("stale.txt").exists(), "a refused run touched the folder");
    custseg().args(["run", "--quiet", "--force", "--k", "3", "--out"]).arg(&out).assert().success();
    assert!(!out.join("stale.txt").exists(), "the old folder was not replaced");
    assert_eq!(read_json(&out.join("summary.json"))["k"], 3);
    assert!(leftovers(t.path()).is_empty());
}

#[test]
fn blank_lines_and_short_rows_are_reported_on_their_own_lines() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.insert(5, String::new());
    lines.insert(10, "\"C0000009\",\"2026-01-05\",\"12x\",\"1.0\"".into());
    std::fs::write(data.join("billing.csv"), lines.join("\n") + "\n").unwrap();
    let out = t.path().join("out");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    let rejects = read_pairs(&out.join("rejects/billing.csv"), "line", "reason");
    // A short row is a reject of its own (with the first column it lacks), not a row of nulls.
    assert_eq!(rejects, vec![("6".into(), "blank line".into()), ("11".into(), "4 fields where the header has 8".into())]);
    let columns = read_pairs(&out.join("rejects/billing.csv"), "line", "column");
    assert_eq!(columns[1].1, "due_date");
}

#[test]
fn future_dates_are_rejected_and_gates_can_be_set_per_export() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    let text = std::fs::read_to_string(data.join("tickets.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // 3 of the tickets dated 2099: rejected as future dates.
    for i in [3, 4, 5] {
        lines[i] = lines[i].replacen(",2026-", ",2099-", 1).replacen(",2025-", ",2099-", 1);
    }
    std::fs::write(data.join("tickets.csv"), lines.join("\n") + "\n").unwrap();
    let out = t.path().join("out");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    let rejects = read_pairs(&out.join("rejects/tickets.csv"), "line", "reason");
    assert_eq!(rejects.len(), 3, "{rejects:?}");
    assert!(rejects.iter().all(|(_, r)| r == "date in the future"), "{rejects:?}");

    // The same file fails a zero-tolerance gate set for tickets alone.
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = t.path().join("strict.toml");
    std::fs::write(&p, format!("{base}\n[exports.tickets]\nmax_reject_share = 0.0\n")).unwrap();
    let err = fails(&["--profile", p.to_str().unwrap()], &data, &t.path().join("o2"), 3);
    assert!(err.contains("exports.tickets.max_reject_share"), "{err}");
    assert!(err.contains("date in the future"), "{err}");
}

#[test]
fn exact_duplicate_rows_are_dropped_and_counted() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    small_data(&data);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let (a, b) = (lines[7].clone(), lines[8].clone());
    lines.push(a.clone());
    lines.push(b);
    lines.push(a);
    // A near-duplicate (one field differs) is not a duplicate.
    let near = lines[9].replacen(",online", ",cash", 1).replacen(",bank_debit", ",cash", 1);
    lines.push(near);
    std::fs::write(data.join("billing.csv"), lines.join("\n") + "\n").unwrap();
    let out = t.path().join("out");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    let s = read_json(&out.join("summary.json"));
    let i = &s["inputs"]["billing"];
    assert_eq!(i["rows_duplicate"], 3, "{i}");
    assert_eq!(i["rows_read"].as_u64().unwrap(), lines.len() as u64 - 1);
    assert_eq!(
        i["rows_read"].as_u64().unwrap(),
        i["rows_accepted"].as_u64().unwrap() + i["rows_rejected"].as_u64().unwrap() + 3 + i["rows_outside_window"].as_u64().unwrap()
    );
}

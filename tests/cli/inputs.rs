//! One regression test per input that once misled custseg or crashed it (issue 16): values read by
//! guessing, panics, inputs whose cost blew up, wrong or missing positions, folders lost to a flag, and
//! text that could act in a terminal, a spreadsheet or a report. Each test is named after what it guards.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use crate::common::*;

/// The committed sample's `name`, its first `n` lines (header included), as lines.
fn sample_lines(name: &str, n: usize) -> Vec<String> {
    std::fs::read_to_string(repo().join("data-samples").join(name)).unwrap().lines().take(n).map(String::from).collect()
}

/// A folder holding the committed sample's four exports, billing cut to its first `bills` lines.
fn sample_folder(dir: &Path, bills: usize) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for e in ["outages", "tickets", "customers"] {
        std::fs::copy(repo().join("data-samples").join(format!("{e}.csv")), data.join(format!("{e}.csv"))).unwrap();
    }
    std::fs::write(data.join("billing.csv"), sample_lines("billing.csv", bills).join("\n") + "\n").unwrap();
    data
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

/// `validate` on one billing file (and nothing else), with `profile` TOML added to the bundled one.
fn validate_billing(dir: &Path, billing: &str, extra: &str) -> assert_cmd::assert::Assert {
    let data = dir.join("billing-only");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("billing.csv"), billing).unwrap();
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = dir.join("extra.toml");
    std::fs::write(&p, format!("{base}\n{extra}\n")).unwrap();
    custseg().args(["validate", "--data"]).arg(&data).arg("--profile").arg(&p).assert()
}

/// Rejected (line, column) pairs listed by `validate` (its first five).
fn listed_rejects(out: &str) -> Vec<(u64, String)> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("line "))
        .map(|l| {
            let (line, rest) = l.split_once(", column ").unwrap();
            (line.parse().unwrap(), rest.split(',').next().unwrap().to_string())
        })
        .collect()
}

/// `line` with its field `i` (comma-separated, from 0) set to `value`.
fn set_field(line: &str, i: usize, value: &str) -> String {
    let mut f: Vec<&str> = line.split(',').collect();
    assert!(i < f.len(), "{line} has no field {i}");
    f[i] = value;
    f.join(",")
}

const BILL_HEADER: &str = "customer_id,bill_date,consumption,amount_due,due_date,paid_date,amount_paid,payment_method";

// ---- Nothing guessed ----

#[test]
fn us_dates_under_the_declared_iso_format_are_refused_naming_the_format_and_date_formats() {
    let t = tempfile::tempdir().unwrap();
    let data = sample_folder(t.path(), 2000);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    // Every date MM/DD/YYYY; the sample bills on the 5th, so every day is 12 or less.
    let us: String = text
        .lines()
        .map(|l| {
            l.split(',')
                .map(|f| match f.split('-').collect::<Vec<_>>()[..] {
                    [y, m, d] if y.len() == 4 => format!("{m}/{d}/{y}"),
                    _ => f.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(us.contains("11/05/2025"), "the dates were not rewritten");
    std::fs::write(data.join("billing.csv"), us).unwrap();
    let a = custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(t.path().join("out")).assert().code(3);
    let err = stderr(&a);
    assert!(err.contains("billing.csv") && err.contains("%Y-%m-%d"), "{err}");
    assert!(err.contains("%m/%d/%Y") && err.contains("date_formats") && err.contains("[exports.billing]"), "{err}");
}

#[test]
fn nan_and_slashed_dates_are_rejected_whatever_the_other_rows_hold() {
    let t = tempfile::tempdir().unwrap();
    let mut lines = sample_lines("billing.csv", 400);
    lines[10] = set_field(&lines[10], 2, "NaN");
    lines[20] = set_field(&lines[20], 1, "2026/01/05");
    lines[30] = "C0000003,2026-01-05,inf,1,,,,".into();
    lines[40] = "C0000004,2026-01-05,1e309,1,,,,".into();
    lines[50] = "C0000005,2026-3-5,1,1,,,,".into();
    lines[60] = "C0000006,-2026-01-05,1,1,,,,".into();
    let loose = "[exports.billing]\nmax_reject_share = 0.5";
    let without = validate_billing(t.path(), &(lines.join("\n") + "\n"), loose).success();
    lines[70] = "C0000007,2026-01-05,abc,1,,,,".into();
    let with = validate_billing(t.path(), &(lines.join("\n") + "\n"), loose).success();
    let (without, with) = (listed_rejects(&stdout(&without)), listed_rejects(&stdout(&with)));
    let expected: Vec<u64> = vec![11, 21, 31, 41, 51];
    assert_eq!(without.iter().map(|r| r.0).collect::<Vec<_>>(), expected, "{without:?}");
    assert_eq!(with.iter().map(|r| r.0).collect::<Vec<_>>(), expected, "the first five rejects are the same rows with abc added: {with:?}");
    let out = stdout(&validate_billing(t.path(), &(lines.join("\n") + "\n"), loose).success());
    assert!(out.contains("rows read 399 = ") && out.contains(" + rejected 7 + "), "{out}");
}

#[test]
fn a_date_two_declared_formats_read_differently_is_rejected_as_ambiguous() {
    let t = tempfile::tempdir().unwrap();
    let text = format!("{BILL_HEADER}\nC1,03/04/2026,1,1,,,,\nC2,25/04/2026,1,1,,,,\nC3,04/04/2026,1,1,,,,\n");
    let a = validate_billing(t.path(), &text, "[exports.billing]\ndate_formats = [\"%m/%d/%Y\", \"%d/%m/%Y\"]\nmax_reject_share = 0.5").success();
    let out = stdout(&a);
    assert_eq!(listed_rejects(&out), vec![(2, "bill_date".to_string())], "{out}");
    assert!(out.contains("ambiguous date"), "{out}");
}

// ---- No panic ----

#[test]
fn a_model_with_inverted_clip_bounds_is_refused_as_corrupt() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--out"]).arg(&run).assert().success();
    let mut model = read_json(&run.join("model.json"));
    let s = &mut model["scaler"][0];
    let (low, high) = (s["clip_low"].clone(), s["clip_high"].clone());
    s["clip_low"] = high;
    s["clip_high"] = low;
    let path = t.path().join("model.json");
    std::fs::write(&path, serde_json::to_vec(&model).unwrap()).unwrap();
    let a = custseg().args(["assign", "--quiet", "--model"]).arg(&path).arg("--out").arg(t.path().join("a")).assert().code(3);
    let err = stderr(&a);
    assert!(err.contains("model.json") && err.contains("the lower bound must not be above the upper"), "{err}");
}

#[test]
fn parquet_decimal_money_is_read_as_numbers() {
    use polars::prelude::*;
    let t = tempfile::tempdir().unwrap();
    let mut df = df!(
        "customer_id" => ["C1", "C2", "C3"],
        "bill_date" => ["2026-01-05", "2026-01-05", "2026-02-05"],
        "consumption" => [10.0, 12.0, 11.0],
        "amount_due" => [2.5, 3.25, 1.0]
    )
    .unwrap();
    for c in ["bill_date", "amount_due"] {
        let to = if c == "bill_date" { DataType::Date } else { DataType::Decimal(12, 2) };
        let col = df.column(c).unwrap().cast(&to).unwrap();
        df.with_column(col).unwrap();
    }
    assert_eq!(df.column("amount_due").unwrap().dtype(), &DataType::Decimal(12, 2));
    ParquetWriter::new(std::fs::File::create(t.path().join("billing.parquet")).unwrap()).finish(&mut df).unwrap();
    let out = stdout(&custseg().args(["validate", "--data"]).arg(t.path()).assert().success());
    assert!(out.contains("rows read 3 = accepted 3 + rejected 0"), "{out}");
}

#[test]
fn a_parquet_date_beyond_the_calendar_is_a_row_reject() {
    use polars::prelude::*;
    let t = tempfile::tempdir().unwrap();
    // Days since 1970 far beyond year 9999 (as a corrupt or sentinel export holds them).
    let days = Column::new("bill_date".into(), [20_454i32, 20_485, i32::MAX - 5]).cast(&DataType::Date).unwrap();
    let mut df = DataFrame::new(3, vec![
        Column::new("customer_id".into(), ["C1", "C2", "C3"]),
        days,
        Column::new("consumption".into(), [10.0, 12.0, 11.0]),
        Column::new("amount_due".into(), [2.5, 3.25, 1.0]),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(t.path().join("billing.parquet")).unwrap()).finish(&mut df).unwrap();
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = t.path().join("p.toml");
    std::fs::write(&p, format!("{base}\n[exports.billing]\nmax_reject_share = 0.5\n")).unwrap();
    let out = stdout(&custseg().args(["validate", "--data"]).arg(t.path()).arg("--profile").arg(&p).assert().success());
    assert!(out.contains("rows read 3 = accepted 2 + rejected 1"), "{out}");
    // Parquet rows are numbered from 1 (there is no header line).
    assert_eq!(listed_rejects(&out), vec![(3, "bill_date".to_string())], "{out}");
}

#[test]
fn corrupt_parquet_bytes_are_a_data_error_naming_the_file() {
    use polars::prelude::*;
    let t = tempfile::tempdir().unwrap();
    let mut df = df!("customer_id" => ["C1"; 500], "bill_date" => ["2026-01-05"; 500], "consumption" => [1.0; 500], "amount_due" => [2.0; 500]).unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    for (what, cut) in [("a cut file", bytes[..bytes.len() / 2].to_vec()), ("zeroed pages", {
        let mut b = bytes.clone();
        b[8..bytes.len() / 2].iter_mut().for_each(|x| *x = 0);
        b
    })] {
        std::fs::write(t.path().join("billing.parquet"), &cut).unwrap();
        let a = custseg().args(["validate", "--data"]).arg(t.path()).assert().code(3);
        let err = stderr(&a);
        assert!(err.contains("billing.parquet") && !err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn a_damaged_parquet_column_shorter_than_its_rows_is_a_data_error() {
    // Found by the fuzz test (seed 1601, case 2533): corrupt bytes that polars decodes into a column of
    // 743 values for 869 rows.
    let t = tempfile::tempdir().unwrap();
    let data = sample_folder(t.path(), 3000);
    std::fs::remove_file(data.join("outages.csv")).unwrap();
    std::fs::copy(repo().join("tests/cli/fixtures/outages-short-column.parquet"), data.join("outages.parquet")).unwrap();
    let a = custseg().args(["validate", "--data"]).arg(&data).assert().code(3);
    let err = stderr(&a);
    assert!(err.contains("outages.parquet") && err.contains("damaged") && !err.contains("panicked"), "{err}");
}

#[test]
fn a_parquet_file_that_makes_the_reader_panic_is_a_data_error_without_a_panic_message() {
    // Found by the fuzz test (seed 7, case 2423): a page whose bit width polars' decoder does not expect
    // ("entered unreachable code: invalid num_bits 174", polars-parquet 0.55.2,
    // src/parquet/encoding/bitpacked/unpack.rs:120). The panic is contained at the reader boundary.
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("tests/cli/fixtures/billing-bad-bit-width.parquet"), t.path().join("billing.parquet")).unwrap();
    // polars decodes the columns in parallel: with two threads, about one read in ten meets another
    // damaged page first and fails with an ordinary error ("Invalid thrift") before the panicking one
    // is decoded. One polars thread makes the panicking page the one met, every time.
    let a = custseg().env("POLARS_MAX_THREADS", "1").args(["validate", "--data"]).arg(t.path()).assert().code(3);
    let err = stderr(&a);
    assert!(err.contains("billing.parquet") && err.contains("the file is damaged"), "{err}");
    assert!(!err.contains("panicked"), "a contained panic is not printed: {err}");
}

#[test]
fn an_as_of_beyond_year_9999_is_a_usage_error() {
    for date in ["+262142-12-31", "10000-01-01", "0999-12-31"] {
        let a = custseg().args(["validate", "--as-of", date]).assert().code(2);
        assert!(stderr(&a).contains("--as-of"), "{date}: {}", stderr(&a));
    }
}

/// `custseg run` on the committed sample into `out`, its stderr sent to `stderr`; with `close`, the
/// reading end of a piped stderr is closed as soon as the run starts.
fn run_with_stderr(out: &Path, stderr: Stdio, close: bool) -> std::process::ExitStatus {
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("custseg"))
        .current_dir(repo())
        .args(["run", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    if close {
        drop(child.stderr.take());
    }
    child.wait().unwrap()
}

#[test]
fn a_closed_stderr_does_not_stop_a_run_and_its_folder_is_written() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    // Every log line meets a broken pipe.
    let status = run_with_stderr(&out, Stdio::piped(), true);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(out.join("manifest.json").exists() && out.join("assignments.csv").exists());
}

#[test]
fn a_full_stderr_does_not_stop_a_run_and_its_folder_is_written() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    // Every log line meets "no space left on device".
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full (Linux)");
    let status = run_with_stderr(&out, Stdio::from(full), false);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(out.join("manifest.json").exists() && out.join("assignments.csv").exists());
}

// ---- Linear in the input ----

#[test]
fn cr_only_line_ends_are_read_as_line_ends() {
    let t = tempfile::tempdir().unwrap();
    let lines = sample_lines("billing.csv", 6001);
    let out = stdout(&validate_billing(t.path(), &(lines.join("\r") + "\r"), "").success());
    assert!(out.contains("rows read 6,000 = "), "{out}");
}

#[test]
fn a_file_of_4000_columns_is_read() {
    let t = tempfile::tempdir().unwrap();
    let extra: String = (0..3992).map(|i| format!(",x{i}")).collect();
    let filler: String = (0..3992).map(|i| format!(",{i}")).collect();
    let mut text = format!("{BILL_HEADER}{extra}\n");
    for l in sample_lines("billing.csv", 2001).iter().skip(1) {
        text += &format!("{l}{filler}\n");
    }
    let out = stdout(&validate_billing(t.path(), &text, "").success());
    assert!(out.contains("rows read 2,000 = ") && out.contains(" + rejected 0 + "), "{out}");
}

#[test]
fn threads_and_customers_beyond_their_bounds_are_usage_errors() {
    let a = custseg().args(["run", "--dry-run", "--threads", "4096"]).assert().code(2);
    assert!(stderr(&a).contains("256"), "{}", stderr(&a));
    let t = tempfile::tempdir().unwrap();
    let a = custseg().args(["sample-data", "--customers", "10000000000000", "--out"]).arg(t.path().join("s")).assert().code(2);
    assert!(stderr(&a).contains("--customers"), "{}", stderr(&a));
    assert!(!t.path().join("s").exists());
}

// ---- Positions ----

#[test]
fn reject_lines_after_a_quoted_field_spanning_lines_count_physical_lines() {
    let t = tempfile::tempdir().unwrap();
    let text = format!("{BILL_HEADER}\nC1,2026-01-05,1,1,,,,\"bank\ndebit\"\nC2,2026-01-05,x,1,,,,\nC3,2026-01-05,1,1,,,,\n");
    let out = stdout(&validate_billing(t.path(), &text, "[exports.billing]\nmax_reject_share = 0.5").success());
    assert_eq!(listed_rejects(&out), vec![(4, "consumption".to_string())], "{out}");
}

#[test]
fn ragged_rows_and_stray_quotes_are_row_rejects_with_line_and_column() {
    let t = tempfile::tempdir().unwrap();
    let mut lines = sample_lines("billing.csv", 400);
    lines[5] += ",extra";
    lines[9] = set_field(&lines[9], 7, "bank\"_debit");
    lines[12] = lines[12].rsplitn(3, ',').last().unwrap().to_string();
    let out = stdout(&validate_billing(t.path(), &(lines.join("\n") + "\n"), "[exports.billing]\nmax_reject_share = 0.5").success());
    let rejects = listed_rejects(&out);
    assert_eq!(rejects.iter().map(|r| r.0).collect::<Vec<_>>(), vec![6, 10, 13], "{out}");
    assert!(rejects.iter().all(|r| !r.1.is_empty()), "every reject names a column: {out}");
    assert!(out.contains("rows read 399 = ") && out.contains(" + rejected 3 + "), "{out}");
}

// ---- No folder lost to a flag ----

#[test]
fn force_replaces_only_a_custseg_run() {
    let t = tempfile::tempdir().unwrap();
    let data = sample_folder(t.path(), 3000);
    let a = custseg().args(["run", "--quiet", "--force", "--data"]).arg(&data).arg("--out").arg(&data).assert().code(2);
    assert!(stderr(&a).contains("--out"), "{}", stderr(&a));
    let other = t.path().join("notes");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "mine").unwrap();
    let a = custseg().args(["run", "--quiet", "--force", "--data"]).arg(&data).arg("--out").arg(&other).assert().code(2);
    assert!(stderr(&a).contains("manifest"), "{}", stderr(&a));
    assert_eq!(std::fs::read_to_string(other.join("keep.txt")).unwrap(), "mine");
    assert!(data.join("billing.csv").exists());
    // A run is replaced.
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&run).assert().success();
    custseg().args(["run", "--quiet", "--force", "--data"]).arg(&data).arg("--out").arg(&run).assert().success();
}

#[test]
fn a_symlinked_out_is_locked_under_its_real_path() {
    let t = tempfile::tempdir().unwrap();
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let held = custseg::output::lock(&custseg::output::resolved_path(&real)).expect("lock taken");
    let a = custseg().args(["run", "--quiet", "--force", "--out"]).arg(&link).assert().code(6);
    assert!(stderr(&a).contains("another custseg run"), "{}", stderr(&a));
    drop(held);
}

#[test]
fn report_locks_the_run_it_renders() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--out"]).arg(&run).assert().success();
    let held = custseg::output::lock(&custseg::output::resolved_path(&run)).expect("lock taken");
    custseg().args(["report", "--quiet", "--run"]).arg(&run).arg("--out").arg(t.path().join("r")).assert().code(6);
    drop(held);
    custseg().args(["report", "--quiet", "--run"]).arg(&run).arg("--out").arg(t.path().join("r")).assert().success();
    assert_eq!(read_json(&t.path().join("r/manifest.json"))["tool"], "custseg");
}

// ---- Errors that suggest the fix ----

#[test]
fn sums_beyond_the_largest_number_are_reported_as_an_overflow() {
    let t = tempfile::tempdir().unwrap();
    let data = sample_folder(t.path(), 3000);
    let text = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    let huge: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return l.to_string();
            }
            let mut f: Vec<&str> = l.split(',').collect();
            f[3] = "1e308";
            f.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(huge.contains(",1e308,"), "the amounts were not rewritten");
    std::fs::write(data.join("billing.csv"), huge).unwrap();
    let a = custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(t.path().join("out")).assert().code(3);
    let err = stderr(&a);
    assert!(err.contains("amount_due") && err.contains("add up beyond the largest number"), "{err}");
}

#[test]
fn utf16_exports_are_named_as_utf16() {
    let t = tempfile::tempdir().unwrap();
    let text = sample_lines("billing.csv", 50).join("\n");
    let bytes: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    std::fs::write(t.path().join("billing.csv"), bytes).unwrap();
    let a = custseg().args(["validate", "--data"]).arg(t.path()).assert().code(3);
    let err = stderr(&a);
    assert!(err.contains("billing.csv") && err.contains("UTF-16") && err.contains("encoding"), "{err}");
}

#[test]
fn a_semicolon_delimited_file_suggests_the_delimiter_key() {
    let t = tempfile::tempdir().unwrap();
    let text = sample_lines("billing.csv", 50).join("\n").replace(',', ";");
    let a = validate_billing(t.path(), &text, "");
    let err = stderr(&a.code(3));
    assert!(err.contains("delimiter") && err.contains("\";\""), "{err}");
}

#[test]
fn a_filter_that_matches_nothing_lists_the_values_seen() {
    let t = tempfile::tempdir().unwrap();
    let p = edited_profile(t.path(), "p.toml", &[("equals = \"check\"", "equals = \"cheque\"")]);
    let out = t.path().join("out");
    custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--out").arg(&out).assert().success();
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("matched no row") && summary.contains("\\\"cheque\\\"") && summary.contains("\\\"bank_debit\\\""), "{summary}");
}

// ---- Text outputs safe ----

#[test]
fn formulas_behind_spaces_or_in_fullwidth_are_neutralised() {
    let t = tempfile::tempdir().unwrap();
    let mut lines = sample_lines("billing.csv", 400);
    lines[5] = set_field(&lines[5], 2, " =1+1");
    lines[6] = set_field(&lines[6], 2, "＝1+1");
    lines[7] = set_field(&lines[7], 3, "\u{3000}@SUM(A1)");
    let data = t.path().join("d");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("billing.csv"), lines.join("\n") + "\n").unwrap();
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = t.path().join("p.toml");
    std::fs::write(&p, format!("{base}\n[exports.billing]\nmax_reject_share = 0.5\n")).unwrap();
    let out = t.path().join("out");
    // 33 customers are too few to segment (exit 4); the rejects are written either way.
    let a = custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--profile").arg(&p).arg("--out").arg(&out).assert();
    assert!(matches!(a.get_output().status.code(), Some(0) | Some(4)), "{:?}", a.get_output());
    let values: Vec<String> = read_pairs(&out.join("rejects/billing.csv"), "line", "value").into_iter().map(|r| r.1).collect();
    assert_eq!(values, vec!["' =1+1", "'＝1+1", "'\u{3000}@SUM(A1)"]);
}

#[test]
fn control_and_bidi_characters_from_data_are_made_visible() {
    let t = tempfile::tempdir().unwrap();
    let data = sample_folder(t.path(), 30_000);
    let customers = std::fs::read_to_string(data.join("customers.csv")).unwrap();
    let hostile = "nor\u{202E}th\u{1b}[31m";
    std::fs::write(data.join("customers.csv"), edit_all(&customers, ",north,", &format!(",{hostile},"))).unwrap();
    let mut billing = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    billing = edit(&billing, ",187,", &format!(",1{hostile},"));
    std::fs::write(data.join("billing.csv"), billing).unwrap();
    let v = custseg().args(["validate", "--data"]).arg(&data).assert().success();
    let shown = stdout(&v);
    assert!(shown.contains("\\u{202e}") && shown.contains("\\u{001b}") && !shown.contains('\u{202E}') && !shown.contains('\u{1b}'), "{shown}");
    let out = t.path().join("out");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&out).assert().success();
    // The region reaches the persona cards, written visibly.
    assert!(std::fs::read_to_string(out.join("report.md")).unwrap().contains("nor\\u{202e}th\\u{001b}"));
    let mut files = vec![out.join("report.md"), out.join("report.html")];
    files.extend(std::fs::read_dir(out.join("charts")).unwrap().map(|e| e.unwrap().path()));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains('\u{202E}') && !text.contains('\u{1b}'), "{} holds a raw control character", f.display());
    }
}

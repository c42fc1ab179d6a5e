//! Export format options from the profile's `[exports.*]` tables, one test per option, on small files
//! derived from the committed sample.

use std::path::Path;

use crate::common::*;

/// The first `n` lines of a committed sample export (header included).
fn head(name: &str, n: usize) -> Vec<String> {
    std::fs::read_to_string(repo().join("data-samples").join(name)).unwrap().lines().take(n).map(String::from).collect()
}

/// A profile: the default one plus `extra` TOML.
fn profile(dir: &Path, extra: &str) -> std::path::PathBuf {
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let p = dir.join("p.toml");
    std::fs::write(&p, format!("{base}\n{extra}\n")).unwrap();
    p
}

fn validate(dir: &Path, profile: &Path) -> String {
    let a = custseg().args(["validate", "--data"]).arg(dir).arg("--profile").arg(profile).assert().success();
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn semicolon_delimiter_decimal_comma_and_dotted_thousands() {
    let t = tempfile::tempdir().unwrap();
    let lines = head("billing.csv", 400);
    let converted: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return l.replace(',', ";");
            }
            let f: Vec<&str> = l.split(',').collect();
            // consumption 1234 → 1.234 ; amounts 41.92 → 41,92
            let consumption: i64 = f[2].parse().unwrap();
            let c = if consumption >= 1000 { format!("{}.{:03}", consumption / 1000, consumption % 1000) } else { consumption.to_string() };
            let money = |s: &str| s.replace('.', ",");
            [f[0], f[1], &c, &money(f[3]), f[4], f[5], &money(f[6]), f[7]].join(";")
        })
        .collect();
    std::fs::write(t.path().join("billing.csv"), converted.join("\n") + "\n").unwrap();
    let p = profile(t.path(), "[exports.billing]\ndelimiter = \";\"\ndecimal = \",\"\nthousands = \".\"");
    let out = validate(t.path(), &p);
    assert!(out.contains("rows read 399 = accepted") && out.contains("+ rejected 0 +"), "{out}");
    // Without the settings the file is read with commas, and the message points at the delimiter.
    let a = custseg().args(["validate", "--data"]).arg(t.path()).assert().code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("billing.csv") && err.contains("exports.billing.delimiter"), "{err}");
}

#[test]
fn gb18030_encoding_and_a_byte_order_mark() {
    let t = tempfile::tempdir().unwrap();
    // GB18030 is a superset of GBK: the GBK example reads with either setting.
    std::fs::copy(repo().join("data-samples/gbk-example/billing.csv"), t.path().join("billing.csv")).unwrap();
    let example = std::fs::read_to_string(repo().join("profiles/examples/gbk-chinese-headers.toml")).unwrap();
    let p = t.path().join("p.toml");
    std::fs::write(&p, edit_all(&example, "encoding = \"gbk\"", "encoding = \"gb18030\"")).unwrap();
    let out = validate(t.path(), &p);
    assert!(out.contains("rows read 3,692"), "{out}");

    let bom = t.path().join("bom");
    std::fs::create_dir(&bom).unwrap();
    let text = head("billing.csv", 300).join("\n") + "\n";
    std::fs::write(bom.join("billing.csv"), [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat()).unwrap();
    let out = validate(&bom, &profile(t.path(), ""));
    assert!(out.contains("rows read 299 = accepted") && out.contains("+ rejected 0 +"), "{out}");
}

#[test]
fn custom_file_names_and_datetime_formats() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("bills-2026.csv"), head("billing.csv", 200).join("\n") + "\n").unwrap();
    let outages: Vec<String> = head("outages.csv", 100)
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return l.clone();
            }
            // 2026-03-11 15:24:00 → 11.03.2026 15:24
            let f: Vec<&str> = l.split(',').collect();
            let conv = |s: &str| format!("{}.{}.{} {}", &s[8..10], &s[5..7], &s[0..4], &s[11..16]);
            [f[0].to_string(), conv(f[1]), conv(f[2]), f[3].to_string()].join(",")
        })
        .collect();
    let mut outages = outages;
    outages[7] = edit(&outages[7], ":", "h");
    std::fs::write(t.path().join("outages.csv"), outages.join("\n") + "\n").unwrap();
    let p = profile(
        t.path(),
        "[exports.billing]\nfile = \"bills-2026.csv\"\n[exports.outages]\ndatetime_formats = [\"%d.%m.%Y %H:%M\"]\nmax_reject_share = 0.05",
    );
    let out = validate(t.path(), &p);
    assert!(out.contains("bills-2026.csv"), "{out}");
    assert!(out.contains("outages — ") && out.contains("rows read 99 = accepted 98 + rejected 1"), "{out}");
    assert!(out.contains("line 8, column outage_start") && out.contains("not a date-time"), "{out}");
}

#[test]
fn a_mapped_column_that_is_absent_is_named_with_its_mapping() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("billing.csv"), head("billing.csv", 50).join("\n") + "\n").unwrap();
    let p = profile(t.path(), "[exports.billing]\ncolumns = { customer_id = \"户号\" }");
    let a = custseg().args(["validate", "--data"]).arg(t.path()).arg("--profile").arg(&p).assert().code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("no column \"户号\" (mapped to customer_id by exports.billing.columns)"), "{err}");
}

#[test]
fn hostile_files_get_messages_not_panics() {
    let t = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("header only", b"customer_id,bill_date,consumption,amount_due\n".to_vec()),
        ("truncated mid-row", (head("billing.csv", 40).join("\n") + "\nC0000099,2026-0").into_bytes()),
        ("binary", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect()),
        ("only a newline", b"\n".to_vec()),
        ("unterminated quote", (head("billing.csv", 20).join("\n") + "\n\"C0000099,2026-01-05,1,2\n").into_bytes()),
    ];
    for (what, bytes) in cases {
        std::fs::write(t.path().join("billing.csv"), &bytes).unwrap();
        let a = custseg().args(["validate", "--data"]).arg(t.path()).assert();
        let out = a.get_output();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{what}: {err}");
        let code = out.status.code();
        assert!(matches!(code, Some(0) | Some(3)), "{what}: exit {code:?}, {err}");
        if code == Some(3) {
            assert!(err.contains("billing.csv"), "{what}: the message does not name the file: {err}");
        }
    }
}

#[test]
fn parquet_columns_of_the_wrong_type_are_named() {
    use polars::prelude::*;
    let t = tempfile::tempdir().unwrap();
    // bill_date stored as a number (20260105), as some exporters do.
    let mut df = df!(
        "customer_id" => ["C1", "C2"],
        "bill_date" => [20260105i64, 20260205],
        "consumption" => [10.0, 12.0],
        "amount_due" => [2.5, 3.0]
    )
    .unwrap();
    let f = std::fs::File::create(t.path().join("billing.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    let a = custseg().args(["validate", "--data"]).arg(t.path()).assert().code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("billing.parquet") && err.contains("column \"bill_date\" has type i64, expected a date"), "{err}");
}

#[test]
fn a_file_pattern_reads_every_matching_file_as_one_export() {
    let t = tempfile::tempdir().unwrap();
    let lines = head("billing.csv", 301);
    let (header, rows) = (lines[0].clone(), &lines[1..]);
    let mut first: Vec<String> = vec![header.clone()];
    first.extend(rows[..150].iter().cloned());
    let mut second: Vec<String> = vec![header];
    second.extend(rows[150..].iter().cloned());
    second[3] = format!(",{}", second[3].split_once(',').unwrap().1);
    std::fs::write(t.path().join("billing-2026-01.csv"), first.join("\n") + "\n").unwrap();
    std::fs::write(t.path().join("billing-2026-02.csv"), second.join("\n") + "\n").unwrap();
    std::fs::write(t.path().join("other.csv"), "not,an,export\n").unwrap();
    let p = profile(t.path(), "[exports.billing]\nfile = \"billing-2026-??.csv\"\nmax_reject_share = 0.05");
    let out = validate(t.path(), &p);
    assert!(out.contains("billing-2026-??.csv (2 files)"), "{out}");
    assert!(out.contains("rows read 300 = accepted"), "{out}");
    let run = t.path().join("run");
    // 25 customers are too few to segment (exit 4), but the rejects are written either way.
    let a = custseg().args(["run", "--quiet", "--data"]).arg(t.path()).arg("--profile").arg(&p).arg("--out").arg(&run).assert();
    assert!(matches!(a.get_output().status.code(), Some(0) | Some(4)), "{:?}", a.get_output());
    let rejects = read_pairs(&run.join("rejects/billing.csv"), "file", "line");
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert!(rejects[0].0.ends_with("billing-2026-02.csv") && rejects[0].1 == "4", "{rejects:?}");
}

#[test]
fn parquet_by_profile_format_with_an_exact_duplicate_row() {
    use polars::prelude::*;
    let t = tempfile::tempdir().unwrap();
    let mut df = df!(
        "customer_id" => ["C1", "C2", "C1"],
        "bill_date" => ["2026-01-05", "2026-01-05", "2026-01-05"],
        "consumption" => [10.0, 12.0, 10.0],
        "amount_due" => [2.5, 3.0, 2.5]
    )
    .unwrap();
    let f = std::fs::File::create(t.path().join("bills.dat")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    let p = profile(t.path(), "[exports.billing]\nfile = \"bills.dat\"\nformat = \"parquet\"");
    let out = validate(t.path(), &p);
    assert!(out.contains("(parquet)"), "{out}");
    assert!(out.contains("rows read 3 = accepted 2 + rejected 0 + duplicates 1"), "{out}");
}

/// The README's GBK example names its own `--out`, so it works after the README's first command
/// (whose `out/` it would otherwise collide with); run here into a temporary folder.
#[test]
fn the_readmes_gbk_example_runs_beside_the_first_command() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with("cargo run --release -- run --profile profiles/examples/gbk")).expect("the GBK example");
    let args: Vec<&str> = line.split_whitespace().skip(4).collect();
    let at = args.iter().position(|a| *a == "--out").expect("the example names --out");
    assert_ne!(args[at + 1], "out", "the example would collide with the first command's out/");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("gbk");
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args[at + 1] = out.display().to_string();
    custseg().args(&args).arg("--quiet").assert().success();
    assert!(out.join("report.html").is_file());
}

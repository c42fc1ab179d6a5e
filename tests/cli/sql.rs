//! `custseg sql`: the generated SQL run in real engines (DuckDB, and Spark in local mode, through
//! tests/sql/engine.py in the Python that CUSTSEG_SQL_PYTHON names), against `custseg assign` on the
//! same exports; the Trino and BigQuery texts parsed with sqlglot; hostile names and values; the
//! sample's customers.
//!
//! `.ci/run` installs the engines and sets CUSTSEG_REQUIRE_ENGINES, so there a missing engine fails
//! the tests; elsewhere they are skipped with a note.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use md5::{Digest, Md5};
use polars::prelude::*;

use crate::common::*;
use crate::household::{column_f64, column_str, features_parquet};

/// The Python holding duckdb, pyspark and sqlglot, or None when there is none and none is required.
fn engine_python() -> Option<PathBuf> {
    let found = std::env::var_os("CUSTSEG_SQL_PYTHON").map(PathBuf::from).filter(|p| p.exists());
    let required = std::env::var_os("CUSTSEG_REQUIRE_ENGINES").is_some();
    assert!(found.is_some() || !required, "CUSTSEG_REQUIRE_ENGINES is set but CUSTSEG_SQL_PYTHON names no Python");
    if found.is_none() {
        eprintln!("skipped: set CUSTSEG_SQL_PYTHON to a Python with duckdb, pyspark and sqlglot (.ci/run does)");
    }
    found
}

/// The SQL type each canonical column is loaded as; other columns (attributes) are text.
fn sql_type(export: &str, column: &str) -> &'static str {
    use custseg::ingest::{contract, Kind, Source};
    let source = Source::ALL.into_iter().find(|s| s.as_str() == export).expect("an export");
    match contract(source).iter().find(|c| c.name == column).map(|c| c.kind) {
        Some(Kind::Number) => "DOUBLE",
        Some(Kind::Date) => "DATE",
        Some(Kind::DateTime) => "TIMESTAMP",
        _ => "VARCHAR",
    }
}

/// A job for engine.py: every export in `data` loaded as a table, `sql` run, rows to `out`.
/// `canonical` maps a header that the profile maps to its canonical name (for its type).
/// `table` names the table an export is loaded as, when not as the export (`--table`).
fn job(data: &Path, sql: &Path, out: &Path, canonical: &BTreeMap<&str, &str>, table: &BTreeMap<&str, &str>) -> serde_json::Value {
    let mut tables = Vec::new();
    for export in ["billing", "outages", "tickets", "customers"] {
        let csv = data.join(format!("{export}.csv"));
        if !csv.exists() {
            continue;
        }
        let mut reader = csv::Reader::from_path(&csv).unwrap();
        let columns: Vec<serde_json::Value> = reader
            .headers()
            .unwrap()
            .iter()
            .map(|h| serde_json::json!([h, sql_type(export, canonical.get(h).copied().unwrap_or(h))]))
            .collect();
        tables.push(serde_json::json!({ "name": table.get(export).copied().unwrap_or(export), "csv": csv, "columns": columns }));
    }
    serde_json::json!({ "tables": tables, "sql": sql, "out": out })
}

/// Runs engine.py on `jobs` in `engine`; panics with its output when it fails.
fn run_engine(python: &Path, engine: &str, jobs: &[serde_json::Value], work: &Path) {
    let path = work.join(format!("jobs-{engine}.json"));
    std::fs::write(&path, serde_json::to_string(jobs).unwrap()).unwrap();
    let out = Command::new(python).arg(repo().join("tests/sql/engine.py")).arg(engine).arg(&path).output().expect("python runs");
    assert!(out.status.success(), "{engine} failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn sql_score(model: &Path, dialect: &str, extra: &[&str], out: &Path) {
    custseg()
        .args(["sql", "score", "--with-features", "--dialect", dialect, "--model"])
        .arg(model)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// One row of a result: the segment, its name, the distance and the features.
struct Scored {
    segment: i64,
    name: String,
    distance: f64,
    features: BTreeMap<String, f64>,
}

fn read_result(path: &Path) -> BTreeMap<String, Scored> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut rows = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let num = |i: usize| rec[i].parse::<f64>().unwrap_or_else(|_| panic!("{}: {} = {:?}", path.display(), headers[i], &rec[i]));
        let features = (4..headers.len()).map(|i| (headers[i].clone(), num(i))).collect();
        let segment = rec[1].parse().unwrap();
        rows.insert(rec[0].to_string(), Scored { segment, name: rec[2].to_string(), distance: num(3), features });
    }
    rows
}

/// What `custseg assign` wrote: per customer, the segment, its name, the distance and the features.
fn read_assign(dir: &Path) -> BTreeMap<String, Scored> {
    let file = std::fs::File::open(dir.join("assignments.parquet")).unwrap();
    let a = ParquetReader::new(file).finish().unwrap();
    let ids = column_str(&a, "customer_id");
    let names = column_str(&a, "segment_name");
    let segments: Vec<i64> = a.column("segment").unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().into_no_null_iter().collect();
    let distance = column_f64(&a, "distance");
    let f = features_parquet(dir);
    assert_eq!(column_str(&f, "customer_id"), ids, "features.parquet and assignments.parquet in one order");
    let model = read_json(&dir.join("model.json"));
    let names_of: Vec<String> = model["features"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect();
    let columns: Vec<(String, Vec<f64>)> = names_of.iter().map(|n| (n.clone(), column_f64(&f, n))).collect();
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let features = columns.iter().map(|(n, v)| (n.clone(), v[i])).collect();
            (id.clone(), Scored { segment: segments[i], name: names[i].clone(), distance: distance[i], features })
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    let scale = a.abs().max(b.abs());
    (a - b).abs() <= 1e-9 * scale || scale < 1e-12
}

/// The engine's rows equal assign's: the same customers, features within 1e-9 relative, the same
/// segment (or, for a customer between two centres, distances within 1e-9), the same names.
fn assert_same(case: &str, engine: &str, sql: &BTreeMap<String, Scored>, assign: &BTreeMap<String, Scored>) {
    assert!(!assign.is_empty());
    let a: BTreeSet<&String> = assign.keys().collect();
    let s: BTreeSet<&String> = sql.keys().collect();
    assert_eq!(a, s, "{case} ({engine}): the customers scored differ");
    let mut ties = 0;
    for (id, want) in assign {
        let got = &sql[id];
        assert_eq!(got.features.len(), want.features.len(), "{case} ({engine}): feature columns");
        for (name, &w) in &want.features {
            let g = got.features[name];
            assert!(close(g, w), "{case} ({engine}): customer {id}, feature {name}: SQL {g} vs assign {w}");
        }
        if got.segment != want.segment {
            assert!(close(got.distance, want.distance), "{case} ({engine}): customer {id} in segment {} by SQL, {} by assign", got.segment, want.segment);
            ties += 1;
            continue;
        }
        assert_eq!(got.name, want.name, "{case} ({engine}): customer {id}");
        assert!(close(got.distance, want.distance), "{case} ({engine}): customer {id}: distance {} vs {}", got.distance, want.distance);
    }
    eprintln!("{case} ({engine}): {} customers equal, {ties} ties", assign.len());
}

/// Fits a model (with k fixed: the data's structure is not what these tests are about) and scores the
/// same exports with it.
fn run_and_assign(data: &Path, profile: Option<&Path>, as_of: Option<&str>, model_out: &Path, assign_out: &Path) {
    let mut run = custseg();
    run.args(["-q", "run", "--k", "5", "--data"]).arg(data).arg("--out").arg(model_out);
    if let Some(p) = profile {
        run.arg("--profile").arg(p);
    }
    if let Some(d) = as_of {
        run.args(["--as-of", d]);
    }
    run.assert().success();
    assign(model_out, data, as_of, assign_out);
}

fn assign(model: &Path, data: &Path, as_of: Option<&str>, out: &Path) {
    let mut a = custseg();
    a.args(["-q", "assign", "--model"]).arg(model).arg("--data").arg(data).arg("--out").arg(out);
    if let Some(d) = as_of {
        a.args(["--as-of", d]);
    }
    a.assert().success();
}

/// Appends rows custseg rejects (a bill dated in the future, a negative or not-a-number consumption,
/// a missing amount; an outage that ends before it starts and one in the future; a ticket without a
/// category) and an exact duplicate bill: the SQL must leave out what ingest leaves out.
fn plant_rejects(data: &Path) {
    let append = |file: &str, lines: &[String]| {
        let path = data.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'));
        std::fs::write(&path, text + &lines.join("\n") + "\n").unwrap();
    };
    let billing = std::fs::read_to_string(data.join("billing.csv")).unwrap();
    let first_bill = billing.lines().nth(1).unwrap().to_string();
    append(
        "billing.csv",
        &[
            "C0000003,2031-01-05,100,20.5,2031-01-25,,,online".into(),
            "C0000004,2026-06-05,-5,20.5,2026-06-25,2026-06-20,20.5,online".into(),
            "C0000005,2026-07-05,100,,2026-07-25,2026-07-20,20.5,online".into(),
            "C0000006,2026-07-05,NaN,20.5,2026-07-25,2026-07-20,20.5,online".into(),
            first_bill,
        ],
    );
    append(
        "outages.csv",
        &["C0000007,2026-05-01 10:00:00,2026-05-01 09:00:00,unplanned".into(), "C0000008,2031-05-01 10:00:00,2031-05-01 11:00:00,unplanned".into()],
    );
    append("tickets.csv", &["T99-9,C0000009,2026-05-01 10:00:00,2026-05-02 10:00:00,,web".into()]);
}

const HOSTILE_COLUMN: &str = "re\"gi`on' -- x";
const HOSTILE_VALUE: &str = "no'r\"th \\ --;x";

/// Sample data with customers on feeders, outages as events per feeder, the region column under a
/// hostile name and one of its values hostile; and a profile that maps the name.
fn feeder_and_hostile(src: &Path, data: &Path, work: &Path) -> PathBuf {
    std::fs::create_dir_all(data).unwrap();
    std::fs::copy(src.join("billing.csv"), data.join("billing.csv")).unwrap();
    std::fs::copy(src.join("tickets.csv"), data.join("tickets.csv")).unwrap();
    let customers = std::fs::read_to_string(src.join("customers.csv")).unwrap();
    let customers = edit(&customers, "customer_id,region,", &format!("customer_id,\"{}\",", HOSTILE_COLUMN.replace('"', "\"\"")));
    let customers = edit_all(&customers, ",north,", &format!(",\"{}\",", HOSTILE_VALUE.replace('"', "\"\"")));
    let mut lines = Vec::new();
    for (i, line) in customers.lines().enumerate() {
        lines.push(if i == 0 { format!("{line},feeder_id") } else { format!("{line},F{}", i % 40) });
    }
    // Every 50th customer on no feeder: its outage features take the model's fill.
    for l in lines.iter_mut().skip(1).step_by(50) {
        let feeder = l[l.rfind(',').unwrap()..].to_string();
        let without = edit(l, &feeder, ",");
        *l = without;
    }
    std::fs::write(data.join("customers.csv"), lines.join("\n") + "\n").unwrap();
    let mut events = vec!["feeder_id,outage_start,outage_end,cause".to_string()];
    for f in 0..40 {
        for e in 0..(f % 4 + 1) {
            let (m, d, len) = (e + 3, f % 28 + 1, 2 + 37 * e + f);
            events.push(format!("F{f},2026-0{m}-{d:02} 10:00:00,2026-0{m}-{d:02} {:02}:{:02}:17,unplanned", 10 + len / 60, len % 60));
        }
    }
    std::fs::write(data.join("outages.csv"), events.join("\n") + "\n").unwrap();
    let profile = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let toml_name = HOSTILE_COLUMN.replace('\\', "\\\\").replace('"', "\\\"");
    let p = work.join("hostile.toml");
    std::fs::write(&p, format!("{profile}\n[exports.customers.columns]\nregion = \"{toml_name}\"\n")).unwrap();
    p
}

fn md5_hex(id: &str) -> String {
    Md5::digest(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The customer ids in column `column` of a CSV.
fn ids_in(path: &Path, column: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let i = r.headers().unwrap().iter().position(|h| h == column).unwrap_or_else(|| panic!("{}: no {column}", path.display()));
    r.records().map(|rec| rec.unwrap()[i].to_string()).collect()
}

#[test]
fn sql_scores_every_customer_as_assign_does_in_duckdb_and_spark() {
    let Some(python) = engine_python() else { return };
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let data = w.join("data");
    generate(&data, 700, 11);
    plant_rejects(&data);

    // Cases: (name, data, model, assign's folder, extra sql flags, canonical names of mapped headers).
    let mut cases: Vec<(&str, PathBuf, PathBuf, PathBuf, Vec<&str>)> = Vec::new();
    // A window that ends mid-month, before the newest bill.
    run_and_assign(&data, None, Some("2026-08-20"), &w.join("m-window"), &w.join("a-window"));
    let inputs = &read_json(&w.join("m-window/summary.json"))["inputs"];
    for (export, rejected, duplicate) in [("billing", 4, 1), ("outages", 2, 0), ("tickets", 1, 0)] {
        assert_eq!((inputs[export]["rows_rejected"].as_u64(), inputs[export]["rows_duplicate"].as_u64()), (Some(rejected), Some(duplicate)), "{export}: {}", inputs[export]);
    }
    // (Its billing table is read as global_temp.bills: a dotted --table name, which Spark offers as a
    // global temporary view.)
    cases.push(("window", data.clone(), w.join("m-window"), w.join("a-window"), vec!["--as-of", "2026-08-20", "--table", "billing=global_temp.bills"]));
    // The same model scoring the newest month: the window's end read from the data.
    assign(&w.join("m-window"), &data, None, &w.join("a-newest"));
    cases.push(("newest bill", data.clone(), w.join("m-window"), w.join("a-newest"), vec![]));
    // No outages and no tickets export, and bills without amount_paid (arrears are then the amount
    // due): the SQL reads neither table nor column (engine.py does not create them).
    let lean = w.join("lean");
    std::fs::create_dir(&lean).unwrap();
    std::fs::copy(data.join("customers.csv"), lean.join("customers.csv")).unwrap();
    let mut bills = csv::Reader::from_path(data.join("billing.csv")).unwrap();
    let paid = bills.headers().unwrap().iter().position(|h| h == "amount_paid").expect("amount_paid");
    let mut lean_bills = csv::Writer::from_path(lean.join("billing.csv")).unwrap();
    let drop_paid = |r: &csv::StringRecord| r.iter().enumerate().filter(|(i, _)| *i != paid).map(|(_, v)| v.to_string()).collect::<Vec<_>>();
    lean_bills.write_record(drop_paid(bills.headers().unwrap())).unwrap();
    for r in bills.records() {
        lean_bills.write_record(drop_paid(&r.unwrap())).unwrap();
    }
    lean_bills.flush().unwrap();
    run_and_assign(&lean, None, None, &w.join("m-lean"), &w.join("a-lean"));
    assert_eq!(read_json(&w.join("m-lean/summary.json"))["inputs"]["billing"]["missing_optional_columns"], serde_json::json!(["amount_paid"]));
    cases.push(("billing and customers only", lean.clone(), w.join("m-lean"), w.join("a-lean"), vec![]));
    // Feeder-keyed outages, a hostile column name and category value.
    let hostile = w.join("hostile");
    let profile = feeder_and_hostile(&data, &hostile, w);
    run_and_assign(&hostile, Some(&profile), None, &w.join("m-hostile"), &w.join("a-hostile"));
    let model = read_json(&w.join("m-hostile/model.json"));
    assert!(model["features"].as_array().unwrap().iter().any(|f| f["filter"]["equals"] == HOSTILE_VALUE), "the hostile value is a level");
    assert_eq!(read_json(&w.join("m-hostile/summary.json"))["inputs"]["outages"]["feeder_keyed"], true);
    cases.push(("feeder outages, hostile names", hostile.clone(), w.join("m-hostile"), w.join("a-hostile"), vec![]));

    let canonical = BTreeMap::from([(HOSTILE_COLUMN, "region")]);
    let mut jobs: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    let mut expected = Vec::new();
    for (i, (name, data, model, assigned, extra)) in cases.iter().enumerate() {
        for engine in ["duckdb", "spark"] {
            let sql = w.join(format!("case{i}-{engine}.sql"));
            sql_score(model, engine, extra, &sql);
            let text = std::fs::read_to_string(&sql).unwrap();
            if *name == "billing and customers only" {
                assert!(!text.contains("outages") && !text.contains("tickets"), "{name}: the SQL reads a table that is not there");
                assert!(!text.contains("amount_paid"), "{name}: the SQL reads a column the bills do not have");
            }
            let tables = if extra.contains(&"billing=global_temp.bills") { BTreeMap::from([("billing", "global_temp.bills")]) } else { BTreeMap::new() };
            let out = w.join(format!("case{i}-{engine}.csv"));
            jobs.entry(engine).or_default().push(job(data, &sql, &out, &canonical, &tables));
            expected.push((*name, engine, out, assigned.clone()));
        }
    }
    for (engine, jobs) in &jobs {
        run_engine(&python, engine, jobs, w);
    }
    for (name, engine, out, assigned) in expected {
        assert_same(name, engine, &read_result(&out), &read_assign(&assigned));
    }
}

#[test]
fn sql_sample_takes_the_customers_with_the_smallest_hashes_in_duckdb_and_spark() {
    let Some(python) = engine_python() else { return };
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let data = w.join("data");
    generate(&data, 300, 5);
    let billing_ids = ids_in(&data.join("billing.csv"), "customer_id");
    let mut all: Vec<String> = billing_ids.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    all.sort_by_key(|id| (md5_hex(id), id.clone()));
    let first_40: BTreeSet<String> = all.iter().take(40).cloned().collect();
    let below: BTreeSet<String> = all.iter().filter(|id| md5_hex(id)[..8] < *"40000000").cloned().collect();
    assert!(!below.is_empty() && below.len() < all.len());

    let mut jobs: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    let mut expected = Vec::new();
    for (size, want) in [(["--customers", "40"], &first_40), (["--fraction", "0.25"], &below)] {
        for engine in ["duckdb", "spark"] {
            let sql = w.join(format!("sample{}-{engine}.sql", size[0]));
            custseg().args(["sql", "sample", "--dialect", engine]).args(size).arg("--out").arg(&sql).assert().success();
            let out = w.join(format!("sample{}-{engine}.csv", size[0]));
            jobs.entry(engine).or_default().push(job(&data, &sql, &out, &BTreeMap::new(), &BTreeMap::new()));
            expected.push((engine, out, want.clone()));
        }
    }
    for (engine, jobs) in &jobs {
        run_engine(&python, engine, jobs, w);
    }
    for (engine, out, want) in expected {
        // One statement per export, in billing, outages, tickets, customers order.
        for (i, export) in ["billing", "outages", "tickets", "customers"].iter().enumerate() {
            let got = ids_in(&PathBuf::from(format!("{}.{i}", out.display())), "customer_id");
            let rows_of_sample = ids_in(&data.join(format!("{export}.csv")), "customer_id").into_iter().filter(|id| want.contains(id)).count();
            assert_eq!(got.len(), rows_of_sample, "{engine} {export}: every row of the sampled customers, and only theirs");
            assert!(got.iter().all(|id| want.contains(id)), "{engine} {export}: a customer outside the sample");
            if *export == "billing" || *export == "customers" {
                assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), want, "{engine} {export}: the sampled customers");
            }
        }
    }
}

#[test]
fn trino_and_bigquery_sql_parses_with_sqlglot_and_keeps_hostile_text_intact() {
    let Some(python) = engine_python() else { return };
    let t = tempfile::tempdir().unwrap();
    let w = t.path();
    let data = w.join("data");
    generate(&data, 300, 3);
    let hostile = w.join("hostile");
    let profile = feeder_and_hostile(&data, &hostile, w);
    custseg().args(["-q", "run", "--k", "5", "--data"]).arg(&hostile).arg("--profile").arg(&profile).arg("--out").arg(w.join("m")).assert().success();
    for dialect in ["trino", "bigquery", "duckdb", "spark"] {
        let sql = w.join(format!("{dialect}.sql"));
        sql_score(&w.join("m"), dialect, &["--table", "billing=warehouse.sales.bills"], &sql);
        let sample = w.join(format!("{dialect}-sample.sql"));
        custseg().args(["sql", "sample", "--fraction", "0.1", "--dialect", dialect, "--profile"]).arg(&profile).arg("--out").arg(&sample).assert().success();
        let out = Command::new(&python)
            .arg(repo().join("tests/sql/parse.py"))
            .arg(dialect)
            .arg(&sql)
            .arg(&sample)
            .args([HOSTILE_VALUE, HOSTILE_COLUMN])
            .output()
            .unwrap();
        assert!(out.status.success(), "{dialect}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn sql_refuses_what_it_cannot_express_and_bad_flags() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    custseg().args(["-q", "run", "--out"]).arg(&run).assert().success();
    // An indicator of a date column (a hand-made model): a clear error, not wrong SQL.
    let text = std::fs::read_to_string(run.join("model.json")).unwrap();
    let text = edit(&text, "\"column\": \"heating\",\n        \"equals\": \"gas\"", "\"column\": \"service_start\",\n        \"equals\": \"gas\"");
    let bad = t.path().join("model.json");
    std::fs::write(&bad, text).unwrap();
    let out = custseg().args(["sql", "score", "--model"]).arg(&bad).assert().code(2).get_output().stderr.clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("feature heating_gas") && err.contains("reads a text or true/false column"), "{err}");
    for (args, says) in [
        (vec!["--table", "bills=x"], "not an export"),
        (vec!["--table", "billing=sales..bills"], "empty part"),
        (vec!["--dialect", "oracle"], "not a dialect"),
        (vec!["--as-of", "2026-13-01"], "YYYY-MM-DD"),
    ] {
        let out = custseg().args(["sql", "score", "--model"]).arg(&run).args(&args).assert().code(2).get_output().stderr.clone();
        assert!(String::from_utf8_lossy(&out).contains(says), "{args:?}: {}", String::from_utf8_lossy(&out));
    }
    let out = custseg().args(["sql", "sample", "--fraction", "1.5"]).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("at most 1"));
    custseg().args(["sql", "sample"]).assert().code(2);
    // A model.json without its run's summary.json: the SQL is written, with a warning saying what it
    // assumes; beside its summary.json, no warning.
    let lonely = t.path().join("lonely");
    std::fs::create_dir(&lonely).unwrap();
    std::fs::copy(run.join("model.json"), lonely.join("model.json")).unwrap();
    let out = custseg().args(["sql", "score", "--model"]).arg(lonely.join("model.json")).assert().success().get_output().clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no summary.json beside the model"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("-- custseg"));
    let out = custseg().args(["sql", "score", "--model"]).arg(run.join("model.json")).assert().success().get_output().clone();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // Written to --out whole; standard output gets nothing.
    let sql = t.path().join("score.sql");
    let out = custseg().args(["sql", "score", "--dialect", "spark", "--model"]).arg(&run).arg("--out").arg(&sql).assert().success().get_output().stdout.clone();
    assert!(out.is_empty());
    let text = std::fs::read_to_string(&sql).unwrap();
    assert!(text.starts_with("-- custseg") && text.contains("FROM (SELECT DISTINCT * FROM `billing`) AS t"), "{}", &text[..300]);
    assert!(leftovers(t.path()).is_empty());
}

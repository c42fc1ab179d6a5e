//! A fuzz campaign on a fixed seed, run by `cargo test`: mutated inputs for every reader — the CSV of
//! each export (UTF-8, and GBK with Chinese headers as `data-samples/gbk-example` holds them), Parquet (corrupt bytes, and columns of unexpected types, missing or empty), the profile
//! (TOML), a saved model (`model.json`, read by `assign`) and a run's summary (`summary.json`, read by
//! `report`) — each handed to the binary as a user would. Every case must end with a documented exit
//! code and an `error:` message, never a panic (exit 101) or a signal; every run that read its exports
//! must account for every row (read = accepted + rejected + duplicates + outside the window, one line
//! of `rejects/EXPORT.csv` per rejected row, each on a line the file has).
//!
//! Budget: `CUSTSEG_FUZZ_CASES` cases (default [`CI_CASES`], about 20 s on CI's two cores);
//! `CUSTSEG_FUZZ_SEED` starts another campaign; `CUSTSEG_FUZZ_CASE=N` reruns one case. A failing case
//! keeps its inputs in a folder the failure names. The long campaign behind issue 16:
//! `CUSTSEG_FUZZ_CASES=2400 cargo test --release fuzz -- --nocapture`.

use std::path::{Path, PathBuf};
use std::process::Output;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::common::*;

/// Cases run by CI.
const CI_CASES: usize = 600;
const EXPORTS: [&str; 4] = ["billing", "outages", "tickets", "customers"];
/// Exit codes the README documents.
const DOCUMENTED: [i32; 7] = [0, 1, 2, 3, 4, 5, 6];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v}: not a number"))).unwrap_or(default)
}

/// The inputs every case mutates one of: sample exports (CSV and Parquet), a profile that segments
/// them (three segments, so that `run` gets to write a model), and a finished run.
struct Base {
    root: tempfile::TempDir,
    csv: PathBuf,
    parquet: PathBuf,
    profile: PathBuf,
    run: PathBuf,
}

impl Base {
    fn new() -> Base {
        let root = tempfile::tempdir().unwrap();
        let csv = root.path().join("csv");
        let parquet = root.path().join("parquet");
        custseg().args(["sample-data", "--quiet", "--customers", "300", "--seed", "16", "--parquet", "--out"]).arg(&csv).assert().success();
        std::fs::create_dir(&parquet).unwrap();
        for e in EXPORTS {
            std::fs::rename(csv.join(format!("{e}.parquet")), parquet.join(format!("{e}.parquet"))).unwrap();
        }
        let profile = edited_profile(
            root.path(),
            "fuzz.toml",
            &[
                ("k_min = 2", "k_min = 3"),
                ("k_max = 7", "k_max = 3"),
                ("restarts = 4", "restarts = 2"),
                ("min_stability = 0.75", "min_stability = 0.0"),
                ("stability_resamples = 10", "stability_resamples = 1"),
                ("max_reject_share = 0.01", "max_reject_share = 0.5"),
            ],
        );
        let run = root.path().join("run");
        custseg().args(["run", "--quiet", "--data"]).arg(&csv).arg("--profile").arg(&profile).arg("--out").arg(&run).assert().success();
        Base { root, csv, parquet, profile, run }
    }
}

/// What one case mutates.
#[derive(Debug, Clone, Copy)]
enum Target {
    Csv(&'static str),
    /// The committed GBK example, read with its profile.
    GbkCsv(&'static str),
    ParquetBytes(&'static str),
    ParquetColumns(&'static str),
    Profile,
    Model,
    Summary,
}

fn target(rng: &mut Xoshiro256PlusPlus) -> Target {
    let export = *EXPORTS.choose(rng).unwrap();
    match rng.gen_range(0..11) {
        0..=3 => Target::Csv(export),
        4 => Target::GbkCsv(export),
        5 => Target::ParquetBytes(export),
        6 => Target::ParquetColumns(export),
        7 | 8 => Target::Profile,
        9 => Target::Model,
        _ => Target::Summary,
    }
}

/// Text that readers have got wrong somewhere: numbers beyond range or not finite, dates in other
/// orders or out of range, quotes, delimiters, line ends, encodings, control and bidi characters,
/// formulas, long values.
const TOKENS: &[&str] = &[
    "\"", ",", ";", "\t", "\r", "\n", "\r\n", "\"\"", ",,,,", "NaN", "nan", "inf", "-inf", "1e309", "-1e309", "1e308",
    "1,5", "1.000,50", "abc", "", " ", "-0", "0x1F", "99999999999999999999", "2026/01/05", "13/13/2026", "01/05/2026",
    "2026-3-5", "-2026-01-01", "99999-01-01", "0000-00-00", "2026-02-30", "2026-01-05T25:61:00", "\u{202E}", "\u{1b}[31m",
    "=HYPERLINK(\"x\")", "\u{FF1D}1+1", "\u{FEFF}", "\0", "\u{1F600}", "\u{3000}", "C0000001", "bank_debit", "true",
];

/// Bytes that are not UTF-8, or not text.
const RAW: &[&[u8]] = &[b"\xff\xfe", b"\xfe\xff", b"\xc3", b"\xe4\xb8", b"\x80\x80\x80", b"\xef\xbb\xbf"];

fn token(rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    match rng.gen_range(0..12) {
        0 => RAW.choose(rng).unwrap().to_vec(),
        1 => vec![b'x'; rng.gen_range(1..20_000)],
        _ => TOKENS.choose(rng).unwrap().as_bytes().to_vec(),
    }
}

/// Line starts of `bytes` (after each '\n').
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).filter(|&i| i < bytes.len()).collect()
}

/// One to four edits of a CSV file's bytes: bytes or fields replaced, tokens inserted, spans deleted,
/// lines duplicated, swapped or cut, the file truncated, its line ends or encoding changed.
fn mutate_csv(bytes: &mut Vec<u8>, rng: &mut Xoshiro256PlusPlus) {
    for _ in 0..rng.gen_range(1..=4) {
        if bytes.is_empty() {
            bytes.extend(token(rng));
            continue;
        }
        let at = rng.gen_range(0..bytes.len());
        match rng.gen_range(0..12) {
            0 => bytes[at] = rng.gen(),
            1 | 2 => {
                let t = token(rng);
                bytes.splice(at..at, t);
            }
            3 => {
                let end = (at + rng.gen_range(1..200)).min(bytes.len());
                bytes.drain(at..end);
            }
            4 | 5 => {
                // One field of one line replaced.
                let starts = line_starts(bytes);
                let start = *starts.choose(rng).unwrap();
                let end = bytes[start..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |p| start + p);
                let commas: Vec<usize> = std::iter::once(start)
                    .chain((start..end).filter(|&i| bytes[i] == b',').map(|i| i + 1))
                    .collect();
                let from = *commas.choose(rng).unwrap();
                let to = bytes[from..end].iter().position(|b| *b == b',').map_or(end, |p| from + p);
                let t = token(rng);
                bytes.splice(from..to, t);
            }
            6 => {
                let starts = line_starts(bytes);
                let start = *starts.choose(rng).unwrap();
                let end = bytes[start..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |p| start + p + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(start..start, line);
            }
            7 => {
                let starts = line_starts(bytes);
                if starts.len() > 2 {
                    let lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(|l| l.to_vec()).collect();
                    let mut lines = lines;
                    let (a, b) = (rng.gen_range(0..lines.len()), rng.gen_range(0..lines.len()));
                    lines.swap(a, b);
                    *bytes = lines.join(&b'\n');
                }
            }
            8 => bytes.truncate(at),
            9 => {
                if rng.gen_bool(0.5) {
                    bytes.retain(|b| *b != b'\r');
                    bytes.iter_mut().for_each(|b| if *b == b'\n' { *b = b'\r' });
                } else {
                    *bytes = bytes.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
                }
            }
            10 => {
                // UTF-16 little-endian, with its byte-order mark.
                let text = String::from_utf8_lossy(bytes).to_string();
                *bytes = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
            }
            _ => {
                // Everything after the header dropped, or the header itself.
                let starts = line_starts(bytes);
                if rng.gen_bool(0.5) {
                    bytes.truncate(*starts.get(1).unwrap_or(&bytes.len()));
                } else {
                    bytes.drain(..*starts.get(1).unwrap_or(&bytes.len()));
                }
            }
        }
    }
}

/// Parquet bytes corrupted: flipped, zeroed, cut or spliced.
fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut Xoshiro256PlusPlus) {
    for _ in 0..rng.gen_range(1..=3) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.gen_range(0..bytes.len());
        match rng.gen_range(0..5) {
            0 => bytes[at] ^= 1 << rng.gen_range(0..8),
            1 => {
                let end = (at + rng.gen_range(1..64)).min(bytes.len());
                bytes[at..end].iter_mut().for_each(|b| *b = 0);
            }
            2 => bytes.truncate(at),
            3 => {
                // The footer's length or magic number hit.
                let n = bytes.len();
                let i = n - 1 - rng.gen_range(0..8.min(n));
                bytes[i] = rng.gen();
            }
            _ => {
                let len = rng.gen_range(1..256).min(bytes.len() - at);
                let span = bytes[at..at + len].to_vec();
                let to = rng.gen_range(0..bytes.len());
                bytes.splice(to..to, span);
            }
        }
    }
}

/// A Parquet export rewritten with one to three column changes: a column cast to another type
/// (strictly where it converts, else nulls), dropped, renamed, emptied, rows repeated or none left.
fn mutate_columns(csv: &Path, out: &Path, rng: &mut Xoshiro256PlusPlus) {
    use polars::prelude::*;
    let mut df = CsvReadOptions::default().try_into_reader_with_file_path(Some(csv.to_path_buf())).unwrap().finish().unwrap();
    let types = [
        DataType::Int32,
        DataType::Int64,
        DataType::Float32,
        DataType::Float64,
        DataType::String,
        DataType::Boolean,
        DataType::Date,
        DataType::Datetime(TimeUnit::Milliseconds, None),
        DataType::Decimal(12, 2),
        DataType::Decimal(38, 10),
    ];
    for _ in 0..rng.gen_range(1..=3) {
        let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        if names.is_empty() {
            break;
        }
        let name = names.choose(rng).unwrap().clone();
        match rng.gen_range(0..6) {
            0 | 1 => {
                let to = types.choose(rng).unwrap();
                let col = df.column(&name).unwrap();
                let cast = if col.dtype() == &DataType::String && to.is_temporal() {
                    // Text read as dates the way polars means it to be (a plain cast is deprecated).
                    let options = StrptimeOptions { strict: false, ..Default::default() };
                    let parsed = polars::prelude::col(name.as_str()).str().strptime(to.clone(), options, lit("raise"));
                    df.clone().lazy().select([parsed]).collect().map(|f| f.columns()[0].clone())
                } else {
                    col.cast(to).or_else(|_| col.cast(&DataType::String).and_then(|c| c.cast(to)))
                };
                if let Ok(c) = cast {
                    df.with_column(c).unwrap();
                }
            }
            2 => {
                df = df.drop(&name).unwrap();
            }
            3 => {
                df.rename(&name, format!("{}_", name.to_uppercase()).into()).unwrap();
            }
            4 => {
                // Some values null, the column's type kept.
                let col = df.column(&name).unwrap().clone();
                let mask: BooleanChunked = (0..df.height()).map(|_| rng.gen_bool(0.3)).collect();
                let nulls = Column::full_null(name.as_str().into(), df.height(), col.dtype());
                let c = nulls.zip_with(&mask, &col).unwrap();
                df.with_column(c).unwrap();
            }
            _ => {
                df = if rng.gen_bool(0.5) { df.head(Some(0)) } else { df.vstack(&df).unwrap() };
            }
        }
    }
    let f = std::fs::File::create(out).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
}

/// Values of every kind and at every edge, for a JSON or TOML leaf.
fn json_value(rng: &mut Xoshiro256PlusPlus) -> serde_json::Value {
    use serde_json::json;
    let choices = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1),
        json!(7),
        json!(1e308),
        json!(-1e308),
        json!(5e-324),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(0.5),
        json!(""),
        json!("x"),
        json!("\u{202E}\u{1b}[2J<script>"),
        json!([]),
        json!({}),
        json!([1, 2, 3]),
        json!("2026-13-45"),
        json!("bill_mean"),
    ];
    choices.choose(rng).unwrap().clone()
}

/// Every node's JSON pointer (the root excluded).
fn json_pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => m.iter().for_each(|(k, c)| {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            json_pointers(c, p, out);
        }),
        serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| {
            let p = format!("{at}/{i}");
            out.push(p.clone());
            json_pointers(c, p, out);
        }),
        _ => {}
    }
}

/// One to three edits of a JSON document: a node replaced, removed or repeated; now and then the
/// text itself cut.
fn mutate_json(bytes: &[u8], rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    for _ in 0..rng.gen_range(1..=3) {
        let mut pointers = Vec::new();
        json_pointers(&doc, String::new(), &mut pointers);
        let Some(p) = pointers.choose(rng).cloned() else { break };
        let (parent, last) = p.rsplit_once('/').unwrap();
        let new = json_value(rng);
        let op = rng.gen_range(0..4);
        let parent = doc.pointer_mut(parent).unwrap();
        match (parent, op) {
            (serde_json::Value::Object(m), 0) => {
                m.remove(&last.replace("~1", "/").replace("~0", "~"));
            }
            (serde_json::Value::Array(a), 0) => {
                a.remove(last.parse::<usize>().unwrap());
            }
            (serde_json::Value::Array(a), 1) => {
                let i: usize = last.parse().unwrap();
                a.insert(i, a[i].clone());
            }
            (parent, _) => {
                let key = last.replace("~1", "/").replace("~0", "~");
                match parent {
                    serde_json::Value::Object(m) => {
                        m.insert(key, new);
                    }
                    serde_json::Value::Array(a) => a[key.parse::<usize>().unwrap()] = new,
                    _ => unreachable!("a pointer's parent holds children"),
                }
            }
        }
    }
    let mut text = serde_json::to_vec_pretty(&doc).unwrap();
    if rng.gen_ratio(1, 10) {
        let at = rng.gen_range(0..text.len());
        text.truncate(at);
    }
    text
}

/// One to three edits of a TOML document: a value replaced by one of another kind or at an edge, a
/// key removed, or (now and then) a token inserted into the text.
fn mutate_toml(text: &str, rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    if rng.gen_ratio(1, 5) {
        let mut bytes = text.as_bytes().to_vec();
        let at = rng.gen_range(0..bytes.len());
        bytes.splice(at..at, token(rng));
        return bytes;
    }
    let mut doc: toml::Value = text.parse().unwrap();
    for _ in 0..rng.gen_range(1..=3) {
        let mut paths = Vec::new();
        toml_paths(&doc, &mut Vec::new(), &mut paths);
        let Some(path) = paths.choose(rng).cloned() else { break };
        let (last, parent) = path.split_last().unwrap();
        let mut node = &mut doc;
        for key in parent {
            node = match node {
                toml::Value::Table(t) => t.get_mut(key).unwrap(),
                toml::Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
                _ => unreachable!("a path runs through tables and arrays"),
            };
        }
        let values = [
            toml::Value::Integer(0),
            toml::Value::Integer(-1),
            toml::Value::Integer(1),
            toml::Value::Integer(8),
            toml::Value::Integer(i64::MAX),
            toml::Value::Integer(1 << 40),
            toml::Value::Float(f64::NAN),
            toml::Value::Float(f64::INFINITY),
            toml::Value::Float(-1e300),
            toml::Value::Float(0.5),
            toml::Value::String(String::new()),
            toml::Value::String("bill_mean".into()),
            toml::Value::String("\u{202E}<b>".into()),
            toml::Value::Boolean(true),
            toml::Value::Array(Vec::new()),
            toml::Value::Table(Default::default()),
        ];
        let new = values.choose(rng).unwrap().clone();
        let remove = rng.gen_ratio(1, 4);
        match node {
            toml::Value::Table(t) if remove => {
                t.remove(last);
            }
            toml::Value::Table(t) => {
                t.insert(last.clone(), new);
            }
            toml::Value::Array(a) if remove => {
                a.remove(last.parse::<usize>().unwrap());
            }
            toml::Value::Array(a) => a[last.parse::<usize>().unwrap()] = new,
            _ => unreachable!("a path's parent holds children"),
        }
    }
    toml::to_string(&doc).map(String::into_bytes).unwrap_or_else(|_| text.as_bytes().to_vec())
}

fn toml_paths(v: &toml::Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &toml::Value)> = match v {
        toml::Value::Table(t) => t.iter().map(|(k, c)| (k.clone(), c)).collect(),
        toml::Value::Array(a) => a.iter().enumerate().map(|(i, c)| (i.to_string(), c)).collect(),
        _ => return,
    };
    for (k, c) in children {
        at.push(k);
        out.push(at.clone());
        toml_paths(c, at, out);
        at.pop();
    }
}

/// Writes case `n`'s inputs into `dir` and returns the command that reads them.
fn prepare(base: &Base, n: u64, seed: u64, dir: &Path) -> (Target, assert_cmd::Command) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let t = target(&mut rng);
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let copy_exports = |from: &Path, ext: &str| {
        for e in EXPORTS {
            let name = format!("{e}.{ext}");
            std::fs::copy(from.join(&name), data.join(&name)).unwrap();
        }
    };
    let out = dir.join("out");
    let mut profile = base.profile.clone();
    let mut cmd = custseg();
    match t {
        Target::Csv(e) => {
            copy_exports(&base.csv, "csv");
            let p = data.join(format!("{e}.csv"));
            let mut bytes = std::fs::read(&p).unwrap();
            mutate_csv(&mut bytes, &mut rng);
            std::fs::write(&p, bytes).unwrap();
        }
        Target::GbkCsv(e) => {
            copy_exports(&repo().join("data-samples/gbk-example"), "csv");
            profile = repo().join("profiles/examples/gbk-chinese-headers.toml");
            let p = data.join(format!("{e}.csv"));
            let mut bytes = std::fs::read(&p).unwrap();
            mutate_csv(&mut bytes, &mut rng);
            std::fs::write(&p, bytes).unwrap();
        }
        Target::ParquetBytes(e) => {
            copy_exports(&base.parquet, "parquet");
            let p = data.join(format!("{e}.parquet"));
            let mut bytes = std::fs::read(&p).unwrap();
            mutate_bytes(&mut bytes, &mut rng);
            std::fs::write(&p, bytes).unwrap();
        }
        Target::ParquetColumns(e) => {
            copy_exports(&base.parquet, "parquet");
            mutate_columns(&base.csv.join(format!("{e}.csv")), &data.join(format!("{e}.parquet")), &mut rng);
        }
        Target::Profile => {
            copy_exports(&base.csv, "csv");
            let text = std::fs::read_to_string(&base.profile).unwrap();
            profile = dir.join("profile.toml");
            std::fs::write(&profile, mutate_toml(&text, &mut rng)).unwrap();
        }
        Target::Model => {
            copy_exports(&base.csv, "csv");
            let model = dir.join("model.json");
            std::fs::write(&model, mutate_json(&std::fs::read(base.run.join("model.json")).unwrap(), &mut rng)).unwrap();
            cmd.args(["assign", "--quiet", "--data"]).arg(&data).arg("--model").arg(&model).arg("--out").arg(&out);
            return (t, cmd);
        }
        Target::Summary => {
            let run = dir.join("run");
            std::fs::create_dir_all(&run).unwrap();
            std::fs::copy(base.run.join("manifest.json"), run.join("manifest.json")).unwrap();
            let summary = mutate_json(&std::fs::read(base.run.join("summary.json")).unwrap(), &mut rng);
            std::fs::write(run.join("summary.json"), summary).unwrap();
            cmd.args(["report", "--quiet", "--run"]).arg(&run).arg("--out").arg(&out);
            return (t, cmd);
        }
    }
    cmd.args(["run", "--quiet", "--data"]).arg(&data).arg("--profile").arg(&profile).arg("--out").arg(&out);
    (t, cmd)
}

/// What is wrong with a case's outcome, if anything.
fn problems(output: &Output, dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let err = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        None => found.push(format!("killed by a signal ({:?})", output.status)),
        Some(c) if !DOCUMENTED.contains(&c) => found.push(format!("exit {c}")),
        Some(0) => {}
        Some(_) if !err.lines().any(|l| l.starts_with("error: ")) => found.push("no error: message".into()),
        Some(_) => {}
    }
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        found.push("a panic".into());
    }
    let manifest = dir.join("out/manifest.json");
    if !manifest.exists() {
        return found;
    }
    let m = read_json(&manifest);
    for (export, r) in m["rows"].as_object().into_iter().flatten() {
        let n = |k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{export}.{k} is not a count: {r}"));
        let parts = n("rows_accepted") + n("rows_rejected") + n("rows_duplicate") + n("rows_outside_window");
        if n("rows_read") != parts {
            found.push(format!("{export}: rows read {} but accepted + rejected + duplicates + outside = {parts}", n("rows_read")));
        }
        let reasons: u64 = r["reject_reasons"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        if reasons != n("rows_rejected") {
            found.push(format!("{export}: {} rejected rows but {reasons} counted by reason", n("rows_rejected")));
        }
        let rejects = dir.join(format!("out/rejects/{export}.csv"));
        let listed = if rejects.exists() { csv::Reader::from_path(&rejects).unwrap().records().count() as u64 } else { 0 };
        if listed != n("rows_rejected") {
            found.push(format!("{export}: {} rejected rows but {listed} in rejects/{export}.csv", n("rows_rejected")));
        }
        // Each reject on a line the file has (line ends counted as '\n', or '\r' alone).
        let path = r["path"].as_str().unwrap();
        if rejects.exists() && r["format"] == "csv" {
            let bytes = std::fs::read(path).unwrap();
            let lines = 1 + bytes.iter().filter(|b| **b == b'\n').count() + bytes.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').count();
            for rec in csv::Reader::from_path(&rejects).unwrap().records() {
                let line: usize = rec.unwrap()[1].parse().unwrap();
                if line == 0 || line > lines {
                    found.push(format!("{export}: a reject on line {line} of a file of {lines} lines"));
                    break;
                }
            }
        }
    }
    found
}

#[test]
fn mutated_inputs_to_every_reader_end_in_a_message_and_every_row_is_accounted_for() {
    let seed = env_number("CUSTSEG_FUZZ_SEED", 16);
    let cases: Vec<u64> = match std::env::var("CUSTSEG_FUZZ_CASE") {
        Ok(n) => vec![n.parse().expect("CUSTSEG_FUZZ_CASE is a case number")],
        Err(_) => (0..env_number("CUSTSEG_FUZZ_CASES", CI_CASES as u64)).collect(),
    };
    let base = Base::new();
    let mut failures = Vec::new();
    let mut by_exit = std::collections::BTreeMap::<String, usize>::new();
    let started = std::time::Instant::now();
    let mut slowest = (0.0f64, 0u64);
    for &n in &cases {
        let dir = base.root.path().join(format!("case-{n}"));
        let (t, mut cmd) = prepare(&base, n, seed, &dir);
        let begun = std::time::Instant::now();
        let output = cmd.output().unwrap();
        let took = begun.elapsed().as_secs_f64();
        if took > slowest.0 {
            slowest = (took, n);
        }
        let kind = format!("{t:?}").split('(').next().unwrap().to_string();
        *by_exit.entry(format!("{kind} exit {:?}", output.status.code())).or_default() += 1;
        let found = problems(&output, &dir);
        if found.is_empty() {
            std::fs::remove_dir_all(&dir).unwrap();
        } else {
            let kept = std::env::temp_dir().join(format!("custseg-fuzz-{seed}-{n}"));
            let _ = std::fs::remove_dir_all(&kept);
            std::fs::rename(&dir, &kept).or_else(|_| std::fs::create_dir_all(&kept)).unwrap();
            let err = String::from_utf8_lossy(&output.stderr);
            failures.push(format!("case {n} ({t:?}, inputs in {}): {}\n{err}", kept.display(), found.join("; ")));
        }
    }
    // The campaign's figures, for the record (`-- --nocapture` shows them).
    println!(
        "fuzz: {} cases, seed {seed}, {:.1} s, slowest case {} ({:.2} s), {} failures",
        cases.len(),
        started.elapsed().as_secs_f64(),
        slowest.1,
        slowest.0,
        failures.len()
    );
    for (k, v) in &by_exit {
        println!("  {k}: {v}");
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // The campaign reaches every reader, and most runs get past reading.
    for kind in ["Csv", "GbkCsv", "ParquetBytes", "ParquetColumns", "Profile", "Model", "Summary"] {
        assert!(cases.len() < 60 || by_exit.keys().any(|k| k.starts_with(&format!("{kind} "))), "no {kind} case in {by_exit:?}");
    }
}

//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn custseg() -> Command {
    let mut cmd = Command::cargo_bin("custseg").expect("binary built");
    cmd.current_dir(repo());
    cmd
}

/// The checkout under test. Read when the test runs (cargo sets it), not when it was compiled: a build
/// cache shared between clones (CI's CARGO_TARGET_DIR) may hold a binary compiled in another clone.
pub fn repo() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// Generates sample exports of `customers` customers into a fresh folder.
pub fn generate(dir: &Path, customers: usize, seed: u64) {
    custseg()
        .args(["sample-data", "--customers", &customers.to_string(), "--seed", &seed.to_string(), "--out"])
        .arg(dir)
        .assert()
        .success();
}

/// Reads a two-column CSV (with header) into (first, second) pairs.
pub fn read_pairs(path: &Path, a: &str, b: &str) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let headers = r.headers().expect("header").clone();
    let ia = headers.iter().position(|h| h == a).expect("column a");
    let ib = headers.iter().position(|h| h == b).expect("column b");
    r.records().map(|rec| {
        let rec = rec.expect("record");
        (rec[ia].to_string(), rec[ib].to_string())
    }).collect()
}

/// Folders left in `dir` whose names mark an unfinished run.
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.contains(".tmp-") || n.ends_with(".old"))
                .collect()
        })
        .unwrap_or_default()
}

/// `text` with its first `from` replaced by `to`; fails the test when `from` is not there, so that a
/// test editing a fixture never runs on the unedited one.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the text to edit has no {from:?}");
    text.replacen(from, to, 1)
}

/// `text` with every `from` replaced by `to`; fails the test when there is none.
pub fn edit_all(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the text to edit has no {from:?}");
    text.replace(from, to)
}

/// The bundled profile with `edits` applied (each a (from, to) pair that must match), written into
/// `dir` as `name`.
pub fn edited_profile(dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("profiles/residential.toml")).expect("bundled profile");
    for (from, to) in edits {
        text = edit(&text, from, to);
    }
    let p = dir.join(name);
    std::fs::write(&p, text).expect("profile written");
    p
}

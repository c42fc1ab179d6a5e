//! `custseg profile show`: the resolved profile, every default filled in, as TOML.

use crate::common::*;

fn show(args: &[&str]) -> (i32, String, String) {
    let out = custseg().args(["profile", "show"]).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn profile_show_fills_every_default_and_parses_back_to_the_same_profile() {
    let t = tempfile::tempdir().unwrap();
    // A profile that leaves [clustering] and [transform] out entirely: they come back with defaults.
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let start = base.find("[clustering]").unwrap();
    let end = base.find("[quality]").unwrap();
    let short = format!("{}{}", &base[..start], &base[end..]);
    assert!(!short.contains("k_max") && !short.contains("winsorize"));
    let p = t.path().join("short.toml");
    std::fs::write(&p, &short).unwrap();
    let (code, toml, err) = show(&[p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for key in ["k_max = 7", "restarts = 4", "min_stability = 0.75", "winsorize = [0.01, 0.99]", "balance = \"check\"", "precision = \"f64\""] {
        assert!(toml.contains(key), "{key} missing from\n{toml}");
    }
    // The printed profile is the same profile as the short one, value for value, and prints the same.
    let parsed = |text: &str, name: &str| {
        let p = custseg::profile::Profile::parse(text, std::path::Path::new(name)).unwrap_or_else(|e| panic!("{e}"));
        serde_json::to_value(&p).unwrap()
    };
    assert_eq!(parsed(&short, "short.toml"), parsed(&toml, "shown.toml"));
    let again = t.path().join("again.toml");
    std::fs::write(&again, &toml).unwrap();
    let (code, toml2, err) = show(&[again.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&toml), body(&toml2));
    // Without FILE: the bundled profile.
    let (code, bundled, _) = show(&[]);
    assert_eq!(code, 0);
    assert!(bundled.starts_with("# profiles/residential.toml (sha256 ") && bundled.contains("name = \"consumption_mean\""));
}

#[test]
fn profile_show_refuses_a_bad_profile_like_a_run() {
    let t = tempfile::tempdir().unwrap();
    let p = edited_profile(t.path(), "bad.toml", &[("k_max = 7", "k_max = 9")]);
    let (code, out, err) = show(&[p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("k_max = 9") && err.contains("bad.toml"), "{err}");
}

//! Standard output that goes away: a closed pipe (`custseg validate | head`) ends a command quietly
//! with exit 0; a full disk (`> /dev/full`) is an error, exit 1, with a message. Never a panic.

use std::process::{Command, Stdio};

use crate::common::*;

/// Runs custseg with its stdout a pipe whose reading end is closed before the command writes.
fn with_closed_stdout(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("custseg"));
    cmd.current_dir(repo()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("custseg starts");
    drop(child.stdout.take());
    child.wait_with_output().expect("custseg ends")
}

fn with_full_stdout(args: &[&str]) -> std::process::Output {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    Command::new(assert_cmd::cargo::cargo_bin("custseg")).current_dir(repo()).args(args).stdout(full).output().expect("custseg ends")
}

#[test]
fn validate_and_report_into_a_closed_pipe_exit_0_without_a_word() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--out"]).arg(&run).assert().success();
    let report_out = t.path().join("again");
    let run_s = run.to_str().unwrap();
    for args in [
        vec!["validate", "--data", "data-samples"],
        vec!["report", "--run", run_s, "--out", report_out.to_str().unwrap()],
        vec!["profile", "show"],
        vec!["completions", "bash"],
        vec!["run", "--dry-run"],
    ] {
        let out = with_closed_stdout(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "custseg {args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && stderr.is_empty(), "custseg {args:?}: {stderr}");
    }
    // The report was still written: only the line naming it went nowhere.
    assert!(report_out.join("report.html").is_file());
}

#[test]
fn a_full_disk_on_stdout_is_an_error_with_exit_1() {
    for args in [vec!["validate", "--data", "data-samples"], vec!["profile", "show"], vec!["run", "--dry-run"]] {
        let out = with_full_stdout(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "custseg {args:?}: {stderr}");
        assert!(stderr.contains("writing to standard output") && stderr.contains("No space left"), "custseg {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_failed_check_wins_over_a_closed_stdout() {
    // Too many rejected bills: validate fails its gate (exit 3) even when nobody reads its output.
    let t = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("data-samples/billing.csv")).unwrap();
    let spoiled: Vec<String> =
        text.lines().enumerate().map(|(i, l)| if i > 0 && i % 10 == 0 { edit(l, ",", ",x") } else { l.to_string() }).collect();
    let billing = t.path().join("billing.csv");
    std::fs::write(&billing, spoiled.join("\n") + "\n").unwrap();
    let out = with_closed_stdout(&["validate", "--billing", billing.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("max_reject_share"), "{stderr}");
    // The dry run of feeder-keyed outages without a customers export that can join them.
    let data = t.path().join("feeder");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(repo().join("data-samples/billing.csv"), data.join("billing.csv")).unwrap();
    std::fs::write(data.join("outages.csv"), "feeder_id,outage_start,outage_end\nF1,2026-05-01 10:00:00,2026-05-01 12:00:00\n").unwrap();
    let out = with_closed_stdout(&["run", "--dry-run", "--data", data.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("events by feeder_id"), "{stderr}");
}

#[test]
fn a_run_whose_stdout_is_closed_still_writes_its_folder() {
    let t = tempfile::tempdir().unwrap();
    let out_dir = t.path().join("run");
    let out = with_closed_stdout(&["run", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out_dir.join("report.md").is_file() && out_dir.join("manifest.json").is_file());
}

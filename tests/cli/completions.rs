//! `custseg completions`: shell completion scripts.

use crate::common::*;

#[test]
fn completion_scripts_name_every_subcommand_in_each_shell() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef custseg"), ("fish", "complete -c custseg")] {
        let out = custseg().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for sub in ["run", "assign", "validate", "report", "sample-data", "profile", "completions"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
        assert!(script.contains("dry-run") && script.contains("as-of"), "{shell}: flags missing");
    }
    custseg().args(["completions", "powershell"]).assert().code(2);
}

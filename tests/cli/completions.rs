//! `custseg completions`: shell completion scripts.

use crate::common::*;

fn script(shell: &str) -> String {
    let out = custseg().args(["completions", shell]).output().unwrap();
    assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn completion_scripts_name_every_subcommand_in_each_shell() {
    const SUBCOMMANDS: [&str; 7] = ["run", "assign", "validate", "report", "sample-data", "profile", "completions"];
    // How each shell's script names a subcommand it completes.
    let bash = script("bash");
    assert!(bash.contains("complete -F _custseg"), "bash: not a completion script");
    for sub in SUBCOMMANDS {
        let function = format!("custseg__subcmd__{})", sub.replace('-', "__subcmd__"));
        assert!(bash.contains(&function), "bash: no {function}");
    }
    assert!(bash.contains("custseg__subcmd__profile__subcmd__show)"), "bash: no `profile show`");
    let zsh = script("zsh");
    assert!(zsh.starts_with("#compdef custseg"), "zsh: not a completion script");
    for sub in SUBCOMMANDS {
        assert!(zsh.contains(&format!("\n'{sub}:")), "zsh: no {sub}");
    }
    let fish = script("fish");
    for sub in SUBCOMMANDS {
        assert!(fish.contains(&format!("__fish_custseg_needs_command\" -f -a \"{sub}\"")), "fish: no {sub}");
    }
    for s in [&bash, &zsh, &fish] {
        assert!(s.contains("dry-run") && s.contains("as-of") && s.contains("enforce-balance"), "flags missing");
    }
    custseg().args(["completions", "powershell"]).assert().code(2);
}

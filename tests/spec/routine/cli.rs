//! Conventions: shell completions and a manual page generated from the command line's
//! definition, and examples in `--help`.

use crate::support::*;

#[test]
fn completions_and_the_manual_page_cover_the_routine_commands() {
    let s = Scratch::new();
    let pv = s.pv.without_repo_flag();
    let bash = pv.ok(["completion", "bash"]).stdout;
    assert!(
        bash.contains("_pvault()") && bash.contains("schedule") && bash.contains("--repo-name"),
        "{bash}"
    );
    let zsh = pv.ok(["completion", "zsh"]).stdout;
    assert!(zsh.starts_with("#compdef pvault"), "{zsh}");
    let fish = pv.ok(["completion", "fish"]).stdout;
    assert!(
        fish.contains("complete -c pvault") && fish.contains("status"),
        "{fish}"
    );
    let man = pv.ok(["man"]).stdout;
    assert!(
        man.contains(".TH pvault") && man.contains("profile"),
        "{man}"
    );
    let help = pv.ok(["--help"]).stdout;
    assert!(
        help.contains("Examples:") && help.contains("pvault -P photos run"),
        "{help}"
    );
    let out = pv.run(["completion", "tcsh"]).code(2);
    assert!(out.stderr.contains("tcsh"), "{out}");
}

//! The `command` provider as a user writes one: told which document it reviews, stopped once
//! when it cannot run at all, and an UNKNOWN answer explained.

use super::*;
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stderr, stdout};

fn docs(n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| {
            (
                format!("docs/lld/LLD-{i}-x.md"),
                format!("{GOOD_LLD}\n{i}\n"),
            )
        })
        .collect()
}

fn command_env(command: &str) -> Vec<(&str, &str)> {
    vec![
        ("PARWF_PROVIDER__KIND", "command"),
        ("PARWF_PROVIDER__COMMAND", command),
    ]
}

#[test]
fn a_missing_script_stops_the_run_with_one_error() {
    let repo = repo_with_branch(&docs(12));
    let env = command_env("./scripts/no-such-review.sh");
    let out = repo.parwf_in(repo.path(), &["--since", "main", "-j", "2"], &env);
    let (text, err) = (stdout(&out), stderr(&out));
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let stops: Vec<&str> = err
        .lines()
        .filter(|l| {
            l.starts_with("error: stopped after the first 3 reviews all failed the same way")
        })
        .collect();
    assert_eq!(stops.len(), 1, "{err}");
    assert!(stops[0].contains("status 127"), "{err}");
    assert!(err.contains("hint: fix what the error says"), "{err}");
    // At most the items in flight ran; the rest were never started.
    let failed = err
        .lines()
        .filter(|l| l.contains("] error: provider.command"))
        .count();
    assert!((3..=4).contains(&failed), "{failed} failures told:\n{err}");
    assert!(text.contains("not started"), "{text}");
    assert!(text.contains("Stopped after the first 3 reviews"), "{text}");
}

#[test]
fn failures_of_their_own_do_not_stop_the_others() {
    let repo = repo_with_branch(&docs(5));
    // Fails for LLD-2 only; the others are approved.
    let script = r#"cat >/dev/null; if [ "$PARWF_DOC_ID" = LLD-2 ]; then echo "no budget for $PARWF_DOC_PATH" >&2; exit 3; fi; printf '## Verdict\n\n- [x] APPROVED\n'"#;
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "1"],
        &command_env(script),
    );
    let text = stdout(&out);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    assert!(
        text.contains("4 approved") && text.contains("1 errored"),
        "{text}"
    );
    assert!(!text.contains("not started"), "{text}");
    assert!(text.contains("no budget for docs/lld/LLD-2-x.md"), "{text}");
}

#[test]
fn the_script_is_told_the_document_and_the_model() {
    let repo = repo_with_branch(&docs(2));
    let log = repo.path().join(".git/told.txt");
    let script = format!(
        r#"cat >/dev/null; echo "$PARWF_DOC_ID|$PARWF_DOC_PATH|$PARWF_MODEL|$PARWF_TASK" >> '{}'; printf '## Verdict\n\n- [x] APPROVED\n'"#,
        log.display()
    );
    let mut env = command_env(&script);
    env.push(("PARWF_PROVIDER__MODEL", "team-model"));
    let out = repo.parwf_in(repo.path(), &["--since", "main", "-j", "1"], &env);
    assert_exit(&out, exit::OK);
    let told = std::fs::read_to_string(&log).expect("the script ran");
    let mut lines: Vec<&str> = told.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "LLD-1|docs/lld/LLD-1-x.md|team-model|review-lld",
            "LLD-2|docs/lld/LLD-2-x.md|team-model|review-lld"
        ]
    );
}

#[test]
fn an_unknown_verdict_says_why_on_screen() {
    let repo = repo_with_branch(&docs(1));
    let env = command_env("cat >/dev/null; echo 'Looks fine to me.'");
    let out = repo.parwf_in(repo.path(), &["--since", "main"], &env);
    let (text, err) = (stdout(&out), stderr(&out));
    assert_exit(&out, exit::GATE_FAILED);
    let told = err
        .lines()
        .find(|l| l.starts_with("[LLD-1] UNKNOWN"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(told.contains("UNKNOWN (no verdict found)"), "{told}");
    assert!(text.contains("why: no verdict found"), "{text}");
}

//! `parwf status`, `show` and `clean`, over what a run leaves under `.git/parwf` and in the
//! verdict notes.

use crate::support::docs::{FAST, GOOD_LLD, NEEDS_REVISION};
use crate::support::exit::{self, assert_exit};
use crate::support::process::run_dirs;
use crate::support::snap::redact;
use crate::support::{repo_with_branch, stdout};

#[test]
fn run_logs_status_show_and_clean() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/lld/LLD-2-b.md", NEEDS_REVISION),
    ]);
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::GATE_FAILED);
    let run = run_dirs(&repo).pop().expect("a run dir");
    for f in [
        "LLD-1.log",
        "LLD-2.log",
        "workflow-audit-LLD-1.jsonl",
        "summary.json",
        "LLD-2.review.md",
    ] {
        assert!(run.join(f).exists(), "{f} missing in {}", run.display());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["items"].as_array().map(Vec::len), Some(2));

    let out = repo.parwf(&["status"]);
    assert_exit(&out, exit::OK);
    redact(&repo).bind(|| insta::assert_snapshot!("status", stdout(&out)));

    let out = repo.parwf_in(&repo.path().join("docs"), &["show", "lld/LLD-2-b.md"], &[]);
    assert_exit(&out, exit::OK);
    assert!(stdout(&out).contains("## Verdict") && stdout(&out).contains("[x] **REVISE**"));
    let out = repo.parwf(&["show", "LLD-99"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("show_unknown", crate::support::stderr(&out)));

    let out = repo.parwf(&["clean", "--all"]);
    assert_exit(&out, exit::OK);
    assert!(run_dirs(&repo).is_empty());
    let out = repo.parwf(&["status"]);
    redact(&repo).bind(|| insta::assert_snapshot!("status_after_clean", stdout(&out)));
    // The run logs are gone; the verdict notes on the committed documents are not, and status
    // is built from them.
    let out = repo.parwf(&["show", "docs/lld/LLD-2-b.md"]);
    assert_exit(&out, exit::OK);
    assert!(
        stdout(&out).starts_with("parwf-verdict: REVISE"),
        "{}",
        stdout(&out)
    );
}

//! A reader that goes away (`parwf status | head -1`) never makes parwf panic.

use super::*;
use crate::support::{repo_with_branch, stderr};

#[test]
fn every_command_survives_a_closed_stdout() {
    let repo = repo_with_branch(&[("docs/lld/LLD-042-cache.md", GOOD_LLD)]);
    let review = repo.path().join("review.md");
    std::fs::write(&review, "## Verdict\n\n- [x] APPROVED\n").expect("write");
    let review = review.to_str().expect("utf-8");
    let since = ["--since", "main"];
    let cases: Vec<(Vec<&str>, i32)> = vec![
        // The run itself: its exit status is the gate's, whoever reads the results.
        ([&since[..], &["--format", "json"]].concat(), 0),
        ([&since[..], &["--fresh"]].concat(), 0),
        ([&since[..], &["--dry-run"]].concat(), 0),
        ([&since[..], &["--dry-run", "--format", "json"]].concat(), 0),
        (vec!["status"], 0),
        (vec!["status", "--format", "json"], 0),
        (vec!["show", "LLD-42"], 0),
        (vec!["show", "docs/lld/LLD-042-cache.md"], 0),
        (vec!["verdict", review], 0),
        (vec!["config", "show"], 0),
        (vec!["--help"], 0),
        // Generated text written in one piece: `parwf man | head -1`.
        (vec!["man"], 0),
        (vec!["completions", "bash"], 0),
    ];
    for (args, code) in cases {
        let out = with_closed_stdout(&repo, repo.path(), &args, FAST);
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
        assert_eq!(out.status.code(), Some(code), "{args:?}:\n{err}");
    }
}

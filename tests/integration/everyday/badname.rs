//! One document whose file name gives no ID fails alone; the run reviews the others.

use super::*;
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stderr, stdout};

#[test]
fn a_file_name_with_a_newline_fails_that_document_only() {
    let repo = repo_with_branch(&[("docs/lld/LLD-001-fine.md", GOOD_LLD)]);
    repo.write("docs/lld/LLD-2\nevil.md", GOOD_LLD);
    repo.commit_all("a bad name");
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    let (text, err) = (stdout(&out), stderr(&out));
    // A workflow error for that document (exit 3), not a refused run (exit 2).
    assert_exit(&out, exit::WORKFLOW_ERROR);
    assert!(err.contains("control character"), "{err}");
    let fine = text
        .lines()
        .find(|l| l.starts_with("LLD-1 "))
        .unwrap_or_default();
    assert!(fine.contains("APPROVED"), "{text}");
    let bad = text
        .lines()
        .find(|l| l.contains("evil"))
        .unwrap_or_default();
    assert!(
        bad.contains("ERROR") && bad.contains("LLD-2\\nevil.md"),
        "{text}"
    );
    assert!(
        text.contains("1 approved") && text.contains("1 errored"),
        "{text}"
    );

    let out = repo.parwf_in(repo.path(), &["--since", "main", "--dry-run"], FAST);
    assert_exit(&out, exit::OK);
    let listed = stdout(&out);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("invalid") && l.contains("evil")),
        "{listed}"
    );
}

#[test]
fn the_hook_refuses_only_for_the_badly_named_document_and_says_why() {
    let p = crate::support::push::Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-001-fine.md", GOOD_LLD);
    p.repo.commit_all("fine");
    assert_eq!(p.review(), 0);
    let out = p.push(&["feature"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    p.repo.write("docs/lld/LLD-2\nevil.md", GOOD_LLD);
    p.repo.commit_all("a bad name");
    let out = p.push(&["feature"], &[]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("parwf pre-push: push refused: 1 of 1"),
        "{err}"
    );
    assert!(
        err.contains("cannot be reviewed") && err.contains("rename"),
        "{err}"
    );
    assert!(!err.contains("LLD-1 "), "{err}");
}

//! The pre-push hook points at `git parwf show ID`, and passing verdicts reach the remote with
//! the branch (`[hook] push_notes`) or the hook says how to send them.

use super::*;
use crate::support::docs::REVISE_LLD;
use crate::support::push::{git_out, Pushing};
use crate::support::{stderr, stdout};

fn remote_notes(p: &Pushing) -> Option<String> {
    let out = p
        .repo
        .git(&["ls-remote", p.remote.to_str().unwrap(), "refs/notes/parwf"]);
    out.split_whitespace().next().map(str::to_string)
}

#[test]
fn a_refusal_points_at_parwf_show_and_that_shows_the_review() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-256-cache.md", REVISE_LLD);
    p.repo.commit_all("design");
    assert_eq!(p.review(), 1);
    let out = p.push(&["feature"], &[]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("read a review: git parwf show LLD-256"),
        "{err}"
    );
    assert!(!err.contains("git notes --ref=parwf show"), "{err}");
    let out = git_out(&p.repo, &["parwf", "show", "LLD-256"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("parwf-verdict: REVISE"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn push_notes_sends_the_verdicts_with_the_branch() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-1-cache.md", GOOD_LLD);
    p.repo.commit_all("design");
    assert_eq!(p.review(), 0);

    // Off (the default): the approval says how to share them, and nothing is pushed.
    let out = p.push(&["feature"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("git push origin refs/notes/parwf"),
        "{}",
        stderr(&out)
    );
    assert_eq!(remote_notes(&p), None);

    // On: the notes reach the remote with the push, from inside the hook.
    p.repo
        .write("docs/lld/LLD-1-cache.md", &format!("{GOOD_LLD}\nMore.\n"));
    p.repo.commit_all("more");
    assert_eq!(p.review(), 0);
    let out = p.push(&["feature"], &[("PARWF_HOOK__PUSH_NOTES", "true")]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("pushed the verdict notes (refs/notes/parwf) to origin"),
        "{err}"
    );
    let local = p
        .repo
        .git(&["rev-parse", "refs/notes/parwf"])
        .trim()
        .to_string();
    assert_eq!(remote_notes(&p), Some(local));
    assert_eq!(p.remote_branch("feature"), Some(p.head()));
}

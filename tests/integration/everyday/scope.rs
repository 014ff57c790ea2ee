//! What the default selection compares with, and what "nothing to review" says about it.

use super::*;
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stderr, stdout};

/// A clone of a remote whose `main` has a README, on a new local branch with no upstream.
fn clone_on_new_branch() -> (Repo, tempfile::TempDir) {
    let origin_dir = tempfile::tempdir().expect("tempdir");
    let origin = Repo::new();
    origin.write("README.md", "project\n");
    origin.commit_all("base");
    let bare = origin_dir.path().join("origin.git");
    let bare = bare.to_str().expect("utf-8").to_string();
    origin.git(&[
        "clone",
        "-q",
        "--bare",
        origin.path().to_str().unwrap(),
        &bare,
    ]);
    let repo = Repo::new();
    repo.git(&["remote", "add", "origin", &bare]);
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["remote", "set-head", "origin", "main"]);
    repo.git(&["checkout", "-q", "-b", "feature", "origin/main"]);
    repo.git(&["branch", "-q", "--unset-upstream"]);
    (repo, origin_dir)
}

#[test]
fn a_new_branch_without_an_upstream_compares_with_the_remotes_default_branch() {
    let (repo, _origin) = clone_on_new_branch();
    repo.write("docs/lld/LLD-007-new.md", GOOD_LLD);
    repo.commit_all("a design");
    let out = repo.parwf(&["--dry-run"]);
    assert_exit(&out, exit::OK);
    assert!(stdout(&out).contains("LLD-7"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("no upstream branch: comparing with origin/main"),
        "{}",
        stderr(&out)
    );
    // A detached HEAD too.
    repo.git(&["checkout", "-q", "--detach"]);
    let out = repo.parwf(&["--dry-run"]);
    assert_exit(&out, exit::OK);
    assert!(stdout(&out).contains("LLD-7"), "{}", stdout(&out));
}

#[test]
fn a_detached_head_with_nothing_to_compare_with_is_not_told_to_set_an_upstream() {
    let repo = repo_with_branch(&[("docs/lld/LLD-001-a.md", GOOD_LLD)]);
    repo.git(&["checkout", "-q", "--detach"]);
    let out = repo.parwf(&["--dry-run"]);
    let err = stderr(&out);
    assert_exit(&out, exit::USAGE);
    assert!(err.contains("HEAD is detached"), "{err}");
    assert!(err.contains("--since"), "{err}");
    assert!(!err.contains("set-upstream-to"), "{err}");
}

#[test]
fn nothing_to_review_says_what_was_compared_and_what_is_uncommitted() {
    let repo = repo_with_branch(&[("src/lib.rs", "// code\n")]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("docs/lld/LLD-001-a.md", GOOD_LLD);
    repo.commit_all("a design on main");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main", "-m", "merge"]);
    // Work not committed: an edit, and a new file nobody added yet.
    repo.write("docs/lld/LLD-001-a.md", &format!("{GOOD_LLD}\nedit\n"));
    repo.write("docs/lld/LLD-002-new.md", GOOD_LLD);

    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::OK);
    let text = stdout(&out);
    let base = repo.git(&["merge-base", "main", "HEAD"]);
    assert!(
        text.contains(&format!("main..HEAD (merge-base {})", &base[..12])),
        "{text}"
    );
    assert!(
        text.contains("docs/lld/**/*.md") && text.contains("ideas/active/*.md"),
        "{text}"
    );
    assert!(
        text.contains("2 document(s) have uncommitted changes"),
        "{text}"
    );
    assert!(
        text.contains("docs/lld/LLD-002-new.md") && text.contains("--include-worktree"),
        "{text}"
    );
    let out = repo.parwf(&["--since", "main", "--dry-run"]);
    assert!(
        stdout(&out).contains("uncommitted changes"),
        "{}",
        stdout(&out)
    );

    // --include-worktree reviews both, the untracked one too.
    let out = repo.parwf(&["--since", "main", "--include-worktree", "--dry-run"]);
    let listed = stdout(&out);
    assert!(
        listed.contains("LLD-1 ") && listed.contains("LLD-2 "),
        "{listed}"
    );
}

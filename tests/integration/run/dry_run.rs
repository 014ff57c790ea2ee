//! `--dry-run`: what would run, without a provider call or a write.

use crate::support::docs::{GOOD_ISSUE, GOOD_LLD};
use crate::support::exit::{self, assert_exit};
use crate::support::{json, repo_with_branch, stdout};

#[test]
fn dry_run_lists_items_and_writes_nothing() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-042-cache.md", GOOD_LLD),
        ("docs/issues/ISSUE-7-idea.md", GOOD_ISSUE),
        ("notes/other.md", "not a document\n"),
    ]);
    let out = repo.parwf(&["--since", "main", "--dry-run"]);
    assert_exit(&out, exit::OK);
    insta::assert_snapshot!("listing", stdout(&out));
    assert!(
        !repo.path().join(".git/parwf").exists(),
        ".git/parwf was created by a dry run"
    );
    let out = repo.parwf(&[
        "--since",
        "main",
        "--dry-run",
        "--format",
        "json",
        "--workflow",
        "lld",
    ]);
    let v = json(&out);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["items"][0]["id"], "LLD-42");
}

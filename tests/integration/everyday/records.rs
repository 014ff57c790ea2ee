//! `status` and `show` read the verdict notes (the team's, once fetched) as well as the run
//! logs: one row per document, the review of its current content.

use super::*;
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{repo_with_branch, stderr, stdout};

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn row<'a>(v: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    let rows: Vec<&serde_json::Value> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| r["path"] == path)
        .collect();
    assert_eq!(rows.len(), 1, "one row per path: {v}");
    rows[0]
}

#[test]
fn a_fresh_clone_sees_the_teams_verdicts_after_fetching_the_notes() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-001-cache.md", GOOD_LLD),
        ("docs/lld/LLD-002-queue.md", "# Queue\n\n## Risks\nTBD\n"),
    ]);
    repo.write(
        "docs/lld/LLD-003-later.md",
        &format!("{GOOD_LLD}\nLater.\n"),
    );
    repo.commit_all("one more, not reviewed");
    let out = repo.parwf_in(
        repo.path(),
        &["docs/lld/LLD-001-cache.md", "docs/lld/LLD-002-queue.md"],
        FAST,
    );
    assert!(
        matches!(out.status.code(), Some(exit::OK | exit::GATE_FAILED)),
        "{}",
        stderr(&out)
    );
    let remote = tempfile::tempdir().expect("tempdir");
    let origin = remote.path().join("origin.git");
    let origin = origin.to_str().expect("utf-8");
    repo.git(&["init", "-q", "--bare", origin]);
    repo.git(&["push", "-q", origin, "feature", "refs/notes/parwf"]);

    let clone = Repo::new();
    clone.git(&["remote", "add", "origin", origin]);
    clone.git(&[
        "fetch",
        "-q",
        "origin",
        "feature:feature",
        "refs/notes/parwf:refs/notes/parwf",
    ]);
    clone.git(&["checkout", "-q", "feature"]);
    assert!(
        !clone.path().join(".git/parwf").exists(),
        "no records of its own"
    );

    let out = clone.parwf(&["status", "--format", "json"]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    assert_eq!(v["schema_version"], 1);
    let first = row(&v, "docs/lld/LLD-001-cache.md");
    assert_eq!(first["id"], "LLD-1");
    assert_eq!(first["state"], "reviewed");
    assert_eq!(first["verdict"], "APPROVED");
    assert_eq!(first["origin"], "note");
    assert_eq!(row(&v, "docs/lld/LLD-002-queue.md")["verdict"], "REVISE");
    assert_eq!(row(&v, "docs/lld/LLD-003-later.md")["state"], "unreviewed");

    let out = clone.parwf(&["status"]);
    let text = stdout(&out);
    assert!(!text.contains("No reviews"), "{text}");
    assert!(text.contains("2 reviewed, 1 not reviewed"), "{text}");

    let out = clone.parwf(&["show", "LLD-2"]);
    assert_exit(&out, exit::OK);
    assert!(
        stdout(&out).starts_with("parwf-verdict: REVISE"),
        "{}",
        stdout(&out)
    );
    // What --dry-run calls cached, status calls reviewed.
    let out = clone.parwf_in(clone.path(), &["--all", "--dry-run"], FAST);
    let listed = stdout(&out);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("LLD-1 ") && l.contains("cached")),
        "{listed}"
    );
}

#[test]
fn a_changed_document_is_not_shown_its_old_review_as_current() {
    let repo = repo_with_branch(&[("docs/lld/LLD-001-cache.md", GOOD_LLD)]);
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::OK);
    repo.write("docs/lld/LLD-001-cache.md", &format!("{GOOD_LLD}\nMore.\n"));
    repo.commit_all("edit");
    // A new ID prefix: the same path, one row, under its new ID.
    repo.write(".parwf.toml", "[workflows.lld]\nid_prefix = \"DES\"\n");

    let v = json(&repo.parwf(&["status", "--format", "json"]));
    let r = row(&v, "docs/lld/LLD-001-cache.md");
    assert_eq!(r["id"], "DES-1");
    assert_eq!(r["state"], "changed");
    assert_eq!(r["verdict"], "APPROVED");

    let out = repo.parwf(&["show", "DES-1"]);
    assert_exit(&out, exit::OK);
    assert!(
        stdout(&out).starts_with("parwf-verdict: APPROVED"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("changed since this review"),
        "{}",
        stderr(&out)
    );

    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::OK);
    let v = json(&repo.parwf(&["status", "--format", "json"]));
    assert_eq!(row(&v, "docs/lld/LLD-001-cache.md")["state"], "reviewed");
    let out = repo.parwf(&["show", "des-1"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn an_id_that_names_several_documents_lists_them() {
    let repo = repo_with_branch(&[
        ("docs/lld/active/LLD-005.md", GOOD_LLD),
        ("docs/lld/done/LLD-005.md", "# Old\n\n## Risks\nTBD\n"),
        ("ideas/active/5-idea.md", "# Idea\n\n## Problem\nP.\n"),
    ]);
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert!(
        matches!(out.status.code(), Some(exit::OK | exit::GATE_FAILED)),
        "{}",
        stderr(&out)
    );
    let v = json(&repo.parwf(&["status", "--format", "json"]));
    let active = row(&v, "docs/lld/active/LLD-005.md")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(active.starts_with("LLD-5-"), "{active}");

    for target in ["LLD-5", "lld-5", "5"] {
        let out = repo.parwf(&["show", target]);
        let err = stderr(&out);
        assert_exit_for(target, &out, exit::USAGE);
        assert!(
            err.contains(&active) && err.contains("docs/lld/done/LLD-005.md"),
            "{err}"
        );
        assert!(err.contains("hint: pass one of these IDs"), "{err}");
    }
    let out = repo.parwf(&["show", "5"]);
    assert!(stderr(&out).contains("ISSUE-5"), "{}", stderr(&out));
    let out = repo.parwf(&["show", &active]);
    assert_exit(&out, exit::OK);
    assert!(
        stdout(&out).contains("parwf-path: docs/lld/active/LLD-005.md"),
        "{}",
        stdout(&out)
    );
    let out = repo.parwf(&["show", "LLD-6"]);
    assert_exit(&out, exit::USAGE);
    assert!(
        stderr(&out).contains("no document `LLD-6`"),
        "{}",
        stderr(&out)
    );
}

//! Hostile documents: each gets a clear one-line error or a safe result, never a panic, and
//! never stops the other items.

use std::io::{BufRead, BufReader};

use crate::support::docs::{with, FAST, GOOD_LLD};
use crate::support::exit::{self, assert_exit};
use crate::support::process::spawn;
use crate::support::{by_id, json, stderr, Repo};

fn write_bytes(repo: &Repo, rel: &str, bytes: &[u8]) {
    let p = repo.path().join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

/// A repo with a README on main, on a new branch `feature` with nothing committed yet.
fn on_feature() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "x\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

#[test]
fn binary_huge_empty_and_non_utf8_documents_fail_alone_or_review_safely() {
    let repo = on_feature();
    repo.write("docs/lld/LLD-1-good.md", GOOD_LLD);
    write_bytes(
        &repo,
        "docs/lld/LLD-2-binary.md",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    );
    write_bytes(
        &repo,
        "docs/lld/LLD-3-latin1.md",
        b"# Caf\xe9\n\n## Context\n",
    );
    repo.write("docs/lld/LLD-4-empty.md", "");
    let huge = "# Huge\n".to_string() + &"All work and no play. ".repeat(500_000);
    repo.write("docs/lld/LLD-5-huge.md", &huge);
    repo.commit_all("docs");
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], FAST);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let v = json(&out);
    assert_eq!(by_id(&v, "LLD-1")["verdict"], "APPROVED");
    // Each failure is one line, as the user reads it in the summary.
    let errors: String = ["LLD-2", "LLD-3", "LLD-5"]
        .iter()
        .map(|id| format!("{id}: {}\n", by_id(&v, id)["error"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(errors.lines().count(), 3, "multi-line errors:\n{errors}");
    insta::assert_snapshot!("errors", errors);
    // An empty document is reviewed, and fails the gate on its own merits.
    assert_eq!(by_id(&v, "LLD-4")["verdict"], "REVISE");
    assert!(!stderr(&out).contains("panicked"));
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repo_is_never_followed() {
    let repo = on_feature();
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.md"), "# not yours\n").expect("write");
    std::fs::create_dir_all(repo.path().join("docs/lld")).expect("mkdir");
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        repo.path().join("docs/lld/LLD-9-link.md"),
    )
    .expect("symlink");
    repo.write("docs/lld/LLD-1-good.md", GOOD_LLD);
    repo.commit_all("docs");
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], FAST);
    assert_exit(&out, exit::OK);
    let items = json(&out)["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        stderr(&out).contains("LLD-9-link.md"),
        "the skip is explained: {}",
        stderr(&out)
    );
    // Named explicitly, it is refused as outside the repository.
    let out = repo.parwf_in(repo.path(), &["docs/lld/LLD-9-link.md", "--dry-run"], FAST);
    assert_exit(&out, exit::USAGE);
}

#[test]
fn a_document_deleted_between_discovery_and_its_turn_fails_alone() {
    let repo = Repo::new();
    repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    // Another text: the same content would share LLD-1's review.
    repo.write(
        "docs/lld/LLD-2-b.md",
        &format!("{GOOD_LLD}\nAnother document.\n"),
    );
    repo.commit_all("docs");
    let mut child = spawn(
        &repo,
        &[
            "docs/lld/LLD-1-a.md",
            "docs/lld/LLD-2-b.md",
            "-j",
            "1",
            "--format",
            "json",
        ],
        &with(FAST, &[("PARWF_SIM__LATENCY_MS", "400")]),
    );
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while err.read_line(&mut line).expect("read") > 0 && !line.contains("[LLD-1] reviewing") {
        line.clear();
    }
    std::fs::remove_file(repo.path().join("docs/lld/LLD-2-b.md")).expect("rm");
    let out = child.wait_with_output().expect("wait");
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let v = json(&out);
    assert_eq!(by_id(&v, "LLD-1")["verdict"], "APPROVED");
    let e = by_id(&v, "LLD-2")["error"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(e.contains("cannot read docs/lld/LLD-2-b.md"), "{e}");
}

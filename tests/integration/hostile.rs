//! Hostile documents: each gets a clear one-line error or a safe result, never a panic, and
//! never stops the other items.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{hermetic_env, stderr, Repo};

const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";
const FAST: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "1"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

fn write_bytes(repo: &Repo, rel: &str, bytes: &[u8]) {
    let p = repo.path().join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

fn items(out: &std::process::Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(out)));
    v["items"].as_array().cloned().unwrap_or_default()
}

fn by_id<'a>(items: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    items
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing: {items:?}"))
}

#[test]
fn binary_huge_empty_and_non_utf8_documents_fail_alone_or_review_safely() {
    let repo = Repo::new();
    repo.write("README.md", "x\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
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
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let items = items(&out);
    assert_eq!(by_id(&items, "LLD-1")["verdict"], "APPROVED");
    let error = |id: &str| {
        by_id(&items, id)["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        error("LLD-2").contains("looks binary"),
        "{}",
        error("LLD-2")
    );
    assert!(error("LLD-3").contains("not UTF-8"), "{}", error("LLD-3"));
    assert!(
        error("LLD-5").contains("above max_document_bytes"),
        "{}",
        error("LLD-5")
    );
    for id in ["LLD-2", "LLD-3", "LLD-5"] {
        assert!(!error(id).contains('\n'), "multi-line error for {id}");
    }
    // An empty document is reviewed, and fails the gate on its own merits.
    assert_eq!(by_id(&items, "LLD-4")["verdict"], "REVISE");
    assert!(!stderr(&out).contains("panicked"));
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repo_is_never_followed() {
    let repo = Repo::new();
    repo.write("README.md", "x\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items = items(&out);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        stderr(&out).contains("LLD-9-link.md"),
        "the skip is explained: {}",
        stderr(&out)
    );
    // Named explicitly, it is refused as outside the repository.
    let out = repo.parwf_in(repo.path(), &["docs/lld/LLD-9-link.md", "--dry-run"], FAST);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
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
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
    cmd.args([
        "docs/lld/LLD-1-a.md",
        "docs/lld/LLD-2-b.md",
        "-j",
        "1",
        "--format",
        "json",
    ])
    .current_dir(repo.path())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    hermetic_env(&mut cmd, &repo.home());
    cmd.envs(FAST.iter().copied())
        .env("PARWF_SIM__LATENCY_MS", "400");
    let mut child = cmd.spawn().expect("spawn");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while err.read_line(&mut line).expect("read") > 0 && !line.contains("[LLD-1] reviewing") {
        line.clear();
    }
    std::fs::remove_file(repo.path().join("docs/lld/LLD-2-b.md")).expect("rm");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3));
    let items = items(&out);
    assert_eq!(by_id(&items, "LLD-1")["verdict"], "APPROVED");
    let e = by_id(&items, "LLD-2")["error"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(e.contains("cannot read docs/lld/LLD-2-b.md"), "{e}");
}

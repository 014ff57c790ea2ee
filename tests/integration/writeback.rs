//! Results written back into git: verdict notes, the cache they make, `--write commit|none`.

use crate::support::docs::{with, GOOD_ISSUE, GOOD_LLD, REVISE_LLD, SIM};
use crate::support::exit::{self, assert_exit};
use crate::support::push::git_out;
use crate::support::snap::redact;
use crate::support::{count, json, repo_with_branch, states, stderr, stdout, Repo};

/// README on main; `docs` committed on branch `feature` (checked out).
fn repo_with(docs: &[(&str, &str)]) -> Repo {
    repo_with_branch(docs)
}

fn run(repo: &Repo, args: &[&str]) -> std::process::Output {
    repo.parwf_in(repo.path(), args, SIM)
}

#[test]
fn one_notes_commit_per_run_with_the_documented_header() {
    let repo = repo_with(&[
        ("docs/lld/LLD-042-cache.md", REVISE_LLD),
        ("docs/lld/LLD-43-b.md", GOOD_LLD),
        ("docs/issues/ISSUE-7-idea.md", GOOD_ISSUE),
    ]);
    let out = run(&repo, &["--since", "main"]);
    assert_exit(&out, exit::GATE_FAILED);
    assert!(
        stderr(&out).contains("wrote 3 verdict notes to refs/notes/parwf"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&repo, "refs/notes/parwf"), 1);
    let note = repo.git(&[
        "notes",
        "--ref=parwf",
        "show",
        "HEAD:docs/lld/LLD-042-cache.md",
    ]);
    let header: Vec<&str> = note.lines().take(9).collect();
    let re = regex::Regex::new(
        r"^parwf-verdict: REVISE\nparwf-workflow: lld\nparwf-id: LLD-42\nparwf-path: docs/lld/LLD-042-cache.md\nparwf-model: sim\nparwf-prompt-hash: [0-9a-f]{12}\nparwf-blocking: 1\nparwf-date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$",
    )
    .unwrap();
    assert!(re.is_match(&header.join("\n")), "{note}");
    assert!(note.contains("## Verdict"), "the review follows: {note}");
    let issue = repo.git(&[
        "notes",
        "--ref=parwf",
        "show",
        "HEAD:docs/issues/ISSUE-7-idea.md",
    ]);
    assert!(issue.starts_with("parwf-verdict: APPROVED\nparwf-workflow: issue\n"));
}

#[test]
fn cached_verdicts_are_skipped_shown_and_still_gate() {
    let repo = repo_with(&[
        ("docs/lld/LLD-1-a.md", REVISE_LLD),
        ("docs/lld/LLD-2-b.md", GOOD_LLD),
    ]);
    assert_exit(&run(&repo, &["--since", "main"]), exit::GATE_FAILED);
    let dry = run(&repo, &["--since", "main", "--dry-run"]);
    insta::assert_snapshot!("cached_listing", stdout(&dry));

    let out = run(&repo, &["--since", "main", "--format", "json"]);
    // A cached REVISE still fails the gate.
    assert_exit(&out, exit::GATE_FAILED);
    let v = json(&out);
    assert_eq!(states(&v), ["cached", "cached"]);
    assert_eq!(v["items"][0]["verdict"], "REVISE");
    assert_eq!(v["items"][0]["gate_failed"], true);
    assert_eq!(v["items"][0]["llm_calls"], 0);
    assert_eq!(v["items"][1]["verdict"], "APPROVED");
    let sim_calls: u64 = v["keys"]
        .as_array()
        .map(|k| k.iter().map(|k| k["requests"].as_u64().unwrap_or(0)).sum())
        .unwrap_or(0);
    assert_eq!(sim_calls, 0);
    assert_eq!(count(&repo, "refs/notes/parwf"), 1, "nothing new to write");

    let out = run(&repo, &["--since", "main", "--format", "json", "--fresh"]);
    let v = json(&out);
    assert_eq!(states(&v), ["done", "done"]);
    assert_eq!(v["items"][0]["llm_calls"], 1);
    assert_eq!(count(&repo, "refs/notes/parwf"), 2);

    // Another model is another cache key.
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--dry-run"],
        &with(SIM, &[("PARWF_PROVIDER__MODEL", "bigger")]),
    );
    assert!(stdout(&out).contains("pending"), "{}", stdout(&out));
}

#[test]
fn the_cache_survives_a_rebase_and_a_cherry_pick() {
    let repo = repo_with(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    repo.write("src/a.rs", "// a\n");
    repo.commit_all("code on the branch");
    assert_exit(&run(&repo, &["--since", "main"]), exit::OK);
    let before = repo.git(&["rev-parse", "HEAD"]);

    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "project, moved on\n");
    repo.commit_all("main moves");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["rebase", "-q", "main"]);
    assert_ne!(
        repo.git(&["rev-parse", "HEAD"]),
        before,
        "rebase rewrote nothing"
    );

    let v = json(&run(&repo, &["--since", "main", "--format", "json"]));
    assert_eq!(states(&v), ["cached"]);
    assert_eq!(v["items"][0]["verdict"], "APPROVED");

    repo.git(&["checkout", "-q", "-b", "picked", "main"]);
    let docs_commit = repo.git(&["rev-parse", "feature~1"]);
    repo.git(&["cherry-pick", docs_commit.trim()]);
    let v = json(&run(&repo, &["--since", "main", "--format", "json"]));
    assert_eq!(states(&v), ["cached"]);
}

#[test]
fn commit_mode_makes_exactly_one_commit_with_trailers() {
    let repo = repo_with(&[
        ("docs/lld/LLD-1-a.md", REVISE_LLD),
        ("docs/issues/ISSUE-2-b.md", GOOD_ISSUE),
    ]);
    // Staged work elsewhere stays staged and out of parwf's commit.
    repo.write("notes.txt", "mine\n");
    repo.git(&["add", "notes.txt"]);
    let before = count(&repo, "HEAD");
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--revise", "--write", "commit"],
        &with(SIM, &[("PARWF_LINEAGE_DIR", "docs/reviews")]),
    );
    assert_exit(&out, exit::OK);
    assert_eq!(count(&repo, "HEAD"), before + 1);
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("parwf: review results for LLD-1, ISSUE-2\n\n"),
        "{message}"
    );
    let trailers = repo.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Parwf-Verdict,valueonly)",
    ]);
    assert_eq!(trailers.trim(), "LLD-1=APPROVED\nISSUE-2=APPROVED");
    let files = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    let mut files: Vec<&str> = files.lines().collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(files[0], "docs/lld/LLD-1-a.md");
    assert!(files[1].starts_with("docs/reviews/ISSUE-2/review-"));
    assert!(files[2].starts_with("docs/reviews/LLD-1/review-"));
    let revised = repo.git(&["show", "HEAD:docs/lld/LLD-1-a.md"]);
    assert!(!revised.contains("TBD"), "{revised}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "A  notes.txt\n");
    // The committed revision carries its APPROVED note.
    let note = repo.git(&["notes", "--ref=parwf", "show", "HEAD:docs/lld/LLD-1-a.md"]);
    assert!(note.starts_with("parwf-verdict: APPROVED"), "{note}");
}

#[test]
fn commit_mode_is_refused_on_a_detached_head_and_over_uncommitted_changes() {
    let repo = repo_with(&[("docs/lld/LLD-1-a.md", REVISE_LLD)]);
    repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    let out = run(&repo, &["--since", "main", "--revise", "--write", "commit"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("commit_over_changes", stderr(&out)));
    repo.git(&["checkout", "-q", "--", "."]);
    repo.git(&["checkout", "-q", "--detach"]);
    let out = run(&repo, &["--since", "main", "--revise", "--write", "commit"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("commit_detached", stderr(&out)));
    // Refused before any review ran: nothing was written.
    let notes = git_out(
        &repo,
        &["rev-parse", "-q", "--verify", "refs/notes/parwf"],
        &[],
    );
    assert!(!notes.status.success());
}

#[test]
fn write_none_leaves_no_notes() {
    let repo = repo_with(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = run(&repo, &["--since", "main", "--write", "none"]);
    assert_exit(&out, exit::OK);
    let notes = git_out(
        &repo,
        &["rev-parse", "-q", "--verify", "refs/notes/parwf"],
        &[],
    );
    assert!(!notes.status.success());
}

#[test]
fn notes_fanned_out_by_git_are_found_and_replaced_in_place() {
    let repo = repo_with(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    assert_exit(&run(&repo, &["--since", "main"]), exit::OK);
    // 300 more notes, copied by git itself: git fans the notes tree out (`ab/cdef…`).
    let blobs: String = (0..300)
        .map(|i| {
            repo.write(&format!("other/{i}.txt"), &format!("{i}\n"));
            format!("other/{i}.txt\n")
        })
        .collect();
    let oids = pipe(&repo, &["hash-object", "-w", "--stdin-paths"], &blobs);
    let doc = repo.git(&["rev-parse", "HEAD:docs/lld/LLD-1-a.md"]);
    let doc = doc.trim();
    let pairs: String = oids.lines().map(|o| format!("{doc} {o}\n")).collect();
    pipe(&repo, &["notes", "--ref=parwf", "copy", "--stdin"], &pairs);
    let top = repo.git(&["ls-tree", "refs/notes/parwf"]);
    assert!(
        top.lines().all(|l| l.contains(" tree ")),
        "not fanned out:\n{top}"
    );

    let v = json(&run(&repo, &["--since", "main", "--format", "json"]));
    assert_eq!(states(&v), ["cached"], "note in a fanout tree not found");
    let out = run(&repo, &["--since", "main", "--fresh"]);
    assert_exit(&out, exit::OK);
    let all = repo.git(&["ls-tree", "-r", "--name-only", "refs/notes/parwf"]);
    let paths: Vec<String> = all.lines().map(|l| l.replace('/', "")).collect();
    assert_eq!(paths.len(), 301);
    assert_eq!(paths.iter().filter(|p| p.as_str() == doc).count(), 1);
    let note = repo.git(&["notes", "--ref=parwf", "show", doc]);
    assert!(note.starts_with("parwf-verdict: APPROVED"), "{note}");
}

fn pipe(repo: &Repo, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(repo.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    crate::support::hermetic_env(&mut cmd, &repo.home());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn documents_with_the_same_content_share_one_note() {
    let repo = repo_with(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/lld/LLD-2-b.md", GOOD_LLD),
    ]);
    let out = run(&repo, &["--since", "main"]);
    assert_exit(&out, exit::OK);
    assert!(
        stderr(&out).contains("wrote 1 verdict note"),
        "{}",
        stderr(&out)
    );
    let v = json(&run(&repo, &["--since", "main", "--format", "json"]));
    assert_eq!(states(&v), ["cached", "cached"]);
}

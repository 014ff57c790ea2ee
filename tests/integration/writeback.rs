//! Results written back into git: verdict notes, the cache, `--write commit|none`, the
//! partition, and the PR formats.

use crate::hook::{git_out, GOOD_LLD, REVISE_LLD, SIM};
use crate::support::{stderr, stdout, Repo};

const GOOD_ISSUE: &str =
    "# Idea\n\n## Problem\nP.\n\n## Scope\nS.\n\n## Acceptance Criteria\nA.\n\n## Risks\nR.\n";
const BLOCKED_LLD: &str = "# Auth\n\n## Context\nWhy.\n\n## Design\nKeep the API token in plaintext in the config.\n\n## Test Plan\nT.\n\n## Risks\nR.\n";
const DISCUSS_ISSUE: &str = "# Idea\n\n## Problem\nP.\n\n## Scope\nS.\n\n## Acceptance Criteria\nA.\n\n## Risks\nR.\n\n## Open Questions\n- [ ] Which region first?\n";

/// README on main; `docs` committed on branch `feature` (checked out).
fn repo_with(docs: &[(&str, &str)]) -> Repo {
    crate::support::repo_with_branch(docs)
}

fn run(repo: &Repo, args: &[&str]) -> std::process::Output {
    repo.parwf_in(repo.path(), args, SIM)
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(out), stderr(out)))
}

fn states(v: &serde_json::Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["state"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn count(repo: &Repo, rev: &str) -> usize {
    repo.git(&["rev-list", "--count", rev])
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn one_notes_commit_per_run_with_the_documented_header() {
    let repo = repo_with(&[
        ("docs/lld/LLD-042-cache.md", REVISE_LLD),
        ("docs/lld/LLD-43-b.md", GOOD_LLD),
        ("docs/issues/ISSUE-7-idea.md", GOOD_ISSUE),
    ]);
    let out = run(&repo, &["--since", "main"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
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
    assert_eq!(run(&repo, &["--since", "main"]).status.code(), Some(1));
    let dry = run(&repo, &["--since", "main", "--dry-run"]);
    let text = stdout(&dry);
    assert!(
        text.contains("cached") && !text.contains("pending"),
        "{text}"
    );
    assert!(
        text.contains("0 document(s) would be reviewed, 2 cached"),
        "{text}"
    );

    let out = run(&repo, &["--since", "main", "--format", "json"]);
    // A cached REVISE still fails the gate.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
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
        &[SIM, &[("PARWF_PROVIDER__MODEL", "bigger")]].concat(),
    );
    assert!(stdout(&out).contains("pending"), "{}", stdout(&out));
}

#[test]
fn the_cache_survives_a_rebase_and_a_cherry_pick() {
    let repo = repo_with(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    repo.write("src/a.rs", "// a\n");
    repo.commit_all("code on the branch");
    assert_eq!(run(&repo, &["--since", "main"]).status.code(), Some(0));
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
        &[SIM, &[("PARWF_LINEAGE_DIR", "docs/reviews")]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("uncommitted changes in docs/lld/LLD-1-a.md"),
        "{}",
        stderr(&out)
    );
    repo.git(&["checkout", "-q", "--", "."]);
    repo.git(&["checkout", "-q", "--detach"]);
    let out = run(&repo, &["--since", "main", "--revise", "--write", "commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("HEAD is detached"),
        "{}",
        stderr(&out)
    );
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    assert_eq!(run(&repo, &["--since", "main"]).status.code(), Some(0));
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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

/// `(id, state)` of each item `--dry-run --partition SPEC` lists.
fn shard(repo: &Repo, spec: &str) -> Vec<(String, String)> {
    let args = [
        "--since",
        "main",
        "--dry-run",
        "--format",
        "json",
        "--partition",
        spec,
    ];
    let out = run(repo, &args);
    assert_eq!(out.status.code(), Some(0), "{spec}: {}", stderr(&out));
    json(&out)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let field = |k: &str| i[k].as_str().unwrap_or("?").to_string();
            (field("id"), field("state"))
        })
        .collect()
}

/// Twelve LLDs with different texts (the same text would share one cached verdict).
fn twelve_lld_repo() -> Repo {
    let docs: Vec<(String, String)> = (1..=12)
        .map(|i| {
            let text = format!("{GOOD_LLD}\nDocument {i}.\n");
            (format!("docs/lld/LLD-{i}-x.md"), text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = docs.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    repo_with(&refs)
}

#[test]
fn partitions_cover_every_item_exactly_once() {
    let repo = twelve_lld_repo();
    let mut all: Vec<String> = (1..=12).map(|i| format!("LLD-{i}")).collect();
    all.sort();
    for scheme in ["count", "hash"] {
        let mut seen: Vec<String> = Vec::new();
        let mut sizes = Vec::new();
        for m in 1..=3 {
            let ids: Vec<String> = shard(&repo, &format!("{scheme}:{m}/3"))
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            sizes.push(ids.len());
            seen.extend(ids);
        }
        seen.sort();
        assert_eq!(seen, all, "{scheme}");
        if scheme == "count" {
            assert_eq!(sizes, [4, 4, 4], "count shards are balanced");
        } else {
            assert!(
                sizes.iter().all(|&n| n < 12),
                "a hash shard took everything"
            );
        }
    }
    // count deals the IDs in sorted order: LLD-1, LLD-10, LLD-11, LLD-12, LLD-2, …
    let first: Vec<String> = shard(&repo, "count:1/3")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(first, ["LLD-1", "LLD-12", "LLD-4", "LLD-7"]);
    for bad in [
        "hash:0/3",
        "hash:4/3",
        "3",
        "hash:1/0",
        "count:0/3",
        "count:1",
        "rr:1/3",
    ] {
        let out = run(&repo, &["--since", "main", "--dry-run", "--partition", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("hint:"), "{}", stderr(&out));
    }
}

/// The shards of `count:M/N` are numbered over every item found, cached or not: when one job
/// has already reviewed its shard, the other jobs still take exactly their own items.
#[test]
fn count_shards_keep_their_items_when_some_are_cached() {
    let repo = twelve_lld_repo();
    let before: Vec<Vec<(String, String)>> = (1..=3)
        .map(|m| shard(&repo, &format!("count:{m}/3")))
        .collect();
    for items in &before {
        assert!(
            items.iter().all(|(_, state)| state == "pending"),
            "{items:?}"
        );
    }
    let out = run(&repo, &["--since", "main", "--partition", "count:1/3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let after: Vec<Vec<(String, String)>> = (1..=3)
        .map(|m| shard(&repo, &format!("count:{m}/3")))
        .collect();
    let ids = |items: &[(String, String)]| -> Vec<String> {
        items.iter().map(|(id, _)| id.clone()).collect()
    };
    for m in 0..3 {
        assert_eq!(ids(&after[m]), ids(&before[m]), "shard {} moved", m + 1);
    }
    assert!(
        after[0].iter().all(|(_, s)| s == "cached"),
        "{:?}",
        after[0]
    );
    assert!(
        after[1].iter().all(|(_, s)| s == "pending"),
        "{:?}",
        after[1]
    );
}

fn pr_repo() -> Repo {
    repo_with(&[
        ("docs/lld/LLD-1-cache.md", REVISE_LLD),
        ("docs/lld/LLD-2-auth.md", BLOCKED_LLD),
        ("docs/lld/LLD-3-ok.md", GOOD_LLD),
        ("docs/issues/ISSUE-4-open.md", DISCUSS_ISSUE),
        ("docs/issues/ISSUE-5-thin.md", "# Thin\n\n## Problem\nP.\n"),
    ])
}

#[test]
fn github_format_annotates_blocking_findings_and_writes_the_job_summary() {
    let repo = pr_repo();
    let summary = repo.path().join(".git/step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--format", "github"],
        &[SIM, &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())]].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("github_annotations", stdout(&out));
    let written = std::fs::read_to_string(&summary).unwrap();
    let appended = written.strip_prefix("earlier step\n").expect("appended");
    insta::assert_snapshot!("github_step_summary", appended);

    // A cached run says the same, marked cached.
    let again = repo.parwf_in(repo.path(), &["--since", "main", "--format", "github"], SIM);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stdout(&again).contains("LLD-1 REVISE (cached)"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn markdown_format_is_a_pr_comment_body() {
    let repo = pr_repo();
    let out = run(&repo, &["--since", "main", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("markdown_comment", stdout(&out));
    let ok = repo_with(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = run(&ok, &["--since", "main", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("## ✅ parwf review: gate passed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn github_annotations_stop_at_fifty_and_count_the_rest() {
    let many: String = (0..60).map(|i| format!("Step {i}: TBD\n")).collect();
    let repo = repo_with(&[("docs/lld/LLD-1-a.md", &format!("{GOOD_LLD}\n{many}"))]);
    let out = run(&repo, &["--since", "main", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        50
    );
    assert!(
        text.contains("::warning title=parwf::10 more blocking findings not annotated"),
        "{text}"
    );
}

#[test]
fn documents_with_the_same_content_share_one_note() {
    let repo = repo_with(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/lld/LLD-2-b.md", GOOD_LLD),
    ]);
    let out = run(&repo, &["--since", "main"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrote 1 verdict note"),
        "{}",
        stderr(&out)
    );
    let v = json(&run(&repo, &["--since", "main", "--format", "json"]));
    assert_eq!(states(&v), ["cached", "cached"]);
}

//! Checkpoints, interruption and resume through the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{hermetic_env, repo_with_branch, stderr, stdout, Repo};

const NEEDS_REVISION: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow. Eviction: TBD\n\n## Risks\nSome.\n";
const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";

fn revision_docs(n: usize) -> Vec<(String, &'static str)> {
    (1..=n)
        .map(|i| (format!("docs/lld/LLD-{i}-cache.md"), NEEDS_REVISION))
        .collect()
}

fn spawn(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
    cmd.args(args)
        .current_dir(repo.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    hermetic_env(&mut cmd, &repo.home());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn parwf")
}

/// Reads stderr lines until one contains `needle`; returns everything read.
fn read_until(child: &mut Child, needle: &str) -> (String, BufReader<std::process::ChildStderr>) {
    let mut reader = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read stderr");
        assert!(n > 0, "stderr ended before {needle:?}:\n{seen}");
        seen.push_str(&line);
        if line.contains(needle) {
            return (seen, reader);
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
}

/// (id, step, iteration) of every LLM call made (not replayed) in a run's audit logs.
fn calls_in_run(run_dir: &std::path::Path) -> Vec<(String, String, i64)> {
    audited(run_dir, false)
}

/// (id, step, iteration) of the audit events with `resumed` = `resumed`.
fn audited(run_dir: &std::path::Path, resumed: bool) -> Vec<(String, String, i64)> {
    let mut calls = Vec::new();
    for entry in std::fs::read_dir(run_dir).expect("run dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.starts_with("workflow-audit-") {
            continue;
        }
        for line in std::fs::read_to_string(entry.path())
            .unwrap_or_default()
            .lines()
        {
            let v: serde_json::Value = serde_json::from_str(line).expect("audit line is JSON");
            assert!(
                v["key"].as_str().is_some_and(|k| k.starts_with("key-")),
                "{v}"
            );
            if v["resumed"] == resumed {
                calls.push((
                    v["id"].as_str().unwrap_or_default().to_string(),
                    v["step"].as_str().unwrap_or_default().to_string(),
                    v["iteration"].as_i64().unwrap_or(0),
                ));
            }
        }
    }
    calls.sort();
    calls
}

fn run_dirs(repo: &Repo) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(repo.path().join(".git/parwf/runs"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

const SLOW: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "400"),
    ("PARWF_SIM__JITTER_MS", "0"),
];
const FAST: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "1"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

#[test]
fn ctrl_c_exits_130_quickly_and_the_rerun_repeats_no_completed_call() {
    let repo = repo_with_branch(&revision_docs(4));
    let args = ["--since", "main", "--revise", "-j", "2", "--format", "json"];
    let mut child = spawn(&repo, &args, SLOW);
    // Once an item is drafting, its first review is checkpointed.
    let (_seen, _rest) = read_until(&mut child, "drafting revision 1");
    let sent = Instant::now();
    signal(&child, "-INT");
    let status = child.wait().expect("wait");
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(130));
    assert!(
        took < Duration::from_secs(5),
        "took {took:?} to exit after Ctrl+C"
    );
    let first_calls = calls_in_run(&run_dirs(&repo)[0]);
    assert!(!first_calls.is_empty());
    let checkpoints = std::fs::read_dir(repo.path().join(".git/parwf/checkpoints"))
        .expect("checkpoints kept")
        .count();
    assert!(checkpoints >= 1, "interrupted items keep their checkpoints");

    let out = repo.parwf_in(repo.path(), &args, FAST);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("resuming from its checkpoint"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for item in v["items"].as_array().expect("items") {
        assert_eq!(item["verdict"], "APPROVED", "{item}");
    }
    let second_calls = calls_in_run(&run_dirs(&repo)[1]);
    // Items that finished in the first run are cached by their verdict notes; the others
    // resume: no call the first run completed is made again.
    for call in &second_calls {
        assert!(!first_calls.contains(call), "{call:?} was made twice");
    }
    let cached = v["items"]
        .as_array()
        .map(|a| a.iter().filter(|i| i["state"] == "cached").count())
        .unwrap_or(0);
    let finished_first = first_calls
        .iter()
        .filter(|(_, step, it)| step == "review" && *it == 2)
        .count();
    assert_eq!(cached, finished_first, "finished items are cached: {v}");
    assert!(
        !repo
            .path()
            .join(".git/parwf/checkpoints")
            .read_dir()
            .expect("dir")
            .any(|_| true),
        "checkpoints of succeeded items are deleted"
    );
}

#[test]
fn a_second_concurrent_run_fails_at_once_with_a_clear_message() {
    let repo = repo_with_branch(&revision_docs(2));
    let mut first = spawn(&repo, &["--since", "main", "-j", "1"], SLOW);
    let _ = read_until(&mut first, "reviewing");
    let started = Instant::now();
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("another parwf run is active") && err.contains("pid"),
        "{err}"
    );
    signal(&first, "-KILL");
    let _ = first.wait();
    // The dead run's lock is taken over, and its state reported.
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did not finish cleanly"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_corrupt_checkpoint_is_moved_aside_and_only_its_item_starts_fresh() {
    let docs = vec![
        ("docs/lld/LLD-1-a.md".to_string(), GOOD_LLD),
        ("docs/lld/LLD-2-b.md".to_string(), GOOD_LLD),
    ];
    let repo = repo_with_branch(&docs);
    let dir = repo.path().join(".git/parwf/checkpoints");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("lld_LLD-1.db"), "garbage, not a database").expect("write");
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("[LLD-1] checkpoint unreadable") && err.contains("moved to"),
        "{err}"
    );
    assert!(!err.contains("[LLD-2] checkpoint"), "{err}");
    let aside = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".bad-"))
        .count();
    assert_eq!(aside, 1);
}

#[test]
fn revise_loop_approves_after_a_draft_and_stops_on_what_it_cannot_fix() {
    let secret = format!("{GOOD_LLD}\nThe admin password is kept in plaintext. Owner: TBD\n");
    let docs = vec![
        ("docs/lld/LLD-1-fixable.md".to_string(), NEEDS_REVISION),
        ("docs/lld/LLD-2-secret.md".to_string(), secret.as_str()),
    ];
    let repo = repo_with_branch(&docs);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--revise", "--format", "json"],
        FAST,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let fixable = &v["items"][0];
    assert_eq!(fixable["verdict"], "APPROVED", "{fixable}");
    assert_eq!(fixable["llm_calls"], 3, "review, draft, review: {fixable}");
    let blocked = &v["items"][1];
    assert_eq!(blocked["verdict"], "BLOCKED", "{blocked}");
    assert_eq!(blocked["llm_calls"], 1);
    // max_iterations = 1: a REVISE cannot be revised, and the item is BLOCKED by that rule.
    let out = repo.parwf_in(
        repo.path(),
        &[
            "--since",
            "main",
            "--revise",
            "--fresh",
            "--format",
            "json",
            "--workflow",
            "lld",
        ],
        &[FAST, &[("PARWF_MAX_ITERATIONS", "1")]].concat(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["items"][0]["verdict"], "BLOCKED");
    assert!(v["items"][0]["rule"]
        .as_str()
        .unwrap_or("")
        .contains("max_iterations"));
}

#[test]
fn run_logs_status_show_and_clean() {
    let docs = vec![
        ("docs/lld/LLD-1-a.md".to_string(), GOOD_LLD),
        ("docs/lld/LLD-2-b.md".to_string(), NEEDS_REVISION),
    ];
    let repo = repo_with_branch(&docs);
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let run = run_dirs(&repo).pop().expect("a run dir");
    for f in [
        "LLD-1.log",
        "LLD-2.log",
        "workflow-audit-LLD-1.jsonl",
        "summary.json",
        "LLD-2.review.md",
    ] {
        assert!(run.join(f).exists(), "{f} missing in {}", run.display());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["items"].as_array().map(Vec::len), Some(2));

    let out = repo.parwf(&["status"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("LLD-1") && text.contains("APPROVED"),
        "{text}"
    );
    assert!(text.contains("LLD-2") && text.contains("REVISE"), "{text}");

    let out = repo.parwf_in(&repo.path().join("docs"), &["show", "lld/LLD-2-b.md"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("## Verdict") && stdout(&out).contains("[x] **REVISE**"));
    let out = repo.parwf(&["show", "LLD-99"]);
    assert_eq!(out.status.code(), Some(2));

    let out = repo.parwf(&["clean", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(run_dirs(&repo).is_empty());
    // The run logs are gone; the verdict notes on the committed documents are not.
    let out = repo.parwf(&["status"]);
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("LLD-2 ") && l.contains("reviewed") && l.contains("REVISE")),
        "{text}"
    );
    let out = repo.parwf(&["show", "docs/lld/LLD-2-b.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("parwf-verdict: REVISE"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn kill_9_loses_at_most_the_request_in_flight() {
    let repo = repo_with_branch(&revision_docs(3));
    let args = ["--since", "main", "--revise", "-j", "3", "--format", "json"];
    let mut child = spawn(&repo, &args, SLOW);
    let _ = read_until(&mut child, "drafting revision 1");
    signal(&child, "-KILL");
    let _ = child.wait();
    let first_calls = calls_in_run(&run_dirs(&repo)[0]);
    let out = repo.parwf_in(repo.path(), &args, FAST);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second_calls = calls_in_run(&run_dirs(&repo)[1]);
    for call in &second_calls {
        assert!(!first_calls.contains(call), "{call:?} was made twice");
    }
    // Every item needs review 1, draft 1, review 2: together the runs made each exactly once.
    // (A kill between a step's checkpoint and its audit line leaves the step out of the first
    // audit; the second run's replay of it is audited as resumed.)
    let replayed = audited(&run_dirs(&repo)[1], true);
    for call in &replayed {
        assert!(
            !second_calls.contains(call),
            "{call:?} was replayed and made"
        );
    }
    let mut all = [first_calls, second_calls, replayed].concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 9, "{all:?}");
}

#[test]
fn changed_prompts_or_fresh_restart_and_say_why() {
    let repo = repo_with_branch(&revision_docs(1));
    let args = ["--since", "main", "--revise", "--format", "json"];
    let mut child = spawn(&repo, &args, SLOW);
    let _ = read_until(&mut child, "drafting revision 1");
    signal(&child, "-KILL");
    let _ = child.wait();
    // Different prompts: the checkpoint is for other prompts, so the item starts fresh.
    repo.write("prompts/lld-review.md", "Review {path}:\n{document}\n");
    let out = repo.parwf_in(
        repo.path(),
        &args,
        &[FAST, &[("PARWF_PROMPTS_DIR", "prompts")]].concat(),
    );
    assert!(
        stderr(&out).contains("the prompts changed since the checkpoint: starting fresh"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["items"][0]["llm_calls"], 3);

    let mut child = spawn(&repo, &args, SLOW);
    let _ = read_until(&mut child, "drafting revision 1");
    signal(&child, "-KILL");
    let _ = child.wait();
    let out = repo.parwf_in(repo.path(), &[&args[..], &["--fresh"]].concat(), FAST);
    assert!(
        stderr(&out).contains("--fresh: the checkpoint was discarded"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["items"][0]["llm_calls"], 3);
}

#[test]
fn linked_worktrees_share_one_parwf_dir() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md".to_string(), GOOD_LLD)]);
    let wt = repo.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        wt.to_str().expect("utf8"),
    ]);
    let out = repo.parwf_in(&wt, &["--since", "main"], FAST);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(repo.path().join(".git/parwf/runs").exists());
    assert!(
        !wt.join(".git").is_dir(),
        "a linked worktree has a .git file, not a dir"
    );
}

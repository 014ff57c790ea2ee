//! Checkpoints, interruption and resume through the real binary: Ctrl+C, kill -9, the run
//! lock, unreadable checkpoints, changed prompts, worktrees sharing one `.git/parwf`.

mod crash;

use std::time::{Duration, Instant};

use crate::support::docs::{self, with, FAST, GOOD_LLD, NEEDS_REVISION, SLOW};
use crate::support::exit::{self, assert_exit};
use crate::support::process::{audited, calls_in_run, read_until, run_dirs, signal, spawn};
use crate::support::snap::{error_lines, lines_with, redact};
use crate::support::{json, repo_with_branch, stderr};

fn revision_docs(n: usize) -> Vec<(String, String)> {
    docs::llds(n, "cache", NEEDS_REVISION)
}

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
    assert_eq!(status.code(), Some(exit::INTERRUPTED), "{status:?}");
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
    assert_exit(&out, exit::OK);
    assert!(
        stderr(&out).contains("resuming from its checkpoint"),
        "{}",
        stderr(&out)
    );
    let v = json(&out);
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
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("second_run", error_lines(&stderr(&out))));
    signal(&first, "-KILL");
    let _ = first.wait();
    // The dead run's lock is taken over, and its state reported.
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::GATE_FAILED);
    let said = lines_with(&stderr(&out), "did not finish cleanly");
    redact(&repo).bind(|| insta::assert_snapshot!("lock_taken_over", said));
}

#[test]
fn a_corrupt_checkpoint_is_moved_aside_and_only_its_item_starts_fresh() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/lld/LLD-2-b.md", GOOD_LLD),
    ]);
    let dir = repo.path().join(".git/parwf/checkpoints");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("lld_LLD-1.db"), "garbage, not a database").expect("write");
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::OK);
    // Only LLD-1's checkpoint is named, with where it went.
    let said = lines_with(&stderr(&out), "checkpoint");
    let mut s = redact(&repo);
    s.add_filter(r"\.bad-[0-9A-Za-z-]+", ".bad-[TIME]");
    s.bind(|| insta::assert_snapshot!("moved_aside", said));
    let aside = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".bad-"))
        .count();
    assert_eq!(aside, 1);
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
    assert_exit(&out, exit::OK);
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
        &with(FAST, &[("PARWF_PROMPTS_DIR", "prompts")]),
    );
    let said = lines_with(&stderr(&out), "starting fresh");
    redact(&repo).bind(|| insta::assert_snapshot!("prompts_changed", said));
    let v = json(&out);
    assert_eq!(v["items"][0]["llm_calls"], 3);

    let mut child = spawn(&repo, &args, SLOW);
    let _ = read_until(&mut child, "drafting revision 1");
    signal(&child, "-KILL");
    let _ = child.wait();
    let out = repo.parwf_in(repo.path(), &[&args[..], &["--fresh"]].concat(), FAST);
    let said = lines_with(&stderr(&out), "--fresh");
    redact(&repo).bind(|| insta::assert_snapshot!("fresh_discards", said));
    let v = json(&out);
    assert_eq!(v["items"][0]["llm_calls"], 3);
}

#[test]
fn linked_worktrees_share_one_parwf_dir() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
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
    assert_exit(&out, exit::OK);
    assert!(repo.path().join(".git/parwf/runs").exists());
    assert!(
        !wt.join(".git").is_dir(),
        "a linked worktree has a .git file, not a dir"
    );
}

//! SIGTERM (`kill`, a CI job cancelled) and SIGHUP (a closed terminal, a dropped ssh) stop a
//! run like Ctrl+C: the summary says so, checkpoints stay, the exit status is 128 + signal.

use std::io::Read;
use std::process::Child;

use crate::support::process::{read_until, signal, spawn};
use crate::support::repo_with_branch;

/// The sim reviewer asks for a revision of these, so `--revise` drafts.
const NEEDS_REVISION: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow. Eviction: TBD\n\n## Risks\nSome.\n";

const SLOW: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "1500"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

/// Waits for `needle` on stderr; the rest of stderr is drained in a thread.
fn wait_for(child: &mut Child, needle: &str) -> std::thread::JoinHandle<String> {
    let (seen, mut reader) = read_until(child, needle);
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        seen + &rest
    })
}

fn stopped_by(sig: &str, name: &str, code: i32, fresh: bool) {
    let docs: Vec<(String, String)> = (1..=5)
        // Each distinct: identical content would be reviewed once.
        .map(|i| {
            let text = format!("{NEEDS_REVISION}\nDocument {i}.\n");
            (format!("docs/lld/LLD-{i}-cache.md"), text)
        })
        .collect();
    let repo = repo_with_branch(&docs);
    let mut args = vec!["--since", "main", "--revise", "-j", "2"];
    if fresh {
        args.push("--fresh");
    }
    let mut child = spawn(&repo, &args, SLOW);
    // Once an item drafts, its first review is checkpointed; three items never started.
    let rest = wait_for(&mut child, "drafting revision 1");
    signal(&child, sig);
    let out = child.wait_with_output().expect("wait");
    let err = rest.join().expect("stderr");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(code), "{sig}:\n{text}\n{err}");
    assert!(
        err.contains(&format!("stopped by {name}: stopping")),
        "{err}"
    );
    assert!(
        text.contains(&format!(
            "Stopped by {name}; not every document was reviewed."
        )),
        "{text}"
    );
    assert!(text.contains("2 interrupted, 3 not started"), "{text}");
    let checkpoints = repo.path().join(".git/parwf/checkpoints");
    let kept = std::fs::read_dir(&checkpoints)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(kept, 2, "checkpoints of the two interrupted items");
    if fresh {
        assert!(err.contains("without --fresh to resume"), "{err}");
        assert!(!err.contains("run the same command again"), "{err}");
    } else {
        assert!(
            err.contains("run the same command again to resume"),
            "{err}"
        );
    }
}

#[test]
fn sigterm_stops_like_ctrl_c_and_exits_143() {
    stopped_by("-TERM", "SIGTERM", 143, false);
}

#[test]
fn sighup_stops_like_ctrl_c_and_exits_129() {
    stopped_by("-HUP", "SIGHUP", 129, true);
}

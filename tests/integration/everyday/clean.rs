//! `parwf clean` keeps recent work unless told otherwise.

use std::time::{Duration, SystemTime};

use super::*;
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stdout};

fn run_dirs(repo: &Repo) -> Vec<std::path::PathBuf> {
    let runs = repo.path().join(".git/parwf/runs");
    let mut dirs: Vec<_> = std::fs::read_dir(runs)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn age(path: &Path, days: u64) {
    let when = SystemTime::now() - Duration::from_secs(days * 86_400);
    let f = std::fs::File::open(path).expect("open");
    f.set_modified(when).expect("set mtime");
}

#[test]
fn clean_keeps_recent_records_unless_asked_and_can_show_first() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    assert_exit(&out, exit::OK);
    assert_eq!(run_dirs(&repo).len(), 1);

    // No arguments: only what is older than 30 days goes; today's run stays.
    let out = repo.parwf(&["clean"]);
    assert_exit(&out, exit::OK);
    assert_eq!(run_dirs(&repo).len(), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("older than 30 day(s)") && text.contains("kept 1"),
        "{text}"
    );

    // An old run: listed by --dry-run, left in place, then removed.
    let old = run_dirs(&repo).remove(0);
    age(&old, 40);
    let out = repo.parwf(&["clean", "--dry-run"]);
    assert_exit(&out, exit::OK);
    let name = old.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        stdout(&out).contains(&format!("would remove runs/{name}")),
        "{}",
        stdout(&out)
    );
    assert!(old.exists(), "--dry-run removed it");
    let out = repo.parwf(&["clean"]);
    assert!(
        stdout(&out).contains("Removed 1 run log(s)"),
        "{}",
        stdout(&out)
    );
    assert!(!old.exists());

    // --all wipes even today's records; --all and --older-than do not go together.
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--fresh"], FAST);
    assert_exit(&out, exit::OK);
    assert_eq!(run_dirs(&repo).len(), 1);
    let out = repo.parwf(&["clean", "--all", "--older-than", "3"]);
    assert_exit(&out, exit::USAGE);
    let out = repo.parwf(&["clean", "--all"]);
    assert_exit(&out, exit::OK);
    assert!(run_dirs(&repo).is_empty());

    let out = repo.parwf(&["clean", "--help"]);
    let help = stdout(&out);
    assert!(
        help.contains("--all") && help.contains("--dry-run") && help.contains("30"),
        "{help}"
    );
    assert!(!help.contains("default 0"), "{help}");
}

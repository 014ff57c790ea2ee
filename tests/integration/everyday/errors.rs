//! Errors a person can act on: one line saying where, a hint that works.

use super::*;
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stderr, stdout};

#[test]
fn malformed_toml_is_one_line_with_line_and_column_and_a_hint_that_works() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    repo.write(".parwf.toml", "parallel = 3\n[provider\nkind = \"sim\"\n");
    let cfg = repo.path().join(".parwf.toml");
    for args in [&["--all", "--dry-run"][..], &["config", "show"][..]] {
        let out = repo.parwf(args);
        let err = stderr(&out);
        assert_exit(&out, exit::USAGE);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "an error and a hint: {err}");
        assert!(
            lines[0].starts_with(&format!("error: {}:2:10: not valid TOML", cfg.display())),
            "{err}"
        );
        assert!(lines[1].starts_with("  hint: fix the file"), "{err}");
        assert!(
            !err.contains("config show"),
            "a hint that fails the same way: {err}"
        );
    }
}

#[test]
fn parallel_out_of_range_in_a_file_names_the_file_and_line() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    repo.write(".parwf.toml", "# the team's\nparallel = 20\n");
    let out = repo.parwf(&["--all", "--dry-run"]);
    let err = stderr(&out);
    assert_exit(&out, exit::USAGE);
    let cfg = repo.path().join(".parwf.toml");
    assert!(
        err.contains(&format!("`parallel` ({}:2)", cfg.display())),
        "{err}"
    );
    assert!(err.contains("between 1 and 10"), "{err}");
    // A flag within range wins over the file.
    let out = repo.parwf(&["--all", "--dry-run", "-j", "2"]);
    assert_exit(&out, exit::OK);
}

#[test]
fn a_broken_config_inside_the_hook_refuses_in_the_hooks_words_with_the_way_around() {
    let p = crate::support::push::Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    p.repo.commit_all("a design");
    p.repo.write(".parwf.toml", "[hook]\nmode = check\n");
    let out = p.push(&["feature"], &[]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("parwf pre-push: push refused: "), "{err}");
    assert!(err.contains(".parwf.toml:2:"), "{err}");
    assert!(err.contains("PARWF_SKIP=1 git push"), "{err}");
    // Said once, by the hook (git's own "error: failed to push" follows).
    assert!(
        !err.lines()
            .any(|l| l.starts_with("error: ") && l.contains(".parwf.toml")),
        "{err}"
    );
    let out = p.push(&["feature"], &[("PARWF_SKIP", "1")]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn bare_repositories_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let bare = dir.path().join("copy.git");
    repo.git(&[
        "clone",
        "-q",
        "--bare",
        repo.path().to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    let out = repo.parwf_in(&bare, &["install-hook"], &[]);
    assert_exit(&out, exit::USAGE);
    assert!(stderr(&out).contains("bare repository"), "{}", stderr(&out));
    assert!(!bare.join("hooks/pre-push").exists());

    // Without its config file, git takes it for bare; parwf must not guess a work tree.
    std::fs::remove_file(bare.join("config")).expect("rm config");
    let out = repo.parwf_in(&bare, &["--all"], FAST);
    let err = stderr(&out);
    assert_exit(&out, exit::USAGE);
    assert!(err.contains("has no `config` file"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn a_run_refused_by_the_lock_still_prints_json_for_format_json() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let dir = repo.path().join(".git/parwf");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .read(true)
        .open(dir.join("lock"))
        .expect("lock file");
    lock.try_lock().expect("take the lock");
    std::fs::write(dir.join("lock"), "pid 4242 since 2026-01-01T00:00:00Z\n").expect("write");
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], FAST);
    assert_exit(&out, exit::USAGE);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", stdout(&out)));
    assert_eq!(v["schema_version"], 1);
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("another parwf run") && msg.contains("pid 4242"),
        "{v}"
    );
    assert_eq!(v["error"]["exit_code"], 2);
    assert!(v["error"]["hint"].is_string(), "{v}");
    drop(lock);
}

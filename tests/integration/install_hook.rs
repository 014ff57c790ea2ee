//! `parwf install-hook`: where the hook goes, chaining a hook already there, `--force`,
//! `--uninstall`, `--share-notes`.

use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit};
use crate::support::push::{assert_pushed, assert_refused, make_executable, Pushing};
use crate::support::snap::redact;
use crate::support::stderr;

#[test]
fn an_existing_hook_is_chained_gets_the_same_input_and_can_be_restored() {
    let p = Pushing::new();
    let hooks = p.repo.path().join(".git/hooks");
    let log = p.repo.path().join(".git/chained.log");
    let original = format!(
        "#!/bin/sh\necho \"args: $*\" >> '{}'\ncat >> '{}'\nexit \"${{CHAINED_EXIT:-0}}\"\n",
        log.display(),
        log.display()
    );
    std::fs::create_dir_all(&hooks).expect("mkdir");
    std::fs::write(hooks.join("pre-push"), &original).expect("write");
    make_executable(&hooks.join("pre-push"));

    let said = p.install(&[]);
    redact(&p.repo).bind(|| insta::assert_snapshot!("chained", said));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push.parwf-chained")).expect("chained"),
        original
    );

    p.repo.write("docs/lld/LLD-5-x.md", GOOD_LLD);
    p.repo.commit_all("design");
    let out = p.push(&["feature"], &[]);
    // parwf saw the same line as the chained hook: the unreviewed document is refused.
    assert_refused(&out);
    assert!(stderr(&out).contains("LLD-5"), "{}", stderr(&out));
    let seen = std::fs::read_to_string(&log).expect("log");
    let head = p.head();
    assert!(seen.contains("args: origin "), "{seen}");
    assert!(
        seen.contains(&format!(
            "refs/heads/feature {head} refs/heads/feature {}",
            "0".repeat(40)
        )),
        "{seen}"
    );

    // The chained hook's refusal stands on its own.
    assert_eq!(p.review(), exit::OK);
    assert_refused(&p.push(&["feature"], &[("CHAINED_EXIT", "7")]));
    assert_pushed(&p.push(&["feature"], &[]));

    let out = p.repo.parwf(&["install-hook", "--uninstall"]);
    assert_exit(&out, exit::OK);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).expect("restored"),
        original
    );
    assert!(!hooks.join("pre-push.parwf-chained").exists());
}

#[test]
fn force_replaces_and_core_hooks_path_is_respected() {
    let p = Pushing::new();
    p.repo.git(&["config", "core.hooksPath", ".githooks"]);
    let dir = p.repo.path().join(".githooks");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("pre-push"), "#!/bin/sh\nexit 0\n").expect("write");
    let said = p.install(&["--force"]);
    redact(&p.repo).bind(|| insta::assert_snapshot!("forced_into_hooks_path", said));
    let shim = std::fs::read_to_string(dir.join("pre-push")).expect("shim");
    assert!(shim.contains("git parwf hook pre-push"), "{shim}");
    assert!(!dir.join("pre-push.parwf-chained").exists());
    assert!(!p.repo.path().join(".git/hooks/pre-push").exists());

    p.repo.write("docs/lld/LLD-3-x.md", GOOD_LLD);
    p.repo.commit_all("design");
    assert_refused(&p.push(&["feature"], &[]));
}

#[test]
fn a_linked_worktree_installs_into_the_common_hooks_dir() {
    let p = Pushing::new();
    let wt = tempfile::tempdir().expect("tempdir");
    let wt_path = wt.path().join("wt");
    p.repo.git(&[
        "worktree",
        "add",
        "-q",
        &wt_path.display().to_string(),
        "main",
    ]);
    let out = p.repo.parwf_in(&wt_path, &["install-hook"], &[]);
    assert_exit(&out, exit::OK);
    assert!(p.repo.path().join(".git/hooks/pre-push").exists());
}

#[test]
fn share_notes_fetches_the_notes_ref_once() {
    let p = Pushing::new();
    p.install(&["--share-notes"]);
    let said = p.install(&["--share-notes"]);
    redact(&p.repo).bind(|| insta::assert_snapshot!("share_notes_again", said));
    let specs = p.repo.git(&["config", "--get-all", "remote.origin.fetch"]);
    assert_eq!(
        specs.matches("+refs/notes/parwf:refs/notes/parwf").count(),
        1,
        "{specs}"
    );

    p.repo.write("docs/lld/LLD-8-x.md", GOOD_LLD);
    p.repo.commit_all("design");
    assert_eq!(p.review(), exit::OK);
    assert_pushed(&p.push(&["refs/notes/parwf"], &[]));
    p.repo.git(&["update-ref", "-d", "refs/notes/parwf"]);
    p.repo.git(&["fetch", "-q", "origin"]);
    let note = p
        .repo
        .git(&["notes", "--ref=parwf", "show", "HEAD:docs/lld/LLD-8-x.md"]);
    assert!(note.starts_with("parwf-verdict: APPROVED"), "{note}");
}

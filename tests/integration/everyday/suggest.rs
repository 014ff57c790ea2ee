//! A mistyped command is not taken as the path of a document.

use super::*;
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{repo_with_branch, stderr, stdout};

fn git_parwf(repo: &Repo, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-parwf"));
    cmd.args(args).current_dir(repo.path());
    hermetic_env(&mut cmd, &repo.home());
    cmd.output().expect("spawn git-parwf")
}

#[test]
fn a_mistyped_command_gets_a_suggestion_not_a_missing_file() {
    let repo = repo_with_branch(&[("docs/lld/LLD-060-x.md", GOOD_LLD)]);
    for (args, want) in [
        (&["stauts"][..], "'status'"),
        (&["shwo", "LLD-60"][..], "'show'"),
        (&["clen"][..], "'clean'"),
    ] {
        let out = repo.parwf(args);
        let err = stderr(&out);
        assert_exit_for(&format!("{args:?}"), &out, exit::USAGE);
        assert!(
            err.contains(&format!("unrecognized subcommand '{}'", args[0])),
            "{args:?}: {err}"
        );
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("does not exist"), "{args:?}: {err}");
    }
    let out = git_parwf(&repo, &["install-hooks"]);
    let err = stderr(&out);
    assert_exit(&out, exit::USAGE);
    assert!(
        err.contains("'install-hook'") && err.contains("git parwf"),
        "{err}"
    );
    assert!(
        !repo.path().join(".git/hooks/pre-push").exists(),
        "nothing was installed"
    );
}

#[test]
fn a_document_named_like_a_command_is_still_reviewed() {
    let repo = repo_with_branch(&[("docs/lld/LLD-060-x.md", GOOD_LLD)]);
    repo.write("stauts", GOOD_LLD);
    let out = repo.parwf(&["stauts", "--workflow", "lld", "--dry-run"]);
    assert_exit(&out, exit::OK);
    assert!(stdout(&out).contains("stauts"), "{}", stdout(&out));
    // A word far from every command is still a missing path, with a hint at the commands.
    let out = repo.parwf(&["nonsense-here"]);
    assert_exit(&out, exit::USAGE);
    let err = stderr(&out);
    assert!(err.contains("`nonsense-here` does not exist"), "{err}");
    assert!(err.contains("parwf --help"), "{err}");
}

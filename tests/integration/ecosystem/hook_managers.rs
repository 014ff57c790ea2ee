//! The pre-push gate through the hook managers people use, each the real tool: the
//! pre-commit framework with this repository's `.pre-commit-hooks.yaml` and the README's
//! `.pre-commit-config.yaml`, and lefthook with the README's `lefthook.yml`. Each drives a
//! real `git push` to a bare remote: refused while a document's review fails, accepted once
//! it passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::tools;
use crate::support::docs::{GOOD_LLD, REVISE_LLD, SIM};
use crate::support::exit::{self, assert_exit};
use crate::support::push::Pushing;
use crate::support::{hermetic_env, stderr, stdout, Repo};

const DOC: &str = "docs/lld/LLD-042-cache.md";

/// PATH with the built binaries and `extra` first.
fn path_with(extra: &[&Path]) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_git-parwf"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let mut dirs: Vec<PathBuf> = vec![bin];
    dirs.extend(extra.iter().map(|p| p.to_path_buf()));
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs)
        .expect("PATH")
        .to_string_lossy()
        .into_owned()
}

/// Runs `program ARGS` in the repo, hermetic, with `path` as PATH and the sim provider the
/// reviews use configured (a verdict note counts only for the configured provider).
fn run_in(repo: &Repo, program: &Path, args: &[&str], path: &str) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(repo.path());
    hermetic_env(&mut cmd, &repo.home());
    cmd.env("PATH", path).envs(SIM.iter().copied());
    cmd.output().expect("spawn")
}

/// Commits a REVISE document, has it reviewed, and pushes: refused. Then commits the fixed
/// document, has it reviewed, and pushes: accepted. `path` must let the installed hook find
/// its hook manager and `git-parwf`.
fn refused_then_accepted(p: &Pushing, path: &str, manager: &str) {
    let git = Path::new("git");
    p.repo.write(DOC, REVISE_LLD);
    p.repo.commit_all("cache design");
    assert_eq!(p.review(), 1, "the sim reviewer should ask for a revision");
    let push = run_in(&p.repo, git, &["push", "origin", "feature"], path);
    // pre-commit prints its hooks' output on stdout, lefthook on stderr.
    let err = format!("{}{}", stderr(&push), stdout(&push));
    assert!(
        !push.status.success(),
        "{manager}: the push went through:\n{err}"
    );
    assert!(err.contains("push refused"), "{manager}: {err:?}");
    assert!(
        err.contains("LLD-42") && err.contains("REVISE"),
        "{manager}: {err}"
    );
    assert_eq!(
        p.remote_branch("feature"),
        None,
        "{manager}: the remote got the branch"
    );

    p.repo.write(DOC, GOOD_LLD);
    p.repo.commit_all("cache design, revised");
    assert_eq!(p.review(), 0);
    let push = run_in(&p.repo, git, &["push", "origin", "feature"], path);
    assert!(
        push.status.success(),
        "{manager}: the approved push was refused:\n{}",
        stderr(&push)
    );
    let accepted = p.head();
    assert_eq!(
        p.remote_branch("feature").as_deref(),
        Some(accepted.as_str())
    );

    // The branch exists on the remote now: a later push is checked from the remote's tip.
    p.repo.write("docs/lld/LLD-043-queue.md", REVISE_LLD);
    p.repo.commit_all("queue design");
    assert_eq!(p.review(), 1);
    let push = run_in(&p.repo, git, &["push", "origin", "feature"], path);
    let err = format!("{}{}", stderr(&push), stdout(&push));
    assert!(
        !push.status.success(),
        "{manager}: the second push went through:\n{err}"
    );
    assert!(
        err.contains("LLD-43") && !err.contains("LLD-42 "),
        "{manager}: {err}"
    );
    assert_eq!(p.remote_branch("feature"), Some(accepted), "{manager}");
}

#[test]
fn the_pre_commit_framework_runs_the_gate_on_push() {
    let Some(pre_commit) = tools::find("pre-commit") else {
        return tools::skip(
            "the_pre_commit_framework_runs_the_gate_on_push",
            "pre-commit (PyPI) is not installed",
        );
    };
    // The hook repository, as pre-commit clones it from `repo:`: this project's manifest.
    let hooks = Repo::new();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    hooks.write(
        ".pre-commit-hooks.yaml",
        &std::fs::read_to_string(manifest).expect(".pre-commit-hooks.yaml"),
    );
    hooks.commit_all("hooks");
    let rev = hooks.git(&["rev-parse", "HEAD"]).trim().to_string();
    let check = run_in(
        &hooks,
        &pre_commit,
        &["validate-manifest", ".pre-commit-hooks.yaml"],
        &path_with(&[]),
    );
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );

    let p = Pushing::new();
    let readme = tools::readme_block("# .pre-commit-config.yaml");
    assert!(
        readme.contains("https://github.com/YOUR-ORG/parwf"),
        "{readme}"
    );
    let config = readme
        .replace(
            "https://github.com/YOUR-ORG/parwf",
            &hooks.path().display().to_string(),
        )
        .replace("v0.1.0", &rev);
    p.repo.write(".pre-commit-config.yaml", &config);
    p.repo.commit_all("pre-commit config");
    let path = path_with(&[pre_commit.parent().expect("bin dir")]);
    let install = run_in(
        &p.repo,
        &pre_commit,
        &["install", "--hook-type", "pre-push"],
        &path,
    );
    assert!(install.status.success(), "{}", stderr(&install));
    eprintln!(
        "pre-commit: {}",
        tools::version(&pre_commit, &["--version"])
    );
    refused_then_accepted(&p, &path, "pre-commit");
}

#[test]
fn the_env_entry_point_refuses_to_guess_without_a_push() {
    let p = Pushing::new();
    let out = p.repo.parwf(&["hook", "pre-push-env"]);
    assert_exit(&out, exit::USAGE);
    assert!(stderr(&out).contains("pre-commit install --hook-type pre-push"));
}

#[test]
fn lefthook_runs_the_gate_on_push() {
    let Some(lefthook) = tools::find("lefthook") else {
        return tools::skip(
            "lefthook_runs_the_gate_on_push",
            "lefthook (npm) is not installed",
        );
    };
    let p = Pushing::new();
    p.repo
        .write("lefthook.yml", &tools::readme_block("# lefthook.yml"));
    p.repo.commit_all("lefthook config");
    let path = path_with(&[lefthook.parent().expect("bin dir")]);
    let validate = run_in(&p.repo, &lefthook, &["validate"], &path);
    assert!(
        validate.status.success(),
        "{}{}",
        stdout(&validate),
        stderr(&validate)
    );
    let install = run_in(&p.repo, &lefthook, &["install"], &path);
    assert!(install.status.success(), "{}", stderr(&install));
    eprintln!("lefthook: {}", tools::version(&lefthook, &["version"]));
    refused_then_accepted(&p, &path, "lefthook");
}

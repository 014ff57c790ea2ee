//! (e) `parwf hook pre-push` on a push of one code-only commit, in a repo of 10,000 commits
//! and 2,000 documents: the update of an existing remote branch and a new branch, beside
//! `git rev-parse HEAD`.

use std::process::{Command, Stdio};

mod common;

use common::{git, median, ms};

fn main() -> std::process::ExitCode {
    common::main(|quick| {
        let commits = if quick { 2_000 } else { 10_000 };
        let docs = 2_000;
        let dir = common::tempdir()?;
        let dir = dir.path();
        common::generated_history(dir, commits, docs)?;
        // The remote has everything but one new commit that changes code only.
        git(dir, &["update-ref", "refs/remotes/origin/main", "HEAD"])?;
        git(dir, &["update-ref", "refs/remotes/origin/feature", "HEAD"])?;
        std::fs::create_dir_all(dir.join("src"))?;
        std::fs::write(dir.join("src/lib.rs"), "// code\n")?;
        git(dir, &["add", "src/lib.rs"])?;
        git(dir, &["commit", "-q", "-m", "code only"])?;
        let head = git(dir, &["rev-parse", "HEAD"])?;
        let old = git(dir, &["rev-parse", "HEAD~1"])?;
        let total: usize = git(dir, &["rev-list", "--count", "HEAD"])?.parse()?;
        let hook = |line: String| {
            move || {
                common::parwf_with_input(
                    dir,
                    &[
                        "hook",
                        "pre-push",
                        "origin",
                        "https://example.invalid/repo.git",
                    ],
                    line.as_bytes(),
                )
            }
        };
        let update = format!("refs/heads/feature {head} refs/heads/feature {old}\n");
        let zero = "0".repeat(40);
        let new_branch = format!("refs/heads/topic {head} refs/heads/topic {zero}\n");
        let t_update = median(hook(update))?;
        let t_new = median(hook(new_branch))?;
        let t_git = median(|| {
            Command::new("git")
                .args(["rev-parse", "HEAD"])
                .current_dir(dir)
                .stdout(Stdio::null())
                .status()
                .map(|_| ())
        })?;
        println!(
            "(e) pre-push hook, push changing no document: {total} commits, {docs} documents: update of a remote branch {:.1} ms, new branch (merge-base with origin/main) {:.1} ms, git rev-parse HEAD {:.1} ms (target < 50 ms)",
            ms(t_update),
            ms(t_new),
            ms(t_git),
        );
        Ok(())
    })
}

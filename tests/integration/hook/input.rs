//! The real `parwf hook pre-push` fed hostile stdin, and a real push of a branch whose name is
//! not UTF-8.

use std::process::{Command, Output};
use std::time::Duration;

use crate::support::docs::{GOOD_LLD, SIM};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::push::{
    assert_pushed, assert_refused, git_out, hook_with_input, refusal, Pushing,
};
use crate::support::snap::redact;
use crate::support::{hermetic_env, stderr, Repo};

/// Deterministic noise: every byte value, newlines included, no UTF-8 to speak of.
fn garbage(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn committed_repo() -> Repo {
    let repo = Repo::new();
    repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    repo.commit_all("design");
    repo
}

/// Exit 2 with `error: …` and `  hint: …`, each one line of sane length.
#[track_caller]
fn assert_usage_error(out: &Output, took: Duration, what: &str) {
    assert_exit_for(what, out, exit::USAGE);
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{what}: {err:.500}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].chars().count() < 300,
        "{what}: {:.500}",
        lines[0]
    );
    assert!(lines[1].starts_with("  hint: "), "{what}: {err:.500}");
    assert!(took < Duration::from_secs(10), "{what} took {took:?}");
}

#[test]
fn megabytes_of_garbage_on_the_hook_s_stdin_are_a_quick_one_line_usage_error() {
    let repo = committed_repo();
    // Binary noise with newlines, and one 4 MB line of text without any.
    let (noise, took) = hook_with_input(&repo, garbage(4 << 20), &[]);
    assert_usage_error(&noise, took, "binary noise");
    let (long, took) = hook_with_input(&repo, vec![b'x'; 4 << 20], &[]);
    assert_usage_error(&long, took, "one long line");
    insta::assert_snapshot!(
        "garbage",
        format!(
            "binary noise:\n{}one long line:\n{}",
            stderr(&noise),
            stderr(&long)
        )
    );
}

#[test]
fn a_garbage_line_after_a_valid_one_is_refused_not_passed() {
    let repo = committed_repo();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let zero = "0".repeat(40);
    // A tag alone passes (without a final newline); the same line followed by garbage must not.
    let tag = format!("refs/tags/v1 {head} refs/tags/v1 {zero}");
    let (out, _) = hook_with_input(&repo, tag.clone().into_bytes(), &[]);
    assert_exit(&out, exit::OK);
    // So does a deletion (`git push origin :old`), with CRLF and no final newline.
    let deletion = format!("(delete) {zero} refs/heads/old {head}\r\n\r\n{tag}");
    let (out, _) = hook_with_input(&repo, deletion.into_bytes(), &[]);
    assert_exit(&out, exit::OK);
    let (out, took) = hook_with_input(
        &repo,
        format!("{tag}\nrefs/heads/main {head}\n").into_bytes(),
        &[],
    );
    assert_usage_error(&out, took, "a short line after a tag");
    // PARWF_SKIP=1 skips whatever the input is, bytes that are not UTF-8 included.
    let (out, _) = hook_with_input(&repo, garbage(1 << 20), &[("PARWF_SKIP", "1")]);
    assert_exit(&out, exit::OK);
    insta::assert_snapshot!("skipped", stderr(&out));
}

#[test]
fn hook_input_that_is_not_git_s_is_a_usage_error() {
    let p = Pushing::new();
    let (out, _) = hook_with_input(
        &p.repo,
        b"refs/heads/x not-an-oid refs/heads/x 0\n".to_vec(),
        &[],
    );
    assert_exit(&out, exit::USAGE);
    insta::assert_snapshot!("not_git_s_input", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_push_of_a_branch_whose_name_is_not_utf8_is_checked_like_any_other() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    let p = Pushing::new();
    p.install(&[]);
    let branch = OsStr::from_bytes(b"caf\xe9-\xc2\xa0design");
    let mut git = Command::new("git");
    git.arg("checkout")
        .arg("-q")
        .arg("-b")
        .arg(branch)
        .current_dir(p.repo.path());
    hermetic_env(&mut git, &p.repo.home());
    assert!(git.status().expect("git checkout").success());
    p.repo.write("docs/lld/LLD-7-cache.md", GOOD_LLD);
    p.repo.commit_all("design");

    // Unreviewed: refused, with the document named (the input line was understood).
    let out = git_out(&p.repo, &["push", "origin", "HEAD"], &[]);
    assert_refused(&out);
    redact(&p.repo)
        .bind(|| insta::assert_snapshot!("refused_non_utf8_branch", refusal(&stderr(&out))));
    // Reviewed: the push goes through.
    let review = p.repo.parwf_in(p.repo.path(), &["--since", "main"], SIM);
    assert_exit(&review, exit::OK);
    assert_pushed(&git_out(&p.repo, &["push", "origin", "HEAD"], SIM));
}

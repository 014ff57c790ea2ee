//! The real `parwf hook pre-push` fed hostile stdin, and a real push of a branch whose name is
//! not UTF-8.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::hook::{git_out, Pushing, SIM};
use crate::support::{hermetic_env, stderr, Repo};

/// `parwf hook pre-push origin URL` in `repo` with `input` on stdin. The input is written from
/// a thread that ignores a closed pipe: the hook may stop reading at the first bad line.
fn hook(repo: &Repo, input: Vec<u8>, env: &[(&str, &str)]) -> (Output, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
    cmd.args(["hook", "pre-push", "origin", "https://example.com/repo.git"])
        .current_dir(repo.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    hermetic_env(&mut cmd, &repo.home());
    cmd.envs(env.iter().copied());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn parwf");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let took = started.elapsed();
    writer.join().expect("writer");
    (out, took)
}

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
    repo.write("docs/lld/LLD-1-a.md", crate::hook::GOOD_LLD);
    repo.commit_all("design");
    repo
}

/// Exit 2 with `error: …` and `  hint: …`, each one line of sane length.
fn assert_usage_error(out: &Output, took: Duration, what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err:.500}");
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
    let (out, took) = hook(&repo, garbage(4 << 20), &[]);
    assert_usage_error(&out, took, "binary noise");
    assert!(stderr(&out).contains("unexpected pre-push input line"));
    let (out, took) = hook(&repo, vec![b'x'; 4 << 20], &[]);
    assert_usage_error(&out, took, "one long line");
    assert!(stderr(&out).contains("longer than 16384 bytes"));
}

#[test]
fn a_garbage_line_after_a_valid_one_is_refused_not_passed() {
    let repo = committed_repo();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let zero = "0".repeat(40);
    // A tag alone passes (without a final newline); the same line followed by garbage must not.
    let tag = format!("refs/tags/v1 {head} refs/tags/v1 {zero}");
    let (out, _) = hook(&repo, tag.clone().into_bytes(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // So does a deletion (`git push origin :old`), with CRLF and no final newline.
    let deletion = format!("(delete) {zero} refs/heads/old {head}\r\n\r\n{tag}");
    let (out, _) = hook(&repo, deletion.into_bytes(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (out, took) = hook(
        &repo,
        format!("{tag}\nrefs/heads/main {head}\n").into_bytes(),
        &[],
    );
    assert_usage_error(&out, took, "a short line after a tag");
    // PARWF_SKIP=1 skips whatever the input is, bytes that are not UTF-8 included.
    let (out, _) = hook(&repo, garbage(1 << 20), &[("PARWF_SKIP", "1")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("PARWF_SKIP=1"));
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
    p.repo
        .write("docs/lld/LLD-7-cache.md", crate::hook::GOOD_LLD);
    p.repo.commit_all("design");

    // Unreviewed: refused, with the document named (the input line was understood).
    let out = git_out(&p.repo, &["push", "origin", "HEAD"], &[]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed unreviewed: {err}");
    assert!(
        err.contains("push refused") && err.contains("LLD-7") && err.contains("no review"),
        "{err}"
    );
    // Reviewed: the push goes through.
    let review = p.repo.parwf_in(p.repo.path(), &["--since", "main"], SIM);
    assert_eq!(review.status.code(), Some(0), "{}", stderr(&review));
    let out = git_out(&p.repo, &["push", "origin", "HEAD"], SIM);
    assert!(out.status.success(), "{}", stderr(&out));
}

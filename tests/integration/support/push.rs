//! Real pushes through the pre-push hook: a repo with a bare remote, `parwf install-hook`, and
//! `git push` finding `git-parwf` on PATH; and the hook fed input directly.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::docs::SIM;
use super::exit::{self, assert_exit};
use super::{hermetic_env, stderr, stdout, Repo};

/// PATH with the built binaries first, so the hook's `git parwf` runs this build.
fn path_with_binaries() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_git-parwf"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", bin.display())
}

/// Runs `git ARGS` in the repo, hermetic, with the binaries on PATH; never panics.
pub fn git_out(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(repo.path());
    hermetic_env(&mut cmd, &repo.home());
    cmd.env("PATH", path_with_binaries());
    cmd.envs(env.iter().copied());
    cmd.output().expect("spawn git")
}

/// A repo with `README.md` on main, pushed to a bare `origin`, on branch `feature`.
pub struct Pushing {
    pub repo: Repo,
    pub remote: PathBuf,
    _remote_dir: tempfile::TempDir,
}

impl Pushing {
    pub fn new() -> Pushing {
        let repo = Repo::new();
        let remote_dir = tempfile::tempdir().expect("tempdir");
        let remote = remote_dir.path().join("origin.git");
        repo.git(&[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            &remote.display().to_string(),
        ]);
        repo.write("README.md", "project\n");
        repo.commit_all("base");
        repo.git(&["remote", "add", "origin", &remote.display().to_string()]);
        repo.git(&["push", "-q", "-u", "origin", "main"]);
        repo.git(&["checkout", "-q", "-b", "feature"]);
        Pushing {
            repo,
            remote,
            _remote_dir: remote_dir,
        }
    }

    /// `parwf install-hook ARGS`, which must succeed; its stdout.
    pub fn install(&self, args: &[&str]) -> String {
        let mut all = vec!["install-hook"];
        all.extend_from_slice(args);
        let out = self.repo.parwf(&all);
        assert_exit(&out, exit::OK);
        stdout(&out)
    }

    /// `git push origin ARGS` with `env`.
    /// `git push origin ARGS` with the provider the reviews use configured (a note counts
    /// only for the configured provider and model).
    pub fn push(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all = vec!["push", "origin"];
        all.extend_from_slice(args);
        git_out(&self.repo, &all, &[SIM, env].concat())
    }

    /// The remote's OID for a branch, if it has it.
    pub fn remote_branch(&self, branch: &str) -> Option<String> {
        let out = self
            .repo
            .git(&["ls-remote", &self.remote.display().to_string(), branch]);
        out.split_whitespace().next().map(str::to_string)
    }

    /// `parwf --since main` on the sim provider; returns the exit code.
    pub fn review(&self) -> i32 {
        let out = self
            .repo
            .parwf_in(self.repo.path(), &["--since", "main"], SIM);
        out.status.code().unwrap_or(-1)
    }

    pub fn head(&self) -> String {
        self.repo.git(&["rev-parse", "HEAD"]).trim().to_string()
    }
}

/// Asserts a `git push` went through; shows its stderr otherwise.
#[track_caller]
pub fn assert_pushed(out: &Output) {
    assert!(
        out.status.success(),
        "the push was refused:\n{}",
        stderr(out)
    );
}

/// Asserts a `git push` was refused; shows its stderr otherwise.
#[track_caller]
pub fn assert_refused(out: &Output) {
    assert!(
        !out.status.success(),
        "the push went through:\n{}",
        stderr(out)
    );
}

/// parwf's refusal in a push's stderr, without git's own lines around it (they differ
/// between git versions).
pub fn refusal(stream: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stream.lines() {
        if line.starts_with("parwf pre-push: ") {
            inside = true;
        } else if !line.starts_with("  ") {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.is_empty(), "no refusal in:\n{stream}");
    out
}

/// `parwf hook pre-push origin URL` in `repo` with `input` on stdin; its output and how long
/// it took. The input is written from a thread that ignores a closed pipe: the hook may stop
/// reading at the first bad line.
pub fn hook_with_input(repo: &Repo, input: Vec<u8>, env: &[(&str, &str)]) -> (Output, Duration) {
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

/// Makes a hook script executable.
pub fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

//! What the integration tests share: hermetic git repos, running the binary, the documents
//! and reviews they feed it, exit codes by name, snapshot filters, fake provider APIs.
#![allow(dead_code)]

pub mod api;
pub mod docs;
pub mod exit;
pub mod process;
pub mod push;
pub mod scripted;
pub mod snap;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway git repository with a fixed identity, isolated from the user's git config.
pub struct Repo {
    pub dir: tempfile::TempDir,
    home_dir: tempfile::TempDir,
}

/// Environment that keeps `git` and `parwf` away from the user's config, keys and terminal.
pub fn hermetic_env(cmd: &mut Command, home: &Path) {
    for (k, _) in std::env::vars() {
        if k.starts_with("PARWF_") || k.starts_with("GIT_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        // Not CI: CI mode (base-revision config, signed notes only) is tested where it is
        // asked for, with CI=true or --ci.
        .env_remove("CI")
        .env_remove("NO_COLOR")
        // Help text is wrapped to COLUMNS when set: the default width keeps snapshots stable.
        .env_remove("COLUMNS")
        .env_remove("LINES");
}

impl Repo {
    /// `git init -b main` in a fresh tempdir.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let home_dir = tempfile::tempdir().expect("tempdir");
        let repo = Repo { dir, home_dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// `git clone URL` into a fresh tempdir, with its own throwaway home.
    pub fn clone_of(url: &str) -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let home_dir = tempfile::tempdir().expect("tempdir");
        let repo = Repo { dir, home_dir };
        let target = repo.path().display().to_string();
        repo.git_in(&std::env::temp_dir(), &["clone", "-q", url, &target]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `git ARGS` in the repo and returns stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(self.path(), args)
    }

    /// Runs `git ARGS` in `dir`, hermetic; panics on failure.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        hermetic_env(&mut cmd, &self.home());
        let out = cmd.output().expect("spawn git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A throwaway home directory (never the user's).
    pub fn home(&self) -> PathBuf {
        self.home_dir.path().to_path_buf()
    }

    /// Writes a file (creating parent dirs).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// `git add -A && git commit -m MSG`.
    pub fn commit_all(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
    }

    /// Runs the real `parwf` binary in `dir` with a hermetic environment.
    pub fn parwf_in(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
        cmd.args(args).current_dir(dir);
        hermetic_env(&mut cmd, &self.home());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("spawn parwf")
    }

    /// Runs the real `parwf` binary at the repo root.
    pub fn parwf(&self, args: &[&str]) -> Output {
        self.parwf_in(self.path(), args, &[])
    }
}

/// A repo with a README on `main` and `docs` committed on branch `feature` (checked out).
pub fn repo_with_branch<P: AsRef<str>, T: AsRef<str>>(docs: &[(P, T)]) -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "demo\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    for (path, text) in docs {
        repo.write(path.as_ref(), text.as_ref());
    }
    repo.commit_all("docs");
    repo
}

/// stdout of a finished command as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr of a finished command as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout as JSON, or a panic showing both streams.
#[track_caller]
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// The `state` of each item of a JSON summary, in order.
pub fn states(v: &serde_json::Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["state"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// The item with this ID in a JSON summary.
#[track_caller]
pub fn by_id<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing: {v}"))
}

/// The number of commits reachable from `rev`.
pub fn count(repo: &Repo, rev: &str) -> usize {
    repo.git(&["rev-list", "--count", rev])
        .trim()
        .parse()
        .expect("a count")
}

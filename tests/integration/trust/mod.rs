//! Issue 11, "a gate its subjects cannot open": every way around the gate that worked,
//! tried again through the real binary (real clones, real `git push` through the installed
//! hook, real `git notes`, local servers on 127.0.0.1). Each must now fail to get through;
//! the honest paths beside them must still work. SECURITY.md maps each to its defence.

mod ci_gate;
mod documents;
mod key_binding;
mod notes;
mod repo_config;
mod symlinked_config;
mod transport;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use parwf_testkit::http::{HttpRequest, HttpResponse, LocalServer};
use serde_json::json;

use crate::support::{stderr, stdout, Repo};

/// A key text distinctive enough to grep for.
pub const KEY: &str = "sk-parwf-trust-test-7d1e0b55c2a9";

/// An LLD the sim reviewer approves.
pub const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";

/// An LLD the sim reviewer blocks (a secret in plaintext).
pub const BLOCKED_LLD: &str = "# Cache\n\n## Context\nWhy.\n\n## Design\nStore the API key in plaintext in the repo.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";

/// An honest review in the documented format.
pub const APPROVED_REVIEW: &str = "## Pre-Flight Gate\nPASSED\n\n## Review Summary\nComplete.\n\n## Tier 1: BLOCKING Issues\n### Security\n- [ ] No blocking issues found.\n\n## Tier 2: HIGH PRIORITY Issues\n- [ ] No issues found.\n\n## Tier 3: SUGGESTIONS\n- None.\n\n## Verdict\n[x] **APPROVED** - Ready to implement\n[ ] **REVISE** - Fix Tier 1 issues first\n[ ] **DISCUSS** - Needs a human decision\n[ ] **BLOCKED** - Cannot proceed\n";

/// An OpenAI-compatible endpoint on 127.0.0.1 that records every request it gets.
pub struct Endpoint {
    pub server: LocalServer,
    seen: Arc<Mutex<Vec<HttpRequest>>>,
}

impl Endpoint {
    /// Answers each request with `answer`.
    pub fn start(answer: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static) -> Self {
        let seen: Arc<Mutex<Vec<HttpRequest>>> = Arc::default();
        let log = seen.clone();
        let server = LocalServer::start(move |req| {
            log.lock().unwrap().push(req.clone());
            answer(req)
        })
        .expect("local server");
        Endpoint { server, seen }
    }

    /// Answers every request with `review` in OpenAI's format.
    pub fn reviewing(review: &'static str) -> Self {
        Endpoint::start(move |_| openai_ok(review))
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.seen.lock().unwrap().clone()
    }

    /// The base URL for `[provider] base_url` (openai).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.url())
    }
}

/// A 200 in OpenAI's chat-completions format.
pub fn openai_ok(text: &str) -> HttpResponse {
    let body = json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1767225600,
        "model": "m-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}
    });
    HttpResponse::json(200, body.to_string())
}

/// Writes the user's own config (`~/.config/parwf/config.toml`) in the repo's throwaway home.
pub fn user_config(repo: &Repo, text: &str) {
    let dir = repo.home().join(".config/parwf");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("config.toml"), text).expect("write user config");
}

/// A shell script `name` in `dir` (outside any repo), executable; returns its path.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    path
}

/// stdout as JSON, or a panic showing both streams.
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// The one `error: …` line of a refused command, and its hint.
pub fn error_lines(out: &std::process::Output) -> (String, String) {
    let err = stderr(out);
    let line = |prefix: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{err}"))
            .trim()
            .to_string()
    };
    (line("error:"), line("hint:"))
}

/// A bare `origin` with `main` (README, and `base_config` as `.parwf.toml` when given), and
/// a developer's clone of it.
pub struct Origin {
    pub bare: PathBuf,
    pub dev: Repo,
    _dir: tempfile::TempDir,
}

impl Origin {
    pub fn new(base_config: Option<&str>) -> Origin {
        let dir = tempfile::tempdir().expect("tempdir");
        let bare = dir.path().join("origin.git");
        let seed = Repo::new();
        seed.git(&[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            &bare.display().to_string(),
        ]);
        seed.write("README.md", "project\n");
        if let Some(text) = base_config {
            seed.write(".parwf.toml", text);
        }
        seed.commit_all("base");
        seed.git(&["push", "-q", &bare.display().to_string(), "main"]);
        let dev = Repo::clone_of(&bare.display().to_string());
        Origin {
            bare,
            dev,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        self.bare.display().to_string()
    }

    /// A fresh clone of origin, as a CI job makes, on `branch`, with the verdict notes fetched.
    pub fn ci_clone(&self, branch: &str) -> Repo {
        let ci = Repo::clone_of(&self.url());
        ci.git(&["checkout", "-q", branch]);
        let has_notes = ci.git(&["ls-remote", "origin", "refs/notes/parwf"]);
        if !has_notes.trim().is_empty() {
            ci.git(&[
                "fetch",
                "-q",
                "origin",
                "+refs/notes/parwf:refs/notes/parwf",
            ]);
        }
        ci
    }
}

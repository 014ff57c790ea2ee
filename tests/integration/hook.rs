//! The pre-push hook through real pushes: a repo with a bare remote, `parwf install-hook`,
//! and `git push` finding `git-parwf` on PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{hermetic_env, stderr, stdout, Repo};

pub const SIM: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "5"),
    ("PARWF_SIM__JITTER_MS", "0"),
];
pub const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";
/// The sim reviewer answers REVISE: an unresolved placeholder.
pub const REVISE_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nTBD\n";

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
    for (k, v) in env {
        cmd.env(k, v);
    }
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

    /// `parwf install-hook ARGS`, which must succeed.
    pub fn install(&self, args: &[&str]) -> String {
        let mut all = vec!["install-hook"];
        all.extend_from_slice(args);
        let out = self.repo.parwf(&all);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    }

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

#[test]
fn a_revise_note_refuses_the_push_and_an_approved_one_lets_it_through() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-042-cache.md", REVISE_LLD);
    p.repo.write("src/lib.rs", "// code\n");
    p.repo.commit_all("cache design");
    assert_eq!(p.review(), 1, "the sim reviewer should ask for a revision");
    let note = p.repo.git(&[
        "notes",
        "--ref=parwf",
        "show",
        "HEAD:docs/lld/LLD-042-cache.md",
    ]);
    assert!(note.starts_with("parwf-verdict: REVISE\n"), "{note}");

    let out = p.push(&["feature"], &[]);
    assert!(
        !out.status.success(),
        "push went through:\n{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("push refused")
            && err.contains("LLD-42")
            && err.contains("REVISE (1 blocking)"),
        "{err}"
    );
    assert!(err.contains("git parwf --since origin/main"), "{err}");
    assert_eq!(p.remote_branch("feature"), None);

    p.repo.write("docs/lld/LLD-042-cache.md", GOOD_LLD);
    p.repo.commit_all("decide the risks");
    // The old note is for the old blob: the new content has no review yet.
    let out = p.push(&["feature"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no review"), "{}", stderr(&out));

    assert_eq!(p.review(), 0);
    let out = p.push(&["feature"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 changed document approved (LLD-42)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.remote_branch("feature"), Some(p.head()));
}

#[test]
fn a_push_without_documents_a_deletion_and_a_tag_pass() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("src/main.rs", "fn main() {}\n");
    p.repo.commit_all("code only");
    let out = p.push(&["feature"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("[PARWF]"), "{}", stderr(&out));

    // An update of an existing remote branch compares with what the remote has: only the
    // new commit counts, and it touches no document.
    p.repo.write("src/main.rs", "fn main() { println!(); }\n");
    p.repo.commit_all("more code");
    let out = p.push(&["feature"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A document nobody reviewed, pushed past the hook, then deleted and tagged.
    p.repo.git(&["checkout", "-q", "-b", "unreviewed"]);
    p.repo.write("docs/lld/LLD-9-x.md", REVISE_LLD);
    p.repo.commit_all("unreviewed design");
    assert!(!p.push(&["unreviewed"], &[]).status.success());
    let out = p.push(&["--no-verify", "unreviewed"], &[]);
    assert!(out.status.success(), "--no-verify: {}", stderr(&out));
    assert!(p.remote_branch("unreviewed").is_some());
    let out = p.push(&[":unreviewed"], &[]);
    assert!(out.status.success(), "deletion: {}", stderr(&out));
    assert_eq!(p.remote_branch("unreviewed"), None);
    p.repo.git(&["tag", "v1"]);
    let out = p.push(&["v1"], &[]);
    assert!(out.status.success(), "tag: {}", stderr(&out));
}

#[test]
fn parwf_skip_skips_the_check() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/issues/ISSUE-7-idea.md", "# Idea\n");
    p.repo.commit_all("idea");
    let out = p.push(&["feature"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("ISSUE-7") && stderr(&out).contains("no review"),
        "{}",
        stderr(&out)
    );
    let out = p.push(&["feature"], &[("PARWF_SKIP", "1")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(p.remote_branch("feature"), Some(p.head()));
}

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
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-push"), &original).unwrap();
    make_executable(&hooks.join("pre-push"));

    let said = p.install(&[]);
    assert!(said.contains("pre-push.parwf-chained"), "{said}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push.parwf-chained")).unwrap(),
        original
    );

    p.repo.write("docs/lld/LLD-5-x.md", GOOD_LLD);
    p.repo.commit_all("design");
    let out = p.push(&["feature"], &[]);
    // parwf saw the same line as the chained hook: the unreviewed document is refused.
    assert!(!out.status.success());
    assert!(stderr(&out).contains("LLD-5"), "{}", stderr(&out));
    let seen = std::fs::read_to_string(&log).unwrap();
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
    assert_eq!(p.review(), 0);
    let out = p.push(&["feature"], &[("CHAINED_EXIT", "7")]);
    assert!(!out.status.success(), "{}", stderr(&out));
    let out = p.push(&["feature"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = p.repo.parwf(&["install-hook", "--uninstall"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        original
    );
    assert!(!hooks.join("pre-push.parwf-chained").exists());
}

#[test]
fn force_replaces_and_core_hooks_path_is_respected() {
    let p = Pushing::new();
    p.repo.git(&["config", "core.hooksPath", ".githooks"]);
    let dir = p.repo.path().join(".githooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pre-push"), "#!/bin/sh\nexit 0\n").unwrap();
    let said = p.install(&["--force"]);
    assert!(said.contains(".githooks/pre-push"), "{said}");
    let shim = std::fs::read_to_string(dir.join("pre-push")).unwrap();
    assert!(shim.contains("git parwf hook pre-push"), "{shim}");
    assert!(!dir.join("pre-push.parwf-chained").exists());
    assert!(!p.repo.path().join(".git/hooks/pre-push").exists());

    p.repo.write("docs/lld/LLD-3-x.md", GOOD_LLD);
    p.repo.commit_all("design");
    assert!(!p.push(&["feature"], &[]).status.success());
}

#[test]
fn a_linked_worktree_installs_into_the_common_hooks_dir() {
    let p = Pushing::new();
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    p.repo.git(&[
        "worktree",
        "add",
        "-q",
        &wt_path.display().to_string(),
        "main",
    ]);
    let out = p.repo.parwf_in(&wt_path, &["install-hook"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(p.repo.path().join(".git/hooks/pre-push").exists());
}

#[test]
fn share_notes_fetches_the_notes_ref_once() {
    let p = Pushing::new();
    p.install(&["--share-notes"]);
    let said = p.install(&["--share-notes"]);
    assert!(said.contains("git push origin refs/notes/parwf"), "{said}");
    let specs = p.repo.git(&["config", "--get-all", "remote.origin.fetch"]);
    assert_eq!(
        specs.matches("+refs/notes/parwf:refs/notes/parwf").count(),
        1,
        "{specs}"
    );

    p.repo.write("docs/lld/LLD-8-x.md", GOOD_LLD);
    p.repo.commit_all("design");
    assert_eq!(p.review(), 0);
    let out = p.push(&["refs/notes/parwf"], &[]);
    assert!(out.status.success(), "notes push: {}", stderr(&out));
    p.repo.git(&["update-ref", "-d", "refs/notes/parwf"]);
    p.repo.git(&["fetch", "-q", "origin"]);
    let note = p
        .repo
        .git(&["notes", "--ref=parwf", "show", "HEAD:docs/lld/LLD-8-x.md"]);
    assert!(note.starts_with("parwf-verdict: APPROVED"), "{note}");
}

#[test]
fn review_mode_runs_the_missing_reviews_before_deciding() {
    let p = Pushing::new();
    p.install(&[]);
    let review: Vec<(&str, &str)> = [SIM, &[("PARWF_HOOK__MODE", "review")]].concat();
    p.repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    p.repo.commit_all("good design");
    let out = p.push(&["feature"], &review);
    assert!(out.status.success(), "{}", stderr(&out));
    let note = p
        .repo
        .git(&["notes", "--ref=parwf", "show", "HEAD:docs/lld/LLD-1-a.md"]);
    assert!(note.starts_with("parwf-verdict: APPROVED"), "{note}");

    p.repo.write("docs/lld/LLD-2-b.md", REVISE_LLD);
    p.repo.commit_all("unfinished design");
    let out = p.push(&["feature"], &review);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("LLD-2"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("  LLD-1 "), "{}", stderr(&out));
    // Off: nothing is checked.
    let out = p.push(&["feature"], &[("PARWF_HOOK__MODE", "off")]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn review_mode_stops_at_the_time_limit_and_refuses() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    p.repo.commit_all("design");
    let started = std::time::Instant::now();
    let out = p.push(
        &["feature"],
        &[
            ("PARWF_PROVIDER__KIND", "sim"),
            ("PARWF_SIM__LATENCY_MS", "600000"),
            ("PARWF_SIM__JITTER_MS", "0"),
            ("PARWF_HOOK__MODE", "review"),
            ("PARWF_HOOK__TIMEOUT_S", "1"),
        ],
    );
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the time limit did not stop the review"
    );
    let err = stderr(&out);
    assert!(err.contains("LLD-1") && err.contains("no review"), "{err}");
    assert!(
        err.contains("did not finish within hook.timeout_s (1s)"),
        "{err}"
    );
}

#[test]
fn hook_input_that_is_not_git_s_is_a_usage_error() {
    let p = Pushing::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
    cmd.args(["hook", "pre-push", "origin", "url"])
        .current_dir(p.repo.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    hermetic_env(&mut cmd, &p.repo.home());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"refs/heads/x not-an-oid refs/heads/x 0\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("unexpected pre-push input line"));
}

fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_first_push_to_an_empty_remote_checks_every_document_in_the_pushed_tree() {
    let repo = Repo::new();
    let remote_dir = tempfile::tempdir().unwrap();
    let remote = remote_dir.path().join("empty.git").display().to_string();
    repo.git(&["init", "-q", "--bare", &remote]);
    repo.git(&["remote", "add", "origin", &remote]);
    repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    repo.commit_all("design");
    repo.write("src/lib.rs", "// code\n");
    repo.commit_all("code");
    let out = repo.parwf(&["install-hook"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = git_out(&repo, &["push", "origin", "main"], &[]);
    assert!(!out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("LLD-1") && err.contains("git parwf --all"),
        "{err}"
    );

    let out = repo.parwf_in(repo.path(), &["--all"], SIM);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = git_out(&repo, &["push", "origin", "main"], SIM);
    assert!(out.status.success(), "{}", stderr(&out));
}

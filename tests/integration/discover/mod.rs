//! Discovery against real repositories: ranges, renames, worktrees, upstreams, IDs, errors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use parwf::discover::{
    derive_id, discover, is_valid_id, DiscoverError, DiscoverOptions, Discovery, Selection,
};
use parwf::model::{ContentSource, DocKind, WorkflowKind};
use parwf::workspace::{Workspace, WorkspaceError};
use sha2::{Digest, Sha256};

use crate::support::snap::{redact, redact_dirs};
use crate::support::{hermetic_env, Repo};

use WorkflowKind::{Issue, Lld};

pub(super) fn globs() -> Vec<(WorkflowKind, Vec<String>)> {
    vec![
        (Lld, vec!["docs/lld/**/*.md".to_string()]),
        (
            Issue,
            vec![
                "docs/issues/**/*.md".to_string(),
                "ideas/active/*.md".to_string(),
            ],
        ),
    ]
}

/// The built-in kinds of each workflow over these globs.
pub(super) fn kinds(globs: Vec<(WorkflowKind, Vec<String>)>) -> Vec<DocKind> {
    globs
        .into_iter()
        .map(|(w, paths)| DocKind::builtin(w, paths))
        .collect()
}

pub(super) fn options(cwd: &Path, selection: Selection) -> DiscoverOptions {
    DiscoverOptions {
        selection,
        include_worktree: false,
        kinds: kinds(globs()),
        only: None,
        cwd: cwd.to_path_buf(),
    }
}

/// Discovery as a command runs it: the workspace around `opts.cwd`, then the selection.
fn try_discover(opts: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
    discover(&Workspace::discover(&opts.cwd)?, opts)
}

pub(super) fn run(opts: &DiscoverOptions) -> Discovery {
    try_discover(opts).unwrap_or_else(|e| panic!("discover failed: {e} (hint: {:?})", e.hint()))
}

pub(super) fn run_err(opts: &DiscoverOptions) -> DiscoverError {
    match try_discover(opts) {
        Ok(d) => panic!("discover succeeded with {:?}", d.items),
        Err(e) => e,
    }
}

/// The work tree and common git dir of the repository around `cwd`.
fn dirs(cwd: &Path) -> (PathBuf, PathBuf) {
    let ws = Workspace::discover(cwd).expect("a repository");
    (
        ws.workdir().expect("a work tree").to_path_buf(),
        ws.common_dir().to_path_buf(),
    )
}

pub(super) fn since(cwd: &Path, rev: &str) -> Discovery {
    run(&options(cwd, Selection::Since(rev.to_string())))
}

/// The selected paths, in output order.
pub(super) fn paths(d: &Discovery) -> Vec<&str> {
    d.items.iter().map(|i| i.path.as_str()).collect()
}

/// `(id, path)` of every item, in output order.
pub(super) fn ids(d: &Discovery) -> Vec<(&str, &str)> {
    d.items
        .iter()
        .map(|i| (i.id.as_str(), i.path.as_str()))
        .collect()
}

pub(super) fn hint(e: &DiscoverError) -> String {
    e.hint().expect("every discovery error has a hint")
}

/// An error as the CLI prints it: the message and its hint.
pub(super) fn said(e: &DiscoverError) -> String {
    format!("error: {e}\n  hint: {}\n", hint(e))
}

pub(super) fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap()
}

/// `git rev-parse REV` (e.g. `HEAD:docs/lld/LLD-1.md` for a blob).
pub(super) fn rev_parse(repo: &Repo, dir: &Path, rev: &str) -> String {
    repo.git_in(dir, &["rev-parse", rev]).trim().to_string()
}

/// Runs git without panicking; true when it exits 0.
pub(super) fn git_ok(repo: &Repo, dir: &Path, args: &[&str]) -> bool {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir);
    hermetic_env(&mut cmd, &repo.home());
    cmd.output().expect("spawn git").status.success()
}

/// main: two LLDs, an issue and a README; then branch `feature`.
pub(super) fn repo_with_feature_branch() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "readme\n");
    repo.write("docs/lld/LLD-1-cache.md", "# LLD 1\n");
    repo.write("docs/lld/LLD-2.md", "# LLD 2\n");
    repo.write("docs/issues/ISSUE-1.md", "# Issue 1\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

mod ids;
mod paths;
mod renames;

#[test]
fn since_selects_changes_after_the_merge_base_only() {
    let repo = repo_with_feature_branch();
    repo.write("docs/lld/LLD-1-cache.md", "# LLD 1\nrevised\n");
    repo.write("docs/lld/sub/LLD-3.md", "# LLD 3\n");
    repo.write("src/lib.rs", "// not a document\n");
    repo.write("docs/notes.txt", "not a document either\n");
    repo.commit_all("feature work");
    // main moves on after the branch point: none of this may leak into the feature's range.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("docs/lld/LLD-9.md", "# on main\n");
    repo.write("docs/issues/ISSUE-1.md", "# Issue 1\nedited on main\n");
    repo.commit_all("main moves on");
    repo.git(&["checkout", "-q", "feature"]);

    let d = since(repo.path(), "main");
    assert_eq!(
        ids(&d),
        [
            ("LLD-1", "docs/lld/LLD-1-cache.md"),
            ("LLD-3", "docs/lld/sub/LLD-3.md")
        ]
    );
    for item in &d.items {
        assert_eq!(item.workflow, Lld);
        assert_eq!(item.source, ContentSource::Head);
        let head_blob = rev_parse(&repo, repo.path(), &format!("HEAD:{}", item.path));
        assert_eq!(item.blob, head_blob, "{}", item.path);
    }
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let (workdir, common_dir) = dirs(repo.path());
    assert_eq!(canon(&workdir), canon(repo.path()));
    assert_eq!(canon(&common_dir), canon(&repo.path().join(".git")));

    // Nothing changed relative to itself.
    assert!(since(repo.path(), "HEAD").items.is_empty());
}

#[test]
fn renames_are_followed_and_deletions_ignored() {
    let repo = Repo::new();
    let body = "# Design\n".to_string() + &"a line of design text\n".repeat(20);
    repo.write("docs/lld/LLD-5-old-name.md", &body);
    repo.write("docs/lld/LLD-6.md", "# six\n");
    repo.write("docs/lld/LLD-7.md", &body.replace("Design", "Seven"));
    repo.write("docs/issues/ISSUE-4.md", "# four\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    // A pure rename, a rename with an edit, and two deletions.
    std::fs::create_dir_all(repo.path().join("docs/lld/archive")).unwrap();
    repo.git(&[
        "mv",
        "docs/lld/LLD-5-old-name.md",
        "docs/lld/archive/LLD-5.md",
    ]);
    repo.git(&["mv", "docs/lld/LLD-7.md", "docs/lld/LLD-7-final.md"]);
    repo.write(
        "docs/lld/LLD-7-final.md",
        &(body.replace("Design", "Seven") + "one more line\n"),
    );
    repo.git(&["rm", "-q", "docs/lld/LLD-6.md", "docs/issues/ISSUE-4.md"]);
    repo.commit_all("rename and delete");

    let d = since(repo.path(), "main");
    assert_eq!(
        ids(&d),
        [
            ("LLD-7", "docs/lld/LLD-7-final.md"),
            ("LLD-5", "docs/lld/archive/LLD-5.md"),
        ]
    );
    let moved = &d.items[1];
    assert_eq!(
        moved.blob,
        rev_parse(&repo, repo.path(), "main:docs/lld/LLD-5-old-name.md"),
        "a pure rename keeps its blob"
    );
}

#[test]
fn works_from_a_subdirectory() {
    let repo = repo_with_feature_branch();
    repo.write("docs/lld/LLD-2.md", "# LLD 2\nchanged\n");
    repo.commit_all("change");
    let sub = repo.path().join("docs/lld");

    let d = since(&sub, "main");
    assert_eq!(paths(&d), ["docs/lld/LLD-2.md"]);
    let (workdir, common_dir) = dirs(&sub);
    assert_eq!(canon(&workdir), canon(repo.path()));
    assert_eq!(canon(&common_dir), canon(&repo.path().join(".git")));
}

#[test]
fn works_in_a_linked_worktree() {
    let repo = repo_with_feature_branch();
    repo.git(&["checkout", "-q", "main"]);
    let outer = tempfile::tempdir().unwrap();
    let wt = outer.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "wt-branch",
        wt.to_str().unwrap(),
    ]);
    std::fs::create_dir_all(wt.join("docs/issues")).unwrap();
    std::fs::write(wt.join("docs/issues/ISSUE-8.md"), "# eight\n").unwrap();
    repo.git_in(&wt, &["add", "-A"]);
    repo.git_in(&wt, &["commit", "-q", "-m", "in the worktree"]);

    let d = since(&wt.join("docs"), "main");
    assert_eq!(ids(&d), [("ISSUE-8", "docs/issues/ISSUE-8.md")]);
    let (workdir, common_dir) = dirs(&wt.join("docs"));
    assert_eq!(canon(&workdir), canon(&wt));
    assert_eq!(
        canon(&common_dir),
        canon(&repo.path().join(".git")),
        "checkpoints live in the main repository's git dir"
    );
    // The main work tree's HEAD (main) is untouched by the worktree's branch.
    assert!(since(repo.path(), "main").items.is_empty());
}

#[test]
fn paths_with_spaces_and_non_ascii() {
    let repo = repo_with_feature_branch();
    repo.write("docs/lld/LLD-8 design notes.md", "# eight\n");
    repo.write("docs/issues/café/ISSUE-9 über.md", "# nine\n");
    repo.write("ideas/active/naïve idea.md", "# an idea\n");
    repo.commit_all("unusual names");

    let d = since(repo.path(), "main");
    assert_eq!(
        ids(&d),
        [
            ("LLD-8", "docs/lld/LLD-8 design notes.md"),
            ("ISSUE-9", "docs/issues/café/ISSUE-9 über.md"),
            ("ISSUE-na-ve-idea", "ideas/active/naïve idea.md"),
        ]
    );
    let blob = rev_parse(&repo, repo.path(), "HEAD:docs/issues/café/ISSUE-9 über.md");
    assert_eq!(d.items[1].blob, blob);

    // The same files named explicitly, from a subdirectory.
    let sub = repo.path().join("docs/issues");
    let explicit = run(&options(
        &sub,
        Selection::Paths(vec![
            "café/ISSUE-9 über.md".into(),
            "../lld/LLD-8 design notes.md".into(),
        ]),
    ));
    assert_eq!(
        paths(&explicit),
        [
            "docs/lld/LLD-8 design notes.md",
            "docs/issues/café/ISSUE-9 über.md"
        ]
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_are_skipped_with_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let repo = repo_with_feature_branch();
    let name = std::ffi::OsStr::from_bytes(b"LLD-12-\xff\xfe.md");
    std::fs::write(repo.path().join("docs/lld").join(name), "# latin-1 name\n").unwrap();
    repo.write("docs/lld/LLD-13.md", "# thirteen\n");
    repo.commit_all("bad name");

    let d = since(repo.path(), "main");
    assert_eq!(paths(&d), ["docs/lld/LLD-13.md"]);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(
        d.warnings[0].contains("not valid UTF-8"),
        "{:?}",
        d.warnings
    );
    assert!(
        d.warnings[0].contains("docs/lld/LLD-12-"),
        "{:?}",
        d.warnings
    );

    let all = run(&options(repo.path(), Selection::All));
    assert!(!paths(&all).iter().any(|p| p.contains("LLD-12")));
    assert!(all.warnings.iter().any(|w| w.contains("not valid UTF-8")));
}

#[test]
fn include_worktree_adds_staged_and_unstaged_changes() {
    let repo = repo_with_feature_branch();
    repo.write("docs/lld/LLD-1-cache.md", "# LLD 1\ncommitted\n");
    repo.write("docs/lld/LLD-4.md", "# four\n");
    repo.commit_all("feature");
    // Unstaged edit of a document already in the range, unstaged edit of one outside it,
    // a staged new document, and a deleted one.
    repo.write(
        "docs/lld/LLD-1-cache.md",
        "# LLD 1\ncommitted\nand edited\n",
    );
    repo.write("docs/lld/LLD-2.md", "# LLD 2\nedited, not committed\n");
    repo.write("docs/issues/ISSUE-5.md", "# five\n");
    repo.git(&["add", "docs/issues/ISSUE-5.md"]);
    std::fs::remove_file(repo.path().join("docs/lld/LLD-4.md")).unwrap();
    // A new document nobody has added yet is work in the tree too.
    repo.write("docs/lld/LLD-6-untracked.md", "# six\n");

    let committed = since(repo.path(), "main");
    assert_eq!(
        paths(&committed),
        ["docs/lld/LLD-1-cache.md", "docs/lld/LLD-4.md"]
    );
    assert!(committed
        .items
        .iter()
        .all(|i| i.source == ContentSource::Head));

    let mut opts = options(repo.path(), Selection::Since("main".into()));
    opts.include_worktree = true;
    let d = run(&opts);
    assert_eq!(
        ids(&d),
        [
            ("LLD-1", "docs/lld/LLD-1-cache.md"),
            ("LLD-2", "docs/lld/LLD-2.md"),
            ("LLD-6", "docs/lld/LLD-6-untracked.md"),
            ("ISSUE-5", "docs/issues/ISSUE-5.md"),
        ]
    );
    for item in &d.items {
        assert_eq!(item.source, ContentSource::Worktree, "{}", item.path);
        let hashed = repo.git(&["hash-object", &item.path]).trim().to_string();
        assert_eq!(item.blob, hashed, "{}", item.path);
    }
    // Hashing must not write the work tree's content into the object database.
    let lld1 = &d.items[0].blob;
    assert!(!git_ok(&repo, repo.path(), &["cat-file", "-e", lld1]));
}

#[test]
fn upstream_of_a_remote_tracking_branch() {
    let repo = repo_with_feature_branch();
    let remote = tempfile::tempdir().unwrap();
    let remote_path = remote.path().join("origin.git");
    repo.git(&["init", "-q", "--bare", remote_path.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote_path.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["branch", "-q", "--set-upstream-to=origin/main"]);
    repo.write("docs/lld/LLD-2.md", "# LLD 2\nchanged on feature\n");
    repo.commit_all("feature");

    let d = run(&options(repo.path(), Selection::Upstream));
    assert_eq!(ids(&d), [("LLD-2", "docs/lld/LLD-2.md")]);
}

#[test]
fn upstream_of_a_local_branch() {
    let repo = repo_with_feature_branch();
    repo.git(&["branch", "-q", "--set-upstream-to=main"]);
    repo.write("ideas/active/better-search.md", "# idea\n");
    repo.commit_all("idea");

    let d = run(&options(repo.path(), Selection::Upstream));
    assert_eq!(
        ids(&d),
        [("ISSUE-better-search", "ideas/active/better-search.md")]
    );
}

#[test]
fn no_upstream_is_an_error_with_a_hint() {
    let repo = repo_with_feature_branch();
    let e = run_err(&options(repo.path(), Selection::Upstream));
    assert!(matches!(e, DiscoverError::NoUpstream { .. }), "{e:?}");
    let mut text = said(&e);

    repo.git(&["checkout", "-q", "--detach"]);
    let e = run_err(&options(repo.path(), Selection::Upstream));
    text.push_str(&said(&e));
    redact(&repo).bind(|| insta::assert_snapshot!("no_upstream", text));
}

#[test]
fn upstream_configured_but_not_fetched() {
    let repo = repo_with_feature_branch();
    repo.git(&["config", "branch.feature.remote", "origin"]);
    repo.git(&["config", "branch.feature.merge", "refs/heads/main"]);
    repo.git(&["config", "remote.origin.url", "/nonexistent"]);
    repo.git(&[
        "config",
        "remote.origin.fetch",
        "+refs/heads/*:refs/remotes/origin/*",
    ]);
    let e = run_err(&options(repo.path(), Selection::Upstream));
    assert!(matches!(e, DiscoverError::UpstreamMissing { .. }), "{e:?}");
    redact(&repo).bind(|| insta::assert_snapshot!("upstream_not_fetched", said(&e)));
}

#[test]
fn bare_repository_is_refused() {
    let repo = repo_with_feature_branch();
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.git");
    repo.git(&[
        "clone",
        "-q",
        "--bare",
        repo.path().to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    let e = run_err(&options(&bare, Selection::All));
    assert!(
        matches!(e, DiscoverError::Workspace(WorkspaceError::Bare(_))),
        "{e:?}"
    );
    redact_dirs(&[(&bare, "[BARE]")]).bind(|| insta::assert_snapshot!("bare", said(&e)));
}

#[test]
fn unborn_head_needs_a_commit_unless_paths_are_given() {
    let repo = Repo::new();
    repo.write("docs/lld/LLD-1.md", "# one\n");
    let mut text = String::new();
    for selection in [
        Selection::Since("main".into()),
        Selection::All,
        Selection::Upstream,
    ] {
        let e = run_err(&options(repo.path(), selection.clone()));
        assert!(
            matches!(e, DiscoverError::UnbornHead(_)),
            "{selection:?}: {e:?}"
        );
        text.push_str(&format!("{selection:?}:\n{}", said(&e)));
    }
    redact(&repo).bind(|| insta::assert_snapshot!("unborn_head", text));
    let d = run(&options(
        repo.path(),
        Selection::Paths(vec!["docs/lld/LLD-1.md".into()]),
    ));
    assert_eq!(ids(&d), [("LLD-1", "docs/lld/LLD-1.md")]);
}

#[test]
fn unknown_revision() {
    let repo = repo_with_feature_branch();
    let e = run_err(&options(
        repo.path(),
        Selection::Since("no-such-branch".into()),
    ));
    assert!(matches!(e, DiscoverError::UnknownRev(_)), "{e:?}");
    let mut text = said(&e);

    let e = run_err(&options(
        repo.path(),
        Selection::Since("HEAD:README.md".into()),
    ));
    assert!(matches!(e, DiscoverError::NotACommit(_)), "{e:?}");
    text.push_str(&said(&e));
    redact(&repo).bind(|| insta::assert_snapshot!("unknown_revision", text));
}

#[test]
fn not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let e = run_err(&options(dir.path(), Selection::All));
    assert!(
        matches!(e, DiscoverError::Workspace(WorkspaceError::NotARepo(_))),
        "{e:?}"
    );
    redact_dirs(&[(dir.path(), "[DIR]")]).bind(|| insta::assert_snapshot!("not_a_repo", said(&e)));
}

#[test]
fn unrelated_history_has_no_merge_base() {
    let repo = repo_with_feature_branch();
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.commit_all("unrelated root");
    repo.git(&["checkout", "-q", "main"]);
    let e = run_err(&options(repo.path(), Selection::Since("other".into())));
    assert!(
        matches!(e, DiscoverError::NoMergeBase { shallow: false, .. }),
        "{e:?}"
    );
    redact(&repo).bind(|| insta::assert_snapshot!("unrelated_histories", said(&e)));
}

#[test]
fn shallow_clone_without_merge_base_suggests_unshallow() {
    let origin = Repo::new();
    origin.write("docs/lld/LLD-1.md", "# one\n");
    origin.commit_all("A");
    origin.git(&["branch", "feature"]);
    for (i, text) in ["B", "C"].iter().enumerate() {
        origin.write("docs/lld/LLD-1.md", &format!("# one\n{text}\n"));
        origin.commit_all(&format!("main {i}"));
    }
    origin.git(&["checkout", "-q", "feature"]);
    origin.write("docs/lld/LLD-2.md", "# two\n");
    origin.commit_all("F");
    origin.git(&["checkout", "-q", "main"]);
    // With full history the two branches meet at A.
    assert!(git_ok(
        &origin,
        origin.path(),
        &["merge-base", "main", "feature"]
    ));

    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.path().display());
    let clone_str = clone.to_str().unwrap();
    origin.git(&[
        "clone", "-q", "--depth", "1", "--branch", "main", &url, clone_str,
    ]);
    origin.git_in(
        &clone,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "feature:refs/remotes/origin/feature",
        ],
    );
    assert!(
        !git_ok(&origin, &clone, &["merge-base", "HEAD", "origin/feature"]),
        "the shallow histories must not meet for this test to mean anything"
    );

    let e = run_err(&options(&clone, Selection::Since("origin/feature".into())));
    assert!(
        matches!(e, DiscoverError::NoMergeBase { shallow: true, .. }),
        "{e:?}"
    );
    redact_dirs(&[(&clone, "[CLONE]")]).bind(|| insta::assert_snapshot!("shallow_clone", said(&e)));
}

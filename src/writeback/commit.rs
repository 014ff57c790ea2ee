//! `--write commit`: revised documents and lineage files in one commit on the current branch.

use std::path::{Component, Path};

use git2::{build::CheckoutBuilder, build::TreeUpdateBuilder, FileMode, Oid, Repository};
use git2::{Signature, Status, StatusOptions};

use super::{git, WriteError, WriteOptions};

fn refuse(reason: impl Into<String>, hint: impl Into<String>) -> WriteError {
    WriteError::Refused {
        reason: reason.into(),
        hint: hint.into(),
    }
}

/// Refuses a commit inside the hook, on a detached or unborn HEAD, with a lineage directory
/// outside the work tree, or when `paths` (or the lineage directory) have uncommitted changes.
pub(super) fn check(
    repo: &Repository,
    opts: &WriteOptions,
    paths: &[String],
) -> Result<(), WriteError> {
    if opts.in_hook {
        return Err(refuse(
            "--write commit is refused inside the pre-push hook: a commit made during a push is not part of that push",
            "run `git parwf --revise --write commit` before pushing; the hook itself writes notes",
        ));
    }
    if repo.head_detached().unwrap_or(false) {
        return Err(refuse(
            "--write commit needs a branch, but HEAD is detached",
            "switch to a branch (`git switch -c NAME`), or use --write notes",
        ));
    }
    if let Err(e) = repo.head() {
        return Err(refuse(
            format!(
                "--write commit needs a commit on the current branch ({})",
                e.message()
            ),
            "commit once first, or use --write notes",
        ));
    }
    let lineage = opts.lineage_dir.trim_matches('/');
    if !lineage.is_empty() && !is_plain_relative(lineage) {
        return Err(refuse(
            format!("lineage_dir `{lineage}` is not a directory inside the work tree"),
            "set lineage_dir to a repo-relative path such as `docs/reviews`",
        ));
    }
    let mut wanted: Vec<&str> = paths.iter().map(String::as_str).collect();
    if !lineage.is_empty() {
        wanted.push(lineage);
    }
    let dirty = dirty_paths(repo, &wanted)?;
    if !dirty.is_empty() {
        let shown: Vec<&str> = dirty.iter().take(5).map(String::as_str).collect();
        let more = dirty.len().saturating_sub(shown.len());
        return Err(refuse(
            format!(
                "--write commit would overwrite uncommitted changes in {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            "commit or stash those changes first (`git stash`), or use --write notes",
        ));
    }
    Ok(())
}

fn is_plain_relative(p: &str) -> bool {
    let path = Path::new(p);
    !p.starts_with(".git")
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Paths (files or directories) among `wanted` with staged, unstaged or untracked changes.
fn dirty_paths(repo: &Repository, wanted: &[&str]) -> Result<Vec<String>, WriteError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    for p in wanted {
        opts.pathspec(*p);
    }
    let statuses = repo.statuses(Some(&mut opts)).map_err(git)?;
    let mut dirty: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != Status::CURRENT && !s.status().contains(Status::IGNORED))
        .filter_map(|s| s.path().map(str::to_string))
        .collect();
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

/// Commits `files` (path → blob) on top of HEAD's branch, then brings those paths in the
/// index and work tree up to date. Other staged changes stay staged and out of the commit.
/// `None` when the files already have that content.
pub(super) fn commit_files(
    repo: &Repository,
    files: &[(String, Oid)],
    message: &str,
    sig: &Signature<'_>,
) -> Result<Option<Oid>, WriteError> {
    let head = repo.head().map_err(git)?;
    let branch = head
        .name()
        .ok_or_else(|| WriteError::Git("the current branch name is not UTF-8".into()))?
        .to_string();
    let parent = head.peel_to_commit().map_err(git)?;
    let base = parent.tree().map_err(git)?;
    let mut update = TreeUpdateBuilder::new();
    for (path, blob) in files {
        // Keep an executable document executable.
        let mode = match base.get_path(Path::new(path)) {
            Ok(e) if e.filemode() == i32::from(FileMode::BlobExecutable) => {
                FileMode::BlobExecutable
            }
            _ => FileMode::Blob,
        };
        update.upsert(path.as_str(), *blob, mode);
    }
    let tree_id = update.create_updated(repo, &base).map_err(git)?;
    if tree_id == base.id() {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id).map_err(git)?;
    let oid = repo
        .commit(None, sig, sig, message, &tree, &[&parent])
        .map_err(git)?;
    // Compare-and-swap: if the branch moved during the run, refuse rather than drop work.
    repo.reference_matching(
        &branch,
        oid,
        true,
        parent.id(),
        "parwf: commit review results",
    )
    .map_err(|e| {
        refuse(
            format!(
                "the branch moved while parwf ran, so nothing was committed ({})",
                e.message()
            ),
            "run the same command again; the reviews are cached in notes",
        )
    })?;
    let mut checkout = CheckoutBuilder::new();
    checkout.force().disable_pathspec_match(true);
    for (path, _) in files {
        checkout.path(path.as_str());
    }
    repo.checkout_head(Some(&mut checkout)).map_err(git)?;
    Ok(Some(oid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writeback::WriteMode;

    #[test]
    fn a_commit_is_refused_inside_the_hook_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let opts = WriteOptions {
            mode: WriteMode::Commit,
            lineage_dir: String::new(),
            in_hook: true,
            identity: None,
        };
        let err = check(&repo, &opts, &[]).unwrap_err();
        assert!(err.is_refusal());
        assert!(
            err.to_string().contains("inside the pre-push hook"),
            "{err}"
        );
        let opts = WriteOptions {
            in_hook: false,
            lineage_dir: "../outside".into(),
            ..opts
        };
        // An unborn branch has nothing to commit on; checked before the lineage directory.
        assert!(check(&repo, &opts, &[])
            .unwrap_err()
            .to_string()
            .contains("needs a commit"));
    }
}

//! Reading the repository with git2: HEAD, revisions, upstreams, tree diffs, the work tree.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use git2::{
    Commit, Delta, DiffFindOptions, DiffOptions, ErrorClass, ErrorCode, FileMode, ObjectType, Oid,
    Repository, Tree,
};

use super::ids::name_key;
use super::paths::{Kind, Matcher};
use super::{one_line, DiscoverError, Selected};
use crate::model::ContentSource;

pub(super) fn git(e: git2::Error) -> DiscoverError {
    DiscoverError::Git(e.message().to_string())
}

/// HEAD's commit, or `None` when HEAD is unborn.
pub(super) fn head_commit(repo: &Repository) -> Result<Option<Commit<'_>>, DiscoverError> {
    match repo.head() {
        Ok(head) => head.peel_to_commit().map(Some).map_err(git),
        Err(e) if e.code() == ErrorCode::UnbornBranch => Ok(None),
        Err(e) => Err(git(e)),
    }
}

pub(super) fn unborn_branch_name(repo: &Repository) -> String {
    repo.find_reference("HEAD")
        .ok()
        .and_then(|r| r.symbolic_target().map(str::to_string))
        .map(|t| t.trim_start_matches("refs/heads/").to_string())
        .unwrap_or_else(|| "HEAD".to_string())
}

pub(super) fn resolve_rev<'r>(
    repo: &'r Repository,
    rev: &str,
) -> Result<Commit<'r>, DiscoverError> {
    let object = repo.revparse_single(rev).map_err(|e| match e.code() {
        ErrorCode::NotFound | ErrorCode::InvalidSpec | ErrorCode::Ambiguous => {
            DiscoverError::UnknownRev(rev.to_string())
        }
        _ => git(e),
    })?;
    object
        .peel_to_commit()
        .map_err(|_| DiscoverError::NotACommit(rev.to_string()))
}

/// The current branch's upstream, by name (`origin/main`) and commit.
pub(super) fn upstream_commit(repo: &Repository) -> Result<(String, Commit<'_>), DiscoverError> {
    let head = repo.head().map_err(git)?;
    let (Some(refname), true) = (head.name(), head.is_branch()) else {
        return Err(DiscoverError::NoUpstream { branch: None });
    };
    let branch = head.shorthand().unwrap_or(refname).to_string();
    let upstream = match repo.branch_upstream_name(refname) {
        Ok(buf) => buf.as_str().unwrap_or_default().to_string(),
        Err(e) if e.code() == ErrorCode::NotFound => {
            return Err(DiscoverError::NoUpstream {
                branch: Some(branch),
            })
        }
        Err(e) => return Err(git(e)),
    };
    let reference = repo.find_reference(&upstream).map_err(|e| match e.code() {
        ErrorCode::NotFound => DiscoverError::UpstreamMissing {
            branch: branch.clone(),
            upstream: upstream.clone(),
        },
        _ => git(e),
    })?;
    let name = reference.shorthand().unwrap_or(&upstream).to_string();
    let commit = reference.peel_to_commit().map_err(git)?;
    Ok((name, commit))
}

/// `merge-base(since, head)`; `label` names `since` in errors.
pub(super) fn merge_base(
    repo: &Repository,
    label: &str,
    since: &Commit<'_>,
    head: &Commit<'_>,
) -> Result<Oid, DiscoverError> {
    repo.merge_base(since.id(), head.id()).map_err(|e| {
        // In a shallow clone the walk can also stop at a missing parent.
        let shallow = repo.is_shallow();
        if e.code() == ErrorCode::NotFound && (shallow || e.class() == ErrorClass::Merge) {
            DiscoverError::NoMergeBase {
                rev: label.to_string(),
                shallow,
            }
        } else {
            git(e)
        }
    })
}

/// Documents added or modified in `merge-base(since, HEAD)..HEAD` (one tree-to-tree diff),
/// and that merge-base.
pub(super) fn changed_since(
    repo: &Repository,
    label: &str,
    since: &Commit<'_>,
    head: &Commit<'_>,
    head_tree: &Tree<'_>,
    matcher: &Matcher,
    warnings: &mut Vec<String>,
) -> Result<(Oid, BTreeMap<String, Selected>), DiscoverError> {
    let base = merge_base(repo, label, since, head)?;
    let base_tree = repo.find_commit(base).and_then(|c| c.tree()).map_err(git)?;
    let selected = changed_between(repo, Some(&base_tree), head_tree, matcher, warnings)?;
    Ok((base, selected))
}

/// Documents added or modified from `base_tree` (`None`: the empty tree) to `head_tree`.
pub(super) fn changed_between(
    repo: &Repository,
    base_tree: Option<&Tree<'_>>,
    head_tree: &Tree<'_>,
    matcher: &Matcher,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, Selected>, DiscoverError> {
    // Documents live under the globs' roots, and only a root whose subtree differs can hold
    // a change: the diff and its rename detection run over those subtrees alone. A branch that
    // moves thousands of other files, or a push that touches no document, then costs a few
    // tree reads instead of a diff (and rename search) over the whole tree.
    let all = matcher.roots.iter().map(String::as_str);
    let roots: Vec<&str> = match base_tree {
        Some(base) => all
            .filter(|r| subtree_id(base, r) != subtree_id(head_tree, r))
            .collect(),
        None => all.collect(),
    };
    if roots.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut diff = repo
        .diff_tree_to_tree(base_tree, Some(head_tree), Some(&mut diff_options(&roots)))
        .map_err(git)?;
    find_renames(&mut diff, matcher)?;

    let mut selected = BTreeMap::new();
    for delta in diff.deltas() {
        if !is_change(delta.status()) {
            continue;
        }
        let file = delta.new_file();
        let Some((path, kind)) = document_path(file.path_bytes(), matcher, warnings) else {
            continue;
        };
        if !is_regular(file.mode(), &path, warnings) {
            continue;
        }
        if delta.status() == Delta::Renamed {
            let old = delta.old_file().path().map(|p| p.display().to_string());
            tracing::debug!(from = ?old, to = %path, "document renamed");
        }
        let source = ContentSource::Head;
        let blob = file.id();
        selected.insert(path, Selected { kind, blob, source });
    }
    Ok(selected)
}

/// The OID of the tree or file at `root` in `tree` (`""`: the tree itself); `None` if absent.
fn subtree_id(tree: &Tree<'_>, root: &str) -> Option<Oid> {
    if root.is_empty() {
        Some(tree.id())
    } else {
        tree.get_path(Path::new(root)).ok().map(|e| e.id())
    }
}

/// Statuses whose new side is content to review.
fn is_change(status: Delta) -> bool {
    matches!(
        status,
        Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
    )
}

/// Options for a diff limited to `roots` (folders that can hold documents). They go in as a
/// literal path list rather than as pathspec patterns: libgit2's iterators then skip every
/// other subtree instead of walking it and filtering each path, and rename detection pairs
/// only files inside the roots (a file moved in from elsewhere is an add).
fn diff_options(roots: &[&str]) -> DiffOptions {
    let mut opts = DiffOptions::new();
    // Only paths and OIDs are read: never load blobs to sniff for binary content.
    opts.skip_binary_check(true).ignore_submodules(true);
    // An empty root (a glob such as `**/*.md`) is the whole tree: no limit then.
    if !roots.contains(&"") {
        opts.disable_pathspec_match(true);
        for root in roots {
            opts.pathspec(root);
        }
    }
    opts
}

/// Pairs deletes with adds among the diff's files, which lie inside the globs' roots. The
/// selected paths and blobs do not depend on it (a renamed document is selected under its
/// new path either way), so it runs only when a document was added and something deleted.
fn find_renames(diff: &mut git2::Diff<'_>, matcher: &Matcher) -> Result<(), DiscoverError> {
    let mut added = false;
    let mut deleted = false;
    for delta in diff.deltas() {
        match delta.status() {
            Delta::Deleted => deleted = true,
            Delta::Added => {
                let path = delta.new_file().path_bytes().map(std::str::from_utf8);
                added |= matches!(path, Some(Ok(p)) if matcher.kind(p).is_some());
            }
            _ => {}
        }
        if added && deleted {
            let mut find = DiffFindOptions::new();
            find.renames(true);
            return diff.find_similar(Some(&mut find)).map_err(git);
        }
    }
    Ok(())
}

/// The UTF-8 path and workflow of a changed file, if it is a document.
fn document_path(
    bytes: Option<&[u8]>,
    matcher: &Matcher,
    warnings: &mut Vec<String>,
) -> Option<(String, Kind)> {
    match std::str::from_utf8(bytes?) {
        Ok(path) => matcher.kind(path).map(|kind| (path.to_string(), kind)),
        Err(_) => {
            let lossy = String::from_utf8_lossy(bytes?);
            if matcher.kind(&lossy).is_some() {
                warnings.push(format!(
                    "skipping `{}`: its path is not valid UTF-8",
                    one_line(&lossy)
                ));
            }
            None
        }
    }
}

/// Plain files only: a symlink's blob is its target, a submodule has no text.
fn is_regular(mode: FileMode, path: &str, warnings: &mut Vec<String>) -> bool {
    match mode {
        FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable => true,
        FileMode::Link => {
            warnings.push(format!(
                "skipping `{}`: it is a symbolic link",
                one_line(path)
            ));
            false
        }
        _ => false,
    }
}

/// Every document in `tree`, walking only the subtrees the globs can match.
pub(super) fn tree_documents(
    repo: &Repository,
    tree: &Tree<'_>,
    matcher: &Matcher,
    keys: Option<&HashSet<String>>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, (Kind, Oid)>, DiscoverError> {
    let mut found = BTreeMap::new();
    // (tree, its path with a trailing `/`, whether that path is valid UTF-8)
    let mut stack: Vec<(Tree<'_>, String, bool)> = Vec::new();
    for root in &matcher.roots {
        if root.is_empty() {
            stack.push((tree.clone(), String::new(), true));
            continue;
        }
        let Ok(entry) = tree.get_path(Path::new(root)) else {
            continue;
        };
        if entry.kind() == Some(ObjectType::Tree) {
            stack.push((
                repo.find_tree(entry.id()).map_err(git)?,
                format!("{root}/"),
                true,
            ));
        }
    }
    while let Some((tree, dir, dir_utf8)) = stack.pop() {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes());
            let utf8 = dir_utf8 && matches!(name, std::borrow::Cow::Borrowed(_));
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    let sub = repo.find_tree(entry.id()).map_err(git)?;
                    stack.push((sub, format!("{dir}{name}/"), utf8));
                }
                Some(ObjectType::Blob) => {
                    // Looking for documents that could share an ID: the name decides first.
                    if keys.is_some_and(|k| name_key(&name).is_none_or(|n| !k.contains(&*n))) {
                        continue;
                    }
                    let path = format!("{dir}{name}");
                    let Some(kind) = matcher.kind(&path) else {
                        continue;
                    };
                    if !utf8 {
                        warnings.push(format!(
                            "skipping `{}`: its path is not valid UTF-8",
                            one_line(&path)
                        ));
                    } else if is_regular(filemode(entry.filemode()), &path, warnings) {
                        found.insert(path, (kind, entry.id()));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(found)
}

fn filemode(raw: i32) -> FileMode {
    match raw {
        0o100644 => FileMode::Blob,
        0o100755 => FileMode::BlobExecutable,
        0o120000 => FileMode::Link,
        _ => FileMode::Unreadable,
    }
}

/// Applies staged and unstaged changes (HEAD → index → work tree) to `selected`: changed
/// documents are read from the work tree, deleted ones dropped.
pub(super) fn overlay_worktree(
    repo: &Repository,
    head_tree: Option<&Tree<'_>>,
    workdir: &Path,
    matcher: &Matcher,
    selected: &mut BTreeMap<String, Selected>,
    warnings: &mut Vec<String>,
) -> Result<(), DiscoverError> {
    let roots: Vec<&str> = matcher.roots.iter().map(String::as_str).collect();
    if roots.is_empty() {
        return Ok(());
    }
    // New documents nobody has `git add`ed yet are work too; only the subtrees documents
    // live in are walked, so an untracked build directory costs nothing.
    let mut opts = diff_options(&roots);
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let mut diff = repo
        .diff_tree_to_workdir_with_index(head_tree, Some(&mut opts))
        .map_err(git)?;
    find_renames(&mut diff, matcher)?;
    for delta in diff.deltas() {
        let status = match delta.status() {
            Delta::Untracked => Delta::Added,
            other => other,
        };
        if matches!(status, Delta::Deleted | Delta::Renamed) {
            if let Some(Ok(old)) = delta.old_file().path_bytes().map(std::str::from_utf8) {
                selected.remove(old);
            }
        }
        if !is_change(status) {
            if status == Delta::Conflicted {
                let path = delta.new_file().path().map(|p| p.display().to_string());
                if let Some(path) = path.filter(|p| matcher.kind(p).is_some()) {
                    let shown = one_line(&path);
                    warnings.push(format!("skipping `{shown}`: it has unresolved conflicts"));
                }
            }
            continue;
        }
        let Some((path, kind)) = document_path(delta.new_file().path_bytes(), matcher, warnings)
        else {
            continue;
        };
        let full = workdir.join(&path);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let shown = one_line(&path);
                warnings.push(format!("skipping `{shown}`: it is a symbolic link"));
                selected.remove(&path);
                continue;
            }
            Ok(meta) if meta.is_file() => {}
            _ => continue,
        }
        let blob = Oid::hash_file(ObjectType::Blob, &full).map_err(git)?;
        let source = ContentSource::Worktree;
        selected.insert(path, Selected { kind, blob, source });
    }
    Ok(())
}

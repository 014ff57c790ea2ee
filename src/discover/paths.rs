//! Which workflow a path belongs to (globs), and explicit paths given on the command line.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{one_line, DiscoverError, Selected};
use crate::model::{ContentSource, WorkflowKind};

/// Which workflow a repo-relative path belongs to, by the configured globs.
pub(super) struct Matcher {
    set: GlobSet,
    /// The workflow of each glob in `set`, in config order.
    kinds: Vec<WorkflowKind>,
    /// Literal directory prefixes of the globs: only these subtrees can hold documents.
    pub(super) roots: Vec<String>,
}

impl Matcher {
    pub(super) fn new(globs: &[(WorkflowKind, Vec<String>)]) -> Result<Self, DiscoverError> {
        let mut builder = GlobSetBuilder::new();
        let mut kinds = Vec::new();
        let mut roots: Vec<String> = Vec::new();
        for (kind, patterns) in globs {
            for pattern in patterns {
                let glob = GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| DiscoverError::BadGlob {
                        kind: kind.name(),
                        glob: pattern.clone(),
                        message: e.kind().to_string(),
                    })?;
                builder.add(glob);
                kinds.push(*kind);
                roots.push(literal_dir_prefix(pattern));
            }
        }
        let set = builder.build().map_err(|e| DiscoverError::BadGlob {
            kind: "document",
            glob: String::new(),
            message: e.to_string(),
        })?;
        // Walking `docs` covers `docs/lld`: keep only roots not inside another root.
        roots.sort();
        roots.dedup();
        let mut minimal: Vec<String> = Vec::new();
        for root in roots {
            let covered = minimal
                .iter()
                .any(|m| m.is_empty() || root == *m || root.starts_with(&format!("{m}/")));
            if !covered {
                minimal.push(root);
            }
        }
        Ok(Matcher {
            set,
            kinds,
            roots: minimal,
        })
    }

    /// The workflow of the first glob (in config order) that matches `path`.
    pub(super) fn kind(&self, path: &str) -> Option<WorkflowKind> {
        self.set
            .matches(path)
            .into_iter()
            .min()
            .map(|i| self.kinds[i])
    }
}

/// `docs/lld/**/*.md` → `docs/lld`: the directories before the first one with a glob
/// metacharacter (never the final component, which names files).
fn literal_dir_prefix(pattern: &str) -> String {
    let parts: Vec<&str> = pattern.split('/').collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    dirs.iter()
        .take_while(|p| !p.is_empty() && !p.contains(['*', '?', '[', ']', '{', '}', '\\']))
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Resolves explicit paths to repo-relative documents read from the work tree.
pub(super) fn explicit_paths(
    cwd: &Path,
    workdir: &Path,
    paths: &[PathBuf],
    matcher: &Matcher,
    only: Option<WorkflowKind>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, Selected>, DiscoverError> {
    let root = workdir
        .canonicalize()
        .map_err(|e| DiscoverError::Unreadable {
            path: workdir.display().to_string(),
            message: e.to_string(),
        })?;
    let mut selected = BTreeMap::new();
    for given in paths {
        let shown = one_line(&given.display().to_string());
        let full = match cwd.join(given).canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DiscoverError::PathNotFound(shown))
            }
            Err(e) => {
                let message = e.to_string();
                return Err(DiscoverError::Unreadable {
                    path: shown,
                    message,
                });
            }
        };
        let outside = || DiscoverError::PathOutsideRepo {
            path: shown.clone(),
            workdir: root.display().to_string(),
        };
        let rel = full.strip_prefix(&root).map_err(|_| outside())?;
        let mut parts = Vec::new();
        for component in rel.components() {
            match component {
                Component::Normal(part) => match part.to_str() {
                    Some(s) => parts.push(s),
                    None => return Err(DiscoverError::NonUtf8Path(shown)),
                },
                _ => return Err(outside()),
            }
        }
        if parts.first() == Some(&".git") {
            return Err(outside());
        }
        if parts.is_empty() || !full.is_file() {
            return Err(DiscoverError::NotAFile(shown));
        }
        let path = parts.join("/");
        let by_glob = matcher.kind(&path);
        // The user named this file: `--workflow` says how to review it, it never drops it.
        let kind = match (only, by_glob) {
            (Some(only), Some(glob)) if only != glob => {
                warnings.push(format!(
                    "`{}` matches the {} globs; reviewing it as {} because of --workflow",
                    one_line(&path),
                    glob.name(),
                    only.name()
                ));
                only
            }
            (_, Some(glob)) => glob,
            (Some(only), None) => only,
            (None, None) if path.to_ascii_lowercase().contains("lld") => WorkflowKind::Lld,
            (None, None) => return Err(DiscoverError::UnknownWorkflow(one_line(&path))),
        };
        let blob = Oid::hash_file(ObjectType::Blob, &full).map_err(|e| {
            let message = e.message().to_string();
            DiscoverError::Unreadable {
                path: path.clone(),
                message,
            }
        })?;
        let source = ContentSource::Worktree;
        selected.insert(path, Selected { kind, blob, source });
    }
    Ok(selected)
}

//! Which workflow a path belongs to (globs), and explicit paths given on the command line.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid};
use globset::{GlobSet, GlobSetBuilder};

use super::{one_line, DiscoverError, Selected};
use crate::config::parse_glob;
use crate::model::{ContentSource, DocKind, WorkflowKind};

/// A document kind, as an index into [`Matcher::kinds`].
pub(super) type Kind = usize;

/// Which document kind a repo-relative path is, by the configured globs.
pub(super) struct Matcher {
    set: GlobSet,
    /// Per glob in `set`: its kind and how specific it is (the length of its fixed start).
    globs: Vec<(Kind, usize)>,
    /// Per kind: the files under its globs that are not of that kind.
    excludes: Vec<Option<GlobSet>>,
    /// The configured kinds, then a built-in kind for each workflow no kind reviews with
    /// (for explicit paths given with `--workflow`).
    pub(super) kinds: Vec<DocKind>,
    /// Literal directory prefixes of the globs: only these subtrees can hold documents.
    pub(super) roots: Vec<String>,
}

impl Matcher {
    pub(super) fn new(configured: &[DocKind]) -> Result<Self, DiscoverError> {
        let mut kinds = configured.to_vec();
        for w in WorkflowKind::ALL {
            if !kinds.iter().any(|k| k.workflow == w) {
                kinds.push(DocKind::builtin(w, Vec::new()));
            }
        }
        let bad = |kind: &DocKind, glob: &str, message: String| DiscoverError::BadGlob {
            kind: kind.name.clone(),
            glob: glob.to_string(),
            message,
        };
        let mut builder = GlobSetBuilder::new();
        let mut globs = Vec::new();
        let mut excludes = Vec::new();
        let mut roots: Vec<String> = Vec::new();
        for (n, kind) in kinds.iter().enumerate() {
            for pattern in &kind.paths {
                let glob =
                    parse_glob(pattern).map_err(|e| bad(kind, pattern, e.kind().to_string()))?;
                builder.add(glob);
                globs.push((n, fixed_start(pattern)));
                roots.push(literal_dir_prefix(pattern));
            }
            let mut exclude = GlobSetBuilder::new();
            for pattern in &kind.exclude {
                exclude.add(
                    parse_glob(pattern).map_err(|e| bad(kind, pattern, e.kind().to_string()))?,
                );
            }
            excludes.push(if kind.exclude.is_empty() {
                None
            } else {
                Some(exclude.build().map_err(|e| bad(kind, "", e.to_string()))?)
            });
        }
        let set = builder.build().map_err(|e| DiscoverError::BadGlob {
            kind: "document".into(),
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
            globs,
            excludes,
            kinds,
            roots: minimal,
        })
    }

    /// The kind of `path`: of the globs that match it (and whose kind does not exclude it),
    /// the most specific one (`docs/lld/drafts/**` before `docs/lld/**`); on a tie, the kind
    /// whose name comes first.
    pub(super) fn kind(&self, path: &str) -> Option<Kind> {
        let mut best: Option<(usize, Kind)> = None;
        for i in self.set.matches(path) {
            let (kind, specific) = self.globs[i];
            if self.excludes[kind]
                .as_ref()
                .is_some_and(|x| x.is_match(path))
            {
                continue;
            }
            let better = match best {
                None => true,
                Some((s, k)) => specific > s || (specific == s && kind < k),
            };
            if better {
                best = Some((specific, kind));
            }
        }
        best.map(|(_, kind)| kind)
    }

    /// The kind for a document `--workflow` names the review of: the kind of that name, else
    /// the first kind with that workflow.
    pub(super) fn kind_for(&self, workflow: WorkflowKind) -> Kind {
        let named = self.kinds.iter().position(|k| k.name == workflow.name());
        named
            .or_else(|| self.kinds.iter().position(|k| k.workflow == workflow))
            .unwrap_or(0)
    }
}

/// How much of a glob is fixed text: `docs/lld/drafts/**` (16) is more specific than
/// `docs/lld/**/*.md` (9).
fn fixed_start(pattern: &str) -> usize {
    pattern
        .find(['*', '?', '[', ']', '{', '}', '\\'])
        .unwrap_or(pattern.len())
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
            (Some(only), Some(glob)) if only != matcher.kinds[glob].workflow => {
                warnings.push(format!(
                    "`{}` matches the {} globs; reviewing it as {} because of --workflow",
                    one_line(&path),
                    matcher.kinds[glob].name,
                    only.name()
                ));
                matcher.kind_for(only)
            }
            (_, Some(glob)) => glob,
            (Some(only), None) => matcher.kind_for(only),
            (None, None) if path.to_ascii_lowercase().contains("lld") => {
                matcher.kind_for(WorkflowKind::Lld)
            }
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

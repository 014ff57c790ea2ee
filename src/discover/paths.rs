//! Which workflow a path belongs to (globs), and explicit paths given on the command line.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid};
use globset::GlobBuilder;
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};

use super::{one_line, DiscoverError, Selected};
use crate::model::{ContentSource, WorkflowKind};

/// Which workflow a repo-relative path belongs to, by the configured globs.
pub(super) struct Matcher {
    /// One pattern per glob, as globset translates it, compiled here instead of through a
    /// `GlobSet`: with regex-automata's `dfa-build` feature on (tracing-subscriber's env
    /// filter turns it on), a `GlobSet` builds a full DFA per glob up front, 3 M instructions
    /// for the three built-in globs, more than the matching of 5,000 paths; every run and
    /// every push checked by the hook paid it.
    regex: Regex,
    /// The workflow of each glob, in config order (the regex's pattern IDs).
    kinds: Vec<WorkflowKind>,
    /// Literal directory prefixes of the globs: only these subtrees can hold documents.
    pub(super) roots: Vec<String>,
}

impl Matcher {
    pub(super) fn new(globs: &[(WorkflowKind, Vec<String>)]) -> Result<Self, DiscoverError> {
        let mut regexes: Vec<String> = Vec::new();
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
                regexes.push(glob.regex().to_string());
                kinds.push(*kind);
                roots.push(literal_dir_prefix(pattern));
            }
        }
        // The options globset uses for its own regexes, less the up-front DFAs.
        let regex = Regex::builder()
            .syntax(syntax::Config::new().utf8(false).dot_matches_new_line(true))
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .utf8_empty(false)
                    .dfa(false)
                    .onepass(false),
            )
            .build_many(&regexes)
            .map_err(|e| DiscoverError::BadGlob {
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
            regex,
            kinds,
            roots: minimal,
        })
    }

    /// The workflow of the first glob (in config order) that matches `path`.
    pub(super) fn kind(&self, path: &str) -> Option<WorkflowKind> {
        let mut matched = PatternSet::new(self.regex.pattern_len());
        self.regex
            .which_overlapping_matches(&Input::new(path), &mut matched);
        // Pattern IDs ascend, so the first is the first glob in config order.
        matched.iter().next().map(|p| self.kinds[p.as_usize()])
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a `GlobSet` with the same globs says: the workflow of the first matching glob.
    fn reference(globs: &[(WorkflowKind, Vec<String>)], path: &str) -> Option<WorkflowKind> {
        let mut builder = globset::GlobSetBuilder::new();
        let mut kinds = Vec::new();
        for (kind, patterns) in globs {
            for p in patterns {
                let glob = GlobBuilder::new(p).literal_separator(true).build().ok()?;
                builder.add(glob);
                kinds.push(*kind);
            }
        }
        let set = builder.build().ok()?;
        set.matches(path).into_iter().min().map(|i| kinds[i])
    }

    fn kinds_of(
        globs: &[(WorkflowKind, Vec<String>)],
        paths: &[&str],
    ) -> Vec<Option<WorkflowKind>> {
        let m = Matcher::new(globs).expect("valid globs");
        paths.iter().map(|p| m.kind(p)).collect()
    }

    #[test]
    fn the_built_in_globs_and_config_order() {
        use WorkflowKind::{Issue, Lld};
        let globs = vec![
            (Lld, vec!["docs/lld/**/*.md".to_string()]),
            (
                Issue,
                vec!["docs/**/*.md".to_string(), "ideas/active/*.md".to_string()],
            ),
        ];
        let paths = [
            "docs/lld/LLD-1.md",
            "docs/lld/a/b/LLD-2.md",
            "docs/issues/ISSUE-1.md",
            "ideas/active/x.md",
            "ideas/active/sub/x.md",
            "docs/lld/notes.txt",
            "README.md",
        ];
        assert_eq!(
            kinds_of(&globs, &paths),
            [
                Some(Lld),
                Some(Lld),
                Some(Issue),
                Some(Issue),
                None,
                None,
                None
            ]
        );
        assert_eq!(kinds_of(&[], &paths), [None; 7]);
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("docs"),
            Just("*"),
            Just("**"),
            Just("?"),
            Just("*.md"),
            Just("a*"),
            Just("[ab]"),
            Just("{a,b}.md"),
            Just("LLD-?.md"),
        ]
        .prop_map(str::to_string)
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("ab"),
            Just("docs"),
            Just("a.md"),
            Just("b.md"),
            Just(".md"),
            Just("LLD-1.md"),
            Just("x y.md"),
            Just("é.md"),
        ]
        .prop_map(str::to_string)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Whatever the globs and paths, the workflow is the one a `GlobSet` gives.
        #[test]
        fn matches_exactly_what_a_globset_matches(
            globs in prop::collection::vec(
                (any::<bool>(), prop::collection::vec(segment(), 1..4)), 0..4),
            paths in prop::collection::vec(prop::collection::vec(name(), 1..4), 1..8),
        ) {
            let globs: Vec<(WorkflowKind, Vec<String>)> = globs
                .into_iter()
                .map(|(lld, parts)| {
                    let kind = if lld { WorkflowKind::Lld } else { WorkflowKind::Issue };
                    (kind, vec![parts.join("/")])
                })
                .collect();
            let m = Matcher::new(&globs).expect("valid globs");
            for parts in &paths {
                let path = parts.join("/");
                prop_assert_eq!(m.kind(&path), reference(&globs, &path), "{} {:?}", path, globs);
            }
        }
    }
}

//! Finds the documents to review from git history with git2: changed paths, IDs, blob OIDs.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use git2::{Commit, Oid, Tree};

mod history;
mod ids;
pub mod partition;
mod paths;
pub mod pre_commit;
pub mod push;

pub use ids::{derive_id, id_with_prefix, is_valid_id, Unusable};

use crate::model::{ContentSource, DocKind, Item, WorkflowKind};

use crate::workspace::{Workspace, WorkspaceError};
use history::{
    changed_between, changed_since, git, head_commit, merge_base, overlay_worktree, resolve_rev,
    tree_documents, unborn_branch_name, upstream_commit,
};
use paths::{explicit_paths, Matcher};

/// Which documents to select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Changed since the merge-base with the current branch's upstream.
    Upstream,
    /// Changed in `merge-base(REV, HEAD)..HEAD`.
    Since(String),
    /// Every matching document in HEAD.
    All,
    /// Explicit paths (relative to `cwd`), read from the work tree.
    Paths(Vec<PathBuf>),
    /// Changed in the tree diff `base..head` (no merge-base is computed; `None` = the empty
    /// tree), read from `head`'s blobs: what a push sends.
    Range { base: Option<String>, head: String },
}

/// What discovery needs to know.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    pub selection: Selection,
    /// Also pick up staged and unstaged changes (`--include-worktree`).
    pub include_worktree: bool,
    /// The document kinds, from config (`[workflows.<name>]`).
    pub kinds: Vec<DocKind>,
    /// Restrict to one workflow (`--workflow`).
    pub only: Option<WorkflowKind>,
    /// Where the command runs: explicit paths are relative to it.
    pub cwd: PathBuf,
}

/// The result of discovery.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub items: Vec<Item>,
    /// Selected documents whose file names give no valid ID: each fails alone.
    pub unusable: Vec<Unusable>,
    /// Human-readable warnings (e.g. two documents with the same number).
    pub warnings: Vec<String>,
    /// What was looked at.
    pub scope: Scope,
}

/// What a discovery looked at, for the messages about what it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The range compared, for `--since` and the default selection.
    pub compared: Option<Compared>,
    /// Every `paths` glob of every kind.
    pub globs: Vec<String>,
}

/// A `merge-base(REV, HEAD)..HEAD` comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    /// What HEAD was compared with (`main`, `origin/main`).
    pub with: String,
    /// The merge-base's OID.
    pub base: String,
    /// The branch has no upstream: `with` is the remote's default branch.
    pub fallback: bool,
}

impl std::fmt::Display for Compared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}..HEAD (merge-base {}",
            self.with,
            &self.base[..12.min(self.base.len())]
        )?;
        if self.fallback {
            f.write_str("; no upstream, so the remote's default branch")?;
        }
        f.write_str(")")
    }
}

/// Documents whose text in the work tree differs from HEAD (staged, unstaged or new), for
/// telling a user who finds nothing to review that there is uncommitted work.
pub fn uncommitted(ws: &Workspace, kinds: &[DocKind]) -> Result<Vec<String>, DiscoverError> {
    let matcher = Matcher::new(kinds)?;
    let repo = ws.repo();
    let head = head_commit(repo)?;
    let tree = match &head {
        Some(c) => Some(c.tree().map_err(git)?),
        None => None,
    };
    let mut found = BTreeMap::new();
    let mut ignored = Vec::new();
    overlay_worktree(
        repo,
        tree.as_ref(),
        ws.workdir()?,
        &matcher,
        &mut found,
        &mut ignored,
    )?;
    Ok(found.into_keys().collect())
}

/// Why discovery could not run; each variant has a hint.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// HEAD points at a branch with no commits.
    #[error("no commits yet: branch `{0}` is unborn")]
    UnbornHead(String),
    /// `--since REV` names nothing.
    #[error("unknown revision `{0}`")]
    UnknownRev(String),
    /// `--since REV` names a tree or blob.
    #[error("`{0}` does not name a commit")]
    NotACommit(String),
    /// REV and HEAD share no history (or the shared part was not fetched).
    #[error("no merge-base between `{rev}` and HEAD{}", if *.shallow { " in this shallow clone" } else { "" })]
    NoMergeBase { rev: String, shallow: bool },
    /// The default selection needs an upstream and there is none.
    #[error("{}", no_upstream_message(.branch))]
    NoUpstream { branch: Option<String> },
    /// The configured upstream ref is not present locally.
    #[error("the upstream `{upstream}` of branch `{branch}` does not exist")]
    UpstreamMissing { branch: String, upstream: String },
    /// A document's file name gives no valid ID.
    #[error("cannot derive a document ID from `{path}`: {reason}")]
    BadId { path: String, reason: String },
    /// An explicit path does not exist.
    #[error("`{0}` does not exist")]
    PathNotFound(String),
    /// An explicit path is outside the work tree (or inside `.git`).
    #[error("`{path}` is outside the work tree {workdir}")]
    PathOutsideRepo { path: String, workdir: String },
    /// An explicit path is a directory or other non-file.
    #[error("`{0}` is not a file")]
    NotAFile(String),
    /// An explicit path cannot be read.
    #[error("cannot read `{path}`: {message}")]
    Unreadable { path: String, message: String },
    /// An explicit path is not valid UTF-8.
    #[error("`{0}` is not valid UTF-8")]
    NonUtf8Path(String),
    /// An explicit path matches no glob and its workflow cannot be inferred.
    #[error("`{0}` matches no workflow glob, so its workflow is unknown")]
    UnknownWorkflow(String),
    /// A configured glob does not parse.
    #[error("invalid {kind} glob `{glob}`: {message}")]
    BadGlob {
        kind: String,
        glob: String,
        message: String,
    },
    /// The pre-commit framework's variables describe no push parwf can check.
    #[error("{msg}")]
    PreCommit { msg: String, hint: String },
    /// libgit2 failed reading the repository.
    #[error("git: {0}")]
    Git(String),
}

fn no_upstream_message(branch: &Option<String>) -> String {
    match branch {
        Some(b) => format!("branch `{b}` has no upstream to compare against"),
        None => "HEAD is detached, so there is no upstream to compare against".to_string(),
    }
}

impl DiscoverError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        use DiscoverError::*;
        let hint = match self {
            Workspace(e) => return e.hint(),
            UnbornHead(_) => {
                "commit first: parwf finds documents in git history (or pass the paths to review)"
                    .to_string()
            }
            UnknownRev(_) | NotACommit(_) => {
                "check the name (`git branch -a`, `git log --oneline`) or run `git fetch` to get it"
                    .to_string()
            }
            NoMergeBase { shallow: true, .. } => {
                "this clone is shallow: run `git fetch --unshallow` \
                 (in CI, check out with fetch-depth: 0)"
                    .to_string()
            }
            NoMergeBase { shallow: false, .. } => {
                "the histories are unrelated: pass --since a revision that shares history with HEAD"
                    .to_string()
            }
            NoUpstream { branch: Some(_) } => {
                "pass --since REV (e.g. --since main), set an upstream with \
                 `git branch --set-upstream-to`, or fetch a remote's default branch"
                    .to_string()
            }
            NoUpstream { branch: None } => {
                "pass --since REV (e.g. --since main), or fetch a remote's default branch \
                 (git fetch origin)"
                    .to_string()
            }
            UpstreamMissing { .. } => {
                "run `git fetch`, or pass --since REV (e.g. --since main)".to_string()
            }
            BadId { .. } => {
                "rename the file so its name has a number (`LLD-42-cache.md`) or ASCII \
                 letters, digits, `-` and `_` (IDs are at most 64 bytes)"
                    .to_string()
            }
            PathNotFound(_) => {
                "paths are relative to the current directory; `parwf --help` lists the commands"
                    .to_string()
            }
            PathOutsideRepo { .. } => {
                "pass documents inside this repository's work tree".to_string()
            }
            NotAFile(_) => "pass document files (or use --all)".to_string(),
            Unreadable { .. } => "check the file's permissions".to_string(),
            NonUtf8Path(_) => "rename the file to a UTF-8 name".to_string(),
            UnknownWorkflow(_) => {
                "pass --workflow lld|issue, or add a glob that matches it to the config".to_string()
            }
            BadGlob { kind, .. } => {
                format!("fix the globs under [workflows.{kind}] in the parwf config")
            }
            PreCommit { hint, .. } => hint.clone(),
            Git(_) => "check the repository with `git status` and `git fsck`".to_string(),
        };
        Some(hint)
    }
}

/// `s` with control characters (newline, NUL, …) escaped, so messages stay on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A document selected for review, before its ID is assigned.
struct Selected {
    kind: paths::Kind,
    blob: Oid,
    source: ContentSource,
}

/// The commit a selection is compared with, and its name: the merge-base for `--since REV`
/// and for the upstream, a range's base. `None` for `--all`, explicit paths and a range from
/// the empty tree: they compare with nothing.
pub fn base_revision(
    ws: &Workspace,
    selection: &Selection,
) -> Result<Option<(String, Oid)>, DiscoverError> {
    let repo = ws.repo();
    let (label, since) = match selection {
        Selection::All | Selection::Paths(_) | Selection::Range { base: None, .. } => {
            return Ok(None)
        }
        Selection::Range {
            base: Some(base), ..
        } => return Ok(Some((base.clone(), resolve_rev(repo, base)?.id()))),
        Selection::Since(rev) => (rev.clone(), resolve_rev(repo, rev)?),
        Selection::Upstream => upstream_commit(repo)?,
    };
    let Some(head) = head_commit(repo)? else {
        return Err(DiscoverError::UnbornHead(unborn_branch_name(repo)));
    };
    let base = merge_base(repo, &label, &since, &head)?;
    Ok(Some((format!("merge-base with {label}"), base)))
}

/// Finds the documents selected by `opts`.
pub fn discover(ws: &Workspace, opts: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
    let matcher = Matcher::new(&opts.kinds)?;
    let repo = ws.repo();
    let workdir = ws.workdir()?.to_path_buf();
    let mut warnings = Vec::new();

    let head = head_commit(repo)?;
    let head_tree = match &head {
        Some(c) => Some(c.tree().map_err(git)?),
        None => None,
    };
    let require_head = || -> Result<(&Commit, &Tree), DiscoverError> {
        match (&head, &head_tree) {
            (Some(c), Some(t)) => Ok((c, t)),
            _ => Err(DiscoverError::UnbornHead(unborn_branch_name(repo))),
        }
    };

    // Every document in HEAD: the selection for --all, and the set IDs are made unique
    // against, so a document's ID does not depend on which selection found it. Walked only
    // when something is selected, so a push or run that touches no document stays cheap.
    let mut head_warnings = Vec::new();
    let walk_head =
        |keys: Option<&HashSet<String>>, head_warnings: &mut Vec<String>| match &head_tree {
            Some(tree) => tree_documents(repo, tree, &matcher, keys, head_warnings),
            None => Ok(BTreeMap::new()),
        };
    let mut in_head = None;

    let mut scope = Scope {
        compared: None,
        globs: opts
            .kinds
            .iter()
            .flat_map(|k| k.paths.iter().cloned())
            .collect(),
    };
    let mut selected: BTreeMap<String, Selected> = match &opts.selection {
        Selection::Paths(paths) => explicit_paths(
            &opts.cwd,
            &workdir,
            paths,
            &matcher,
            opts.only,
            &mut warnings,
        )?,
        Selection::All => {
            require_head()?;
            let docs = in_head.insert(walk_head(None, &mut head_warnings)?);
            // Symlinks and non-UTF-8 names elsewhere in HEAD only matter when all is asked for.
            warnings.append(&mut head_warnings);
            docs.iter()
                .map(|(path, &(kind, blob))| {
                    let source = ContentSource::Head;
                    (path.clone(), Selected { kind, blob, source })
                })
                .collect()
        }
        Selection::Range { base, head } => {
            let head = resolve_rev(repo, head)?;
            let head_tree = head.tree().map_err(git)?;
            let base_tree = match base {
                Some(base) => Some(resolve_rev(repo, base)?.tree().map_err(git)?),
                None => None,
            };
            changed_between(
                repo,
                base_tree.as_ref(),
                &head_tree,
                &matcher,
                &mut warnings,
            )?
        }
        Selection::Since(rev) => {
            let (head, head_tree) = require_head()?;
            let since = resolve_rev(repo, rev)?;
            let (base, found) =
                changed_since(repo, rev, &since, head, head_tree, &matcher, &mut warnings)?;
            scope.compared = Some(Compared {
                with: rev.clone(),
                base: base.to_string(),
                fallback: false,
            });
            found
        }
        Selection::Upstream => {
            let (head, head_tree) = require_head()?;
            // No upstream (a new branch, a detached HEAD): the remote's default branch, as
            // the pre-push hook compares a new branch.
            let (name, since, fallback) = match upstream_commit(repo) {
                Ok((name, since)) => (name, since, false),
                Err(DiscoverError::NoUpstream { branch }) => {
                    match push::likely_default_branch(repo) {
                        Some((name, tip)) => (name, repo.find_commit(tip).map_err(git)?, true),
                        None => return Err(DiscoverError::NoUpstream { branch }),
                    }
                }
                Err(e) => return Err(e),
            };
            let (base, found) = changed_since(
                repo,
                &name,
                &since,
                head,
                head_tree,
                &matcher,
                &mut warnings,
            )?;
            scope.compared = Some(Compared {
                with: name,
                base: base.to_string(),
                fallback,
            });
            found
        }
    };

    if !matches!(opts.selection, Selection::Paths(_)) {
        if opts.include_worktree {
            let tree = head_tree.as_ref();
            overlay_worktree(repo, tree, &workdir, &matcher, &mut selected, &mut warnings)?;
        }
        if let Some(only) = opts.only {
            selected.retain(|_, s| matcher.kinds[s.kind].workflow == only);
        }
    }

    let in_head = match in_head {
        Some(docs) => docs,
        None if selected.is_empty() => BTreeMap::new(),
        None => {
            // Only documents whose names give the same ID as a selected one matter here.
            let keys: HashSet<String> = selected
                .keys()
                .filter_map(|p| ids::name_key(p.rsplit('/').next().unwrap_or(p)))
                .map(|k| k.into_owned())
                .collect();
            walk_head(Some(&keys), &mut head_warnings)?
        }
    };
    let (mut items, unusable) = ids::assign_ids(selected, &in_head, &matcher.kinds, &mut warnings);
    items.sort_by(|a, b| (a.workflow, &a.path).cmp(&(b.workflow, &b.path)));
    Ok(Discovery {
        items,
        unusable,
        warnings,
        scope,
    })
}

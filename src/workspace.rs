//! The repository a command works in, opened once: the git handle, the work tree, the common
//! git dir (shared by linked worktrees) and everything parwf keeps under it.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository};

use crate::checkpoint::Layout;

/// Why there is no usable repository.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("not inside a git repository ({0})")]
    NotARepo(String),
    /// The repository has no work tree.
    #[error("{0} is a bare repository")]
    Bare(String),
    /// A git dir with no `config` file: git takes it for a bare repository, libgit2 would
    /// take its parent directory for the work tree.
    #[error("{0} has no `config` file, so git takes it for a bare repository (no work tree)")]
    NoConfig(String),
    #[error("git: {0}")]
    Git(String),
}

impl WorkspaceError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        Some(
            match self {
                WorkspaceError::NotARepo(_) => "run parwf inside a git work tree",
                WorkspaceError::Bare(_) => {
                    "run inside a work tree (a clone, or one made with `git worktree add`)"
                }
                WorkspaceError::NoConfig(_) => {
                    "run parwf in a clone; if this is a repository with a work tree, restore its config (`git init` in it writes one)"
                }
                WorkspaceError::Git(_) => "check the repository with `git status` and `git fsck`",
            }
            .to_string(),
        )
    }
}

/// Drops the trailing `/` libgit2 puts on directories.
pub fn normalize(p: &Path) -> PathBuf {
    p.components().collect()
}

/// An open repository and its paths.
pub struct Workspace {
    repo: Repository,
    workdir: Option<PathBuf>,
    common_dir: PathBuf,
    layout: Layout,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("workdir", &self.workdir)
            .field("common_dir", &self.common_dir)
            .finish()
    }
}

impl Workspace {
    /// The repository `cwd` is in (searching upwards, as git does).
    pub fn discover(cwd: &Path) -> Result<Workspace, WorkspaceError> {
        let repo = Repository::discover(cwd).map_err(|e| match e.code() {
            ErrorCode::NotFound => WorkspaceError::NotARepo(normalize(cwd).display().to_string()),
            _ => WorkspaceError::Git(e.message().to_string()),
        })?;
        // git reads a dir not named `.git`, with no config saying otherwise, as bare; libgit2
        // guesses a work tree above it, which would be someone else's files.
        let common = normalize(repo.commondir());
        if !common.join("config").exists()
            && common.file_name().is_some_and(|n| n != ".git")
            && repo.workdir().is_some()
        {
            return Err(WorkspaceError::NoConfig(common.display().to_string()));
        }
        Ok(Workspace::from_repo(repo))
    }

    /// A workspace around an open repository.
    pub fn from_repo(repo: Repository) -> Workspace {
        let workdir = repo.workdir().map(normalize);
        let common_dir = normalize(repo.commondir());
        Workspace {
            layout: Layout::new(&common_dir),
            repo,
            workdir,
            common_dir,
        }
    }

    /// The git handle.
    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The work tree root; a bare repository has none.
    pub fn workdir(&self) -> Result<&Path, WorkspaceError> {
        self.workdir
            .as_deref()
            .ok_or_else(|| WorkspaceError::Bare(normalize(self.repo.path()).display().to_string()))
    }

    /// The common git dir (`.git`, shared by linked worktrees).
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// `.git/parwf` and the files under it.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// What tasks on other threads need to reach the repository (the handle is not `Sync`).
    pub fn paths(&self) -> Result<RepoPaths, WorkspaceError> {
        Ok(RepoPaths {
            git_dir: normalize(self.repo.path()),
            workdir: self.workdir()?.to_path_buf(),
        })
    }
}

/// The repository's paths, shareable across threads; [`RepoPaths::open`] gives a handle.
#[derive(Debug, Clone)]
pub struct RepoPaths {
    pub git_dir: PathBuf,
    pub workdir: PathBuf,
}

impl RepoPaths {
    /// A new handle on the same repository (no discovery, no config search).
    pub fn open(&self) -> Result<Repository, git2::Error> {
        Repository::open(&self.git_dir)
    }
}

//! Everything parwf keeps under the common git dir (`.git/parwf`, shared by linked worktrees):
//! per-item checkpoints, run logs, the run lock.

pub mod cooldowns;
mod lock;
pub mod runlog;
mod sqlite;
pub mod store;

use std::path::{Path, PathBuf};

pub use lock::{LockError, RunLock};

/// Why something under `.git/parwf` could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {msg}", path = .path.display())]
    Io { path: PathBuf, msg: String },
    #[error("checkpoint {path}: {msg}", path = .path.display())]
    Sqlite { path: PathBuf, msg: String },
}

impl StoreError {
    pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            msg: e.to_string(),
        }
    }
}

/// The paths under `<common git dir>/parwf`.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    /// The layout for a repo's common git dir.
    pub fn new(common_dir: &Path) -> Layout {
        Layout {
            root: common_dir.join("parwf"),
        }
    }

    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    /// `checkpoints/<workflow>_<ID>.db`.
    pub fn checkpoint(&self, workflow: &str, id: &str) -> PathBuf {
        self.checkpoints().join(format!("{workflow}_{id}.db"))
    }

    pub fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }

    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// `state.db`: state that outlives a run (key cooldowns).
    pub fn state_db(&self) -> PathBuf {
        self.root.join("state.db")
    }
}

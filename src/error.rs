//! The one error type the CLI maps to exit codes, each with an optional hint.

use crate::checkpoint::{LockError, StoreError};
use crate::config::ConfigError;
use crate::discover::DiscoverError;
use crate::writeback::WriteError;

/// Process exit codes (see README "Exit codes").
pub mod exit {
    pub const OK: i32 = 0;
    pub const GATE_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WORKFLOW_ERROR: i32 = 3;
    pub const KEYS_EXHAUSTED: i32 = 75;
    pub const INTERRUPTED: i32 = 130;
}

/// Anything that stops a command before or outside the per-item results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Bad flags or arguments.
    #[error("{msg}")]
    Usage { msg: String, hint: Option<String> },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

impl Error {
    /// A usage error with a hint.
    pub fn usage(msg: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            msg: msg.into(),
            hint: Some(hint.into()),
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Discover(_) | Error::Config(_) | Error::Usage { .. } | Error::Lock(_) => {
                exit::USAGE
            }
            Error::Write(e) if e.is_refusal() => exit::USAGE,
            Error::Store(_) | Error::Write(_) | Error::Io(_) => exit::WORKFLOW_ERROR,
        }
    }

    /// One line telling the user what to do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Discover(e) => e.hint(),
            Error::Config(e) => e.hint(),
            Error::Usage { hint, .. } => hint.clone(),
            Error::Lock(LockError::Busy { .. }) => Some(
                "wait for it to finish (or stop it); its lock is released when it exits, even if it crashes".into(),
            ),
            Error::Lock(_) => None,
            Error::Store(_) => Some("check permissions and free space under .git/parwf".into()),
            Error::Write(e) => e.hint(),
            Error::Io(_) => None,
        }
    }
}

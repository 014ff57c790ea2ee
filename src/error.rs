//! The one error type commands return: every layer's error, each with its exit status and a
//! hint for the user.

use std::path::PathBuf;

use crate::checkpoint::{LockError, StoreError};
use crate::config::trust::TrustError;
use crate::config::ConfigError;
use crate::discover::DiscoverError;
use crate::exit::{Exit, StopReason};
use crate::provider::SetupError;
use crate::workspace::WorkspaceError;
use crate::writeback::WriteError;

/// Anything that stops a command before or outside the per-item results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Bad flags or arguments.
    #[error("{msg}")]
    Usage { msg: String, hint: Option<String> },
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file parwf reads or writes outside `.git/parwf`.
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// git failed outside discovery and write-back (notes, hooks, the demo repo).
    #[error("{what}: {msg}")]
    Git { what: &'static str, msg: String },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// A second signal: the run was abandoned without waiting for anything.
    #[error("{reason}: exited at once")]
    Abandoned {
        reason: StopReason,
        /// The run was started with `--fresh` (so running it again would start over).
        fresh: bool,
    },
}

impl Error {
    /// A usage error with a hint.
    pub fn usage(msg: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            msg: msg.into(),
            hint: Some(hint.into()),
        }
    }

    /// A file operation that failed on `path`.
    pub fn file(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::File {
            action,
            path: path.into(),
            source,
        }
    }

    /// Reading the verdict notes failed.
    pub fn notes(e: git2::Error) -> Self {
        Error::Git {
            what: "cannot read verdict notes",
            msg: e.message().to_string(),
        }
    }

    /// The exit status for this error.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Workspace(_)
            | Error::Discover(_)
            | Error::Config(_)
            | Error::Usage { .. }
            | Error::Lock(_)
            | Error::Trust(TrustError::NoHome | TrustError::File(..)) => Exit::Usage,
            Error::Write(e) if e.is_refusal() => Exit::Usage,
            Error::Setup(e) if e.is_usage() => Exit::Usage,
            Error::Abandoned { reason, .. } => reason.exit(),
            Error::Store(_)
            | Error::Trust(_)
            | Error::Write(_)
            | Error::File { .. }
            | Error::Git { .. }
            | Error::Setup(_)
            | Error::Runtime(_) => Exit::WorkflowError,
        }
    }

    /// One line telling the user what to do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Workspace(e) => e.hint(),
            Error::Discover(e) => e.hint(),
            Error::Config(e) => e.hint(),
            Error::Trust(TrustError::NoHome) => {
                Some("set HOME (or XDG_STATE_HOME) so parwf can keep its record of trusted files".into())
            }
            Error::Trust(_) => Some("check the permissions of $XDG_STATE_HOME/parwf (default ~/.local/state/parwf)".into()),
            Error::Usage { hint, .. } => hint.clone(),
            Error::Lock(LockError::Busy { .. }) => Some(
                "wait for it to finish (or stop it); its lock is released when it exits, even if it crashes".into(),
            ),
            Error::Lock(_) => None,
            Error::Store(_) => Some("check permissions and free space under .git/parwf".into()),
            Error::Write(e) => e.hint(),
            Error::Abandoned { fresh, .. } => Some(format!(
                "completed steps are checkpointed: {}",
                crate::exit::resume_hint(*fresh)
            )),
            Error::Setup(e) => e.hint(),
            Error::File { .. } | Error::Git { .. } | Error::Runtime(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A run abandoned by a second signal after it had stopped for a reason exits as that
    /// reason says, the same as the run would have had it finished stopping (`RunStatus::exit`).
    #[test]
    fn an_abandoned_run_exits_as_its_stop_reason_says() {
        for (reason, exit) in [
            (StopReason::Signal(2), Exit::INTERRUPTED),
            (StopReason::Signal(15), Exit::Signal(15)),
            (
                StopReason::TimeLimit(Duration::from_secs(5)),
                Exit::TryLater,
            ),
            (
                StopReason::KeysExhausted(Duration::from_secs(60)),
                Exit::TryLater,
            ),
            (StopReason::AllKeysInvalid("key-1".into()), Exit::Usage),
            (
                StopReason::SameFailure {
                    items: 3,
                    error: "command not found".into(),
                },
                Exit::WorkflowError,
            ),
        ] {
            let abandoned = Error::Abandoned {
                reason: reason.clone(),
                fresh: false,
            };
            assert_eq!(abandoned.exit(), exit, "abandoned after: {reason}");
        }
    }
}

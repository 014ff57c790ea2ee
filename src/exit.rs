//! The process exit statuses (README "Exit codes"): one place decides them, `main` returns them.

use std::time::Duration;

/// How a command ended, as the process exit status a hook or CI job gates on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every document approved, or nothing to do.
    Ok,
    /// A verdict is in `fail_on`.
    GateFailed,
    /// Usage or configuration error.
    Usage,
    /// A workflow errored (network, provider, parse) or results could not be written.
    WorkflowError,
    /// Paused, resumable (EX_TEMPFAIL): every usable key was limited for longer than
    /// `max_wait_s`, or a time limit ran out. Run the same command again later.
    TryLater,
    /// Stopped by a signal (128 + its number: 130 for Ctrl+C).
    Signal(i32),
}

impl serde::Serialize for Exit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.code())
    }
}

/// SIGINT's number: Ctrl+C.
pub const SIGINT: i32 = 2;

impl Exit {
    /// Stopped by Ctrl+C.
    pub const INTERRUPTED: Exit = Exit::Signal(SIGINT);

    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::GateFailed => 1,
            Exit::Usage => 2,
            Exit::WorkflowError => 3,
            Exit::TryLater => 75,
            Exit::Signal(n) => 128 + n,
        }
    }

    /// One line for the gate in PR comments and job summaries.
    pub fn gate_line(self) -> &'static str {
        match self {
            Exit::Ok => "passed",
            Exit::GateFailed => "failed",
            Exit::Usage => "could not run (usage or configuration error)",
            Exit::WorkflowError => "errored: some reviews did not finish",
            Exit::TryLater => "paused: every key is rate limited (run again to resume)",
            Exit::Signal(_) => "interrupted (run again to resume)",
        }
    }
}

/// How to resume a stopped run's checkpoints: the same command, except that with `--fresh` it
/// would start over.
pub fn resume_hint(fresh: bool) -> &'static str {
    if fresh {
        "run the command again without --fresh to resume (with --fresh it starts over)"
    } else {
        "run the same command again to resume"
    }
}

/// What stopped a run before every item finished. Recorded by whoever stops the run (the
/// signal watcher, the time limit, the key pool), never guessed afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// SIGINT (Ctrl+C), SIGTERM or SIGHUP, by number.
    Signal(i32),
    /// The caller's time limit (the pre-push hook's `timeout_s`).
    TimeLimit(Duration),
    /// Every usable key stayed limited for longer than `max_wait_s`.
    KeysExhausted(Duration),
    /// The provider refused every key (401/403); the labels of the keys.
    AllKeysInvalid(String),
    /// The first items all failed with the same error (a missing command, a wrong model
    /// name): the rest would too.
    SameFailure { items: usize, error: String },
}

impl StopReason {
    /// The signal's name, for messages.
    pub fn signal_name(n: i32) -> &'static str {
        match n {
            1 => "SIGHUP",
            2 => "SIGINT",
            15 => "SIGTERM",
            _ => "a signal",
        }
    }
}

impl StopReason {
    /// The exit status of a run that stopped for this reason, whether it then finished
    /// stopping (`RunStatus::exit`) or was abandoned by a second signal (`Error::exit`).
    pub fn exit(&self) -> Exit {
        match self {
            StopReason::Signal(n) => Exit::Signal(*n),
            StopReason::KeysExhausted(_) | StopReason::TimeLimit(_) => Exit::TryLater,
            StopReason::AllKeysInvalid(_) => Exit::Usage,
            StopReason::SameFailure { .. } => Exit::WorkflowError,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            StopReason::KeysExhausted(_) => Some(
                "run the same command again later; raise max_wait_s to wait longer, or add keys".into(),
            ),
            StopReason::AllKeysInvalid(labels) => Some(format!(
                "check the keys behind {labels} (in [provider] keys order, env:/file:/cmd:) and that they belong to this provider and base_url"
            )),
            StopReason::SameFailure { .. } => Some(
                "fix what the error says (the provider's command, model or endpoint), then run the same command again; the documents not started are reviewed then".into(),
            ),
            StopReason::Signal(_) | StopReason::TimeLimit(_) => None,
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Signal(2) => write!(f, "interrupted (Ctrl+C)"),
            StopReason::Signal(n) => write!(f, "stopped by {}", StopReason::signal_name(*n)),
            StopReason::TimeLimit(d) => write!(f, "time limit of {}s reached", d.as_secs()),
            StopReason::KeysExhausted(d) => write!(
                f,
                "every usable key is rate limited or out of quota for longer than max_wait_s ({}s)",
                d.as_secs()
            ),
            StopReason::AllKeysInvalid(labels) => write!(
                f,
                "every key was refused by the provider (401/403): {labels}"
            ),
            StopReason::SameFailure { items, error } => write!(
                f,
                "stopped after the first {items} reviews all failed the same way: {error}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes = [
            Exit::Ok,
            Exit::GateFailed,
            Exit::Usage,
            Exit::WorkflowError,
            Exit::TryLater,
            Exit::INTERRUPTED,
            Exit::Signal(15),
        ]
        .map(Exit::code);
        assert_eq!(codes, [0, 1, 2, 3, 75, 130, 143]);
    }
}

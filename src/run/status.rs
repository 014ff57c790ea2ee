//! Why a run stopped early, and the one decision that turns a run's end into an exit status.

use crate::exit::Exit;
pub use crate::exit::StopReason;
use crate::model::ItemResult;

/// How a run ended, item by item and as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStatus {
    pub stop: Option<StopReason>,
    /// Some item did not reach a verdict (failed, interrupted, never started).
    pub unfinished: bool,
    /// Some verdict is in `fail_on`.
    pub gate_failed: bool,
    /// Results could not be written back into git.
    pub write_failed: bool,
}

impl RunStatus {
    /// The status of a run over `results` that stopped for `stop` (if anything).
    pub fn of(results: &[ItemResult], stop: Option<StopReason>) -> RunStatus {
        RunStatus {
            stop,
            unfinished: results.iter().any(|r| !r.state.is_finished()),
            gate_failed: results.iter().any(|r| r.gate_failed),
            write_failed: false,
        }
    }

    /// The exit status: a stop reason first (it says why items are missing), then errors,
    /// then the gate.
    pub fn exit(&self) -> Exit {
        if let Some(stop) = &self.stop {
            return stop.exit();
        }
        if self.unfinished || self.write_failed {
            Exit::WorkflowError
        } else if self.gate_failed {
            Exit::GateFailed
        } else {
            Exit::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_stop_reason_outranks_errors_and_the_gate() {
        let mut s = RunStatus {
            unfinished: true,
            gate_failed: true,
            ..RunStatus::default()
        };
        assert_eq!(s.exit(), Exit::WorkflowError);
        s.stop = Some(StopReason::Signal(15));
        assert_eq!(s.exit().code(), 143);
        s.stop = Some(StopReason::TimeLimit(Duration::from_secs(5)));
        assert_eq!(s.exit(), Exit::TryLater);
        let gate = RunStatus {
            gate_failed: true,
            ..RunStatus::default()
        };
        assert_eq!(gate.exit(), Exit::GateFailed);
        let written = RunStatus {
            gate_failed: true,
            write_failed: true,
            ..RunStatus::default()
        };
        assert_eq!(written.exit(), Exit::WorkflowError);
    }

    #[test]
    fn pool_stops_say_what_to_do() {
        let exhausted = StopReason::KeysExhausted(Duration::from_secs(60));
        assert!(exhausted.hint().unwrap_or_default().contains("again later"));
        let invalid = StopReason::AllKeysInvalid("key-1, key-2".into());
        assert!(invalid.hint().unwrap_or_default().contains("key-1, key-2"));
        assert_eq!(
            invalid.to_string(),
            "every key was refused by the provider (401/403): key-1, key-2"
        );
    }
}

//! Stopping a run: one token every part of the run watches, the reason it was stopped (recorded
//! by whoever stops it), and the signal watcher. Nothing here exits the process: a second
//! signal asks the run to abandon everything at once, and `main` exits.

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::status::StopReason;
use crate::report::progress::Reporter;

/// The run's stop switch.
#[derive(Debug, Clone, Default)]
pub struct Stopper {
    /// Stop dispatching, cancel requests in flight, checkpoint.
    token: CancellationToken,
    /// Abandon the run now (a second signal).
    abandon: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
}

impl Stopper {
    pub fn new() -> Stopper {
        Stopper::default()
    }

    /// Stops the run for `reason`; the first reason given is the one kept.
    pub fn stop(&self, reason: StopReason) {
        let mut r = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        r.get_or_insert(reason);
        self.token.cancel();
    }

    /// Why the run was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The token the workers and the coordinator watch.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Resolves when the run must be abandoned without waiting for anything.
    pub async fn abandoned(&self) {
        self.abandon.cancelled().await
    }
}

/// Watches for signals (Ctrl+C, `kill`, a closed terminal): the first stops the run
/// gracefully, a second abandons it.
pub async fn watch_signals(stopper: Stopper, reporter: Arc<Reporter>) {
    let mut signals = Signals::new();
    let mut count = 0;
    while let Some(n) = signals.next().await {
        count += 1;
        if count > 1 {
            reporter.log("PARWF", "interrupted again: exiting now");
            stopper.abandon.cancel();
            return;
        }
        reporter.log(
            "PARWF",
            &format!(
                "{}: stopping (press Ctrl+C again to exit at once)",
                StopReason::Signal(n)
            ),
        );
        stopper.stop(StopReason::Signal(n));
    }
}

#[cfg(unix)]
struct Signals {
    streams: Option<[tokio::signal::unix::Signal; 3]>,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{signal, SignalKind};
        let streams = (|| {
            Some([
                signal(SignalKind::interrupt()).ok()?,
                signal(SignalKind::terminate()).ok()?,
                signal(SignalKind::hangup()).ok()?,
            ])
        })();
        Signals { streams }
    }

    /// The next signal's number (SIGINT 2, SIGTERM 15, SIGHUP 1).
    async fn next(&mut self) -> Option<i32> {
        let [int, term, hup] = self.streams.as_mut()?;
        tokio::select! {
            _ = int.recv() => Some(2),
            _ = term.recv() => Some(15),
            _ = hup.recv() => Some(1),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Signals {
        Signals
    }

    async fn next(&mut self) -> Option<i32> {
        tokio::signal::ctrl_c().await.ok().map(|_| 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_is_kept() {
        let s = Stopper::new();
        assert_eq!(s.reason(), None);
        s.stop(StopReason::Signal(15));
        s.stop(StopReason::TimeLimit(std::time::Duration::from_secs(1)));
        assert_eq!(s.reason(), Some(StopReason::Signal(15)));
        assert!(s.token().is_cancelled());
    }
}

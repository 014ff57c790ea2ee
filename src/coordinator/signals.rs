//! Ctrl+C and SIGTERM: the first stops the run gracefully, a second exits at once.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::error::exit;
use crate::report::progress::Reporter;

/// First Ctrl+C/SIGTERM: stop dispatching and cancel in-flight calls. Second: exit at once.
pub async fn watch(cancel: CancellationToken, reporter: Arc<Reporter>) {
    let mut count = 0;
    loop {
        wait_for_signal().await;
        count += 1;
        if count > 1 {
            reporter.finish();
            eprintln!("[PARWF] interrupted again: exiting now");
            std::process::exit(exit::INTERRUPTED);
        }
        reporter.log(
            "PARWF",
            "interrupted: stopping (press Ctrl+C again to exit at once)",
        );
        cancel.cancel();
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    match term {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

//! The exit codes the README documents, by name. Tests assert the documented contract, so
//! these are written here, not imported from the library.

use std::process::Output;

use super::{stderr, stdout};

/// Every document approved, or nothing to do.
pub const OK: i32 = 0;
/// A verdict in `fail_on`: the gate failed.
pub const GATE_FAILED: i32 = 1;
/// Usage or configuration error.
pub const USAGE: i32 = 2;
/// A workflow errored; the other items still ran.
pub const WORKFLOW_ERROR: i32 = 3;
/// Every key rate limited for longer than `max_wait_s`.
pub const KEYS_EXHAUSTED: i32 = 75;
/// Interrupted (Ctrl+C or SIGTERM).
pub const INTERRUPTED: i32 = 130;

/// Asserts the process exited with `want`; on a mismatch, shows both streams.
#[track_caller]
pub fn assert_exit(out: &Output, want: i32) {
    assert_exit_for("", out, want);
}

/// [`assert_exit`] with a note on what was run (for tests that loop over cases).
#[track_caller]
pub fn assert_exit_for(what: &str, out: &Output, want: i32) {
    let got = out.status.code();
    assert!(
        got == Some(want),
        "{what}{}exit code {got:?}, expected {want}\n--- stdout\n{}\n--- stderr\n{}",
        if what.is_empty() { "" } else { ": " },
        stdout(out),
        stderr(out),
    );
}

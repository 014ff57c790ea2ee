//! Sharing verdict notes: `git push <remote> refs/notes/parwf`, as the pre-push hook does with
//! `[hook] push_notes = true` once a push passed the gate.

use std::path::Path;
use std::process::{Command, Stdio};

use super::notes::NOTES_REF;

/// Why the notes did not reach the remote.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("cannot run git to push the verdict notes: {0}")]
    Spawn(std::io::Error),
    /// git's own words, on one line.
    #[error("git push {remote} {NOTES_REF} failed: {message}")]
    Refused { remote: String, message: String },
}

impl ShareError {
    /// What to do about it.
    pub fn hint(&self, remote: &str) -> String {
        match self {
            ShareError::Spawn(_) => format!("push them yourself: git push {remote} {NOTES_REF}"),
            ShareError::Refused { .. } => format!(
                "the remote may have notes you have not fetched: git fetch {remote} {NOTES_REF}:refs/notes/parwf-remote && git notes --ref=parwf merge -s union refs/notes/parwf-remote, then git push {remote} {NOTES_REF}"
            ),
        }
    }
}

/// Pushes `refs/notes/parwf` to `remote` from the work tree `dir`. Called from inside a
/// pre-push hook, so the push skips hooks (`--no-verify`): the notes need no gate, and the
/// hook must not run itself again.
pub fn push_notes(dir: &Path, remote: &str) -> Result<(), ShareError> {
    let out = Command::new("git")
        .args(["push", "--no-verify", "--quiet", remote])
        .arg(format!("{NOTES_REF}:{NOTES_REF}"))
        .current_dir(dir)
        .env("PARWF_SKIP", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(ShareError::Spawn)?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    Err(ShareError::Refused {
        remote: remote.to_string(),
        message,
    })
}

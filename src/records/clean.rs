//! `parwf clean`: removing old run logs and checkpoints, never during a run.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::runs;
use crate::checkpoint::{Layout, RunLock};
use crate::error::Error;

fn older_than(path: &Path, cutoff: SystemTime) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t <= cutoff)
}

/// What `clean` removed (or, for a dry run, would remove), and what it left.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub runs: Vec<PathBuf>,
    pub checkpoints: Vec<PathBuf>,
    /// Run logs and checkpoints newer than the cutoff, left in place.
    pub kept: usize,
}

/// Which records `clean` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanScope {
    /// Those last written more than this many days ago.
    OlderThan(u64),
    /// Every run log and checkpoint.
    All,
}

/// Removes run logs and checkpoints in `scope` (or only lists them, for a dry run); never
/// during a run. `None` when there is nothing under `.git/parwf`.
pub fn clean(layout: &Layout, scope: CleanScope, dry_run: bool) -> Result<Option<Cleaned>, Error> {
    if !layout.root.exists() {
        return Ok(None);
    }
    let _lock = RunLock::acquire(&layout.lock())?;
    let cutoff = match scope {
        CleanScope::All => None,
        CleanScope::OlderThan(days) => {
            let age = Duration::from_secs(days.saturating_mul(86_400));
            Some(
                SystemTime::now()
                    .checked_sub(age)
                    .unwrap_or(SystemTime::UNIX_EPOCH),
            )
        }
    };
    let due = |p: &Path| cutoff.is_none_or(|c| older_than(p, c));
    let remove = |p: &Path| {
        dry_run
            || if p.is_dir() {
                std::fs::remove_dir_all(p).is_ok()
            } else {
                std::fs::remove_file(p).is_ok()
            }
    };
    let mut cleaned = Cleaned::default();
    for dir in runs(layout) {
        if !due(&dir) {
            cleaned.kept += 1;
        } else if remove(&dir) {
            cleaned.runs.push(dir);
        }
    }
    for entry in std::fs::read_dir(layout.checkpoints())
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = entry.path();
        if !due(&p) {
            cleaned.kept += 1;
        } else if remove(&p) {
            cleaned.checkpoints.push(p);
        }
    }
    Ok(Some(cleaned))
}

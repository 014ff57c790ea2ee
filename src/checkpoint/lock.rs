//! `.git/parwf/lock`: one run per repo at a time. An OS file lock, so a crashed run's lock is
//! released by the kernel and the next run takes it over.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another parwf run is active in this repository{}", holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Busy { holder: Option<String> },
    #[error("cannot take the run lock {path}: {msg}", path = .path.display())]
    Io { path: PathBuf, msg: String },
}

/// The held lock; released on drop.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    /// The holder recorded by a previous run that did not release cleanly (it crashed).
    pub stale: Option<String>,
}

impl RunLock {
    /// Takes the lock at `path` or fails at once.
    pub fn acquire(path: &Path) -> Result<RunLock, LockError> {
        let io = |e: std::io::Error| LockError::Io {
            path: path.to_path_buf(),
            msg: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let mut previous = String::new();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let _ = file.read_to_string(&mut previous);
                let holder = previous.trim();
                return Err(LockError::Busy {
                    holder: (!holder.is_empty()).then(|| holder.to_string()),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let _ = file.read_to_string(&mut previous);
        let stale = previous.trim();
        let stale = (!stale.is_empty()).then(|| stale.to_string());
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(
            file,
            "pid {} since {}",
            std::process::id(),
            crate::timefmt::now_iso()
        )
        .map_err(io)?;
        Ok(RunLock {
            file,
            path: path.to_path_buf(),
            stale,
        })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Empty means "released cleanly"; the OS lock goes with the handle.
        let _ = self.file.set_len(0);
        let _ = std::fs::File::unlock(&self.file);
        let _ = &self.path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_is_busy_and_a_crashed_holder_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("parwf/lock");
        let first = RunLock::acquire(&path).expect("first");
        assert!(first.stale.is_none());
        match RunLock::acquire(&path) {
            Err(LockError::Busy { holder: Some(h) }) => assert!(h.starts_with("pid ")),
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(first);
        // A holder that died without cleaning up leaves its line behind.
        std::fs::write(&path, "pid 999999 since 2026-01-01T00:00:00Z\n").expect("write");
        let again = RunLock::acquire(&path).expect("taken over");
        assert_eq!(
            again.stale.as_deref(),
            Some("pid 999999 since 2026-01-01T00:00:00Z")
        );
    }
}

//! `runs/<run-id>/`: a log per workflow, an audit trail per workflow (one JSON event per step),
//! the last review of each item, and `summary.json`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use super::{Layout, StoreError};

/// One audited step. Names a key by its label, never its text.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent<'a> {
    pub time: String,
    pub id: &'a str,
    pub step: &'a str,
    pub iteration: i64,
    pub verdict: Option<&'a str>,
    pub duration_ms: u64,
    pub key: Option<&'a str>,
    /// True when the step's output came from the checkpoint (no LLM call).
    pub resumed: bool,
    /// How an answer that did not end normally ended (`max_tokens`, `stopped:<reason>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish: Option<&'a str>,
}

/// The directory of one run.
#[derive(Debug)]
pub struct RunLog {
    dir: PathBuf,
    /// Serializes appends so lines from two workers never interleave within a file.
    write: Mutex<()>,
}

/// Prefixes that are not items go to `run.log`.
fn log_file(prefix: &str) -> String {
    match prefix {
        "COORDINATOR" | "PARWF" => "run.log".to_string(),
        id => format!("{id}.log"),
    }
}

/// Writes `bytes` to `path` via a temporary file and a rename, so readers never see half a file.
/// When the write fails (a full disk), the temporary file goes too.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let written = std::fs::write(&tmp, bytes)
        .map_err(|e| StoreError::io(&tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

impl RunLog {
    /// Creates `runs/<run-id>/`.
    pub fn create(layout: &Layout, run_id: &str) -> Result<RunLog, StoreError> {
        let dir = layout.runs().join(run_id);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        Ok(RunLog {
            dir,
            write: Mutex::new(()),
        })
    }

    /// The run's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn append(&self, name: &str, text: &str) {
        let _guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.dir.join(name);
        // Logging must never fail a run; a full disk shows up in the checkpoint writes.
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(text.as_bytes());
        }
    }

    /// Appends a timestamped line to the prefix's log.
    pub fn line(&self, prefix: &str, text: &str) {
        let now = crate::timefmt::now_iso();
        let lines: String = text.lines().map(|l| format!("{now} {l}\n")).collect();
        self.append(&log_file(prefix), &lines);
    }

    /// Appends one event to `workflow-audit-<ID>.jsonl`.
    pub fn audit(&self, event: &AuditEvent<'_>) {
        if let Ok(json) = serde_json::to_string(event) {
            self.append(
                &format!("workflow-audit-{}.jsonl", event.id),
                &format!("{json}\n"),
            );
        }
    }

    /// Stores an item's latest review text as `<ID>.review.md`.
    pub fn review(&self, id: &str, text: &str) -> Result<(), StoreError> {
        write_atomic(&self.dir.join(format!("{id}.review.md")), text.as_bytes())
    }

    /// Keeps a drafter's answer as `<ID>.draft-<n>.md`, for the user to read whether or not it
    /// was used. Returns its path.
    pub fn draft(&self, id: &str, n: u32, text: &str) -> Result<PathBuf, StoreError> {
        let path = self.dir.join(format!("{id}.draft-{n}.md"));
        write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Writes `summary.json`.
    pub fn summary(&self, json: &str) -> Result<(), StoreError> {
        write_atomic(&self.dir.join("summary.json"), json.as_bytes())
    }
}

/// A new run ID: `<UTC time>-<pid>`, sortable by start time.
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        crate::timefmt::compact(std::time::SystemTime::now()),
        std::process::id()
    )
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        // Writes to /dev/full fail with ENOSPC, as on a full disk.
        std::os::unix::fs::symlink("/dev/full", dir.path().join("summary.json.tmp")).unwrap();
        let e = write_atomic(&path, b"{}").unwrap_err();
        assert!(e.to_string().contains("summary.json.tmp"), "{e}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        // The next write, with room, works.
        write_atomic(&path, b"{}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
    }
}

//! What parwf has recorded about documents, for `status`, `show` and `clean`: the checkpoints
//! and run logs under `.git/parwf`, and the verdict notes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::checkpoint::store::peek;
use crate::checkpoint::{Layout, RunLock};
use crate::error::Error;
use crate::workspace::Workspace;
use crate::writeback::notes::{Note, NotesStore};

/// One document's latest record.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    pub id: String,
    pub workflow: String,
    pub path: String,
    /// done, failed, resumable.
    pub state: String,
    pub verdict: Option<String>,
    pub detail: Option<String>,
}

/// Run directories, newest first.
fn runs(layout: &Layout) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(layout.runs())
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.reverse();
    dirs
}

/// A run's `summary.json`, if readable.
fn summary_of(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Resumable and failed items (from their checkpoints), then the latest finished verdict of
/// every other item (from the run logs, newest first); sorted by workflow and ID.
pub fn rows(layout: &Layout) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let checkpoints: Vec<PathBuf> = std::fs::read_dir(layout.checkpoints())
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "db"))
                .collect()
        })
        .unwrap_or_default();
    for path in checkpoints {
        if let Some(p) = peek(&path) {
            let state = if p.state == "failed" {
                "failed"
            } else {
                "resumable"
            };
            rows.push(Row {
                id: p.header.id,
                workflow: p.header.workflow,
                path: p.header.path,
                state: state.into(),
                verdict: None,
                detail: Some(match p.error {
                    Some(e) => format!("{} step(s) done; {e}", p.steps),
                    None => format!("{} step(s) done", p.steps),
                }),
            });
        }
    }
    for dir in runs(layout) {
        let Some(v) = summary_of(&dir) else { continue };
        for item in v["items"].as_array().into_iter().flatten() {
            let id = item["id"].as_str().unwrap_or_default();
            if id.is_empty() || rows.iter().any(|r| r.id == id) || item["state"] != "done" {
                continue;
            }
            rows.push(Row {
                id: id.into(),
                workflow: item["workflow"].as_str().unwrap_or_default().into(),
                path: item["path"].as_str().unwrap_or_default().into(),
                state: "done".into(),
                verdict: item["verdict"].as_str().map(String::from),
                detail: dir
                    .file_name()
                    .map(|n| format!("run {}", n.to_string_lossy())),
            });
        }
    }
    rows.sort_by(|a, b| (&a.workflow, &a.id).cmp(&(&b.workflow, &b.id)));
    rows
}

/// A stored review of one document.
#[derive(Debug)]
pub enum StoredReview {
    /// From a run's logs.
    Logged {
        id: String,
        path: String,
        run: String,
        verdict: Option<String>,
        review: String,
    },
    /// The verdict note on the committed document.
    Note(Note),
}

/// The latest stored review of the document `target` names: an ID, or a path (relative to
/// `cwd`).
pub fn find_review(
    ws: &Workspace,
    cwd: &Path,
    target: &str,
) -> Result<Option<StoredReview>, Error> {
    let workdir = ws.workdir()?;
    // A path is matched repo-relative, from wherever the user stands.
    let as_path = cwd.join(target).canonicalize().ok().and_then(|p| {
        let root = workdir.canonicalize().ok()?;
        p.strip_prefix(root)
            .ok()
            .map(|r| r.to_string_lossy().replace('\\', "/"))
    });
    for dir in runs(ws.layout()) {
        let Some(v) = summary_of(&dir) else { continue };
        let found = v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["id"] == target || as_path.as_deref().is_some_and(|p| i["path"] == p));
        let Some(item) = found else { continue };
        let id = item["id"].as_str().unwrap_or_default().to_string();
        if let Ok(review) = std::fs::read_to_string(dir.join(format!("{id}.review.md"))) {
            return Ok(Some(StoredReview::Logged {
                path: item["path"].as_str().unwrap_or_default().to_string(),
                run: dir
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                verdict: item["verdict"].as_str().map(String::from),
                id,
                review,
            }));
        }
    }
    // Run logs may be cleaned; the verdict note on the committed document stays.
    let Some(path) = as_path else {
        return Ok(None);
    };
    let blob = ws
        .repo()
        .head()
        .ok()
        .and_then(|h| h.peel_to_tree().ok())
        .and_then(|t| t.get_path(Path::new(&path)).ok())
        .map(|e| e.id());
    match blob {
        Some(blob) => Ok(NotesStore::new(ws.repo())
            .get(blob)
            .map_err(Error::notes)?
            .map(StoredReview::Note)),
        None => Ok(None),
    }
}

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

//! What parwf knows about documents, for `status`, `show` and `clean`: the verdict notes (the
//! team's too, once fetched), the checkpoints and run logs under `.git/parwf`, and the
//! documents in HEAD they belong to. One row per document path.
//!
//! Only `status` reads the checkpoints: each is a SQLite file (opened read-write to roll back
//! a hot journal), and `show` has no use for them.

mod clean;
mod show;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::checkpoint::store::{peek, Peek};
use crate::checkpoint::Layout;
use crate::discover::{self, DiscoverOptions, Selection};
use crate::error::Error;
use crate::model::{DocKind, Item, Verdict, WorkflowKind};
pub use crate::model::{DocState, DocStatus, Origin};
use crate::workspace::Workspace;
use crate::writeback::notes::{Note, NotesStore};
pub use clean::{clean, CleanScope, Cleaned};
pub use show::{find_review, Found, StoredReview};

/// A finished item as a run's `summary.json` recorded it.
#[derive(Debug, Clone)]
pub(crate) struct Logged {
    pub id: String,
    pub path: String,
    pub blob: String,
    pub verdict: Option<Verdict>,
    pub blocking: usize,
    /// The run's directory.
    pub run: PathBuf,
}

impl Logged {
    /// The run's ID (its directory's name).
    pub fn run_id(&self) -> String {
        self.run
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Everything recorded but the checkpoints, read once.
pub(crate) struct Known {
    /// The documents in HEAD, with the IDs the config gives them.
    pub documents: Vec<Item>,
    /// Notes by the object they are attached to.
    pub notes: HashMap<String, Note>,
    /// The blob of the newest note per document path (the note is in `notes`).
    latest_note: HashMap<String, String>,
    /// Finished items from the run logs, newest run first.
    pub logged: Vec<Logged>,
}

impl Known {
    /// Reads the notes, run logs, and the documents `kinds` finds in HEAD.
    pub fn read(ws: &Workspace, kinds: &[DocKind]) -> Result<Known, Error> {
        let documents = match ws.workdir() {
            Ok(workdir) => {
                let opts = DiscoverOptions {
                    selection: Selection::All,
                    include_worktree: false,
                    kinds: kinds.to_vec(),
                    only: None,
                    cwd: workdir.to_path_buf(),
                };
                match discover::discover(ws, &opts) {
                    Ok(found) => found.items,
                    // No commits yet: nothing is in HEAD.
                    Err(discover::DiscoverError::UnbornHead(_)) => Vec::new(),
                    Err(e) => return Err(e.into()),
                }
            }
            Err(_) => Vec::new(),
        };
        let mut notes = HashMap::new();
        let mut latest_note: HashMap<String, String> = HashMap::new();
        for (object, note) in NotesStore::new(ws.repo()).all().map_err(Error::notes)? {
            let blob = object.to_string();
            let newer = latest_note
                .get(&note.header.path)
                .and_then(|b| notes.get(b))
                .is_none_or(|n: &Note| n.header.date < note.header.date);
            if newer {
                latest_note.insert(note.header.path.clone(), blob.clone());
            }
            notes.insert(blob, note);
        }
        Ok(Known {
            documents,
            notes,
            latest_note,
            logged: logged(ws.layout()),
        })
    }

    /// The newest note of the document at `path`, and the blob it is on.
    fn latest_note(&self, path: &str) -> Option<(&str, &Note)> {
        let blob = self.latest_note.get(path)?;
        Some((blob, self.notes.get(blob)?))
    }

    /// Every document path's newest note.
    fn latest_notes(&self) -> impl Iterator<Item = &Note> {
        self.latest_note.values().filter_map(|b| self.notes.get(b))
    }

    /// The row of a document whose content is `blob`, given what the checkpoints hold.
    fn row(&self, item: &Item, blob: &str, checkpoints: &[Peek]) -> DocStatus {
        let mut row = DocStatus {
            id: item.id.clone(),
            kind: item.kind.clone(),
            workflow: item.workflow.name().to_string(),
            path: item.path.clone(),
            blob: blob.to_string(),
            state: DocState::Unreviewed,
            verdict: None,
            blocking: 0,
            date: None,
            model: None,
            origin: None,
            detail: None,
        };
        let from_note = |row: &mut DocStatus, note: &Note, state: DocState| {
            row.state = state;
            row.verdict = Some(note.header.verdict);
            row.blocking = note.header.blocking;
            row.date = Some(note.header.date.clone());
            row.model = Some(note.header.model.clone());
            row.origin = Some(Origin::Note);
        };
        if let Some(note) = self.notes.get(blob) {
            from_note(&mut row, note, DocState::Reviewed);
            return row;
        }
        if let Some(p) = checkpoints
            .iter()
            .find(|p| p.header.path == item.path && p.header.blob == blob)
        {
            row.state = if p.state == "failed" {
                DocState::Failed
            } else {
                DocState::Resumable
            };
            row.origin = Some(Origin::Checkpoint);
            row.detail = Some(match &p.error {
                Some(e) => format!("{} step(s) done; {e}", p.steps),
                None => format!("{} step(s) done", p.steps),
            });
            return row;
        }
        if let Some(l) = self
            .logged
            .iter()
            .find(|l| l.path == item.path && l.blob == blob)
        {
            row.state = DocState::Reviewed;
            row.verdict = l.verdict;
            row.blocking = l.blocking;
            row.origin = Some(Origin::RunLog);
            row.detail = Some(format!("run {}, not written back", l.run_id()));
            return row;
        }
        if let Some((old, note)) = self.latest_note(&item.path) {
            from_note(&mut row, note, DocState::Changed);
            row.detail = Some(format!(
                "the review is of an earlier version ({})",
                &old[..12.min(old.len())]
            ));
        }
        row
    }
}

/// Every document in HEAD with the latest that is known of it, then documents only parwf's
/// records know (reviewed from the work tree, or since deleted, with a checkpoint left); one
/// row per path, sorted by kind and ID.
pub fn status(ws: &Workspace, kinds: &[DocKind]) -> Result<Vec<DocStatus>, Error> {
    let known = Known::read(ws, kinds)?;
    let checkpoints = checkpoints(ws.layout());
    let mut rows: BTreeMap<String, DocStatus> = BTreeMap::new();
    for item in &known.documents {
        rows.insert(item.path.clone(), known.row(item, &item.blob, &checkpoints));
    }
    // Work in progress on documents HEAD does not have (yet).
    for p in &checkpoints {
        if rows.contains_key(&p.header.path) {
            continue;
        }
        // The checkpoint keeps the workflow as text; one parwf does not know reads as an LLD.
        let workflow = WorkflowKind::parse(&p.header.workflow).unwrap_or(WorkflowKind::Lld);
        let item = stand_in(&p.header.id, workflow, &p.header.path, kinds);
        rows.insert(
            p.header.path.clone(),
            known.row(&item, &p.header.blob, &checkpoints),
        );
    }
    let mut rows: Vec<DocStatus> = rows.into_values().collect();
    rows.sort_by(|a, b| (&a.kind, &a.id, &a.path).cmp(&(&b.kind, &b.id, &b.path)));
    Ok(rows)
}

/// An item for a document known only from parwf's records.
fn stand_in(id: &str, workflow: WorkflowKind, path: &str, kinds: &[DocKind]) -> Item {
    let kind = kinds
        .iter()
        .find(|k| k.workflow == workflow)
        .map_or_else(|| workflow.name().to_string(), |k| k.name.clone());
    Item {
        id: id.to_string(),
        kind,
        workflow,
        path: path.to_string(),
        blob: String::new(),
        source: crate::model::ContentSource::Worktree,
    }
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

/// Every finished item of every run, newest run first.
fn logged(layout: &Layout) -> Vec<Logged> {
    let mut out = Vec::new();
    for dir in runs(layout) {
        let Some(v) = summary_of(&dir) else { continue };
        for item in v["items"].as_array().into_iter().flatten() {
            if item["state"] != "done" {
                continue;
            }
            let s = |k: &str| item[k].as_str().unwrap_or_default().to_string();
            out.push(Logged {
                id: s("id"),
                path: s("path"),
                blob: s("blob"),
                verdict: item["verdict"].as_str().and_then(Verdict::parse_word),
                blocking: item["blocking"].as_u64().unwrap_or(0) as usize,
                run: dir.clone(),
            });
        }
    }
    out
}

/// What the checkpoints hold.
fn checkpoints(layout: &Layout) -> Vec<Peek> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(layout.checkpoints())
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "db"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| peek(p)).collect()
}

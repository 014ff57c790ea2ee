//! `parwf show ID|PATH`: the review of a document's current content, found in the verdict
//! notes or the run logs; an ID that names several documents lists them.

use std::path::Path;

use git2::{ObjectType, Oid};

use super::{stand_in, Known, Logged};
use crate::error::Error;
use crate::model::{DocKind, Item, WorkflowKind};
use crate::workspace::Workspace;
use crate::writeback::notes::Note;

/// A stored review of one document.
#[derive(Debug)]
pub enum StoredReview {
    /// A verdict note. `current` is false when it is of an earlier version of the document.
    Note { note: Note, current: bool },
    /// From a run's logs (a run with `--write none`, or one that could not write its notes).
    Logged {
        id: String,
        path: String,
        run: String,
        verdict: Option<String>,
        review: String,
    },
}

/// What `show` found for its target.
#[derive(Debug)]
pub enum Found {
    Review(StoredReview),
    /// The target names several documents: their IDs and paths.
    Ambiguous(Vec<(String, String)>),
    /// A document parwf knows, with no review stored anywhere.
    NoReview(String),
    /// No document by that ID or path.
    Unknown,
}

impl Found {
    /// The review, or why there is none to show for `target` (a usage error with a hint).
    pub fn review(self, target: &str) -> Result<StoredReview, Error> {
        match self {
            Found::Review(review) => Ok(review),
            Found::Ambiguous(candidates) => {
                let list: Vec<String> = candidates
                    .iter()
                    .map(|(id, path)| format!("{id} ({path})"))
                    .collect();
                Err(Error::usage(
                    format!(
                        "`{target}` names {} documents: {}",
                        candidates.len(),
                        list.join(", ")
                    ),
                    "pass one of these IDs, or the document's path",
                ))
            }
            Found::NoReview(what) => Err(Error::usage(
                format!("no review stored for {what}"),
                "review it with `git parwf PATH`; after a teammate's review, fetch their notes: git fetch origin refs/notes/parwf:refs/notes/parwf",
            )),
            Found::Unknown => Err(Error::usage(
                format!("no document `{target}`"),
                "pass a document ID (e.g. LLD-42) or path; `parwf status` lists them",
            )),
        }
    }
}

/// The latest stored review of the document `target` names: an ID (`LLD-42`, `lld-42`; a
/// number alone when only one document has it) or a path (relative to `cwd`).
pub fn find_review(
    ws: &Workspace,
    cwd: &Path,
    kinds: &[DocKind],
    target: &str,
) -> Result<Found, Error> {
    let known = Known::read(ws, kinds)?;
    let workdir = ws.workdir()?;
    // A path is matched repo-relative, from wherever the user stands.
    let as_path = cwd.join(target).canonicalize().ok().and_then(|p| {
        let root = workdir.canonicalize().ok()?;
        p.strip_prefix(root)
            .ok()
            .map(|r| r.to_string_lossy().replace('\\', "/"))
    });
    let item = match &as_path {
        Some(path) => match known.documents.iter().find(|d| &d.path == path) {
            Some(d) => d.clone(),
            None => {
                let id = known
                    .logged
                    .iter()
                    .find(|l| &l.path == path)
                    .map(|l| l.id.clone())
                    .unwrap_or_default();
                stand_in(&id, WorkflowKind::Lld, path, kinds)
            }
        },
        None => {
            let candidates = by_id(&known, target);
            match candidates.as_slice() {
                [] => return Ok(Found::Unknown),
                [one] => one.clone(),
                many => {
                    return Ok(Found::Ambiguous(
                        many.iter()
                            .map(|i| (i.id.clone(), i.path.clone()))
                            .collect(),
                    ))
                }
            }
        }
    };
    // The work tree's text first (what the user is editing), then what HEAD has.
    let mut blobs = Vec::new();
    let file = workdir.join(&item.path);
    if file.is_file() {
        if let Ok(oid) = Oid::hash_file(ObjectType::Blob, &file) {
            blobs.push(oid.to_string());
        }
    }
    if !item.blob.is_empty() && !blobs.contains(&item.blob) {
        blobs.push(item.blob.clone());
    }
    for blob in &blobs {
        if let Some(note) = known.notes.get(blob) {
            let note = note.clone();
            return Ok(Found::Review(StoredReview::Note {
                note,
                current: true,
            }));
        }
        let logged = known
            .logged
            .iter()
            .find(|l| l.path == item.path && &l.blob == blob);
        if let Some(review) = logged.and_then(read_logged) {
            return Ok(Found::Review(review));
        }
    }
    if let Some((_, note)) = known.latest_note(&item.path) {
        return Ok(Found::Review(StoredReview::Note {
            note: note.clone(),
            current: false,
        }));
    }
    let older = known.logged.iter().filter(|l| l.path == item.path);
    if let Some(review) = older.filter_map(read_logged).next() {
        return Ok(Found::Review(review));
    }
    Ok(Found::NoReview(if item.id.is_empty() {
        item.path
    } else {
        format!("{} ({})", item.id, item.path)
    }))
}

/// The documents an ID names: the one with exactly that ID (any case); else those whose IDs
/// it is the start of (`LLD-88` → `LLD-88-05f1dc`), or, for a number alone, whose number it is
/// (`88` → `LLD-88`, `SPEC-88`). Documents only the records know count when HEAD has none.
fn by_id(known: &Known, target: &str) -> Vec<Item> {
    let t = target.to_ascii_lowercase();
    let numeric = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let suffix_of = |rest: &str| rest.len() >= 6 && rest.bytes().all(|b| b.is_ascii_hexdigit());
    let dashed = format!("{t}-");
    let close = |id: &str| {
        let id = id.to_ascii_lowercase();
        if id.strip_prefix(&dashed).is_some_and(suffix_of) {
            return true;
        }
        if !numeric {
            return false;
        }
        let parts: Vec<&str> = id.split('-').collect();
        parts.iter().enumerate().any(|(n, &part)| {
            n > 0
                && part == t
                && (n + 1 == parts.len() || (n + 2 == parts.len() && suffix_of(parts[n + 1])))
        })
    };
    let pick = |items: &mut dyn Iterator<Item = Item>| -> Vec<Item> {
        let items: Vec<Item> = items.collect();
        let exact: Vec<Item> = items
            .iter()
            .filter(|i| i.id.eq_ignore_ascii_case(target))
            .cloned()
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        items.into_iter().filter(|i| close(&i.id)).collect()
    };
    let in_head = pick(&mut known.documents.iter().cloned());
    if !in_head.is_empty() {
        return in_head;
    }
    // Documents HEAD does not have: by the IDs their notes and runs recorded.
    let mut seen = std::collections::BTreeMap::new();
    for note in known.latest_notes() {
        let h = &note.header;
        seen.entry(h.path.clone())
            .or_insert_with(|| (h.id.clone(), h.workflow));
    }
    // A run log does not record the workflow.
    for l in &known.logged {
        seen.entry(l.path.clone())
            .or_insert_with(|| (l.id.clone(), WorkflowKind::Lld));
    }
    pick(
        &mut seen
            .into_iter()
            .map(|(path, (id, workflow))| stand_in(&id, workflow, &path, &[])),
    )
}

/// A logged item's review text, if the run kept it.
fn read_logged(l: &Logged) -> Option<StoredReview> {
    let review = std::fs::read_to_string(l.run.join(format!("{}.review.md", l.id))).ok()?;
    Some(StoredReview::Logged {
        id: l.id.clone(),
        path: l.path.clone(),
        run: l.run_id(),
        verdict: l.verdict.map(|v| v.to_string()),
        review,
    })
}

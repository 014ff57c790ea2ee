//! The review cache: an item whose blob already has a note written with the same workflow,
//! prompt hash and model is `cached`, and its stored verdict stands. Keyed by content, so it
//! survives rebases, cherry-picks and renames.

use std::path::Path;

use git2::{Oid, Repository};

use super::notes::NotesReader;
use super::{git, RunInfo, WriteError};
use crate::discover::Item;
use crate::report::summary::{ItemResult, ItemState};

/// A cached verdict: the item's result as stored, and the stored review text.
#[derive(Debug, Clone)]
pub struct Cached {
    pub result: ItemResult,
    pub review: String,
}

/// For each item, its cached result, if its cache key has a note.
pub fn lookup(
    workdir: &Path,
    items: &[Item],
    info: &RunInfo,
    fail_on: &[String],
) -> Result<Vec<Option<Cached>>, WriteError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let repo = Repository::open(workdir).map_err(git)?;
    let notes = NotesReader::open(&repo).map_err(git)?;
    Ok(items
        .iter()
        .map(|item| {
            let note = notes.get(Oid::from_str(&item.blob).ok()?)?;
            let h = &note.header;
            let hit = h.workflow == item.workflow.name()
                && h.prompt_hash == info.prompt_hash
                && h.model == info.model;
            if !hit {
                return None;
            }
            Some(Cached {
                result: ItemResult {
                    id: item.id.clone(),
                    workflow: item.workflow.name().to_string(),
                    path: item.path.clone(),
                    blob: item.blob.clone(),
                    state: ItemState::Cached,
                    gate_failed: fail_on.contains(&h.verdict),
                    verdict: Some(h.verdict.clone()),
                    blocking: h.blocking,
                    rule: Some(format!("cached: reviewed {} (note on the blob)", h.date)),
                    error: None,
                    duration_ms: 0,
                    llm_calls: 0,
                },
                review: note.review,
            })
        })
        .collect())
}

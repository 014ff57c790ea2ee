//! The review cache: an item whose blob already has a note written with the same workflow,
//! prompt hash and model is `cached`, and its stored verdict stands. Keyed by content, so it
//! survives rebases, cherry-picks and renames.

use super::notes::NotesStore;
use super::{git, RunInfo, WriteError};
use crate::model::{Gate, Item, ItemResult, ItemState};

/// A cached verdict: the item's result as stored, and the stored review text.
#[derive(Debug, Clone)]
pub struct Cached {
    pub result: ItemResult,
    pub review: String,
}

/// For each item, its cached result, if its cache key has a note.
pub fn lookup(
    notes: &NotesStore<'_>,
    items: &[Item],
    info: &RunInfo,
    gate: &Gate,
) -> Result<Vec<Option<Cached>>, WriteError> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let note = notes.get_hex(&item.blob).map_err(git)?;
        let hit = note.filter(|n| {
            let h = &n.header;
            h.workflow == item.workflow
                && h.prompt_hash == info.prompt_hash
                && h.model == info.model
        });
        out.push(hit.map(|note| {
            let h = &note.header;
            let mut result = ItemResult::new(item, ItemState::Cached);
            result.set_verdict(h.verdict, gate);
            result.blocking = h.blocking;
            result.rule = Some(format!("cached: reviewed {} (note on the blob)", h.date));
            Cached {
                result,
                review: note.review,
            }
        }));
    }
    Ok(out)
}

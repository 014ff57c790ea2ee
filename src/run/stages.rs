//! The git side of a run: the shard and the cache before the workers, the write-back and the
//! clean-up of checkpoints after them.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use super::plan::Plan;
use crate::checkpoint::store::{peek, remove as remove_checkpoint};
use crate::checkpoint::Layout;
use crate::error::Error;
use crate::model::{Item, ItemResult};
use crate::report::progress::Reporter;
use crate::report::summary::Summary;
use crate::workflow::{prompts::Prompts, ItemOutcome};
use crate::workspace::Workspace;
use crate::writeback;
use crate::writeback::cache::{Cached, Lookup, NoteRule, Signatures};
use crate::writeback::notes::NotesStore;

/// The items of a run and what git already knows about them.
pub struct Selected {
    pub items: Vec<Item>,
    /// Per item: its cached verdict, if any.
    pub cached: Vec<Option<Cached>>,
    /// Which notes count, and the key new ones are signed with.
    pub rule: NoteRule,
    /// Notes not accepted for their signature: `[ID] why`, reviewed again.
    pub refused: Vec<(String, &'static str)>,
}

impl Selected {
    /// Keeps this run's shard of `items` and looks their cache keys up (unless `--fresh`).
    pub fn new(
        ws: &Workspace,
        plan: &Plan,
        mut items: Vec<Item>,
        prompts: &Prompts,
        signatures: Signatures,
    ) -> Result<Selected, Error> {
        // On every item found, before cached ones are taken out: all shards must number the
        // same list for `count:M/N`.
        if let Some(p) = plan.partition {
            p.retain(&mut items, |i| &i.id);
        }
        let rule = NoteRule::new(&plan.config.provider, prompts.hash.clone(), signatures);
        let found = if plan.fresh || items.is_empty() {
            Lookup {
                cached: vec![None; items.len()],
                refused: Vec::new(),
            }
        } else {
            writeback::cache::lookup(
                &NotesStore::new(ws.repo()),
                &items,
                &rule,
                &plan.config.gate(),
            )?
        };
        Ok(Selected {
            items,
            cached: found.cached,
            rule,
            refused: found.refused,
        })
    }

    /// Splits off the cached items: their results and stored reviews; the rest stay to run.
    pub fn take_cached(&mut self) -> (Vec<ItemResult>, BTreeMap<String, String>) {
        let mut results = Vec::new();
        let mut reviews = BTreeMap::new();
        let items = std::mem::take(&mut self.items);
        for (item, cached) in items.into_iter().zip(std::mem::take(&mut self.cached)) {
            match cached {
                Some(c) => {
                    reviews.insert(c.result.id.clone(), c.review);
                    results.push(c.result);
                }
                None => self.items.push(item),
            }
        }
        (results, reviews)
    }
}

/// Writes the finished items' results back (notes, commit) and gives the summary the review
/// texts. Returns whether the results are safely written (so their checkpoints may go).
pub fn write_back(
    ws: &Workspace,
    plan: &Plan,
    rule: &NoteRule,
    summary: &mut Summary,
    mut reviews: BTreeMap<String, String>,
    outcomes: &[ItemOutcome],
    reporter: &Reporter,
) -> bool {
    for o in outcomes {
        if let Some(text) = &o.review {
            reviews.insert(o.result.id.clone(), text.clone());
        }
    }
    summary.reviews = reviews;
    let now = SystemTime::now();
    match writeback::apply(ws, &plan.write, &rule.info, outcomes, now, rule.signer()) {
        Ok(w) => {
            for m in w.messages() {
                reporter.log("PARWF", &m);
            }
            true
        }
        Err(e) => {
            reporter.print(&format!("error: {e}"));
            if let Some(h) = e.hint() {
                reporter.print(&format!("  hint: {h}"));
            }
            false
        }
    }
}

/// Removes the checkpoints of items whose result is now in git. Finished items keep theirs
/// until then, so a crash in between replays them instead of calling the LLM again; cached
/// items may have one left by a run killed just after writing its notes.
pub fn drop_written_checkpoints(layout: &Layout, items: &[ItemResult], reporter: &Reporter) {
    for r in items.iter().filter(|r| r.state.is_finished()) {
        if let Err(e) = remove_checkpoint(&layout.checkpoint(r.workflow.name(), &r.id)) {
            reporter.print(&format!("warning: {e}"));
        }
    }
}

/// Indexes of the items with a checkpoint for their current blob and these prompts. The
/// checkpoint directory is listed once: most items have none.
pub fn resumable_items(items: &[Item], layout: &Layout, prompt_hash: &str) -> HashSet<usize> {
    let existing: HashSet<PathBuf> = std::fs::read_dir(layout.checkpoints())
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    if existing.is_empty() {
        return HashSet::new();
    }
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            let path = layout.checkpoint(item.workflow.name(), &item.id);
            existing.contains(&path)
                && peek(&path).is_some_and(|p| p.header.mismatch(&item.blob, prompt_hash).is_none())
        })
        .map(|(n, _)| n)
        .collect()
}

/// Puts cached results back among the reviewed ones, in discovery order (workflow, path).
pub fn merge_results(results: &mut Vec<ItemResult>, cached: Vec<ItemResult>) {
    results.extend(cached);
    results.sort_by(|a, b| (a.workflow, &a.path).cmp(&(b.workflow, &b.path)));
}

//! One LLM call per distinct content per run: documents with the same blob and workflow (real
//! repos keep the same document under `active/` and `done/`) are reviewed once, and every path
//! gets the verdict. Notes are per blob, so they share one anyway.

use std::collections::HashMap;

use crate::model::{Item, ItemResult};
use crate::workflow::ItemOutcome;

/// The items to review, and for each the items with the same content that share its result.
#[derive(Debug, Default)]
pub(super) struct Grouped {
    /// The first item (in discovery order) of each (blob, workflow).
    pub unique: Vec<Item>,
    /// Per unique item, the other items with its content.
    pub copies: Vec<Vec<Item>>,
}

impl Grouped {
    /// Groups `items` by (blob, workflow), keeping discovery order.
    pub fn new(items: Vec<Item>) -> Grouped {
        let mut g = Grouped::default();
        let mut seen: HashMap<(String, crate::model::WorkflowKind), usize> = HashMap::new();
        for item in items {
            match seen.get(&(item.blob.clone(), item.workflow)) {
                Some(&n) => g.copies[n].push(item),
                None => {
                    seen.insert((item.blob.clone(), item.workflow), g.unique.len());
                    g.unique.push(item);
                    g.copies.push(Vec::new());
                }
            }
        }
        g
    }

    /// Per reviewed item's ID, the IDs sharing its review (for their progress lines).
    pub fn copy_ids(&self) -> HashMap<String, Vec<String>> {
        self.unique
            .iter()
            .zip(&self.copies)
            .filter(|(_, c)| !c.is_empty())
            .map(|(u, c)| (u.id.clone(), c.iter().map(|i| i.id.clone()).collect()))
            .collect()
    }
}

/// `result` as the result of `copy`: the same state and verdict, no time or calls of its own.
pub(super) fn copy_result(result: &ItemResult, copy: &Item) -> ItemResult {
    let mut r = result.clone();
    r.id = copy.id.clone();
    r.path = copy.path.clone();
    r.duration_ms = 0;
    r.wait_ms = 0;
    r.llm_calls = 0;
    r.same_blob_as = Some(result.id.clone());
    r
}

/// `out` as the outcome of `copy` (its review, revision and note texts are the same).
pub(super) fn copy_outcome(out: &ItemOutcome, copy: &Item) -> ItemOutcome {
    ItemOutcome {
        result: copy_result(&out.result, copy),
        review: out.review.clone(),
        revised: out.revised.clone(),
        original: out.original.clone(),
        fatal: None,
        unknown: out.unknown.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContentSource, ItemState, WorkflowKind};

    fn item(id: &str, blob: &str, workflow: WorkflowKind) -> Item {
        Item {
            id: id.into(),
            kind: workflow.name().into(),
            workflow,
            path: format!("docs/{id}.md"),
            blob: blob.into(),
            source: ContentSource::Head,
        }
    }

    #[test]
    fn the_same_blob_and_workflow_is_reviewed_once() {
        let g = Grouped::new(vec![
            item("LLD-1", "aa", WorkflowKind::Lld),
            item("LLD-2", "bb", WorkflowKind::Lld),
            item("LLD-3", "aa", WorkflowKind::Lld),
            // The same text under another workflow gets another prompt: its own review.
            item("ISSUE-4", "aa", WorkflowKind::Issue),
        ]);
        let ids: Vec<&str> = g.unique.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["LLD-1", "LLD-2", "ISSUE-4"]);
        assert_eq!(g.copies[0].len(), 1);
        assert_eq!(g.copy_ids()["LLD-1"], ["LLD-3"]);
        let mut r = ItemResult::new(&g.unique[0], ItemState::Done);
        r.duration_ms = 700;
        r.llm_calls = 1;
        let c = copy_result(&r, &g.copies[0][0]);
        assert_eq!((c.id.as_str(), c.path.as_str()), ("LLD-3", "docs/LLD-3.md"));
        assert_eq!((c.duration_ms, c.llm_calls), (0, 0));
        assert_eq!(c.same_blob_as.as_deref(), Some("LLD-1"));
    }
}

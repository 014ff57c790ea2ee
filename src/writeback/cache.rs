//! The review cache, and the one rule for which verdict notes count (the pre-push hook uses it
//! too): a note on the item's blob written with the same workflow, prompt hash and model, and,
//! when a notes key is configured, signed with it. Keyed by content, so it survives rebases,
//! cherry-picks and renames.

use super::notes::{Note, NotesStore};
use super::{git, signature, RunInfo, WriteError};
use crate::config::ProviderConfig;
use crate::model::{Gate, Item, ItemResult, ItemState, WorkflowKind};
use crate::provider::secret::Secret;

/// A cached verdict: the item's result as stored, and the stored review text.
#[derive(Debug, Clone)]
pub struct Cached {
    pub result: ItemResult,
    pub review: String,
}

/// What a note's signature must show.
#[derive(Debug, Clone)]
pub enum Signatures {
    /// No notes key: the header decides (a local run, a local hook).
    Unchecked,
    /// A valid signature under this key.
    Verified(Secret),
    /// A key is configured but not read (`--dry-run` reads no secret): a signature must be
    /// there; whether it verifies is left to the run.
    Present,
    /// CI without a notes key: no note can be verified, so none counts.
    Refused,
}

/// The rule: what the run reviews with, and what a note's signature must show.
#[derive(Debug, Clone)]
pub struct NoteRule {
    pub info: RunInfo,
    pub signatures: Signatures,
}

/// Why a note on the item's blob does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Written for another workflow, prompts or model: a plain cache miss.
    Mismatch,
    Unsigned,
    BadSignature,
    /// CI holds no notes key.
    Unverifiable,
}

impl Rejection {
    /// Why, for a line the user reads; `None` for a plain cache miss.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Rejection::Mismatch => None,
            Rejection::Unsigned => Some("the verdict note is not signed with [trust] notes_key"),
            Rejection::BadSignature => {
                Some("the verdict note's signature does not verify under [trust] notes_key")
            }
            Rejection::Unverifiable => {
                Some("CI accepts a verdict note only when it can verify its signature ([trust] notes_key is not set)")
            }
        }
    }
}

impl NoteRule {
    /// The rule for reviews by `reviewer` (the `[provider]` settings) with the prompts hashed
    /// as `prompt_hash`: the run's cache and the pre-push hook build it the same way.
    pub fn new(reviewer: &ProviderConfig, prompt_hash: String, signatures: Signatures) -> NoteRule {
        NoteRule {
            info: RunInfo {
                model: super::model_label(reviewer),
                prompt_hash,
            },
            signatures,
        }
    }

    /// Whether `note`, found on `blob`, counts as the review of that content for `workflow`.
    pub fn accepts(
        &self,
        note: &Note,
        blob: &str,
        workflow: WorkflowKind,
    ) -> Result<(), Rejection> {
        let h = &note.header;
        if h.workflow != workflow
            || h.prompt_hash != self.info.prompt_hash
            || h.model != self.info.model
            || self.info.model.is_empty()
        {
            return Err(Rejection::Mismatch);
        }
        match &self.signatures {
            Signatures::Unchecked => Ok(()),
            Signatures::Refused => Err(Rejection::Unverifiable),
            Signatures::Present if h.signature.is_some() => Ok(()),
            Signatures::Present => Err(Rejection::Unsigned),
            Signatures::Verified(_) if h.signature.is_none() => Err(Rejection::Unsigned),
            Signatures::Verified(key) if signature::verify(key, blob, h) => Ok(()),
            Signatures::Verified(_) => Err(Rejection::BadSignature),
        }
    }

    /// The key new notes are signed with.
    pub fn signer(&self) -> Option<&Secret> {
        match &self.signatures {
            Signatures::Verified(key) => Some(key),
            _ => None,
        }
    }
}

/// What the cache found for the items.
#[derive(Debug, Default)]
pub struct Lookup {
    /// Per item: its cached result, if a note counts.
    pub cached: Vec<Option<Cached>>,
    /// Items whose note was refused for its signature, with the reason (reviewed again).
    pub refused: Vec<(String, &'static str)>,
}

/// For each item, its cached result, if its blob has a note the rule accepts.
pub fn lookup(
    notes: &NotesStore<'_>,
    items: &[Item],
    rule: &NoteRule,
    gate: &Gate,
) -> Result<Lookup, WriteError> {
    let mut out = Lookup::default();
    for item in items {
        let note = notes.get_hex(&item.blob).map_err(git)?;
        let hit = match note {
            Some(note) => match rule.accepts(&note, &item.blob, item.workflow) {
                Ok(()) => Some(note),
                Err(why) => {
                    if let Some(reason) = why.reason() {
                        out.refused.push((item.id.clone(), reason));
                    }
                    None
                }
            },
            None => None,
        };
        out.cached.push(hit.map(|note| {
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

//! The checkpointed journal of one item's LLM steps: replays completed steps on resume, records
//! new ones as they complete, and audits each.

use std::time::Instant;

use sha2::{Digest, Sha256};

use super::Ctx;
use crate::checkpoint::runlog::AuditEvent;
use crate::checkpoint::store::{Checkpoint, Header, Step};
use crate::checkpoint::StoreError;
use crate::coordinator::{CallError, Called, Waiting};
use crate::model::{ItemResult, ItemState};
use crate::provider::{Finish, Provider, Request};
use crate::verdict::Review;

/// One step's answer: the text and how it ended.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub finish: Finish,
    /// A review step answered now: its text parsed (statements quoted from the prompt not
    /// counting), as parsed for the verdict its step records. `None` for a draft and for a
    /// replayed step.
    pub review: Option<Review>,
}

/// An item's steps: those to replay and the checkpoint new ones go to.
pub struct Journal {
    checkpoint: Option<Checkpoint>,
    replay: Vec<Step>,
    next_seq: i64,
    calls: u32,
    /// Time the item's requests waited for a key.
    waited: std::time::Duration,
    /// A checkpoint write that failed: the run goes on, the item is then not resumable.
    write_error: Option<String>,
}

/// Runs file and SQLite I/O without stalling the runtime's other tasks (timers, other items):
/// on the multi-threaded runtime the worker hands its queue to another thread first.
pub(super) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

fn event<'a>(id: &'a str, step: &'a Step, duration_ms: u64, resumed: bool) -> AuditEvent<'a> {
    AuditEvent {
        time: crate::timefmt::now_iso(),
        id,
        step: &step.kind,
        iteration: step.iteration,
        verdict: step.verdict.as_deref(),
        duration_ms,
        key: step.key.as_deref(),
        resumed,
        finish: step.finish.as_deref(),
    }
}

fn audit(ctx: &Ctx, event: AuditEvent<'_>) {
    if let Some(runlog) = &ctx.runlog {
        runlog.audit(&event);
    }
}

/// What an item's progress line says while a step's request is out: `reviewing (iteration
/// 2)`, `drafting revision 1`.
pub(super) fn step_name(kind: &str, iteration: u32) -> String {
    if kind == "draft" {
        format!("drafting revision {iteration}")
    } else {
        format!("reviewing (iteration {iteration})")
    }
}

/// An item's progress line follows its request: "waiting for a key" while every key is busy,
/// cooling or paced, the step again once it is sent.
struct Progress<'a> {
    ctx: &'a Ctx,
    id: &'a str,
    step: String,
}

impl Waiting for Progress<'_> {
    fn waiting(&self) {
        self.ctx.reporter.step(self.id, "waiting for a key");
    }

    fn sending(&self) {
        self.ctx.reporter.step(self.id, &self.step);
    }
}

/// The step's identity for replay: its kind, iteration and the hash of the prompt's inputs
/// (not the prompt text, whose fence boundary is drawn afresh for every request).
fn input_hash(kind: &str, iteration: u32, inputs: &str) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update(iteration.to_le_bytes());
    h.update(inputs.as_bytes());
    crate::digest::hex(&h.finalize()[..12])
}

impl Journal {
    /// Opens the item's checkpoint (or none when the run keeps no checkpoints).
    pub fn open(ctx: &Ctx, header: &Header) -> Result<Journal, StoreError> {
        let mut journal = Journal {
            checkpoint: None,
            replay: Vec::new(),
            next_seq: 1,
            calls: 0,
            waited: std::time::Duration::ZERO,
            write_error: None,
        };
        let Some(layout) = &ctx.layout else {
            return Ok(journal);
        };
        let path = layout.checkpoint(&header.workflow, &header.id);
        let opened = blocking(|| Checkpoint::open(&path, header, ctx.fresh))?;
        if let Some(note) = &opened.note {
            ctx.reporter.log(&header.id, note);
        }
        if !opened.steps.is_empty() {
            ctx.reporter.log(
                &header.id,
                &format!(
                    "resuming from its checkpoint: {} step(s) already done",
                    opened.steps.len()
                ),
            );
        }
        journal.checkpoint = Some(opened.checkpoint);
        journal.replay = opened.steps;
        Ok(journal)
    }

    /// LLM calls actually made in this run (replayed steps excluded).
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// Time the item's requests waited for a key so far.
    pub fn waited(&self) -> std::time::Duration {
        self.waited
    }

    /// Answers one step: from the checkpoint when it was completed before with the same
    /// inputs (`inputs`: [`crate::workflow::prompts::Prompt::inputs`]), else through the
    /// coordinator, then checkpointed.
    #[allow(clippy::too_many_arguments)]
    pub async fn call(
        &mut self,
        ctx: &Ctx,
        provider: &Provider,
        id: &str,
        kind: &str,
        iteration: u32,
        req: &Request,
        inputs: &str,
    ) -> Result<Answer, CallError> {
        let hash = input_hash(kind, iteration, inputs);
        let seq = self.next_seq;
        self.next_seq += 1;
        let index = (seq - 1) as usize;
        match self.replay.get(index) {
            Some(step) if step.kind == kind && step.input_hash == hash => {
                audit(ctx, event(id, step, 0, true));
                return Ok(Answer {
                    text: step.output.clone(),
                    finish: Finish::from_stored(step.finish.as_deref()),
                    review: None,
                });
            }
            // The history diverged from here: forget the rest.
            Some(_) => self.replay.truncate(index),
            None => {}
        }
        let started = Instant::now();
        let progress = Progress {
            ctx,
            id,
            step: step_name(kind, iteration),
        };
        let called = ctx
            .coordinator
            .call_observed(provider, req, &progress)
            .await;
        // A failed call does not say how long it waited: its item's time then counts it as
        // review time.
        let waited = match &called {
            Ok(c) => c.waited,
            Err(_) => std::time::Duration::ZERO,
        };
        self.waited += waited;
        let Called { reply, key, .. } = called?;
        let text = reply.text;
        self.calls += 1;
        let duration = started.elapsed().saturating_sub(waited).as_millis() as u64;
        let review =
            (kind == "review").then(|| crate::verdict::parse_quoting(&text, &[&req.prompt]));
        // A review cut short has no verdict, whatever its text got as far as saying.
        let verdict = review.as_ref().map(|r| match reply.finish.is_complete() {
            true => r.verdict.as_str().to_string(),
            false => crate::model::Verdict::Unknown.as_str().to_string(),
        });
        let step = Step {
            seq,
            kind: kind.to_string(),
            iteration: i64::from(iteration),
            input_hash: hash,
            output: text.clone(),
            verdict,
            key: Some(key.clone()),
            duration_ms: duration as i64,
            finish: reply.finish.stored(),
        };
        if let Some(cp) = &mut self.checkpoint {
            if let Err(e) = blocking(|| cp.record(&step)) {
                self.write_error.get_or_insert(e.to_string());
            }
        }
        audit(ctx, event(id, &step, duration, false));
        Ok(Answer {
            text,
            finish: reply.finish,
            review,
        })
    }

    /// Ends the item: its checkpoint records how it ended (`done`, `interrupted`, `failed`).
    /// Returns a warning when the checkpoint could not be kept faithfully.
    pub fn close(self, result: &ItemResult) -> Option<String> {
        let cp = self.checkpoint?;
        let outcome = match result.state {
            // Removed by the run once the result is written back.
            ItemState::Done => {
                let mut cp = cp;
                cp.set_state("done", None)
            }
            ItemState::Interrupted => {
                let mut cp = cp;
                cp.set_state("interrupted", result.error.as_deref())
            }
            _ => {
                let mut cp = cp;
                cp.set_state("failed", result.error.as_deref())
            }
        };
        match (self.write_error, outcome) {
            (Some(e), _) => Some(format!("checkpoint not fully written: {e}")),
            (None, Err(e)) => Some(e.to_string()),
            (None, Ok(())) => None,
        }
    }
}

//! One item's workflow: read the document, review it (and with `--revise`, loop drafter →
//! reviewer), decide the verdict. Every LLM step goes through a [`Journal`] that checkpoints it,
//! so a rerun replays completed steps instead of calling the LLM again.

mod document;
mod journal;
pub mod prompts;

use std::sync::Arc;
use std::time::Instant;

use crate::checkpoint::runlog::RunLog;
use crate::checkpoint::store::Header;
use crate::checkpoint::Layout;
use crate::coordinator::{CallError, Coordinator};
use crate::model::{Gate, Item, ItemResult, ItemState, Verdict};
use crate::provider::{Provider, Request, Task};
use crate::report::progress::Reporter;
use crate::verdict;
use crate::workspace::RepoPaths;
pub use document::{read_document, DocumentError};
use journal::Journal;
use prompts::Prompts;

/// Everything a workflow needs, shared by all items of a run.
pub struct Ctx {
    pub reviewer: Provider,
    pub drafter: Provider,
    pub coordinator: Coordinator,
    pub reporter: Arc<Reporter>,
    pub prompts: Prompts,
    pub repo: RepoPaths,
    pub revise: bool,
    pub max_iterations: u32,
    pub approve_without_blockers: bool,
    pub gate: Gate,
    /// Where checkpoints live; `None` runs without them (benchmarks).
    pub layout: Option<Layout>,
    pub runlog: Option<Arc<RunLog>>,
    /// Discard existing checkpoints (`--fresh`).
    pub fresh: bool,
    /// Larger documents fail their item instead of being sent.
    pub max_document_bytes: u64,
}

/// An item's result plus the texts the write-back needs.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    pub result: ItemResult,
    /// The last review text.
    pub review: Option<String>,
    /// The revised document, when the drafter changed it.
    pub revised: Option<String>,
    /// With a revision: the first review, of the document as it is in git (its own verdict).
    pub original: Option<OriginalReview>,
    /// Set when the run must stop (key pool exhausted, every key invalid).
    pub fatal: Option<CallError>,
}

/// The review of the unrevised document: what its blob's verdict note records.
#[derive(Debug, Clone)]
pub struct OriginalReview {
    pub verdict: Verdict,
    pub blocking: usize,
    pub text: String,
}

/// Runs one item's workflow to a verdict or an error.
pub async fn run_item(item: Item, ctx: Arc<Ctx>) -> ItemOutcome {
    let started = Instant::now();
    let mut out = ItemOutcome {
        result: ItemResult::new(&item, ItemState::Done),
        review: None,
        revised: None,
        original: None,
        fatal: None,
    };
    ctx.reporter.step(&item.id, "reading document");
    let header = Header {
        id: item.id.clone(),
        workflow: item.workflow.name().to_string(),
        path: item.path.clone(),
        blob: item.blob.clone(),
        prompt_hash: ctx.prompts.hash.clone(),
    };
    let opened = journal::blocking(|| read_document(&ctx.repo, &item, ctx.max_document_bytes))
        .map_err(|e| e.to_string())
        .and_then(|doc| {
            Journal::open(&ctx, &header)
                .map(|j| (doc, j))
                .map_err(|e| e.to_string())
        });
    let (document, mut journal) = match opened {
        Ok(x) => x,
        Err(e) => {
            out.result.state = ItemState::Failed;
            out.result.error = Some(e);
            return finish(out, started, &ctx, None);
        }
    };
    if let Err(e) = review_loop(&item, &ctx, &mut journal, document, &mut out).await {
        let fatal = matches!(e, CallError::Exhausted(_) | CallError::AllInvalid(_));
        out.result.state = match e {
            CallError::Cancelled | CallError::Exhausted(_) => ItemState::Interrupted,
            _ => ItemState::Failed,
        };
        out.result.verdict = None;
        out.result.gate_failed = false;
        out.result.error = Some(e.to_string());
        if fatal {
            out.fatal = Some(e);
        }
    }
    out.result.llm_calls = journal.calls();
    finish(out, started, &ctx, Some(journal))
}

/// Review; with `--revise`, draft and review again until approved, stuck or out of iterations.
async fn review_loop(
    item: &Item,
    ctx: &Ctx,
    journal: &mut Journal,
    mut document: String,
    out: &mut ItemOutcome,
) -> Result<(), CallError> {
    let result = &mut out.result;
    let mut verdict;
    let mut previous_blockers: Option<Vec<String>> = None;
    let mut iteration: u32 = 1;
    loop {
        ctx.reporter
            .step(&item.id, &format!("reviewing (iteration {iteration})"));
        let req = Request {
            task: Task::Review(item.workflow),
            prompt: ctx.prompts.review(item.workflow, &item.path, &document),
            document: document.clone(),
            findings: Vec::new(),
            doc_id: item.id.clone(),
            doc_path: item.path.clone(),
        };
        let text = journal
            .call(ctx, &ctx.reviewer, &item.id, "review", iteration, &req)
            .await?;
        let review = verdict::parse(&text);
        let rule;
        (verdict, rule) = final_verdict(&review, ctx.approve_without_blockers);
        if iteration == 1 {
            out.original = Some(OriginalReview {
                verdict,
                blocking: review.blocking,
                text: text.clone(),
            });
        }
        out.review = Some(text);
        result.blocking = review.blocking;
        result.rule = Some(rule.to_string());
        if verdict != Verdict::Revise || !ctx.revise {
            break;
        }
        // Real reviewers often answer REVISE with everything in Tier 2: give the drafter those.
        let worst = if review.blocking > 0 { 1 } else { 2 };
        let blockers: Vec<String> = review
            .findings
            .iter()
            .filter(|f| f.tier <= worst)
            .map(|f| f.text.clone())
            .collect();
        if previous_blockers.as_ref() == Some(&blockers) {
            result.rule = Some("stuck: the same blocking findings twice in a row".into());
            break;
        }
        if iteration >= ctx.max_iterations {
            verdict = Verdict::Blocked;
            result.rule = Some(format!(
                "max_iterations ({}) reached without approval",
                ctx.max_iterations
            ));
            break;
        }
        ctx.reporter
            .step(&item.id, &format!("drafting revision {iteration}"));
        let req = Request {
            task: Task::Draft(item.workflow),
            prompt: ctx.prompts.draft(&item.path, &document, &blockers),
            document: document.clone(),
            findings: blockers.clone(),
            doc_id: item.id.clone(),
            doc_path: item.path.clone(),
        };
        document = journal
            .call(ctx, &ctx.drafter, &item.id, "draft", iteration, &req)
            .await?;
        out.revised = Some(document.clone());
        previous_blockers = Some(blockers);
        iteration += 1;
    }
    result.set_verdict(verdict, &ctx.gate);
    Ok(())
}

/// The verdict a review gives the document, and the rule that decided it.
pub fn final_verdict(
    review: &verdict::Review,
    approve_without_blockers: bool,
) -> (Verdict, &'static str) {
    match review.verdict {
        Verdict::Revise if review.blocking == 0 && approve_without_blockers => (
            Verdict::Approved,
            "approve_without_blockers: REVISE with no Tier 1 finding",
        ),
        Verdict::Unknown => (
            Verdict::Unknown,
            "no single verdict found in the review (fails closed)",
        ),
        _ => (review.verdict, "the reviewer's verdict"),
    }
}

fn finish(
    mut out: ItemOutcome,
    started: Instant,
    ctx: &Ctx,
    journal: Option<Journal>,
) -> ItemOutcome {
    let result = &mut out.result;
    if let Some(journal) = journal {
        if let Some(warning) = journal::blocking(|| journal.close(result)) {
            ctx.reporter.log(&result.id, &format!("warning: {warning}"));
        }
    }
    if let (Some(runlog), Some(review)) = (&ctx.runlog, &out.review) {
        let _ = journal::blocking(|| runlog.review(&result.id, review));
    }
    // Everything the item's worker did counts, bookkeeping included.
    result.duration_ms = started.elapsed().as_millis() as u64;
    let msg = match (&result.verdict, &result.error) {
        // An UNKNOWN fails the gate: say why, where the user is looking.
        (Some(v @ Verdict::Unknown), _) => format!(
            "{v} ({} blocking) in {:.1}s: {}",
            result.blocking,
            result.duration_ms as f64 / 1000.0,
            result.rule.as_deref().unwrap_or("no verdict found")
        ),
        (Some(v), _) => format!(
            "{v} ({} blocking) in {:.1}s",
            result.blocking,
            result.duration_ms as f64 / 1000.0
        ),
        (None, Some(e)) if result.state == ItemState::Interrupted => {
            format!("stopped ({e}); checkpoint kept")
        }
        (None, Some(e)) => format!("error: {e}"),
        (None, None) => "finished".to_string(),
    };
    ctx.reporter.done(&result.id, &msg);
    out
}

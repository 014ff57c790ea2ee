//! One item's workflow: read the document, review it (and with `--revise`, loop drafter →
//! reviewer), decide the verdict. Every LLM step goes through a [`Journal`] that checkpoints it,
//! so a rerun replays completed steps instead of calling the LLM again.

mod document;
mod journal;
pub mod prompts;
pub mod revision;

use std::sync::Arc;
use std::time::Instant;

use crate::checkpoint::runlog::RunLog;
use crate::checkpoint::store::Header;
use crate::checkpoint::Layout;
use crate::coordinator::{CallError, Coordinator};
use crate::model::{Gate, Item, ItemResult, ItemState, Verdict, REVIEWERS_VERDICT};
use crate::provider::context::estimate_tokens;
use crate::provider::{Provider, Request, Task, TokenBudget};
use crate::report::progress::{Lead, Reporter};
use crate::verdict::{self, UnknownReason};
use crate::workspace::RepoPaths;
pub use document::{read_document, DocumentError};
use journal::{Answer, Journal};
use prompts::Prompts;
use revision::{clean_draft, same_document, Feedback};

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
    /// Why the verdict is UNKNOWN, when it is.
    pub unknown: Option<UnknownReason>,
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
        unknown: None,
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
        out.result.hint = e.hint();
        out.result.permanent = e.is_permanent();
        if fatal {
            out.fatal = Some(e);
        }
    }
    out.result.llm_calls = journal.calls();
    out.result.wait_ms = journal.waited().as_millis() as u64;
    finish(out, started, &ctx, Some(journal))
}

/// A review's answer, judged: its verdict, the rule that decided it, and why it is UNKNOWN.
#[derive(Debug, Clone)]
struct Judged {
    verdict: Verdict,
    rule: String,
    review: verdict::Review,
    text: String,
    unknown: Option<UnknownReason>,
}

fn judge(
    answer: Answer,
    prompt: &str,
    approve_without_blockers: bool,
    instructions: &[&str],
) -> Judged {
    // What the reviewer was given (the document inside the prompt) is not its verdict. An
    // answer made now comes parsed so by its journal step; a replayed one is parsed here.
    let review = answer
        .review
        .unwrap_or_else(|| verdict::parse_quoting(&answer.text, &[prompt]));
    let unknown = verdict::unknown_reason(&answer.text, &review, &answer.finish, instructions);
    let (verdict, rule) = match &unknown {
        Some(why) => (
            Verdict::Unknown,
            format!("{}: no verdict (fails closed)", why.words()),
        ),
        None => {
            let (v, rule) = final_verdict(&review, approve_without_blockers);
            (v, rule.to_string())
        }
    };
    Judged {
        verdict,
        rule,
        review,
        text: answer.text,
        unknown,
    }
}

/// Records `judged` as the item's result.
fn settle(out: &mut ItemOutcome, judged: &Judged, rule: String, gate: &Gate) {
    out.result.blocking = judged.review.blocking;
    out.result.rule = Some(rule);
    out.result.hint = judged
        .unknown
        .as_ref()
        .and_then(|u| u.hint())
        .map(String::from);
    out.result.set_verdict(judged.verdict, gate);
    out.review = Some(judged.text.clone());
    out.unknown = judged.unknown.clone();
}

/// The loop ended without an approved revision: the document stays as it is in git, with its
/// own (first) review; `why` and the last draft's path go into the rule.
fn unapproved(
    out: &mut ItemOutcome,
    first: &Judged,
    why: String,
    last_draft: Option<&str>,
    verdict: Verdict,
    gate: &Gate,
) {
    let mut rule = format!("{why}; the document is unchanged");
    if let Some(path) = last_draft {
        rule.push_str(&format!(" (last draft: {path})"));
    }
    out.revised = None;
    settle(out, first, rule, gate);
    out.result.set_verdict(verdict, gate);
}

/// Review; with `--revise`, draft and review again until the reviewer approves a revision, the
/// loop is stuck, a draft is unusable (cut, or no longer the same document), or the iterations
/// run out. Only an approved, complete, same-document revision replaces the document.
async fn review_loop(
    item: &Item,
    ctx: &Ctx,
    journal: &mut Journal,
    original: String,
    out: &mut ItemOutcome,
) -> Result<(), CallError> {
    let instructions = ctx.prompts.review_instructions(item.workflow);
    let gate = &ctx.gate;
    // What the next review reads: the document, then each usable draft.
    let mut current = original.clone();
    // The review of the document as it is in git: what stands when no revision is approved.
    let mut first: Option<Judged> = None;
    let mut previous: Option<Feedback> = None;
    let mut last_draft: Option<String> = None;
    let mut iteration: u32 = 1;
    loop {
        ctx.reporter
            .step(&item.id, &journal::step_name("review", iteration));
        let prompt = ctx.prompts.review(item.workflow, &item.path, &current);
        let req = Request {
            task: Task::Review(item.workflow),
            prompt: prompt.text,
            document: current.clone(),
            findings: Vec::new(),
            doc_id: item.id.clone(),
            doc_path: item.path.clone(),
        };
        let answer = journal
            .call(
                ctx,
                &ctx.reviewer,
                &item.id,
                "review",
                iteration,
                &req,
                &prompt.inputs,
            )
            .await?;
        let judged = judge(
            answer,
            &req.prompt,
            ctx.approve_without_blockers,
            &instructions,
        );
        let base = match first.take() {
            None => {
                out.original = Some(OriginalReview {
                    verdict: judged.verdict,
                    blocking: judged.review.blocking,
                    text: judged.text.clone(),
                });
                if judged.verdict != Verdict::Revise || !ctx.revise {
                    settle(out, &judged, judged.rule.clone(), gate);
                    return Ok(());
                }
                judged.clone()
            }
            Some(base) => {
                let n = iteration - 1;
                if judged.verdict == Verdict::Approved {
                    out.revised = Some(current);
                    let rule = match judged.rule.as_str() {
                        REVIEWERS_VERDICT => format!("the reviewer approved revision {n}"),
                        other => format!("revision {n}: {other}"),
                    };
                    settle(out, &judged, rule, gate);
                    return Ok(());
                }
                if judged.verdict != Verdict::Revise {
                    let answered = match &judged.unknown {
                        Some(why) => format!("UNKNOWN ({})", why.words()),
                        None => judged.verdict.to_string(),
                    };
                    let why =
                        format!("revision {n} not approved: the reviewer answered {answered}");
                    unapproved(out, &base, why, last_draft.as_deref(), base.verdict, gate);
                    return Ok(());
                }
                base
            }
        };
        let feedback = Feedback::of(&judged.review, &judged.text);
        let stop = if feedback == Feedback::Nothing {
            Some((
                "REVISE without findings: nothing for the drafter to act on".to_string(),
                base.verdict,
            ))
        } else if previous.as_ref() == Some(&feedback) {
            Some((
                "stuck: the same findings twice in a row".to_string(),
                base.verdict,
            ))
        } else if iteration >= ctx.max_iterations {
            Some((
                format!(
                    "max_iterations ({}) reached without approval",
                    ctx.max_iterations
                ),
                Verdict::Blocked,
            ))
        } else {
            too_long_to_draft(&current, ctx.drafter.budget()).map(|why| {
                (
                    format!("revision {iteration} not attempted: {why}"),
                    base.verdict,
                )
            })
        };
        if let Some((why, verdict)) = stop {
            unapproved(out, &base, why, last_draft.as_deref(), verdict, gate);
            return Ok(());
        }
        ctx.reporter
            .step(&item.id, &journal::step_name("draft", iteration));
        let prompt = ctx
            .prompts
            .draft(&item.path, &current, &feedback.prompt_text());
        let req = Request {
            task: Task::Draft(item.workflow),
            prompt: prompt.text,
            document: current.clone(),
            findings: feedback.items(),
            doc_id: item.id.clone(),
            doc_path: item.path.clone(),
        };
        let draft = match journal
            .call(
                ctx,
                &ctx.drafter,
                &item.id,
                "draft",
                iteration,
                &req,
                &prompt.inputs,
            )
            .await
        {
            Ok(draft) => draft,
            // The drafter's request cannot be sent as it is: the review still stands.
            Err(e) if e.is_permanent() => {
                let why = format!("revision {iteration} not attempted: {e}");
                unapproved(out, &base, why, last_draft.as_deref(), base.verdict, gate);
                out.result.hint = e.hint();
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        last_draft = keep_draft(ctx, &item.id, iteration, &draft.text);
        let cleaned = clean_draft(&original, &draft.text);
        let unusable = match same_document(&original, &cleaned) {
            _ if !draft.finish.is_complete() => {
                Some(format!("the draft was {}", draft.finish.describe()))
            }
            Err(damage) => Some(format!("not the same document: {damage}")),
            Ok(()) => None,
        };
        if let Some(why) = unusable {
            let why = format!("revision {iteration} not used: {why}");
            unapproved(out, &base, why, last_draft.as_deref(), base.verdict, gate);
            return Ok(());
        }
        current = cleaned;
        previous = Some(feedback);
        first = Some(base);
        iteration += 1;
    }
}

/// Why drafting `document` is pointless with the drafter's budget: its revision would not fit
/// in max_tokens and would be cut.
fn too_long_to_draft(document: &str, budget: TokenBudget) -> Option<String> {
    let tokens = estimate_tokens(document);
    (budget.max_tokens > 0 && tokens > u64::from(budget.max_tokens)).then(|| {
        format!(
            "the document is about {tokens} tokens, more than the drafter's max_tokens ({}), so its revision would be cut; raise [drafter] max_tokens",
            budget.max_tokens
        )
    })
}

/// Keeps a draft under the run's directory; its path for the user (relative to the work tree
/// when inside it).
fn keep_draft(ctx: &Ctx, id: &str, n: u32, text: &str) -> Option<String> {
    let runlog = ctx.runlog.as_ref()?;
    let path = journal::blocking(|| runlog.draft(id, n, text)).ok()?;
    let shown = path.strip_prefix(&ctx.repo.workdir).unwrap_or(&path);
    Some(shown.display().to_string())
}

/// The verdict a review that states one gives the document, and the rule that decided it.
/// A review without one never gets here: [`verdict::unknown_reason`] says why it has none,
/// and `judge` records UNKNOWN with that reason instead (an UNKNOWN here would still come out
/// as UNKNOWN, from the last arm).
fn final_verdict(
    review: &verdict::Review,
    approve_without_blockers: bool,
) -> (Verdict, &'static str) {
    match review.verdict {
        Verdict::Revise if review.blocking == 0 && approve_without_blockers => (
            Verdict::Approved,
            "approve_without_blockers: REVISE with no Tier 1 finding",
        ),
        // The prompt says APPROVED only when Tier 1 is empty: the reviewer's own findings say
        // what must be fixed first.
        Verdict::Approved if review.blocking > 0 => (
            Verdict::Revise,
            "APPROVED with Tier 1 findings is not APPROVED (APPROVED only when Tier 1 is empty): counted as REVISE",
        ),
        _ => (review.verdict, REVIEWERS_VERDICT),
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
    // Everything the item's worker did counts, bookkeeping included; waits are told apart.
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.wait_ms = result.wait_ms.min(result.duration_ms);
    let waited = match result.wait_ms {
        0 => String::new(),
        w => format!(" (+{:.1}s waiting for a key)", w as f64 / 1000.0),
    };
    let secs = result.review_ms() as f64 / 1000.0;
    let (lead, mut msg) = match (result.verdict, &result.error) {
        (Some(Verdict::Unknown), _) => {
            let why = out
                .unknown
                .as_ref()
                .map_or("no verdict".into(), |u| u.words());
            (
                Lead::Verdict(Verdict::Unknown),
                format!("({why}) in {secs:.1}s{waited}"),
            )
        }
        (Some(v), _) => (
            Lead::Verdict(v),
            format!("({} blocking) in {secs:.1}s{waited}", result.blocking),
        ),
        (None, Some(e)) if result.state == ItemState::Interrupted => {
            (Lead::Plain, format!("stopped ({e}); checkpoint kept"))
        }
        (None, Some(e)) => (Lead::Error, e.clone()),
        (None, None) => (Lead::Plain, "finished".to_string()),
    };
    // How the revise loop ended, on its own line.
    if let (Some(v), Some(rule)) = (result.verdict, &result.rule) {
        if v != Verdict::Unknown && rule != REVIEWERS_VERDICT {
            msg.push_str(&format!("\n{rule}"));
        }
    }
    if let Some(h) = &result.hint {
        msg.push_str(&format!("\nhint: {h}"));
    }
    ctx.reporter.done(&result.id, lead, &msg);
    out
}

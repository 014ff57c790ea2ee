//! One item's workflow: read the document, review it (and with `--revise`, loop drafter →
//! reviewer), decide the verdict. Every LLM step goes through a [`Journal`] that checkpoints it,
//! so a rerun replays completed steps instead of calling the LLM again.

mod journal;
pub mod prompts;
pub mod verdict;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::checkpoint::runlog::RunLog;
use crate::checkpoint::store::Header;
use crate::checkpoint::Layout;
use crate::coordinator::keys::{CallError, Coordinator};
use crate::discover::{ContentSource, Item};
use crate::provider::{Provider, Request, Task};
use crate::report::progress::Reporter;
use crate::report::summary::{ItemResult, ItemState};
use journal::Journal;
use prompts::Prompts;
use verdict::Verdict;

/// Everything a workflow needs, shared by all items of a run.
pub struct Ctx {
    pub reviewer: Provider,
    pub drafter: Provider,
    pub coordinator: Coordinator,
    pub reporter: Arc<Reporter>,
    pub prompts: Prompts,
    pub workdir: PathBuf,
    pub revise: bool,
    pub max_iterations: u32,
    pub approve_without_blockers: bool,
    pub fail_on: Vec<String>,
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
pub struct Outcome {
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
    pub verdict: String,
    pub blocking: usize,
    pub text: String,
}

/// Reads the text a workflow reviews, refusing what no reviewer should be sent: more than
/// `max_bytes`, binary content, or text that is not UTF-8.
pub fn read_document(
    workdir: &std::path::Path,
    item: &Item,
    max_bytes: u64,
) -> Result<String, String> {
    let too_big = |size: u64| {
        format!(
            "{} is {:.1} MB, above max_document_bytes ({:.1} MB): too big to review",
            item.path,
            size as f64 / 1e6,
            max_bytes as f64 / 1e6
        )
    };
    let bytes = match item.source {
        ContentSource::Worktree => {
            let path = workdir.join(&item.path);
            let meta =
                std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", item.path))?;
            if meta.len() > max_bytes {
                return Err(too_big(meta.len()));
            }
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", item.path))?
        }
        ContentSource::Head => {
            let repo = git2::Repository::open(workdir).map_err(|e| e.message().to_string())?;
            let oid = git2::Oid::from_str(&item.blob).map_err(|e| e.message().to_string())?;
            let blob = repo
                .find_blob(oid)
                .map_err(|e| format!("cannot read {} from git: {}", item.path, e.message()))?;
            if blob.size() as u64 > max_bytes {
                return Err(too_big(blob.size() as u64));
            }
            blob.content().to_vec()
        }
    };
    if bytes.contains(&0) {
        return Err(format!(
            "{} looks binary (it contains NUL bytes)",
            item.path
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", item.path))
}

/// Runs one item's workflow to a verdict or an error.
pub async fn run_item(item: Item, ctx: Arc<Ctx>) -> Outcome {
    let started = Instant::now();
    let mut out = Outcome {
        result: ItemResult {
            id: item.id.clone(),
            workflow: item.workflow.name().to_string(),
            path: item.path.clone(),
            blob: item.blob.clone(),
            state: ItemState::Done,
            verdict: None,
            blocking: 0,
            rule: None,
            gate_failed: false,
            error: None,
            duration_ms: 0,
            llm_calls: 0,
        },
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
    let opened = journal::blocking(|| read_document(&ctx.workdir, &item, ctx.max_document_bytes))
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
    out: &mut Outcome,
) -> Result<(), CallError> {
    let result = &mut out.result;
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
        };
        let text = journal
            .call(ctx, &ctx.reviewer, &item.id, "review", iteration, &req)
            .await?;
        let review = verdict::parse(&text);
        let (verdict, rule) = decide(&review, ctx.approve_without_blockers);
        if iteration == 1 {
            out.original = Some(OriginalReview {
                verdict: verdict.as_str().to_string(),
                blocking: review.blocking,
                text: text.clone(),
            });
        }
        out.review = Some(text);
        result.blocking = review.blocking;
        result.verdict = Some(verdict.as_str().to_string());
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
            result.verdict = Some(Verdict::Blocked.as_str().to_string());
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
        };
        document = journal
            .call(ctx, &ctx.drafter, &item.id, "draft", iteration, &req)
            .await?;
        out.revised = Some(document.clone());
        previous_blockers = Some(blockers);
        iteration += 1;
    }
    result.gate_failed = result
        .verdict
        .as_ref()
        .is_some_and(|v| ctx.fail_on.iter().any(|f| f == v));
    Ok(())
}

/// The verdict and the rule that decided it.
pub fn decide(review: &verdict::Review, approve_without_blockers: bool) -> (Verdict, &'static str) {
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

fn finish(mut out: Outcome, started: Instant, ctx: &Ctx, journal: Option<Journal>) -> Outcome {
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

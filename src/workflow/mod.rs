//! One item's workflow: read the document, review it (and with `--revise`, loop drafter →
//! reviewer), decide the verdict.

pub mod prompts;
pub mod verdict;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::coordinator::keys::{CallError, Coordinator};
use crate::discover::{ContentSource, Item};
use crate::provider::{Provider, Request, Task};
use crate::report::progress::Reporter;
use crate::report::summary::{ItemResult, ItemState};
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
}

/// An item's result plus the texts the write-back needs.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub result: ItemResult,
    /// The last review text.
    pub review: Option<String>,
    /// The revised document, when the drafter changed it.
    pub revised: Option<String>,
    /// Set when the run must stop (key pool exhausted, every key invalid).
    pub fatal: Option<CallError>,
}

/// Reads the text a workflow reviews.
pub fn read_document(workdir: &std::path::Path, item: &Item) -> Result<String, String> {
    let bytes = match item.source {
        ContentSource::Worktree => std::fs::read(workdir.join(&item.path))
            .map_err(|e| format!("cannot read {}: {e}", item.path))?,
        ContentSource::Head => {
            let repo = git2::Repository::open(workdir).map_err(|e| e.message().to_string())?;
            let oid = git2::Oid::from_str(&item.blob).map_err(|e| e.message().to_string())?;
            let blob = repo
                .find_blob(oid)
                .map_err(|e| format!("cannot read {} from git: {}", item.path, e.message()))?;
            blob.content().to_vec()
        }
    };
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", item.path))
}

/// Runs one item's workflow to a verdict or an error.
pub async fn run_item(item: Item, ctx: Arc<Ctx>) -> Outcome {
    let started = Instant::now();
    let mut result = ItemResult {
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
    };
    let mut out = Outcome {
        result: result.clone(),
        review: None,
        revised: None,
        fatal: None,
    };
    let report = &ctx.reporter;
    report.step(&item.id, "reading document");
    let mut document = match read_document(&ctx.workdir, &item) {
        Ok(d) => d,
        Err(e) => {
            result.state = ItemState::Failed;
            result.error = Some(e);
            return finish(out, result, started, report);
        }
    };
    let mut previous_blockers: Option<Vec<String>> = None;
    let mut iteration = 1;
    loop {
        report.step(&item.id, &format!("reviewing (iteration {iteration})"));
        let req = Request {
            task: Task::Review(item.workflow),
            prompt: ctx.prompts.review(item.workflow, &item.path, &document),
            document: document.clone(),
            findings: Vec::new(),
        };
        let text = match ctx.coordinator.call(&ctx.reviewer, &req).await {
            Ok((text, _key)) => text,
            Err(e) => return fail(out, result, started, report, e),
        };
        result.llm_calls += 1;
        let review = verdict::parse(&text);
        out.review = Some(text);
        result.blocking = review.blocking;
        let (verdict, rule) = decide(&review, ctx.approve_without_blockers);
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
            result.rule = Some(format!("max_iterations ({}) reached", ctx.max_iterations));
            break;
        }
        report.step(&item.id, &format!("drafting revision {iteration}"));
        let req = Request {
            task: Task::Draft(item.workflow),
            prompt: ctx.prompts.draft(&item.path, &document, &blockers),
            document: document.clone(),
            findings: blockers.clone(),
        };
        match ctx.coordinator.call(&ctx.drafter, &req).await {
            Ok((text, _key)) => {
                result.llm_calls += 1;
                document = text;
                out.revised = Some(document.clone());
            }
            Err(e) => return fail(out, result, started, report, e),
        }
        previous_blockers = Some(blockers);
        iteration += 1;
    }
    result.gate_failed = result
        .verdict
        .as_ref()
        .is_some_and(|v| ctx.fail_on.iter().any(|f| f == v));
    finish(out, result, started, report)
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

fn fail(
    out: Outcome,
    mut result: ItemResult,
    started: Instant,
    report: &Reporter,
    e: CallError,
) -> Outcome {
    let fatal = matches!(e, CallError::Exhausted(_) | CallError::AllInvalid(_));
    result.state = match e {
        CallError::Cancelled | CallError::Exhausted(_) => ItemState::Interrupted,
        _ => ItemState::Failed,
    };
    result.verdict = None;
    result.error = Some(e.to_string());
    let mut out = finish(out, result, started, report);
    if fatal {
        out.fatal = Some(e);
    }
    out
}

fn finish(
    mut out: Outcome,
    mut result: ItemResult,
    started: Instant,
    report: &Reporter,
) -> Outcome {
    result.duration_ms = started.elapsed().as_millis() as u64;
    let msg = match (&result.verdict, &result.error) {
        (Some(v), _) => format!(
            "{v} ({} blocking) in {:.1}s",
            result.blocking,
            result.duration_ms as f64 / 1000.0
        ),
        (None, Some(e)) => format!("error: {e}"),
        (None, None) => "finished".to_string(),
    };
    report.done(&result.id, &msg);
    out.result = result;
    out
}

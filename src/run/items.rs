//! Dispatching the items that need a review: the runtime, the coordinator, the workers, and
//! each item's result (or why it has none).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::plan::Plan;
use super::same_blob::{self, Grouped};
use super::stages::merge_results;
use super::status::{RunStatus, StopReason};
use super::stop::{watch_signals, Stopper};
use super::workers::run_workers;
use crate::checkpoint::cooldowns::CooldownStore;
use crate::checkpoint::runlog::RunLog;
use crate::checkpoint::Layout;
use crate::coordinator::{CallError, Coordinator, Notices};
use crate::error::Error;
use crate::exit::resume_hint;
use crate::model::{Item, ItemResult, ItemState};
use crate::report::progress::{Lead, Mode, Reporter};
use crate::report::summary::{RunFigures, Summary};
use crate::run::setup::Setup;
use crate::workflow::{self, prompts::Prompts, Ctx, ItemOutcome};
use crate::workspace::RepoPaths;

/// Everything the dispatch needs.
pub(super) struct Items<'p> {
    pub plan: &'p Plan,
    pub items: Vec<Item>,
    pub setup: Setup,
    pub prompts: Prompts,
    pub mode: Mode,
    /// Results of cached items, merged into the summary in discovery order.
    pub cached: Vec<ItemResult>,
    pub layout: Layout,
    pub runlog: Arc<RunLog>,
    pub repo: RepoPaths,
}

/// The coordinator's lines go to the run's reporter as `[COORDINATOR]`.
struct CoordinatorLines(Arc<Reporter>);

impl Notices for CoordinatorLines {
    fn notice(&self, msg: &str) {
        self.0.log("COORDINATOR", msg);
    }
}

impl Items<'_> {
    /// Runs the items on a new runtime. A second signal abandons the run at once: that comes
    /// back as an error, so `main` exits without waiting for anything.
    pub fn run(self) -> Result<(Summary, Vec<ItemOutcome>, Arc<Reporter>, RunStatus), Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let stopper = Stopper::new();
        let reporter = Arc::new(
            Reporter::new(self.mode, self.items.len())
                .with_runlog(self.runlog.clone())
                .with_color(self.plan.color),
        );
        let self_fresh = self.plan.fresh;
        let run = self.dispatch(stopper.clone(), reporter.clone());
        let done = runtime.block_on(async {
            tokio::select! {
                done = run => Some(done),
                _ = stopper.abandoned() => None,
            }
        });
        match done {
            Some((summary, outcomes, status)) => Ok((summary, outcomes, reporter, status)),
            None => {
                reporter.finish();
                // Workers may sit in blocking I/O: do not wait for them.
                runtime.shutdown_background();
                Err(Error::Abandoned {
                    reason: stopper.reason().unwrap_or(StopReason::Signal(2)),
                    fresh: self_fresh,
                })
            }
        }
    }

    async fn dispatch(
        self,
        stopper: Stopper,
        reporter: Arc<Reporter>,
    ) -> (Summary, Vec<ItemOutcome>, RunStatus) {
        let Items {
            plan,
            items,
            setup,
            prompts,
            cached,
            layout,
            runlog,
            repo,
            ..
        } = self;
        let cfg = &plan.config;
        let signals = tokio::spawn(watch_signals(stopper.clone(), reporter.clone()));
        if let Some(limit) = plan.time_limit {
            let stopper = stopper.clone();
            let reporter = reporter.clone();
            tokio::spawn(async move {
                tokio::time::sleep(limit).await;
                let reason = StopReason::TimeLimit(limit);
                reporter.log("PARWF", &format!("{reason}: stopping"));
                stopper.stop(reason);
            });
        }
        let provider_label = setup.reviewer.label();
        reporter.log(
            "PARWF",
            &format!(
                "{} document(s) to review with {provider_label} at --parallel {}",
                items.len(),
                plan.parallel
            ),
        );
        let grouped = Grouped::new(items);
        let shared: usize = grouped.copies.iter().map(Vec::len).sum();
        if shared > 0 {
            reporter.log(
                "PARWF",
                &format!("{shared} of them have the same content as another: each content is reviewed once"),
            );
        }
        let ctx = Arc::new(Ctx {
            coordinator: Coordinator::new(
                setup.pools,
                plan.parallel,
                Arc::new(CoordinatorLines(reporter.clone())),
                stopper.token().clone(),
                Some(CooldownStore::at(&layout.state_db())),
            ),
            reviewer: setup.reviewer,
            drafter: setup.drafter,
            reporter: reporter.clone(),
            prompts,
            repo,
            revise: plan.revise,
            max_iterations: cfg.max_iterations,
            approve_without_blockers: cfg.approve_without_blockers,
            gate: cfg.gate(),
            layout: Some(layout),
            runlog: Some(runlog),
            fresh: plan.fresh,
            max_document_bytes: cfg.max_document_bytes,
        });
        let started = Instant::now();
        let worker_stopper = stopper.clone();
        let copy_ids = Arc::new(grouped.copy_ids());
        let unique = grouped.unique.clone();
        let failures = Arc::new(Mutex::new(SameFailure::default()));
        let outcomes = run_workers(unique, plan.parallel, stopper.token(), |item| {
            let ctx = ctx.clone();
            let stopper = worker_stopper.clone();
            let copy_ids = copy_ids.clone();
            let failures = failures.clone();
            async move {
                let out = workflow::run_item(item, ctx.clone()).await;
                for id in copy_ids.get(&out.result.id).into_iter().flatten() {
                    let what = match out.result.verdict {
                        Some(v) => v.to_string(),
                        None => "no verdict".to_string(),
                    };
                    ctx.reporter.done(
                        id,
                        Lead::Plain,
                        &format!("{what}: same content as {} (reviewed once)", out.result.id),
                    );
                }
                let seen = failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .record(&out.result);
                if let Some(reason) = seen {
                    stopper.stop(reason);
                }
                // The key pool cannot serve anyone: stop the run, keep what is done.
                match &out.fatal {
                    Some(CallError::Exhausted(d)) => stopper.stop(StopReason::KeysExhausted(*d)),
                    Some(CallError::AllInvalid(labels)) => {
                        stopper.stop(StopReason::AllKeysInvalid(labels.clone()))
                    }
                    _ => {}
                }
                out
            }
        })
        .await;
        let wall = started.elapsed();
        signals.abort();
        reporter.finish();
        let mut finished = Vec::new();
        let mut results: Vec<ItemResult> = Vec::new();
        for ((item, copies), out) in grouped.unique.iter().zip(&grouped.copies).zip(outcomes) {
            let result = match out {
                Some(Ok(out)) => {
                    for copy in copies {
                        finished.push(same_blob::copy_outcome(&out, copy));
                    }
                    let result = out.result.clone();
                    finished.push(out);
                    result
                }
                Some(Err(e)) => {
                    let mut r = ItemResult::new(item, ItemState::Failed);
                    r.error = Some(e.to_string());
                    r
                }
                None => ItemResult::new(item, ItemState::NotStarted),
            };
            results.extend(copies.iter().map(|c| same_blob::copy_result(&result, c)));
            results.push(result);
        }
        merge_results(&mut results, cached);
        let stop = stopper.reason();
        if let Some(
            reason @ (StopReason::KeysExhausted(_)
            | StopReason::AllKeysInvalid(_)
            | StopReason::SameFailure { .. }),
        ) = &stop
        {
            reporter.print(&format!("error: {reason}"));
            if let Some(h) = reason.hint() {
                reporter.print(&format!("  hint: {h}"));
            }
        }
        // Items a rerun can finish; those the provider refused as they are would meet the same
        // refusal, so they are told apart, with what to change in their hints above.
        let unfinished =
            |r: &&ItemResult| matches!(r.state, ItemState::Interrupted | ItemState::Failed);
        let kept = results
            .iter()
            .filter(unfinished)
            .filter(|r| !r.permanent)
            .count();
        let refused = results
            .iter()
            .filter(unfinished)
            .filter(|r| r.permanent)
            .count();
        if kept > 0 {
            reporter.log(
                "PARWF",
                &format!(
                    "{kept} item(s) kept in checkpoints under .git/parwf: {}",
                    resume_hint(plan.fresh)
                ),
            );
        }
        if refused > 0 {
            reporter.log(
                "PARWF",
                &format!("{refused} item(s) refused by the provider as they are: running again fails the same way until what their hint says is changed"),
            );
        }
        let status = RunStatus::of(&results, stop);
        let (limit_wait, overhead) = ctx.coordinator.times();
        let summary = Summary::new(
            provider_label,
            plan.parallel,
            results,
            RunFigures {
                wall_ms: wall.as_millis() as u64,
                overhead_ms: overhead.as_secs_f64() * 1000.0,
                rate_limit_wait_ms: limit_wait.as_millis() as u64,
                keys: ctx.coordinator.key_stats(),
                calls_peak: ctx.coordinator.peak_calls(),
                capacity: ctx.coordinator.capacity(plan.parallel),
            },
        );
        (summary, finished, status)
    }
}

/// How many failures in a row, all alike and before any success, stop a run.
const SAME_FAILURES: usize = 3;

/// Watches the first items' results: when the first [`SAME_FAILURES`] all fail with one
/// error (a missing script, exit 127; a model name the provider does not know), every other
/// item would too, and a run of 150 documents should say so once rather than 150 times.
#[derive(Debug, Default)]
struct SameFailure {
    failed: usize,
    error: Option<String>,
    /// A success or a different error: the failures are the items' own.
    mixed: bool,
}

impl SameFailure {
    /// Takes one finished item; the stop reason when the run should end here.
    fn record(&mut self, r: &ItemResult) -> Option<StopReason> {
        if self.mixed {
            return None;
        }
        match (&r.state, &r.error) {
            (ItemState::Failed, Some(e)) => match &self.error {
                Some(first) if first != e => self.mixed = true,
                _ => {
                    self.error = Some(e.clone());
                    self.failed += 1;
                }
            },
            (ItemState::Interrupted, _) => {}
            _ => self.mixed = true,
        }
        (!self.mixed && self.failed == SAME_FAILURES).then(|| StopReason::SameFailure {
            items: self.failed,
            error: self.error.clone().unwrap_or_default(),
        })
    }
}

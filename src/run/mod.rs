//! A run, from plan to summary: discover → select (shard, cache) → dispatch the workflows →
//! write back → report. The CLI lowers its flags into a [`Plan`] and prints what comes back;
//! the pre-push hook and the demo call the same pipeline.

pub mod ci;
pub mod hook;
mod items;
pub mod plan;
mod same_blob;
pub mod setup;
mod stages;
pub mod status;
pub mod stop;
pub mod workers;

use std::sync::Arc;

use crate::checkpoint::runlog::{new_run_id, RunLog};
use crate::checkpoint::RunLock;
use crate::discover::{self, Selection};
use crate::error::Error;
use crate::exit::Exit;
use crate::model::{Item, ItemResult, ItemState, PlannedState};
use crate::report::nothing::NothingFound;
use crate::report::progress::{Mode, Reporter};
use crate::report::summary::{RunFigures, Summary};
use crate::workflow::prompts::Prompts;
use crate::workspace::Workspace;
use crate::writeback::cache::Signatures;
pub use plan::{Plan, RunOptions};
use stages::Selected;
pub use status::{RunStatus, StopReason};

/// What a run produced.
#[derive(Debug)]
pub enum RunOutcome {
    /// `--dry-run`: the items and what would happen to each (when there are none, what was
    /// looked at).
    Listing(Vec<(Item, PlannedState)>, Option<NothingFound>),
    /// Nothing matched, and what was looked at.
    Nothing(NothingFound),
    /// The results of the reviews.
    Reviewed(Summary),
}

impl RunOutcome {
    /// The exit status of the run.
    pub fn exit(&self) -> Exit {
        match self {
            RunOutcome::Listing(..) | RunOutcome::Nothing(_) => Exit::Ok,
            RunOutcome::Reviewed(s) => s.exit_code,
        }
    }
}

/// Runs a plan in a workspace. `mode` says how progress is shown on stderr.
pub fn execute(ws: &Workspace, plan: &Plan, mode: Mode) -> Result<RunOutcome, Error> {
    let found = discover::discover(ws, &plan.discover)?;
    let scope = found.scope.clone();
    let discovered = found.items.len() + found.unusable.len();
    let startup = Reporter::new(
        if mode == Mode::Quiet {
            Mode::Quiet
        } else {
            Mode::Plain
        },
        0,
    );
    for w in plan.warnings.iter().chain(&found.warnings) {
        startup.print(&format!("warning: {w}"));
    }
    if let Some(c) = scope.compared.as_ref().filter(|c| c.fallback) {
        startup.log(
            "PARWF",
            &format!(
                "no upstream branch: comparing with {}, the remote's default branch",
                c.with
            ),
        );
    }
    let prompts = load_prompts(ws, plan)?;
    // Documents whose names give no ID fail alone; the others are reviewed. Every shard
    // sees the same list, so each such document is reported by one shard.
    let mut unusable = found.unusable;
    if let Some(p) = plan.partition {
        p.retain(&mut unusable, |u| &u.item.id);
    }
    for u in &unusable {
        startup.print(&format!("error: {}", u.reason));
    }
    // The notes key is read only when something may run: a dry run reads no secret.
    let signatures = setup::note_signatures(
        &plan.config,
        plan.ci,
        !plan.dry_run,
        ws.workdir()?,
        &|name| plan.env.raw(name).map(String::from),
    )?;
    let ci_unverifiable = matches!(signatures, Signatures::Refused);
    let mut selected = Selected::new(ws, plan, found.items, &prompts, signatures)?;
    if ci_unverifiable && !plan.fresh && !selected.items.is_empty() {
        startup.print("[PARWF] CI: no [trust] notes_key is set, so no cached verdict can be verified and none is accepted: every document is reviewed");
    } else {
        for (id, why) in &selected.refused {
            startup.print(&format!("[{id}] {why}: reviewing it again"));
        }
    }
    let layout = ws.layout();
    if plan.dry_run {
        let resumable = stages::resumable_items(&selected.items, layout, &prompts.hash);
        let listing = selected
            .items
            .iter()
            .zip(&selected.cached)
            .enumerate()
            .map(|(n, (item, cached))| {
                let state = match cached {
                    Some(_) => PlannedState::Cached,
                    None if resumable.contains(&n) => PlannedState::Resumable,
                    None => PlannedState::Pending,
                };
                (item.clone(), state)
            })
            .chain(
                unusable
                    .iter()
                    .map(|u| (u.item.clone(), PlannedState::Invalid)),
            )
            .collect::<Vec<_>>();
        let nothing = listing
            .is_empty()
            .then(|| nothing_found(ws, plan, scope, discovered));
        return Ok(RunOutcome::Listing(listing, nothing));
    }
    if selected.items.is_empty() && unusable.is_empty() {
        return Ok(RunOutcome::Nothing(nothing_found(
            ws, plan, scope, discovered,
        )));
    }
    let paths: Vec<String> = selected.items.iter().map(|i| i.path.clone()).collect();
    crate::writeback::preflight(ws, &plan.write, &paths)?;
    let (mut cached, reviews) = selected.take_cached();
    // Results known before any review: the cached verdicts, and the documents that failed.
    cached.extend(unusable.into_iter().map(|u| {
        let mut r = ItemResult::new(&u.item, ItemState::Failed);
        r.error = Some(u.reason);
        r
    }));
    stages::merge_results(&mut cached, Vec::new());
    if selected.items.is_empty() {
        // Every verdict is cached: no provider, no runtime, no lock.
        let mut status = RunStatus::of(&cached, None);
        let mut summary = Summary::new(
            selected.rule.info.model.clone(),
            plan.parallel,
            cached,
            RunFigures::default(),
        );
        status.write_failed = !stages::write_back(
            ws,
            plan,
            &selected.rule,
            &mut summary,
            reviews,
            &[],
            &startup,
        );
        summary.exit_code = status.exit();
        let leftover =
            |r: &crate::model::ItemResult| layout.checkpoint(r.workflow.name(), &r.id).exists();
        if summary.items.iter().any(leftover) {
            let _lock = RunLock::acquire(&layout.lock())?;
            stages::drop_written_checkpoints(layout, &summary.items, &startup);
        }
        return Ok(RunOutcome::Reviewed(summary));
    }
    // Keys are resolved here, after --dry-run has returned: a dry run reads no secret.
    let setup = setup::build(
        &plan.config,
        ws.workdir()?,
        plan.parallel,
        plan.ci,
        &|name| plan.env.raw(name).map(String::from),
    )?;
    for w in &setup.warnings {
        startup.print(&format!("warning: {w}"));
    }
    let lock = RunLock::acquire(&layout.lock())?;
    if let Some(previous) = &lock.stale {
        startup.print(&format!(
            "warning: the previous run ({previous}) did not finish cleanly; its checkpoints are resumed"
        ));
    }
    let runlog = Arc::new(RunLog::create(layout, &new_run_id())?);
    let items = items::Items {
        plan,
        items: std::mem::take(&mut selected.items),
        setup,
        prompts,
        mode,
        cached,
        layout: layout.clone(),
        runlog: runlog.clone(),
        repo: ws.paths()?,
    };
    let (mut summary, outcomes, reporter, mut status) = items.run()?;
    status.write_failed = !stages::write_back(
        ws,
        plan,
        &selected.rule,
        &mut summary,
        reviews,
        &outcomes,
        &reporter,
    );
    if !status.write_failed {
        stages::drop_written_checkpoints(layout, &summary.items, &reporter);
    }
    summary.exit_code = status.exit();
    summary.stop = status.stop.clone();
    runlog.summary(&summary.to_json())?;
    drop(lock);
    Ok(RunOutcome::Reviewed(summary))
}

/// What an empty run looked at, and the uncommitted documents it left out (worth a look
/// only when nothing was found).
fn nothing_found(
    ws: &Workspace,
    plan: &Plan,
    scope: discover::Scope,
    discovered: usize,
) -> NothingFound {
    let d = &plan.discover;
    let uncommitted = if d.include_worktree || matches!(d.selection, Selection::Paths(_)) {
        Vec::new()
    } else {
        // Only a hint: a work tree that cannot be read just goes without it.
        discover::uncommitted(ws, &d.kinds).unwrap_or_default()
    };
    NothingFound {
        scope,
        all: d.selection == Selection::All,
        other_shards: if plan.partition.is_some() {
            discovered
        } else {
            0
        },
        uncommitted,
    }
}

/// The prompts in use: built in, or from `prompts_dir` (in CI, as committed on the base
/// revision: the branch under review does not choose its reviewer's instructions).
fn load_prompts(ws: &Workspace, plan: &Plan) -> Result<Prompts, Error> {
    let dir = &plan.config.prompts_dir;
    if plan.ci && !dir.is_empty() {
        let Some(rev) = &plan.config_rev else {
            return Err(Error::usage(
                "in CI, prompts_dir is read from the base revision, and this selection has none",
                "pass --since REV (the base branch), or unset prompts_dir",
            ));
        };
        return Ok(Prompts::with_overrides(ci::committed_prompts(
            ws, rev, dir,
        )?));
    }
    work_tree_prompts(ws, dir)
}

/// The built-in prompts, or those of `prompts_dir` in the work tree.
fn work_tree_prompts(ws: &Workspace, dir: &str) -> Result<Prompts, Error> {
    let dir = if dir.is_empty() {
        None
    } else {
        Some(ws.workdir()?.join(dir))
    };
    Prompts::load(dir.as_deref()).map_err(|e| {
        Error::usage(
            format!("cannot read prompts_dir: {e}"),
            "prompts_dir holds lld-review.md, issue-review.md and drafter.md; unset it to use the built-in prompts",
        )
    })
}

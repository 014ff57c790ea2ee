//! The pre-push gate: the documents each pushed branch changes, each needing a verdict note for
//! its current blob that passes the gate (`[hook] mode = "check"`); with `mode = "review"` the
//! missing reviews run first, through the normal pipeline, within the hook's time limit.
//!
//! A push that changes no document must cost almost nothing: no runtime, no provider, no notes
//! are loaded on that path.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use super::plan::{Plan, RunOptions};
use super::setup;
use super::status::StopReason;
use super::{execute, RunOutcome};
use crate::config::{Config, HookMode};
use crate::discover::push::{push_ranges, PushRange, RefUpdate};
use crate::discover::{self, DiscoverOptions, Selection};
use crate::env::Env;
use crate::error::Error;
use crate::model::Gate;
use crate::report::progress::Mode;
pub use crate::report::refusal::{Checked, Refusal};
use crate::report::summary::Summary;
use crate::workspace::Workspace;
use crate::writeback::cache::NoteRule;
use crate::writeback::notes::NotesStore;
use crate::writeback::share::{self, ShareError};

/// Whether a document may be pushed: it can be reviewed and its verdict passes. (A badly
/// named file may share its content, and so a note, with a good document.)
fn passes(c: &Checked, gate: &Gate) -> bool {
    c.problem.is_none() && gate.passes(c.verdict)
}

/// The gate's decision on a push.
#[derive(Debug)]
pub enum HookDecision {
    /// Nothing to check: no branch is updated, no document changed, or `mode = "off"`.
    Pass,
    /// Every changed document has a passing review (their IDs).
    Approved(Vec<String>),
    /// Some changed documents lack a passing review.
    Refused(Refusal),
}

/// What review mode printed of its runs, for the hook to show.
pub type Shown<'a> = &'a mut dyn FnMut(&Summary);

/// Decides a push: `updates` are git's pre-push lines, `remote` the remote's name.
#[allow(clippy::too_many_arguments)]
pub fn pre_push(
    ws: &Workspace,
    cwd: &Path,
    remote: &str,
    updates: &[RefUpdate],
    config: &Config,
    env: &Env,
    mode: Mode,
    shown: Shown<'_>,
) -> Result<HookDecision, Error> {
    if config.hook.mode == HookMode::Off {
        return Ok(HookDecision::Pass);
    }
    let ranges = push_ranges(ws.repo(), remote, updates)?;
    let mut checked = changed_documents(ws, cwd, config, &ranges)?;
    if checked.is_empty() {
        return Ok(HookDecision::Pass);
    }
    // A note counts on the same terms as in the cache: written for this workflow, with these
    // prompts and this model, and signed when a notes key is configured.
    let prompts = super::work_tree_prompts(ws, &config.prompts_dir)?;
    let workdir = ws.workdir()?;
    let lookup = |name: &str| env.raw(name).map(String::from);
    let signatures = setup::note_signatures(config, false, true, workdir, &lookup)?;
    let rule = NoteRule::new(&config.provider, prompts.hash, signatures);
    let notes = NotesStore::new(ws.repo());
    for c in checked.iter_mut().filter(|c| c.problem.is_none()) {
        if let Some(note) = notes.get_hex(&c.item.blob).map_err(Error::notes)? {
            if rule.accepts(&note, &c.item.blob, c.item.workflow).is_ok() {
                c.verdict = Some(note.header.verdict);
                c.blocking = note.header.blocking;
            }
        }
    }
    let gate = config.gate();
    let mut unfinished = None;
    if config.hook.mode == HookMode::Review && checked.iter().any(|c| !passes(c, &gate)) {
        let limit = Duration::from_secs(config.hook.timeout_s.max(1));
        let review = Review {
            ws,
            cwd,
            config,
            env,
            mode,
            gate: &gate,
        };
        if !review.run(&ranges, &mut checked, limit, shown)? {
            unfinished = Some(limit);
        }
    }
    let total = checked.len();
    let (passing, failing): (Vec<Checked>, Vec<Checked>) =
        checked.into_iter().partition(|c| passes(c, &gate));
    if failing.is_empty() {
        return Ok(HookDecision::Approved(
            passing.into_iter().map(|c| c.item.id).collect(),
        ));
    }
    let head = ws
        .repo()
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string());
    Ok(HookDecision::Refused(Refusal {
        failing,
        total,
        ranges,
        head,
        unfinished,
        no_provider: rule.info.model.is_empty(),
    }))
}

/// What became of the verdict notes once a push passed the gate.
#[derive(Debug)]
pub enum NotesAfterPush {
    /// `[hook] push_notes` is off: the user is told how to send them.
    NotAsked,
    /// They went to the remote.
    Pushed,
    /// Pushing them failed; the push itself goes on.
    Failed(ShareError),
    /// No work tree to push them from.
    NoWorkTree,
}

/// The verdicts that let a push through reach `remote` with it when `push` (`[hook]
/// push_notes`) asks for it. A failure to push the notes never stops the push.
pub fn push_notes(ws: &Workspace, remote: &str, push: bool) -> NotesAfterPush {
    if !push {
        return NotesAfterPush::NotAsked;
    }
    let Ok(dir) = ws.workdir() else {
        return NotesAfterPush::NoWorkTree;
    };
    match share::push_notes(dir, remote) {
        Ok(()) => NotesAfterPush::Pushed,
        Err(e) => NotesAfterPush::Failed(e),
    }
}

/// The documents each range changes, once each (by path and blob).
fn changed_documents(
    ws: &Workspace,
    cwd: &Path,
    config: &Config,
    ranges: &[PushRange],
) -> Result<Vec<Checked>, Error> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut checked = Vec::new();
    let kinds = config.kinds().to_vec();
    for (n, r) in ranges.iter().enumerate() {
        let found = discover::discover(
            ws,
            &DiscoverOptions {
                selection: range_selection(r),
                include_worktree: false,
                kinds: kinds.clone(),
                only: None,
                cwd: cwd.to_path_buf(),
            },
        )?;
        for w in &found.warnings {
            // stderr may be gone (a closed terminal): nothing to tell then.
            let _ = writeln!(std::io::stderr(), "warning: {w}");
        }
        let unusable = found.unusable.into_iter().map(|u| (u.item, Some(u.reason)));
        for (item, problem) in found.items.into_iter().map(|i| (i, None)).chain(unusable) {
            if seen.insert((item.path.clone(), item.blob.clone())) {
                checked.push(Checked {
                    item,
                    verdict: None,
                    blocking: 0,
                    range: n,
                    problem,
                });
            }
        }
    }
    Ok(checked)
}

fn range_selection(r: &PushRange) -> Selection {
    Selection::Range {
        base: r.base.clone(),
        head: r.head.clone(),
    }
}

/// `mode = "review"`: the reviews the push lacks.
struct Review<'a> {
    ws: &'a Workspace,
    cwd: &'a Path,
    config: &'a Config,
    env: &'a Env,
    mode: Mode,
    gate: &'a Gate,
}

impl Review<'_> {
    /// Runs the missing reviews range by range within `limit` and takes their verdicts.
    /// False when the time ran out.
    fn run(
        &self,
        ranges: &[PushRange],
        checked: &mut [Checked],
        limit: Duration,
        shown: Shown<'_>,
    ) -> Result<bool, Error> {
        let started = Instant::now();
        let mut finished = true;
        for (n, range) in ranges.iter().enumerate() {
            if checked.iter().all(|c| c.range != n || passes(c, self.gate)) {
                continue;
            }
            let Some(left) = limit.checked_sub(started.elapsed()) else {
                finished = false;
                break;
            };
            let mut opts = RunOptions::new(range_selection(range), self.cwd.to_path_buf());
            opts.in_hook = true;
            opts.time_limit = Some(left);
            opts.env = self.env.clone();
            let plan = Plan::from_config(opts, self.config.clone(), Vec::new())?;
            let _ = writeln!(
                std::io::stderr(),
                "[PARWF] pre-push: reviewing the changed documents without a passing verdict (hook.timeout_s = {})",
                limit.as_secs()
            );
            if let RunOutcome::Reviewed(summary) = execute(self.ws, &plan, self.mode)? {
                shown(&summary);
                finished &= !matches!(summary.stop, Some(StopReason::TimeLimit(_)));
                for r in summary.items.iter().filter(|r| r.verdict.is_some()) {
                    for c in checked.iter_mut().filter(|c| c.item.blob == r.blob) {
                        c.verdict = r.verdict;
                        c.blocking = r.blocking;
                    }
                }
            }
        }
        Ok(finished)
    }
}

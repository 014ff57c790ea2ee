//! `parwf hook pre-push REMOTE URL`: the pre-push gate. Reads git's lines on stdin, finds the
//! documents each pushed branch changes, and refuses the push unless each has a passing
//! verdict note for its current blob (`[hook] mode = "check"`), after running the missing
//! reviews first with `mode = "review"`.
//!
//! A push that changes no document must cost almost nothing: no runtime, no provider, no
//! notes are loaded on that path.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use super::args::{PrePushArgs, RunArgs};
use super::run::{self, RunOutput, RunPlan};
use crate::config::{self, ConfigInputs};
use crate::discover::push::{push_ranges, read_input, InputError, PushRange};
use crate::discover::{self, DiscoverOptions, Item, Selection};
use crate::error::{exit, Error};
use crate::report::progress::Mode;
use crate::writeback::notes::NotesReader;
use crate::writeback::WriteMode;

/// What the hook knows about one changed document.
struct Checked {
    item: Item,
    /// The verdict of the note on its blob (or of this hook's review), if any.
    verdict: Option<String>,
    blocking: usize,
    range: usize,
}

impl Checked {
    fn passes(&self, fail_on: &[String]) -> bool {
        self.verdict
            .as_ref()
            .is_some_and(|v| !fail_on.iter().any(|f| f == v))
    }
}

/// Runs the hook on git's pre-push lines (`input`: stdin, or lines a hook manager's variables
/// describe); the exit code is what git sees (non-zero refuses the push).
pub fn pre_push(
    args: &PrePushArgs,
    cwd: &Path,
    inputs: impl FnOnce() -> ConfigInputs,
    mode: Mode,
    mut input: impl std::io::BufRead,
) -> Result<i32, Error> {
    if std::env::var("PARWF_SKIP").is_ok_and(|v| v == "1") {
        // Read git's input to the end even when skipping, so git never meets a closed pipe;
        // whatever it is, it is not kept.
        let _ = std::io::copy(&mut input, &mut std::io::sink());
        eprintln!("[PARWF] PARWF_SKIP=1: the pre-push review check is skipped");
        return Ok(exit::OK);
    }
    // Input that is not git's stops the reading at its first bad line: git does not mind a
    // hook that leaves input unread, and a stream of garbage must not fill memory.
    let updates = read_input(input).map_err(|e| match e {
        InputError::Line(msg) => Error::usage(
            msg,
            "parwf hook pre-push reads the lines git gives a pre-push hook",
        ),
        InputError::Read(_) => Error::Io(e.to_string()),
    })?;
    // Deletions and tags pass without looking at anything else.
    if !updates.iter().any(|u| u.is_branch() && !u.is_deletion()) {
        return Ok(exit::OK);
    }
    let inputs = inputs();
    let cfg = config::load(&inputs)?.config;
    if cfg.hook.mode == "off" {
        return Ok(exit::OK);
    }
    let ranges = push_ranges(cwd, &args.remote, &updates)?;
    let mut checked = changed_documents(cwd, &cfg.globs(), &ranges)?;
    if checked.is_empty() {
        return Ok(exit::OK);
    }
    read_notes(cwd, &mut checked)?;
    let mut unfinished = None;
    if cfg.hook.mode == "review" && checked.iter().any(|c| !c.passes(&cfg.fail_on)) {
        let limit = Duration::from_secs(cfg.hook.timeout_s.max(1));
        if !review(cwd, inputs, &ranges, &mut checked, limit, mode)? {
            unfinished = Some(limit);
        }
    }
    let failing: Vec<&Checked> = checked.iter().filter(|c| !c.passes(&cfg.fail_on)).collect();
    if failing.is_empty() {
        let ids: Vec<&str> = checked.iter().map(|c| c.item.id.as_str()).collect();
        eprintln!(
            "[PARWF] pre-push: {} changed document{} approved ({})",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        );
        return Ok(exit::OK);
    }
    eprint!("{}", refusal(cwd, &failing, &ranges, checked.len()));
    if let Some(limit) = unfinished {
        eprintln!(
            "  the reviews did not finish within hook.timeout_s ({}s); run the command above, or raise [hook] timeout_s",
            limit.as_secs()
        );
    }
    Ok(exit::GATE_FAILED)
}

/// The documents each range changes, once each (by path and blob).
fn changed_documents(
    cwd: &Path,
    globs: &[(discover::WorkflowKind, Vec<String>)],
    ranges: &[PushRange],
) -> Result<Vec<Checked>, Error> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut checked = Vec::new();
    for (n, r) in ranges.iter().enumerate() {
        let found = discover::discover(&DiscoverOptions {
            selection: range_selection(r),
            include_worktree: false,
            globs: globs.to_vec(),
            only: None,
            cwd: cwd.to_path_buf(),
        })?;
        for w in &found.warnings {
            eprintln!("warning: {w}");
        }
        for item in found.items {
            if seen.insert((item.path.clone(), item.blob.clone())) {
                checked.push(Checked {
                    item,
                    verdict: None,
                    blocking: 0,
                    range: n,
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

fn read_notes(cwd: &Path, checked: &mut [Checked]) -> Result<(), Error> {
    let git = |e: git2::Error| Error::Io(format!("cannot read verdict notes: {}", e.message()));
    let repo = git2::Repository::discover(cwd).map_err(git)?;
    let notes = NotesReader::open(&repo).map_err(git)?;
    for c in checked {
        if let Some(note) = git2::Oid::from_str(&c.item.blob)
            .ok()
            .and_then(|oid| notes.get(oid))
        {
            c.verdict = Some(note.header.verdict);
            c.blocking = note.header.blocking;
        }
    }
    Ok(())
}

/// `mode = "review"`: runs the reviews the push lacks through the normal run pipeline (cache,
/// pool, notes), within the time limit, and takes their verdicts. False when the time ran out.
fn review(
    cwd: &Path,
    inputs: ConfigInputs,
    ranges: &[PushRange],
    checked: &mut [Checked],
    limit: Duration,
    mode: Mode,
) -> Result<bool, Error> {
    let started = Instant::now();
    let mut finished = true;
    let fail_on = config::load(&inputs)?.config.fail_on;
    for (n, range) in ranges.iter().enumerate() {
        if checked.iter().all(|c| c.range != n || c.passes(&fail_on)) {
            continue;
        }
        let Some(left) = limit.checked_sub(started.elapsed()) else {
            finished = false;
            break;
        };
        let mut plan = RunPlan::new(&RunArgs::default(), cwd, inputs.clone())?;
        super::output::from_environment(&mut plan);
        plan.discover.selection = range_selection(range);
        plan.write.in_hook = true;
        if plan.write.mode == WriteMode::Commit {
            eprintln!("[PARWF] write = commit is refused inside the hook (a commit made during a push is not part of it): writing notes");
            plan.write.mode = WriteMode::Notes;
        }
        plan.time_limit = Some(left);
        eprintln!(
            "[PARWF] pre-push: reviewing the changed documents without a passing verdict (hook.timeout_s = {})",
            limit.as_secs()
        );
        if let RunOutput::Reviewed(summary) = run::collect(&plan, mode)? {
            eprint!("{}", summary.to_human());
            finished &= summary.exit_code != exit::INTERRUPTED;
            for r in summary.items.iter().filter(|r| r.verdict.is_some()) {
                for c in checked.iter_mut().filter(|c| c.item.blob == r.blob) {
                    c.verdict = r.verdict.clone();
                    c.blocking = r.blocking;
                }
            }
        }
    }
    Ok(finished)
}

/// The refusal: which documents, their verdicts, and the commands to run.
fn refusal(cwd: &Path, failing: &[&Checked], ranges: &[PushRange], total: usize) -> String {
    let mut out = format!(
        "parwf pre-push: push refused: {} of {total} changed document{} without a passing review\n",
        failing.len(),
        if total == 1 { "" } else { "s" }
    );
    let w = failing.iter().map(|c| c.item.id.len()).max().unwrap_or(2);
    for c in failing {
        let state = match &c.verdict {
            Some(v) => format!("{v} ({} blocking)", c.blocking),
            None => "no review".to_string(),
        };
        out.push_str(&format!(
            "  {:w$}  {state:20}  {}\n",
            c.item.id, c.item.path
        ));
    }
    let head = git2::Repository::discover(cwd)
        .ok()
        .and_then(|r| r.head().ok()?.target())
        .map(|o| o.to_string());
    let mut commands: Vec<String> = Vec::new();
    for c in failing {
        let r = &ranges[c.range];
        let since = match (&r.base_label, &r.base) {
            (Some(label), _) => format!("git parwf --since {label}"),
            (None, Some(base)) => format!("git parwf --since {}", &base[..12.min(base.len())]),
            (None, None) => "git parwf --all".to_string(),
        };
        let cmd = if head.as_deref() == Some(r.head.as_str()) {
            since
        } else {
            let branch = r.remote_ref.trim_start_matches("refs/heads/");
            format!("git switch {branch} && {since}")
        };
        if !commands.contains(&cmd) {
            commands.push(cmd);
        }
    }
    if let Some(c) = failing.iter().find(|c| c.verdict.is_some()) {
        out.push_str(&format!(
            "  read a review: git notes --ref=parwf show {}\n",
            c.item.blob
        ));
        out.push_str("  fix what the reviews ask for and commit, then review again:\n");
    } else {
        out.push_str("  review them:\n");
    }
    for cmd in commands {
        out.push_str(&format!("    {cmd}\n"));
    }
    out.push_str("  push without the check: PARWF_SKIP=1 git push …  (or git push --no-verify)\n");
    out
}

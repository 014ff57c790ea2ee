//! `parwf hook pre-push REMOTE URL`: reads git's lines on stdin, asks the gate, and prints its
//! decision; the exit status is what git sees (non-zero refuses the push).

use std::path::Path;

use super::args::PrePushArgs;
use super::out;
use super::Env;
use crate::config::{self, ConfigInputs};
use crate::discover::push::{read_input, InputError, RefUpdate};
use crate::error::Error;
use crate::exit::Exit;
use crate::report::progress::Mode;
use crate::run::hook::{self, HookDecision, Refusal};
use crate::workspace::Workspace;
use crate::writeback::notes::NOTES_REF;
use crate::writeback::share;

/// What a push without the check takes.
const SKIP: &str = "push without the check: PARWF_SKIP=1 git push …  (or git push --no-verify)";

/// Runs the hook on git's pre-push lines (`input`: stdin, or lines a hook manager's variables
/// describe); the exit status is what git sees (non-zero refuses the push).
pub fn pre_push(
    args: &PrePushArgs,
    cwd: &Path,
    env: &Env,
    inputs: impl FnOnce(&Workspace) -> ConfigInputs,
    mode: Mode,
    mut input: impl std::io::BufRead,
) -> Result<Exit, Error> {
    if env.raw("PARWF_SKIP") == Some("1") {
        // Read git's input to the end even when skipping, so git never meets a closed pipe;
        // whatever it is, it is not kept.
        let _ = std::io::copy(&mut input, &mut std::io::sink());
        out::eprintln("[PARWF] PARWF_SKIP=1: the pre-push review check is skipped");
        return Ok(Exit::Ok);
    }
    // Input that is not git's stops the reading at its first bad line: git does not mind a
    // hook that leaves input unread, and a stream of garbage must not fill memory.
    let updates = read_input(input).map_err(|e| match e {
        InputError::Line(msg) => Error::usage(
            msg,
            "parwf hook pre-push reads the lines git gives a pre-push hook",
        ),
        InputError::Read(e) => Error::file("read", "the hook's standard input", e),
    })?;
    // Deletions and tags pass without looking at anything else.
    if !updates.iter().any(|u| u.is_branch() && !u.is_deletion()) {
        return Ok(Exit::Ok);
    }
    // From here on the user is in the middle of a `git push`: whatever stops the check (a
    // broken config, an unreadable repository) refuses it in the hook's words, with the way
    // around it.
    check(args, cwd, env, &updates, inputs, mode).or_else(|e| {
        out::eprintln(&format!("parwf pre-push: push refused: {e}"));
        if let Some(h) = e.hint() {
            out::eprintln(&format!("  hint: {h}"));
        }
        out::eprintln(&format!("  {SKIP}"));
        Ok(e.exit())
    })
}

/// The gate's decision on `updates`, told on stderr.
fn check(
    args: &PrePushArgs,
    cwd: &Path,
    env: &Env,
    updates: &[RefUpdate],
    inputs: impl FnOnce(&Workspace) -> ConfigInputs,
    mode: Mode,
) -> Result<Exit, Error> {
    let ws = Workspace::discover(cwd)?;
    let config = config::load(&inputs(&ws))?.config;
    let mut show = |s: &crate::report::summary::Summary| out::eprint(&s.to_human());
    let decision = hook::pre_push(
        &ws,
        cwd,
        &args.remote,
        updates,
        &config,
        env,
        mode,
        &mut show,
    )?;
    match decision {
        HookDecision::Pass => Ok(Exit::Ok),
        HookDecision::Approved(ids) => {
            out::eprintln(&format!(
                "[PARWF] pre-push: {} changed document{} approved ({})",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                ids.join(", ")
            ));
            share_notes(&ws, &args.remote, config.hook.push_notes);
            Ok(Exit::Ok)
        }
        HookDecision::Refused(r) => {
            out::eprint(&refusal(&r));
            if let Some(limit) = r.unfinished {
                out::eprintln(&format!(
                    "  the reviews did not finish within hook.timeout_s ({}s); run the command above, or raise [hook] timeout_s",
                    limit.as_secs()
                ));
            }
            Ok(Exit::GateFailed)
        }
    }
}

/// The verdicts that let this push through reach the remote with it (`[hook] push_notes`),
/// or the user is told how to send them. A failure to push the notes never stops the push.
fn share_notes(ws: &Workspace, remote: &str, push: bool) {
    if !push {
        out::eprintln(&format!(
            "[PARWF] share the verdicts with the team: git push {remote} {NOTES_REF}  (or set [hook] push_notes = true)"
        ));
        return;
    }
    let Ok(dir) = ws.workdir() else { return };
    match share::push_notes(dir, remote) {
        Ok(()) => out::eprintln(&format!(
            "[PARWF] pushed the verdict notes ({NOTES_REF}) to {remote}"
        )),
        Err(e) => {
            out::eprintln(&format!("warning: {e}"));
            out::eprintln(&format!("  hint: {}", e.hint(remote)));
        }
    }
}

/// The refusal: which documents, their verdicts, and the commands to run.
fn refusal(r: &Refusal) -> String {
    let total = r.total;
    let mut out = format!(
        "parwf pre-push: push refused: {} of {total} changed document{} without a passing review\n",
        r.failing.len(),
        if total == 1 { "" } else { "s" }
    );
    let w = r.failing.iter().map(|c| c.item.id.len()).max().unwrap_or(2);
    for c in &r.failing {
        let state = match (c.verdict, &c.problem) {
            (_, Some(_)) => "cannot be reviewed".to_string(),
            (Some(v), None) => format!("{v} ({} blocking)", c.blocking),
            (None, None) => "no review".to_string(),
        };
        out.push_str(&format!(
            "  {:w$}  {state:20}  {}\n",
            c.item.id,
            c.item.path.escape_debug()
        ));
        if let Some(problem) = &c.problem {
            out.push_str(&format!("  {:w$}  {problem}\n", ""));
        }
    }
    let mut commands: Vec<String> = Vec::new();
    for c in &r.failing {
        let range = &r.ranges[c.range];
        let since = match (&range.base_label, &range.base) {
            (Some(label), _) => format!("git parwf --since {label}"),
            (None, Some(base)) => format!("git parwf --since {}", &base[..12.min(base.len())]),
            (None, None) => "git parwf --all".to_string(),
        };
        let cmd = if r.head.as_deref() == Some(range.head.as_str()) {
            since
        } else {
            let branch = range.remote_ref.trim_start_matches("refs/heads/");
            format!("git switch {branch} && {since}")
        };
        if !commands.contains(&cmd) {
            commands.push(cmd);
        }
    }
    if r.no_provider {
        out.push_str("  no provider is configured: a verdict note counts only for the configured [provider] kind and model\n");
    }
    if let Some(c) = r.failing.iter().find(|c| c.verdict.is_some()) {
        out.push_str(&format!("  read a review: git parwf show {}\n", c.item.id));
        out.push_str("  fix what the reviews ask for and commit, then review again:\n");
    } else {
        out.push_str("  review them:\n");
    }
    for cmd in commands {
        out.push_str(&format!("    {cmd}\n"));
    }
    out.push_str(&format!("  {SKIP}\n"));
    out
}

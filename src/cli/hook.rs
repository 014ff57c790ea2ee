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
use crate::report::refusal;
use crate::run::hook::{self, HookDecision, NotesAfterPush};
use crate::workspace::Workspace;
use crate::writeback::notes::NOTES_REF;

/// Runs the hook on git's pre-push lines (`input`: stdin, or lines a hook manager's variables
/// describe); the exit status is what git sees (non-zero refuses the push). `opened`: the
/// repository, when the caller already opened it; else it is opened only when a branch
/// update needs checking.
pub fn pre_push(
    args: &PrePushArgs,
    cwd: &Path,
    opened: Option<Workspace>,
    env: &Env,
    inputs: impl FnOnce(&Workspace) -> ConfigInputs,
    mode: Mode,
    mut input: impl std::io::BufRead,
) -> Result<Exit, Error> {
    if env.raw("PARWF_SKIP") == Some("1") {
        // Read git's input to the end even when skipping, so git never meets a closed pipe;
        // whatever it is, it is not kept.
        let _ = std::io::copy(&mut input, &mut std::io::sink());
        out::eprintln(refusal::SKIPPED);
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
    check(args, cwd, opened, env, &updates, inputs, mode).or_else(|e| {
        out::eprint(&refusal::check_failed(&e, e.hint().as_deref()));
        Ok(e.exit())
    })
}

/// The gate's decision on `updates`, told on stderr.
fn check(
    args: &PrePushArgs,
    cwd: &Path,
    opened: Option<Workspace>,
    env: &Env,
    updates: &[RefUpdate],
    inputs: impl FnOnce(&Workspace) -> ConfigInputs,
    mode: Mode,
) -> Result<Exit, Error> {
    let ws = match opened {
        Some(ws) => ws,
        None => Workspace::discover(cwd)?,
    };
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
            out::eprintln(&refusal::approved(&ids));
            let remote = &args.remote;
            match hook::push_notes(&ws, remote, config.hook.push_notes) {
                NotesAfterPush::NotAsked => {
                    out::eprintln(&refusal::share_notes_hint(remote, NOTES_REF))
                }
                NotesAfterPush::Pushed => out::eprintln(&refusal::notes_pushed(remote, NOTES_REF)),
                NotesAfterPush::Failed(e) => {
                    out::eprintln(&format!("warning: {e}"));
                    out::eprintln(&format!("  hint: {}", e.hint(remote)));
                }
                NotesAfterPush::NoWorkTree => {}
            }
            Ok(Exit::Ok)
        }
        HookDecision::Refused(r) => {
            out::eprint(&refusal::refusal(&r));
            Ok(Exit::GateFailed)
        }
    }
}

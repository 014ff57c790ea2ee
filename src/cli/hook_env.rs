//! `parwf hook pre-push-env`: the pre-push gate under the pre-commit framework. pre-commit
//! reads git's pre-push input itself and hands its hooks an empty stdin, describing the push in
//! PRE_COMMIT_* variables instead; a plain `parwf hook pre-push` there would see no update
//! and let everything through. This turns the variables back into git's line and runs the
//! same gate.

use std::path::Path;

use super::args::PrePushArgs;
use super::Env;
use crate::config::ConfigInputs;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::progress::Mode;
use crate::workspace::Workspace;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// The remote, its URL and the one pre-push line the variables describe.
#[derive(Debug, PartialEq, Eq)]
struct Push {
    remote: String,
    url: Option<String>,
    line: String,
}

/// Reads pre-commit's variables: PRE_COMMIT_REMOTE_NAME/URL/BRANCH, PRE_COMMIT_LOCAL_BRANCH,
/// and PRE_COMMIT_FROM_REF/TO_REF (absent when the whole history is new). A hand-run
/// `pre-commit run --hook-stage pre-push --from-ref A --to-ref B` sets only the refs.
fn push_from(var: impl Fn(&str) -> Option<String>, cwd: &Path) -> Result<Push, Error> {
    let var = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    let (from, to) = (var("PRE_COMMIT_FROM_REF"), var("PRE_COMMIT_TO_REF"));
    let local_branch = var("PRE_COMMIT_LOCAL_BRANCH");
    if to.is_none() && local_branch.is_none() {
        return Err(Error::usage(
            "parwf hook pre-push-env: no push described (PRE_COMMIT_TO_REF and PRE_COMMIT_LOCAL_BRANCH are unset)",
            "it runs from the pre-commit framework's pre-push stage (pre-commit install --hook-type pre-push); for a plain git hook use parwf install-hook",
        ));
    }
    let ws = Workspace::discover(cwd)?;
    let repo = ws.repo();
    let resolve = |rev: &str| -> Result<String, Error> {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id().to_string())
            .map_err(|_| {
                Error::usage(
                    format!("parwf hook pre-push-env: `{rev}` is not a commit in this repository"),
                    "PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF name the pushed range",
                )
            })
    };
    let local_ref = local_branch.unwrap_or_else(|| "HEAD".to_string());
    let local_oid = resolve(to.as_deref().unwrap_or(&local_ref))?;
    let remote = var("PRE_COMMIT_REMOTE_NAME");
    let remote_branch = var("PRE_COMMIT_REMOTE_BRANCH");
    // A branch the remote has not got (no remote-tracking ref for it) is pushed as new, as
    // git would say: the hook then compares it with the remote's default branch, as its own
    // hook does, rather than with pre-commit's parent of the first unpushed commit.
    let new_branch = match (&remote, &remote_branch) {
        (Some(r), Some(b)) => b.strip_prefix("refs/heads/").is_some_and(|name| {
            repo.find_reference(&format!("refs/remotes/{r}/{name}"))
                .is_err()
        }),
        _ => false,
    };
    // Otherwise the remote's old tip (or pre-commit's base). Absent: all of the history is
    // new to the remote.
    let remote_oid = match &from {
        Some(f) if !new_branch => resolve(f)?,
        _ => ZERO.to_string(),
    };
    let remote_ref = remote_branch.unwrap_or_else(|| {
        let branch = repo
            .head()
            .ok()
            .and_then(|h| h.shorthand().map(str::to_string))
            .unwrap_or_else(|| "HEAD".into());
        format!("refs/heads/{branch}")
    });
    Ok(Push {
        remote: remote.unwrap_or_else(|| "origin".into()),
        url: var("PRE_COMMIT_REMOTE_URL"),
        line: format!("{local_ref} {local_oid} {remote_ref} {remote_oid}\n"),
    })
}

/// Runs the gate on the push pre-commit describes.
pub fn pre_push_env(
    cwd: &Path,
    env: &Env,
    inputs: impl FnOnce(&Workspace) -> ConfigInputs,
    mode: Mode,
) -> Result<Exit, Error> {
    let push = push_from(|k| env.var(k), cwd)?;
    let args = PrePushArgs {
        remote: push.remote,
        url: push.url,
    };
    super::hook::pre_push(
        &args,
        cwd,
        env,
        inputs,
        mode,
        std::io::Cursor::new(push.line.into_bytes()),
    )
}

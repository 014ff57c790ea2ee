//! `parwf hook pre-push-env`: the pre-push gate under the pre-commit framework, whose hooks
//! get an empty stdin (a plain `parwf hook pre-push` there would see no update and let
//! everything through): the push is read from its PRE_COMMIT_* variables instead.

use std::path::Path;

use super::args::PrePushArgs;
use super::Env;
use crate::config::ConfigInputs;
use crate::discover::pre_commit;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::progress::Mode;
use crate::workspace::Workspace;

/// Runs the gate on the push pre-commit describes.
pub fn pre_push_env(
    cwd: &Path,
    env: &Env,
    inputs: impl FnOnce(&Workspace) -> ConfigInputs,
    mode: Mode,
) -> Result<Exit, Error> {
    let ws = Workspace::discover(cwd)?;
    let push = pre_commit::push_from(|k| env.var(k), ws.repo())?;
    let args = PrePushArgs {
        remote: push.remote,
        url: push.url,
    };
    super::hook::pre_push(
        &args,
        cwd,
        Some(ws),
        env,
        inputs,
        mode,
        std::io::Cursor::new(push.line.into_bytes()),
    )
}

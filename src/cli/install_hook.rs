//! `parwf install-hook [--force | --uninstall] [--share-notes]`: the hook is put in place by
//! [`crate::hooks`]; this prints what it did.

use super::args::InstallHookArgs;
use super::out::say;
use crate::error::Error;
use crate::exit::Exit;
use crate::hooks::{self, Installed, NotesShared, Uninstalled};
use crate::workspace::Workspace;
use crate::writeback::notes::NOTES_REF;

/// Runs `install-hook`.
pub fn install_hook(args: &InstallHookArgs, ws: &Workspace) -> Result<Exit, Error> {
    if args.uninstall {
        match hooks::uninstall(ws)? {
            Uninstalled::Restored(hook) => say!(
                "removed the parwf pre-push hook; restored the hook it chained to {}",
                hook.display()
            ),
            Uninstalled::Removed(hook) => {
                say!("removed the parwf pre-push hook from {}", hook.display())
            }
            Uninstalled::Absent(hook) => {
                say!("no pre-push hook in {}: nothing to remove", hook.display())
            }
        }
        return Ok(Exit::Ok);
    }
    match hooks::install(ws, args.force)? {
        Installed::Updated(hook) => {
            say!("updated the parwf pre-push hook in {}", hook.display())
        }
        Installed::Replaced(hook) => say!(
            "replaced the pre-push hook in {} (--force: the old one is gone)",
            hook.display()
        ),
        Installed::Chained { hook, chained } => say!(
            "installed the parwf pre-push hook in {}; the existing hook is kept as {} and runs first",
            hook.display(),
            chained.display()
        ),
        Installed::New(hook) => say!("installed the parwf pre-push hook in {}", hook.display()),
    }
    if args.share_notes {
        let remote = &args.remote;
        match hooks::share_notes(ws.repo(), remote)? {
            NotesShared::Already => say!("remote `{remote}` already fetches {NOTES_REF}"),
            NotesShared::Added => {
                say!("remote `{remote}` now fetches {NOTES_REF} (git fetch {remote})")
            }
        }
        say!("publish your verdict notes with: git push {remote} {NOTES_REF}");
    }
    say!(
        "the hook runs `git parwf hook pre-push` (git-parwf must be on PATH); skip it once with PARWF_SKIP=1 git push"
    );
    Ok(Exit::Ok)
}

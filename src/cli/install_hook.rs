//! `parwf install-hook`: puts `hooks/pre-push` where git looks for it (`core.hooksPath`, else
//! the common git dir's `hooks/`, shared by linked worktrees), chaining a hook already there.

use std::path::{Path, PathBuf};

use git2::Repository;

use super::args::InstallHookArgs;
use super::out::say;
use crate::error::Error;
use crate::exit::Exit;
use crate::workspace::Workspace;
use crate::writeback::notes::NOTES_REF;

/// The shim, as shipped in the repo's `hooks/pre-push`.
pub const SHIM: &str = include_str!("../../hooks/pre-push");
/// The line that marks a pre-push hook as parwf's.
const MARKER: &str = "parwf-pre-push-shim";
/// Where a hook that was already installed is kept; the shim runs it first.
pub const CHAINED: &str = "pre-push.parwf-chained";

fn io(what: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::file(what, path, e)
}

fn git(e: git2::Error) -> Error {
    Error::Git {
        what: "git",
        msg: e.message().to_string(),
    }
}

/// Runs `install-hook`.
pub fn install_hook(args: &InstallHookArgs, ws: &Workspace) -> Result<Exit, Error> {
    let repo = ws.repo();
    // Pushes go out from a work tree; a bare repository receives them, and git runs no
    // pre-push hook there. (One installed there before can still be removed.)
    if let (false, Err(e)) = (args.uninstall, ws.workdir()) {
        return Err(Error::usage(
            format!("{e}: git runs pre-push hooks in the repository you push from"),
            "install the hook in a clone with a work tree",
        ));
    }
    let dir = hooks_dir(repo)?;
    let target = dir.join("pre-push");
    let chained = dir.join(CHAINED);
    if args.uninstall {
        return uninstall(&target, &chained);
    }
    std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
    match std::fs::read(&target) {
        Ok(existing) if is_ours(&existing) => {
            write_shim(&target)?;
            say!("updated the parwf pre-push hook in {}", target.display());
        }
        Ok(_) if args.force => {
            std::fs::remove_file(&target).map_err(|e| io("remove", &target, e))?;
            write_shim(&target)?;
            say!(
                "replaced the pre-push hook in {} (--force: the old one is gone)",
                target.display()
            );
        }
        Ok(_) => {
            if chained.exists() {
                return Err(Error::usage(
                    format!(
                        "{} exists and so does {}: not chaining a second hook",
                        target.display(),
                        chained.display()
                    ),
                    "merge the two hooks by hand, or pass --force to replace pre-push",
                ));
            }
            std::fs::rename(&target, &chained).map_err(|e| io("move", &target, e))?;
            write_shim(&target)?;
            say!(
                "installed the parwf pre-push hook in {}; the existing hook is kept as {} and runs first",
                target.display(),
                chained.display()
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_shim(&target)?;
            say!("installed the parwf pre-push hook in {}", target.display());
        }
        Err(e) => return Err(io("read", &target, e)),
    }
    if args.share_notes {
        share_notes(repo, &args.remote)?;
    }
    say!(
        "the hook runs `git parwf hook pre-push` (git-parwf must be on PATH); skip it once with PARWF_SKIP=1 git push"
    );
    Ok(Exit::Ok)
}

/// `core.hooksPath` (relative to the work tree root, `~` expanded) or `<common dir>/hooks`.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf, Error> {
    let config = repo.config().map_err(git)?;
    match config.get_path("core.hooksPath") {
        Ok(p) if p.is_absolute() => Ok(p),
        Ok(p) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(p)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(repo.commondir().join("hooks")),
        Err(e) => Err(git(e)),
    }
}

fn is_ours(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).contains(MARKER)
}

fn write_shim(path: &Path) -> Result<(), Error> {
    let tmp = path.with_extension("parwf-tmp");
    let written = (|| {
        std::fs::write(&tmp, SHIM).map_err(|e| io("write", &tmp, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| io("make executable", &tmp, e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| io("write", path, e))
    })();
    // A full disk must not leave a half-written shim beside the hooks.
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn uninstall(target: &Path, chained: &Path) -> Result<Exit, Error> {
    match std::fs::read(target) {
        Ok(bytes) if is_ours(&bytes) => {
            std::fs::remove_file(target).map_err(|e| io("remove", target, e))?;
            if chained.exists() {
                std::fs::rename(chained, target).map_err(|e| io("restore", chained, e))?;
                say!(
                    "removed the parwf pre-push hook; restored the hook it chained to {}",
                    target.display()
                );
            } else {
                say!("removed the parwf pre-push hook from {}", target.display());
            }
            Ok(Exit::Ok)
        }
        Ok(_) => Err(Error::usage(
            format!(
                "{} was not installed by parwf; leaving it",
                target.display()
            ),
            "remove it by hand if you want it gone",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say!(
                "no pre-push hook in {}: nothing to remove",
                target.display()
            );
            Ok(Exit::Ok)
        }
        Err(e) => Err(io("read", target, e)),
    }
}

/// Adds `+refs/notes/parwf:refs/notes/parwf` to the remote's fetch refspecs (once). A push
/// refspec is not added: with one configured, a plain `git push` would push only the notes.
fn share_notes(repo: &Repository, remote: &str) -> Result<(), Error> {
    let spec = format!("+{NOTES_REF}:{NOTES_REF}");
    let r = repo.find_remote(remote).map_err(|_| {
        Error::usage(
            format!("no remote named `{remote}` to share notes with"),
            "pass --remote NAME (see `git remote -v`)",
        )
    })?;
    let present = r
        .fetch_refspecs()
        .map_err(git)?
        .iter()
        .any(|s| s == Some(spec.as_str()));
    if present {
        say!("remote `{remote}` already fetches {NOTES_REF}");
    } else {
        repo.remote_add_fetch(remote, &spec).map_err(git)?;
        say!("remote `{remote}` now fetches {NOTES_REF} (git fetch {remote})");
    }
    say!("publish your verdict notes with: git push {remote} {NOTES_REF}");
    Ok(())
}

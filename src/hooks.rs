//! The pre-push hook in a repository: where git looks for hooks (`core.hooksPath`, else the
//! common git dir's `hooks/`, shared by linked worktrees), putting parwf's shim there while
//! chaining a hook already installed, taking it out again, and fetching the verdict notes.

use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::Error;
use crate::workspace::Workspace;
use crate::writeback::notes::NOTES_REF;

/// The shim, as shipped in the repo's `hooks/pre-push`.
pub const SHIM: &str = include_str!("../hooks/pre-push");
/// The line that marks a pre-push hook as parwf's.
const MARKER: &str = "parwf-pre-push-shim";
/// Where a hook that was already installed is kept; the shim runs it first.
pub const CHAINED: &str = "pre-push.parwf-chained";

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// parwf's shim was there: it is rewritten with this version's.
    Updated(PathBuf),
    /// Another hook was there and `force` removed it.
    Replaced(PathBuf),
    /// Another hook was there: it is kept as `chained`, and the shim runs it first.
    Chained { hook: PathBuf, chained: PathBuf },
    /// No hook was there.
    New(PathBuf),
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstalled {
    /// The shim is gone and the hook it chained is back in its place.
    Restored(PathBuf),
    /// The shim is gone; it chained nothing.
    Removed(PathBuf),
    /// There was no pre-push hook.
    Absent(PathBuf),
}

/// What [`share_notes`] did to the remote's fetch refspecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotesShared {
    /// The remote fetched the notes already.
    Already,
    /// The refspec was added.
    Added,
}

fn io(what: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::file(what, path, e)
}

fn git(e: git2::Error) -> Error {
    Error::Git {
        what: "git",
        msg: e.message().to_string(),
    }
}

/// Puts the shim where git looks for the pre-push hook. A hook already there is chained (kept
/// beside it and run first), or with `force` replaced; two chained hooks are refused.
pub fn install(ws: &Workspace, force: bool) -> Result<Installed, Error> {
    // Pushes go out from a work tree; a bare repository receives them, and git runs no
    // pre-push hook there.
    if let Err(e) = ws.workdir() {
        return Err(Error::usage(
            format!("{e}: git runs pre-push hooks in the repository you push from"),
            "install the hook in a clone with a work tree",
        ));
    }
    let dir = hooks_dir(ws.repo())?;
    let target = dir.join("pre-push");
    let chained = dir.join(CHAINED);
    std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
    match std::fs::read(&target) {
        Ok(existing) if is_ours(&existing) => {
            write_shim(&target)?;
            Ok(Installed::Updated(target))
        }
        Ok(_) if force => {
            std::fs::remove_file(&target).map_err(|e| io("remove", &target, e))?;
            write_shim(&target)?;
            Ok(Installed::Replaced(target))
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
            Ok(Installed::Chained {
                hook: target,
                chained,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_shim(&target)?;
            Ok(Installed::New(target))
        }
        Err(e) => Err(io("read", &target, e)),
    }
}

/// Removes parwf's shim (also from a bare repository, where one may have been put before),
/// restoring the hook it chained; a hook that is not parwf's is left alone.
pub fn uninstall(ws: &Workspace) -> Result<Uninstalled, Error> {
    let dir = hooks_dir(ws.repo())?;
    let target = dir.join("pre-push");
    let chained = dir.join(CHAINED);
    match std::fs::read(&target) {
        Ok(bytes) if is_ours(&bytes) => {
            std::fs::remove_file(&target).map_err(|e| io("remove", &target, e))?;
            if chained.exists() {
                std::fs::rename(&chained, &target).map_err(|e| io("restore", &chained, e))?;
                Ok(Uninstalled::Restored(target))
            } else {
                Ok(Uninstalled::Removed(target))
            }
        }
        Ok(_) => Err(Error::usage(
            format!(
                "{} was not installed by parwf; leaving it",
                target.display()
            ),
            "remove it by hand if you want it gone",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Uninstalled::Absent(target)),
        Err(e) => Err(io("read", &target, e)),
    }
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

/// Adds `+refs/notes/parwf:refs/notes/parwf` to the remote's fetch refspecs (once). A push
/// refspec is not added: with one configured, a plain `git push` would push only the notes.
pub fn share_notes(repo: &Repository, remote: &str) -> Result<NotesShared, Error> {
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
        return Ok(NotesShared::Already);
    }
    repo.remote_add_fetch(remote, &spec).map_err(git)?;
    Ok(NotesShared::Added)
}

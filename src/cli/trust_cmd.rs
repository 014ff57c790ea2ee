//! `parwf trust [--revoke]`: show the settings of this repository's `.parwf.toml` that need
//! trust, and record (or forget) the file's content as trusted.

use super::out::{self, say};
use crate::config::policy::settings_needing_trust;
use crate::config::trust::{self, content_hash, TrustError, TrustStore};
use crate::env::Env;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::setup;
use crate::workspace::Workspace;

/// Runs `parwf trust`.
pub fn trust(args: &super::args::TrustArgs, ws: &Workspace, env: &Env) -> Result<Exit, Error> {
    let store = TrustStore::at(trust::store_path(env).ok_or(TrustError::NoHome)?);
    let file = ws.workdir()?.join(".parwf.toml");
    // The file as the store records it (and the user is shown it).
    let shown = trust::key(&file)?;
    if args.revoke {
        if store.revoke(&file)? {
            say!("parwf trust: no longer trusted: {}", shown.display());
        } else {
            say!("parwf trust: {} was not trusted", shown.display());
        }
        return Ok(Exit::Ok);
    }
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let root = shown.parent().unwrap_or(&shown);
            return Err(Error::usage(
                format!("no .parwf.toml in {}", root.display()),
                "there is nothing to trust: parwf uses your own config and environment here",
            ));
        }
        Err(e) => return Err(Error::file("read", &shown, e)),
    };
    // What is shown and what is recorded are the same bytes.
    let settings = settings_needing_trust(&shown, &text)?;
    let hash = content_hash(text.as_bytes());
    out::print(&setup::trust_settings(&shown, &hash, &settings))?;
    store.trust(&file, &text)?;
    out::println(
        "trusted as it is now: any change needs `parwf trust` again (undo: parwf trust --revoke)",
    )?;
    Ok(Exit::Ok)
}

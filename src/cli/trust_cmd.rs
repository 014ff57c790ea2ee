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
    let root = trust::canonical(ws.workdir()?)?;
    let file = root.join(".parwf.toml");
    if args.revoke {
        if store.revoke(&file)? {
            say!("parwf trust: no longer trusted: {}", file.display());
        } else {
            say!("parwf trust: {} was not trusted", file.display());
        }
        return Ok(Exit::Ok);
    }
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::usage(
                format!("no .parwf.toml in {}", root.display()),
                "there is nothing to trust: parwf uses your own config and environment here",
            ))
        }
        Err(e) => return Err(Error::file("read", &file, e)),
    };
    // What is shown and what is recorded are the same bytes.
    let hash = content_hash(text.as_bytes());
    let settings = settings_needing_trust(&file, &text)?;
    out::print(&setup::trust_settings(&file, &hash, &settings))?;
    store.trust(&file, &hash)?;
    out::println(
        "trusted as it is now: any change needs `parwf trust` again (undo: parwf trust --revoke)",
    )?;
    Ok(Exit::Ok)
}

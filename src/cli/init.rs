//! `parwf init`: writes a commented `.parwf.toml` for the repository, with workflow globs for
//! the document folders it finds, so a `cargo install` user starts from their own layout
//! rather than from an example file they do not have.

use super::args::InitArgs;
use super::out;
use crate::config::starter::{detect, render};
use crate::config::trust::{self, TrustError, TrustStore};
use crate::env::Env;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::setup;
use crate::workspace::Workspace;

/// Writes `.parwf.toml` at the root of the repository around `cwd`; refuses to overwrite.
pub fn init(args: &InitArgs, ws: &Workspace, env: &Env) -> Result<Exit, Error> {
    let root = ws.workdir()?.to_path_buf();
    let path = root.join(".parwf.toml");
    if path.exists() {
        return Err(Error::usage(
            format!("{} already exists; not overwritten", path.display()),
            "edit it (parwf config show prints what is in effect), or move it away and run parwf init again",
        ));
    }
    let layout = detect(&root);
    let text = render(&layout, args.provider.map(Into::into));
    // create_new: a file that appeared since the check above is not overwritten either.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::file("write", &path, e))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| Error::file("write", &path, e))?;
    if args.provider.is_some() {
        let store = TrustStore::at(trust::store_path(env).ok_or(TrustError::NoHome)?);
        store.trust(&path, &text)?;
    }
    out::print(&setup::init_written(
        &path,
        &layout,
        args.provider.is_some(),
    ))?;
    Ok(Exit::Ok)
}

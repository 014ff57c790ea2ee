//! `parwf man DIR`: man pages generated from the clap definitions, so `git parwf --help` works.

use clap::CommandFactory;

use super::args::{Cli, ManArgs};
use crate::error::Error;
use crate::exit::Exit;

/// The roff text of the man page for `name` (`parwf` or `git-parwf`).
pub fn page(name: &'static str) -> Vec<u8> {
    let cmd = Cli::command().name(name).bin_name(name);
    let mut out = Vec::new();
    // Rendering into memory cannot fail for I/O reasons.
    let _ = clap_mangen::Man::new(cmd).render(&mut out);
    out
}

/// Writes `parwf.1` and `git-parwf.1` into the directory.
pub fn man(args: &ManArgs) -> Result<Exit, Error> {
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::file("create", &args.dir, e))?;
    for name in ["parwf", "git-parwf"] {
        let path = args.dir.join(format!("{name}.1"));
        std::fs::write(&path, page(name)).map_err(|e| Error::file("write", &path, e))?;
        super::out::println(&path.display().to_string())?;
    }
    Ok(Exit::Ok)
}

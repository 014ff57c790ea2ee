//! `parwf man DIR`: man pages generated from the clap definitions, so `git parwf --help` works.

use clap::CommandFactory;

use super::args::{Cli, ManArgs};
use crate::error::{exit, Error};

/// The roff text of the man page for `name` (`parwf` or `git-parwf`).
pub fn page(name: &'static str) -> Result<Vec<u8>, Error> {
    let cmd = Cli::command().name(name).bin_name(name);
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::Io(e.to_string()))?;
    Ok(out)
}

/// Writes `parwf.1` and `git-parwf.1` into the directory.
pub fn man(args: &ManArgs) -> Result<i32, Error> {
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::Io(e.to_string()))?;
    for name in ["parwf", "git-parwf"] {
        let path = args.dir.join(format!("{name}.1"));
        std::fs::write(&path, page(name)?).map_err(|e| Error::Io(e.to_string()))?;
        println!("{}", path.display());
    }
    Ok(exit::OK)
}

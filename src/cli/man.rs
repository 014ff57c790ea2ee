//! `parwf man`: the man page, generated from the clap definitions. One page holds every
//! command (there are no per-command pages to point at), with value names in the synopsis.
//! `--install` puts it beside the binary, where man looks for the pages of commands on PATH,
//! so `git parwf --help` (git runs `man git-parwf`) works after `cargo install`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::args::{Cli, ManArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::report::manpage;

/// The pages: file stem and how the command is typed.
const PAGES: [(&str, &str); 2] = [("parwf", "parwf"), ("git-parwf", "git parwf")];

/// The roff text of the man page for `name` (`parwf` or `git-parwf`).
pub fn page(name: &'static str) -> Vec<u8> {
    let typed = PAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, t)| *t);
    manpage::render(Cli::command().name(name).bin_name(typed), name, typed)
}

/// `parwf man [DIR | --install]`.
pub fn man(args: &ManArgs) -> Result<Exit, Error> {
    if !args.install && args.folder.is_none() {
        super::out::print_bytes(&page("parwf"))?;
        return Ok(Exit::Ok);
    }
    let dir = match &args.folder {
        Some(d) => d.clone(),
        None => install_dir()?,
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::file("create", &dir, e))?;
    for (name, _) in PAGES {
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, page(name)).map_err(|e| Error::file("write", &path, e))?;
        super::out::println(&path.display().to_string())?;
    }
    if args.install {
        super::out::eprintln(&format!(
            "installed parwf.1 and git-parwf.1 into {}: `man git-parwf` and `git parwf --help` find them while {} is on PATH",
            dir.display(),
            bin_dir()?.display()
        ));
    }
    Ok(Exit::Ok)
}

fn bin_dir() -> Result<PathBuf, Error> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::file("find", "the running parwf executable", e))?;
    exe.parent().map(Path::to_path_buf).ok_or_else(|| {
        Error::usage(
            format!("cannot tell where parwf is installed ({})", exe.display()),
            "pass a folder instead: parwf man DIR",
        )
    })
}

/// `<bin>/../share/man/man1`: man-db (and mandoc) search `../share/man` of every PATH entry,
/// so for `cargo install` (`~/.cargo/bin`) this is `~/.cargo/share/man/man1`.
fn install_dir() -> Result<PathBuf, Error> {
    let bin = bin_dir()?;
    let prefix = bin.parent().ok_or_else(|| {
        Error::usage(
            format!("{} has no parent folder to put share/man in", bin.display()),
            "give a folder instead: parwf man DIR",
        )
    })?;
    Ok(prefix.join("share/man/man1"))
}

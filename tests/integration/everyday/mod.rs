//! Everyday use on real repositories (issue 13): closed pipes, mistyped commands, the team's
//! verdicts in `status` and `show`, errors and progress a person can live with.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{hermetic_env, Repo};

mod badname;
mod clean;
mod command;
mod errors;
mod hooknotes;
mod kinds;
mod pipes;
mod records;
mod scope;
mod signals;
mod suggest;
mod terminal;

pub(super) const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";

/// The offline provider, answering at once.
pub(super) const FAST: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "1"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

/// Runs the real `parwf` in `dir` with stdout a pipe nobody reads (its reader is closed
/// before the process starts, so the first write meets a closed pipe every time).
pub(super) fn with_closed_stdout(
    repo: &Repo,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped());
    hermetic_env(&mut cmd, &repo.home());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("spawn parwf")
}

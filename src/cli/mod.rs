//! The command line: parse once, run the command, map errors to exit codes with a hint.

pub mod args;
mod config_cmd;
mod demo;
mod hook;
pub mod install_hook;
mod listing;
mod man;
mod output;
pub mod run;
mod run_git;
mod state_cmds;
mod verdict_cmd;

use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches};

use crate::config::ConfigInputs;
use crate::error::{exit, Error};
use crate::report::progress::Mode;
use args::{Cli, Command, ConfigCommand, HookCommand};

/// The process entry point shared by `parwf` and `git-parwf`; returns the exit code.
pub fn main() -> i32 {
    // Invoked by git as `git-parwf`: say `git parwf` in usage and errors.
    let as_git = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().starts_with("git-parwf"))
        })
        .unwrap_or(false);
    let command = Cli::command().bin_name(if as_git { "git parwf" } else { "parwf" });
    let parsed = command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    init_tracing();
    // Objects come from the repo's own store, as with git itself: re-hashing every object
    // on read (libgit2's default) doubles the cost of discovery on big histories.
    git2::opts::strict_hash_verification(false);
    // libgit2 caches trees only up to 4 KiB; a docs directory of 100 files is larger, and
    // discovery reads each one twice (the diff, then the walk that keeps IDs stable).
    // SAFETY: set once, before any other thread exists.
    unsafe {
        let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(h) = e.hint() {
                eprintln!("  hint: {h}");
            }
            e.exit_code()
        }
    }
}

fn init_tracing() {
    if let Ok(filter) = std::env::var("PARWF_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

fn dispatch(cli: Cli) -> Result<i32, Error> {
    let cwd = match &cli.dir {
        Some(d) => d.clone(),
        None => {
            std::env::current_dir().map_err(|e| Error::Io(format!("current directory: {e}")))?
        }
    };
    let mode = Mode::detect(
        std::io::stderr().is_terminal(),
        std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0"),
    );
    match cli.command {
        None => run::run(&cli.run, &cwd, process_inputs(&cwd), mode),
        Some(Command::Run(args)) => run::run(&args, &cwd, process_inputs(&cwd), mode),
        Some(Command::Demo(args)) => demo::demo(&args, mode),
        Some(Command::Verdict(args)) => verdict_cmd::verdict(&args),
        Some(Command::Config(ConfigCommand::Show)) => config_cmd::show(process_inputs(&cwd)),
        Some(Command::Hook(HookCommand::PrePush(args))) => {
            hook::pre_push(&args, &cwd, || process_inputs(&cwd), mode)
        }
        Some(Command::InstallHook(args)) => install_hook::install_hook(&args, &cwd),
        Some(Command::Man(args)) => man::man(&args),
        Some(Command::Status(args)) => state_cmds::status(&args, &cwd),
        Some(Command::Show(args)) => state_cmds::show(&args, &cwd),
        Some(Command::Clean(args)) => state_cmds::clean(&args, &cwd),
    }
}

/// Config inputs from the process: user file, the repo's `.parwf.toml`, `PARWF_*`.
fn process_inputs(cwd: &std::path::Path) -> ConfigInputs {
    ConfigInputs::from_process(run::repo_root(cwd).as_deref())
}

//! The command line: parse once, run the command, map errors to exit codes with a hint.

pub mod args;
mod bench;
mod bench_ratelimit;
mod config_cmd;
mod demo;
mod hook;
pub mod install_hook;
mod man;
mod out;
pub mod run;
mod state;
mod suggest;
mod verdict_cmd;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};

use crate::config::ConfigInputs;
pub use crate::env::Env;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::progress::Mode;
use crate::workspace::Workspace;
use args::{Cli, Command, ConfigCommand, HookCommand};

/// The process entry point shared by `parwf` and `git-parwf`; returns the exit status.
pub fn main() -> i32 {
    // Invoked by git as `git-parwf`: say `git parwf` in usage and errors.
    let as_git = std::env::args_os()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().starts_with("git-parwf"))
        })
        .unwrap_or(false);
    let command = Cli::command().bin_name(if as_git { "git parwf" } else { "parwf" });
    let parsed = command
        .clone()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
        .and_then(|cli| match mistyped(&command, &cli) {
            Some(e) => Err(e),
            None => Ok(cli),
        });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.code();
        }
    };
    let env = Env::from_process();
    init_tracing(&env);
    // Objects come from the repo's own store, as with git itself: re-hashing every object
    // on read (libgit2's default) doubles the cost of discovery on big histories.
    git2::opts::strict_hash_verification(false);
    // libgit2 caches trees only up to 4 KiB; a docs directory of 100 files is larger, and
    // discovery reads each one twice (the diff, then the walk that keeps IDs stable).
    // SAFETY: set once, before any other thread exists.
    unsafe {
        let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20);
    }
    match dispatch(cli, &env) {
        Ok(exit) => exit.code(),
        Err(e) => {
            out::eprintln(&format!("error: {e}"));
            if let Some(h) = e.hint() {
                out::eprintln(&format!("  hint: {h}"));
            }
            e.exit().code()
        }
    }
}

/// `parwf stauts`: a first path that is a mistyped command, not a document.
fn mistyped(command: &clap::Command, cli: &Cli) -> Option<clap::Error> {
    let first = match &cli.command {
        None => cli.run.paths.first()?,
        Some(_) => return None,
    };
    let cwd = match &cli.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().ok()?,
    };
    suggest::mistyped_command(command, first, &cwd)
}

fn init_tracing(env: &Env) {
    if let Some(filter) = env.var("PARWF_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

fn dispatch(cli: Cli, env: &Env) -> Result<Exit, Error> {
    let cwd: PathBuf = match &cli.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| Error::file("read", ".", e))?,
    };
    // A dumb terminal cannot move the cursor: it gets plain lines, as a pipe does.
    let dumb = env.raw("TERM") == Some("dumb");
    let mode = Mode::detect(std::io::stderr().is_terminal() && !dumb, env.is_ci());
    let workspace = || Workspace::discover(&cwd);
    let inputs =
        |ws: Option<&Workspace>| ConfigInputs::usual(env, ws.and_then(|w| w.workdir().ok()));
    match cli.command {
        None | Some(Command::Run(_)) => {
            let args = match cli.command {
                Some(Command::Run(a)) => a,
                _ => cli.run,
            };
            let ran = workspace()
                .map_err(Error::from)
                .and_then(|ws| run::run(&args, &ws, &cwd, inputs(Some(&ws)), env, mode));
            // A job reading `--format json` gets a JSON document on stdout either way.
            if let (Err(e), args::Format::Json) = (&ran, args.format) {
                let _ = out::println(&run::json_error(e));
            }
            ran
        }
        Some(Command::Demo(args)) => demo::demo(&args, mode, env),
        Some(Command::Bench(args)) => bench::bench(&args),
        Some(Command::Verdict(args)) => verdict_cmd::verdict(&args),
        Some(Command::Config(ConfigCommand::Show)) => {
            let ws = workspace().ok();
            config_cmd::show(inputs(ws.as_ref()))
        }
        Some(Command::Hook(HookCommand::PrePush(args))) => {
            hook::pre_push(&args, &cwd, env, |ws| inputs(Some(ws)), mode)
        }
        Some(Command::InstallHook(args)) => install_hook::install_hook(&args, &workspace()?),
        Some(Command::Man(args)) => man::man(&args),
        Some(Command::Status(args)) => {
            let ws = workspace()?;
            state::status(&args, &ws, inputs(Some(&ws)), &run::stdout_style(env))
        }
        Some(Command::Show(args)) => {
            let ws = workspace()?;
            state::show(&args, &ws, &cwd, inputs(Some(&ws)))
        }
        Some(Command::Clean(args)) => state::clean(&args, &workspace()?),
    }
}

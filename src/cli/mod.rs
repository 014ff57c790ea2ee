//! The command line: parse once, run the command, map errors to exit codes with a hint.

pub mod args;
mod completions;
mod config_cmd;
mod demo;
mod hook;
mod hook_env;
mod init;
mod install_hook;
mod man;
mod out;
pub mod run;
mod state;
mod suggest;
mod trust_cmd;
mod verdict_cmd;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};

use crate::config::ConfigInputs;
pub use crate::env::Env;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::color::{self, Choice};
use crate::report::progress::Mode;
use crate::report::summary;
use crate::workspace::Workspace;
use args::{Cli, ColorArg, Command, ConfigCommand, HookCommand};

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
    // clap prints help and usage errors before --color is parsed: take it from argv first.
    let choice = color_flag(std::env::args_os().skip(1));
    let clap_color = match choice {
        Choice::Always => clap::ColorChoice::Always,
        Choice::Never => clap::ColorChoice::Never,
        // clap's auto follows the same NO_COLOR / CLICOLOR_FORCE rules as ours.
        Choice::Auto => clap::ColorChoice::Auto,
    };
    let command = Cli::command()
        .bin_name(if as_git { "git parwf" } else { "parwf" })
        .color(clap_color);
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
    let choice = match cli.color {
        ColorArg::Auto => Choice::Auto,
        ColorArg::Always => Choice::Always,
        ColorArg::Never => Choice::Never,
    };
    let var = |k: &str| env.raw(k).map(String::from);
    color::set(
        color::decide(choice, std::io::stdout().is_terminal(), var),
        color::decide(choice, std::io::stderr().is_terminal(), var),
    );
    init_tracing(&env, cli.quiet, cli.verbose);
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
            let on = color::stderr();
            out::eprintln(&format!("{} {e}", color::paint(on, "1;31", "error:")));
            if let Some(h) = e.hint() {
                out::eprintln(&format!("  {} {h}", color::paint(on, "36", "hint:")));
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

/// The last `--color WHEN` / `--color=WHEN` before `--`; auto when absent or not a value
/// (clap then reports the bad value itself).
fn color_flag(args: impl Iterator<Item = std::ffi::OsString>) -> Choice {
    let mut choice = Choice::Auto;
    let mut args = args.map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = args.next() {
        let value = match a.as_str() {
            "--" => break,
            "--color" => args.next(),
            _ => a.strip_prefix("--color=").map(str::to_string),
        };
        choice = match value.as_deref() {
            Some("always") => Choice::Always,
            Some("never") => Choice::Never,
            Some(_) => Choice::Auto,
            None => continue,
        };
    }
    choice
}

/// Diagnostics on stderr: PARWF_LOG (`level` or `target=level` directives, comma-separated)
/// when set and readable, else from -q/-v. Targets, not an env filter: the latter's regex
/// features make every regex in the process build its full DFA up front.
fn init_tracing(env: &Env, quiet: bool, verbose: u8) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let fallback = || verbosity_filter(quiet, verbose).parse().unwrap_or_default();
    let filter: tracing_subscriber::filter::Targets = match env.var("PARWF_LOG") {
        Some(f) if !f.trim().is_empty() => f.parse().unwrap_or_else(|e| {
            out::eprintln(&format!(
                "warning: PARWF_LOG={f} is not a filter ({e}); using the -q/-v level"
            ));
            fallback()
        }),
        _ => fallback(),
    };
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .try_init();
}

/// The tracing filter for -q / -v / -vv / -vvv; other crates stay at warn until -vvv.
fn verbosity_filter(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,parwf=info",
        (false, 2) => "warn,parwf=debug",
        _ => "trace",
    }
}

fn dispatch(cli: Cli, env: &Env) -> Result<Exit, Error> {
    // Run options belong to the run: with a command they would be silently ignored. (clap's
    // args_conflicts_with_subcommands would say so itself, but it also takes global flags
    // such as `-q status` or `-C DIR status` as run arguments, and `status` as a path.)
    if cli.command.is_some() && cli.run != args::RunArgs::default() {
        return Err(Error::usage(
            "run options (--since, --all, --format, PATHS…) cannot be used with a command",
            "put them after `run` (parwf run --since main), or after the command when it has them (parwf status --format json)",
        ));
    }
    let cwd: PathBuf = match &cli.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| Error::file("read", ".", e))?,
    };
    // A dumb terminal cannot move the cursor: it gets plain lines, as a pipe does.
    let dumb = env.raw("TERM") == Some("dumb");
    let mode = if cli.quiet {
        Mode::Quiet
    } else {
        Mode::detect(std::io::stderr().is_terminal() && !dumb, env.is_ci())
    };
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
                let hint = e.hint();
                let doc = summary::json_error(&e.to_string(), hint.as_deref(), e.exit().code());
                let _ = out::println(&doc);
            }
            ran
        }
        Some(Command::Demo(args)) => demo::demo(&args, mode),
        Some(Command::Verdict(args)) => verdict_cmd::verdict(&args),
        Some(Command::Config(ConfigCommand::Show)) => {
            let ws = workspace().ok();
            config_cmd::show(inputs(ws.as_ref()))
        }
        Some(Command::Hook(HookCommand::PrePush(args))) => hook::pre_push(
            &args,
            &cwd,
            None,
            env,
            |ws| inputs(Some(ws)),
            mode,
            std::io::stdin().lock(),
        ),
        Some(Command::Hook(HookCommand::PrePushEnv)) => {
            hook_env::pre_push_env(&cwd, env, |ws| inputs(Some(ws)), mode)
        }
        Some(Command::Init(args)) => init::init(&args, &workspace()?, env),
        Some(Command::Completions(args)) => completions::completions(&args),
        Some(Command::InstallHook(args)) => install_hook::install_hook(&args, &workspace()?),
        Some(Command::Trust(args)) => trust_cmd::trust(&args, &workspace()?, env),
        Some(Command::Man(args)) => man::man(&args),
        Some(Command::Status(args)) => {
            let ws = workspace()?;
            state::status(&args, &ws, inputs(Some(&ws)), &run::stdout_style())
        }
        Some(Command::Show(args)) => {
            let ws = workspace()?;
            state::show(&args, &ws, &cwd, inputs(Some(&ws)))
        }
        Some(Command::Clean(args)) => state::clean(&args, &workspace()?),
    }
}

//! `parwf [run]`: flags and environment lowered into run options, the run, its output printed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::args::{Format, RunArgs};
use super::out;
use super::Env;
use crate::config::ConfigInputs;
use crate::discover::partition::Partition;
use crate::discover::Selection;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::color;
use crate::report::markdown::{self, Blocking};
use crate::report::progress::Mode;
use crate::report::style::Style;
use crate::report::summary::{RunFigures, Summary};
use crate::report::{github, junit, listing, sarif};
use crate::run::{self, Plan, RunOptions, RunOutcome};
use crate::workspace::Workspace;
use crate::writeback::Identity;

/// Lowers the flags (and what the process environment says) into run options.
pub fn options(args: &RunArgs, cwd: &Path, env: &Env) -> Result<RunOptions, Error> {
    let selection = if !args.paths.is_empty() {
        Selection::Paths(args.paths.clone())
    } else if args.all {
        Selection::All
    } else if let Some(rev) = &args.since {
        Selection::Since(rev.clone())
    } else {
        Selection::Upstream
    };
    let partition = match &args.partition {
        Some(spec) => Some(Partition::parse(spec).map_err(|e| {
            Error::usage(
                format!("--partition {e}"),
                "use --partition count:M/N (or hash:M/N) with 1 ≤ M ≤ N: count:1/4 … count:4/4 in a 4-job matrix",
            )
        })?),
        None => None,
    };
    let mut opts = RunOptions::new(selection, cwd.to_path_buf());
    opts.include_worktree = args.include_worktree;
    opts.only = args.workflow.map(Into::into);
    opts.parallel = args.parallel;
    opts.dry_run = args.dry_run;
    opts.revise = args.revise;
    opts.fresh = args.fresh;
    opts.write = args.write.map(Into::into);
    opts.provider = args.provider.map(Into::into);
    opts.partition = partition;
    opts.identity = identity(|k| env.var(k));
    opts.color = color::stderr();
    opts.env = env.clone();
    opts.ci = args.ci || env.is_ci();
    Ok(opts)
}

/// The identity from git's variables, when both a name and an email are set.
fn identity(var: impl Fn(&str) -> Option<String>) -> Option<Identity> {
    for who in ["COMMITTER", "AUTHOR"] {
        let name = var(&format!("GIT_{who}_NAME")).filter(|s| !s.trim().is_empty());
        let email = var(&format!("GIT_{who}_EMAIL")).filter(|s| !s.trim().is_empty());
        if let (Some(name), Some(email)) = (name, email) {
            return Some(Identity { name, email });
        }
    }
    None
}

/// Runs the `run` command.
pub fn run(
    args: &RunArgs,
    ws: &Workspace,
    cwd: &Path,
    inputs: ConfigInputs,
    env: &Env,
    mode: Mode,
) -> Result<Exit, Error> {
    let mut opts = options(args, cwd, env)?;
    let mut inputs = inputs;
    if opts.ci {
        // CI decides with the base revision's committed config, never the branch's own.
        let base = run::ci::use_base_config(ws, &opts.selection, &mut inputs)?;
        out::eprintln(&base.notice);
        opts.config_rev = base.commit;
    }
    let plan = Plan::new(opts, inputs)?;
    let outcome = run::execute(ws, &plan, mode)?;
    let step_summary = env.var("GITHUB_STEP_SUMMARY").map(PathBuf::from);
    print(
        &outcome,
        args.format,
        plan.parallel(),
        step_summary.as_deref(),
        &stdout_style(),
    )?;
    Ok(outcome.exit())
}

/// How stdout is dressed: colour and the terminal's width when it is a terminal.
pub fn stdout_style() -> Style {
    let terminal = std::io::stdout().is_terminal();
    Style {
        color: color::stdout(),
        width: terminal
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_, cols)| usize::from(cols))
            .filter(|&cols| cols > 0),
    }
}

/// Prints a run's outcome on stdout in `format`.
pub fn print(
    outcome: &RunOutcome,
    format: Format,
    parallel: usize,
    step_summary: Option<&Path>,
    style: &Style,
) -> Result<(), Error> {
    match outcome {
        RunOutcome::Listing(items, nothing) => match (format, nothing) {
            (Format::Json, _) => out::print(&listing::json(items)),
            (_, Some(nothing)) => out::print(&nothing.human()),
            _ => out::print(&listing::human(items, style.width)),
        },
        RunOutcome::Nothing(nothing) => {
            let empty = Summary::new(String::new(), parallel, Vec::new(), RunFigures::default());
            match format {
                Format::Human => out::print(&nothing.human()),
                _ => print_summary(&empty, format, step_summary, style),
            }
        }
        RunOutcome::Reviewed(summary) => print_summary(summary, format, step_summary, style),
    }
}

fn print_summary(
    summary: &Summary,
    format: Format,
    step_summary: Option<&Path>,
    style: &Style,
) -> Result<(), Error> {
    match format {
        Format::Human => out::print(&summary.to_human_styled(style)),
        Format::Json => out::println(&summary.to_json()),
        Format::Markdown => out::print(&markdown::body(summary, &Blocking::of(summary))),
        Format::Junit => out::print(&junit::report(summary)),
        Format::Sarif => out::print(&sarif::report(summary)),
        Format::Github => {
            let blocking = Blocking::of(summary);
            out::print(&github::annotations(summary, &blocking))?;
            if let Some(path) = step_summary {
                if let Err(e) = github::append_step_summary(path, summary, &blocking) {
                    out::eprintln(&format!(
                        "warning: cannot append the job summary to {}: {e}",
                        path.display()
                    ));
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_needs_a_name_and_an_email() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(identity(env(&[("GIT_AUTHOR_NAME", "A")])), None);
        let id = identity(env(&[
            ("GIT_AUTHOR_NAME", "A"),
            ("GIT_AUTHOR_EMAIL", "a@x"),
            ("GIT_COMMITTER_NAME", "C"),
            ("GIT_COMMITTER_EMAIL", "c@x"),
        ]));
        assert_eq!(id.map(|i| i.name), Some("C".to_string()));
    }
}

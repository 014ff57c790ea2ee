//! The man page in roff, from a clap command: one page holds every command (nested ones by
//! their full name, each with its own arguments), with value names in the synopsis, then exit
//! statuses, examples, the pages to see also, and the version.

use std::fmt::Write as _;

use clap::{Arg, Command};

use crate::exit::Exit;

/// The roff text of the page of `cmd`: `name` is the page's (`parwf`, `git-parwf`), `typed`
/// how the command is typed (`git parwf`).
pub fn render(cmd: Command, name: &str, typed: &str) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone());
    // Rendering into memory cannot fail for I/O reasons.
    let mut out = Vec::new();
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    out.extend(synopsis(&cmd, typed).into_bytes());
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    out.extend(commands(&cmd, typed).into_bytes());
    out.extend(tail(name).into_bytes());
    out
}

/// roff-escapes text: backslashes, and a leading `.` or `'` that would start a request.
fn esc(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn bold(s: &str) -> String {
    format!("\\fB{}\\fR", esc(s))
}

fn italic(s: &str) -> String {
    format!("\\fI{}\\fR", esc(s))
}

fn shown(arg: &Arg) -> bool {
    !arg.is_hide_set() && !matches!(arg.get_id().as_str(), "help" | "version")
}

/// One argument as the synopsis shows it: `[-j|--parallel N]`, `[PATHS]...`, `REMOTE`.
fn usage(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_value_names()
        .map(|v| v.iter().map(|n| italic(n)).collect())
        .unwrap_or_else(|| vec![italic(&arg.get_id().as_str().to_uppercase())]);
    let many = matches!(arg.get_action(), clap::ArgAction::Count)
        || (matches!(arg.get_action(), clap::ArgAction::Append) && arg.is_positional());
    let text = if arg.is_positional() {
        values.join(" ")
    } else {
        let mut names = Vec::new();
        if let Some(s) = arg.get_short() {
            names.push(bold(&format!("-{s}")));
        }
        if let Some(l) = arg.get_long() {
            names.push(bold(&format!("--{l}")));
        }
        let takes = arg.get_action().takes_values();
        if takes {
            format!("{} {}", names.join("|"), values.join(" "))
        } else {
            names.join("|")
        }
    };
    let text = if many { format!("{text}...") } else { text };
    if arg.is_required_set() {
        text
    } else {
        format!("[{text}]")
    }
}

fn synopsis(cmd: &Command, typed: &str) -> String {
    let args: Vec<String> = cmd
        .get_arguments()
        .filter(|a| shown(a))
        .map(usage)
        .collect();
    format!(
        ".SH SYNOPSIS\n{} {}\n.br\n{} {} [{}]\n",
        bold(typed),
        args.join(" "),
        bold(typed),
        italic("COMMAND"),
        italic("OPTIONS")
    )
}

/// Every command, nested ones by their full name, each with its own arguments.
fn commands(cmd: &Command, typed: &str) -> String {
    let mut out = String::from(".SH COMMANDS\n");
    let globals: Vec<&str> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().as_str())
        .collect();
    fn walk(out: &mut String, cmd: &Command, path: &str, globals: &[&str]) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let full = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                walk(out, sub, &full, globals);
                continue;
            }
            let own: Vec<&Arg> = sub
                .get_arguments()
                .filter(|a| shown(a) && !globals.contains(&a.get_id().as_str()))
                .collect();
            let usage_line: Vec<String> = own.iter().map(|a| usage(a)).collect();
            let _ = writeln!(out, ".TP\n{} {}", bold(&full), usage_line.join(" "));
            let about = sub.get_long_about().or(sub.get_about());
            let _ = writeln!(
                out,
                "{}",
                esc(&about.map(|a| a.to_string()).unwrap_or_default())
            );
            if own.is_empty() {
                continue;
            }
            out.push_str(".RS\n");
            for a in own {
                let _ = writeln!(
                    out,
                    ".TP\n{}",
                    usage(a).trim_start_matches('[').trim_end_matches(']')
                );
                let help = a.get_long_help().or(a.get_help());
                let _ = writeln!(
                    out,
                    "{}",
                    esc(&help.map(|h| h.to_string()).unwrap_or_default())
                );
                let values: Vec<String> = a
                    .get_possible_values()
                    .iter()
                    .filter(|v| !v.is_hide_set())
                    .map(|v| v.get_name().to_string())
                    .collect();
                if !values.is_empty() && a.get_action().takes_values() {
                    let _ = writeln!(out, ".br\nOne of: {}.", esc(&values.join(", ")));
                }
            }
            out.push_str(".RE\n");
        }
    }
    walk(&mut out, cmd, typed, &globals);
    out
}

/// EXIT STATUS, SEE ALSO (pages that exist: these two, git's own) and the version.
fn tail(name: &str) -> String {
    let other = if name == "parwf" {
        "git-parwf"
    } else {
        "parwf"
    };
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    // The numbers come from Exit itself, so the page cannot drift from what the process returns.
    for (exit, meaning) in [
        (Exit::Ok, "every document approved, or nothing to do"),
        (Exit::GateFailed, "the gate failed: a verdict in fail_on"),
        (Exit::Usage, "usage or configuration error"),
        (
            Exit::WorkflowError,
            "a workflow errored (network, provider, parse)",
        ),
        (
            Exit::TryLater,
            "the key pool was exhausted for longer than max_wait_s; run again later to resume",
        ),
        (
            Exit::INTERRUPTED,
            "interrupted; run the same command again to resume",
        ),
    ] {
        let _ = writeln!(
            out,
            ".TP\n{}\n{}",
            bold(&exit.code().to_string()),
            esc(meaning)
        );
    }
    let _ = writeln!(
        out,
        ".SH EXAMPLES\n.nf\ngit parwf \\-\\-since main \\-\\-dry\\-run\ngit parwf \\-\\-since main\nparwf install\\-hook\nparwf demo\n.fi"
    );
    let _ = writeln!(
        out,
        ".SH \"SEE ALSO\"\n{}(1), {}(1), {}(5)",
        bold(other),
        bold("git"),
        bold("githooks")
    );
    let _ = writeln!(out, ".SH VERSION\n{}", esc(env!("PARWF_VERSION")));
    out
}

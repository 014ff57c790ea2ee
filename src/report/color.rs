//! Colours: decided once by the CLI (`--color`, NO_COLOR, CLICOLOR_FORCE, CLICOLOR, whether the
//! stream is a terminal) and then only read here, so renderers never look at the environment.

use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

/// What `--color` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Always,
    Never,
}

/// Whether a stream gets colours. The flag wins over the environment; under `auto` the
/// variables follow the conventions clap and most tools share: NO_COLOR (non-empty) turns
/// colours off, then CLICOLOR_FORCE (non-empty, not 0) turns them on, then CLICOLOR=0 off;
/// otherwise a terminal that is not `TERM=dumb` gets them.
pub fn decide(choice: Choice, is_terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    match choice {
        Choice::Always => true,
        Choice::Never => false,
        Choice::Auto => {
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if set("CLICOLOR").is_some_and(|v| v == "0") {
                false
            } else {
                is_terminal && env("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Records the decision for stdout and stderr (also for the progress bars).
pub fn set(stdout: bool, stderr: bool) {
    STDOUT.store(stdout, Ordering::Relaxed);
    STDERR.store(stderr, Ordering::Relaxed);
    console::set_colors_enabled(stdout);
    console::set_colors_enabled_stderr(stderr);
}

/// Whether stdout gets colours.
pub fn stdout() -> bool {
    STDOUT.load(Ordering::Relaxed)
}

/// Whether stderr gets colours.
pub fn stderr() -> bool {
    STDERR.load(Ordering::Relaxed)
}

/// `text` in the SGR colour `code` when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_flag_wins_then_no_color_then_clicolor_force_then_the_terminal() {
        assert!(decide(Choice::Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!decide(
            Choice::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!decide(Choice::Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(!decide(
            Choice::Auto,
            true,
            env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(decide(Choice::Auto, false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!decide(
            Choice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "0")])
        ));
        assert!(decide(Choice::Auto, true, env(&[("NO_COLOR", "")])));
        assert!(!decide(Choice::Auto, true, env(&[("CLICOLOR", "0")])));
        assert!(!decide(Choice::Auto, true, env(&[("TERM", "dumb")])));
        assert!(!decide(Choice::Auto, false, env(&[])));
    }
}

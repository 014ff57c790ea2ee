//! How output is dressed for where it goes: colour (decided in one place, [`color_enabled`])
//! and the width of the terminal a table must fit.

use crate::env::Env;
use crate::model::Verdict;

/// Whether to colour what goes to a stream: only on a terminal, never with `NO_COLOR` set to
/// anything (<https://no-color.org>) or on a `TERM=dumb` terminal. The one place parwf decides
/// about colour; a `--color` flag overrides the result here.
pub fn color_enabled(is_terminal: bool, env: &Env) -> bool {
    is_terminal && env.var("NO_COLOR").is_none() && env.raw("TERM") != Some("dumb")
}

/// How to dress output for one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// The terminal's width in columns; `None` when the output is not a terminal (nothing is
    /// cut for a file or a pipe).
    pub width: Option<usize>,
}

const RESET: &str = "\x1b[0m";

impl Style {
    /// No colour, no width: text for files, pipes and tests.
    pub fn plain() -> Style {
        Style::default()
    }

    /// A verdict word, coloured by what it means for the gate.
    pub fn verdict(&self, v: Verdict) -> String {
        self.paint(verdict_color(v), v.as_str())
    }

    /// `text` in the ANSI colour `code` (`"32"` green) when colour is on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// APPROVED green, REVISE yellow, DISCUSS cyan, BLOCKED red, UNKNOWN magenta.
pub fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Approved => "32",
        Verdict::Revise => "33",
        Verdict::Discuss => "36",
        Verdict::Blocked => "31",
        Verdict::Unknown => "35",
    }
}

/// Red, for errors.
pub const ERROR_COLOR: &str = "31";

/// How many columns `text` takes on a terminal: ANSI escape sequences take none.
pub fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters… final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color_or_a_dumb_term() {
        let env = |vars: &[(&str, &str)]| Env::of(vars.iter().copied());
        assert!(color_enabled(true, &env(&[("TERM", "xterm")])));
        assert!(!color_enabled(false, &env(&[])));
        assert!(!color_enabled(true, &env(&[("NO_COLOR", "1")])));
        assert!(!color_enabled(true, &env(&[("TERM", "dumb")])));
        // NO_COLOR="" is unset, as the convention says.
        assert!(color_enabled(true, &env(&[("NO_COLOR", "")])));
    }

    #[test]
    fn painted_text_is_as_wide_as_plain_text() {
        let s = Style {
            color: true,
            width: None,
        };
        let v = s.verdict(Verdict::Blocked);
        assert_eq!(v, "\x1b[31mBLOCKED\x1b[0m");
        assert_eq!(visible_width(&v), 7);
        assert_eq!(Style::plain().verdict(Verdict::Blocked), "BLOCKED");
    }
}

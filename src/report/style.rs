//! How output is dressed for where it goes: colour (decided once, in [`super::color`]) and
//! the width of the terminal a table must fit.

use crate::model::Verdict;

/// How to dress output for one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// The terminal's width in columns; `None` when the output is not a terminal (nothing is
    /// cut for a file or a pipe).
    pub width: Option<usize>,
}

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
        super::color::paint(self.color, code, text)
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

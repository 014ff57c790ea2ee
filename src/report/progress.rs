//! The only owner of stderr during a run: progress bars on a terminal, whole prefixed lines
//! everywhere, so two items' text never shares a line.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::style::{Style, ERROR_COLOR};
use crate::checkpoint::runlog::RunLog;
use crate::model::Verdict;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bars and spinners (a terminal, not CI).
    Bars,
    /// Plain whole lines, no bars (not a terminal, or `CI` set).
    Plain,
    /// Nothing (tests, benchmarks).
    Quiet,
}

impl Mode {
    /// Bars on a terminal outside CI, plain lines otherwise.
    pub fn detect(stderr_is_terminal: bool, ci: bool) -> Mode {
        if stderr_is_terminal && !ci {
            Mode::Bars
        } else {
            Mode::Plain
        }
    }
}

/// What an item's finish line begins with, for the reporter to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    /// Its verdict, in the verdict's colour.
    Verdict(Verdict),
    /// `error:`, in red.
    Error,
    /// Nothing: the text is the whole line, uncoloured.
    Plain,
}

/// The most of an ID and of a step a bar line shows, so bar lines fit in `BAR_WIDTH`.
const SHOWN_ID: usize = 18;
const SHOWN_STEP: usize = 28;

/// `text` cut to `max` characters, with `…` when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// Receives events from workers and the coordinator and prints them whole.
pub struct Reporter {
    mode: Mode,
    multi: MultiProgress,
    overall: Option<ProgressBar>,
    lines: Mutex<HashMap<String, ProgressBar>>,
    plain: Mutex<()>,
    /// Every prefixed line is also appended to the run's logs.
    runlog: Option<std::sync::Arc<RunLog>>,
    /// Verdicts and errors in colour.
    style: Style,
    /// The bars are gone: a worker still running (a run abandoned by a second Ctrl+C) must
    /// not draw new ones that would stay on the screen after the process exits.
    finished: AtomicBool,
    /// The cursor was hidden while the bars redraw, and must be shown again.
    cursor_hidden: AtomicBool,
}

impl Reporter {
    /// A reporter for a run of `total` items.
    pub fn new(mode: Mode, total: usize) -> Reporter {
        let multi = MultiProgress::with_draw_target(match mode {
            Mode::Bars => ProgressDrawTarget::term_like_with_hz(
                Box::new(ShortOfTheEdge(console::Term::buffered_stderr())),
                10,
            ),
            _ => ProgressDrawTarget::hidden(),
        });
        let overall = (mode == Mode::Bars).then(|| {
            let bar = multi.add(ProgressBar::new(total as u64));
            // Bar lines stay within BAR_WIDTH columns (see ShortOfTheEdge).
            bar.set_style(
                ProgressStyle::with_template(
                    "[{bar:24}] {pos}/{len} workflows complete  {elapsed:>4}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            // Its own clock: the elapsed time moves while no item finishes.
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let cursor_hidden = mode == Mode::Bars && console::Term::stderr().hide_cursor().is_ok();
        Reporter {
            mode,
            multi,
            overall,
            lines: Mutex::new(HashMap::new()),
            plain: Mutex::new(()),
            runlog: None,
            style: Style::plain(),
            finished: AtomicBool::new(false),
            cursor_hidden: AtomicBool::new(cursor_hidden),
        }
    }

    /// Colour verdicts and errors (stderr is a terminal that wants colour).
    pub fn with_color(mut self, color: bool) -> Reporter {
        self.style.color = color;
        self
    }

    /// Also append every prefixed line to `runlog`.
    pub fn with_runlog(mut self, runlog: std::sync::Arc<RunLog>) -> Reporter {
        self.runlog = Some(runlog);
        self
    }

    /// A reporter that prints nothing.
    pub fn quiet() -> Reporter {
        Reporter::new(Mode::Quiet, 0)
    }

    /// Prints `[PREFIX] msg`, one whole line per line of `msg`.
    pub fn log(&self, prefix: &str, msg: &str) {
        self.emit(prefix, msg, msg);
    }

    /// Appends `msg` to the run's logs and prints `shown` (the same text, perhaps in colour)
    /// as `[PREFIX] line`, one whole line per line.
    fn emit(&self, prefix: &str, msg: &str, shown: &str) {
        if let Some(r) = &self.runlog {
            r.line(prefix, msg);
        }
        let text: String = shown
            .lines()
            .map(|l| format!("[{prefix}] {l}\n"))
            .collect::<String>();
        self.print(text.trim_end_matches('\n'));
    }

    /// Prints a line with no prefix (warnings before a run, the final note).
    pub fn print(&self, text: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Bars if !self.finished.load(Ordering::SeqCst) => {
                // The bars are cleared, the lines written with their own newlines, the bars
                // drawn again below them. Not MultiProgress::println: it draws the lines as
                // part of a frame and, when no bar has been drawn yet, ends that frame at
                // column BAR_WIDTH rather than at the edge, so the next line is glued on.
                self.multi.suspend(|| {
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(err, "{text}");
                });
            }
            Mode::Bars | Mode::Plain => {
                let _guard = self.plain.lock().unwrap_or_else(|p| p.into_inner());
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// An item moved to a new step; bars show it on the item's line, plain mode logs it.
    pub fn step(&self, id: &str, step: &str) {
        match self.mode {
            Mode::Bars if self.finished.load(Ordering::SeqCst) => {
                if let Some(r) = &self.runlog {
                    r.line(id, step);
                }
            }
            Mode::Bars => {
                let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
                let bar = lines.entry(id.to_string()).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    // The step (`wide_msg`) is cut to the terminal's width, never wrapped.
                    let template = if self.style.color {
                        "  {spinner} {prefix:.bold} {elapsed:>4} {msg}"
                    } else {
                        "  {spinner} {prefix} {elapsed:>4} {msg}"
                    };
                    bar.set_style(
                        ProgressStyle::with_template(template)
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(format!("[{}]", short(id, SHOWN_ID)));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                bar.set_message(short(step, SHOWN_STEP));
                drop(lines);
                if let Some(r) = &self.runlog {
                    r.line(id, step);
                }
            }
            _ => self.log(id, step),
        }
    }

    /// An item finished: its line goes, the overall bar moves, and `lead` then `text` are
    /// logged, the lead in colour.
    pub fn done(&self, id: &str, lead: Lead, text: &str) {
        if let Some(bar) = self
            .lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        if let Some(o) = &self.overall {
            o.inc(1);
        }
        let (msg, shown) = self.finish_line(lead, text);
        self.emit(id, &msg, &shown);
    }

    /// An item's finish line as the run log keeps it, and as shown (the lead in colour).
    fn finish_line(&self, lead: Lead, text: &str) -> (String, String) {
        let (word, painted) = match lead {
            Lead::Verdict(v) => (v.as_str(), self.style.verdict(v)),
            Lead::Error => ("error:", self.style.paint(ERROR_COLOR, "error:")),
            Lead::Plain => return (text.to_string(), text.to_string()),
        };
        (format!("{word} {text}"), format!("{painted} {text}"))
    }

    /// Removes the bars before results are printed, and shows the cursor again. Lines
    /// printed after it go straight to stderr.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
        for (_, bar) in self.lines.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            bar.finish_and_clear();
        }
        if let Some(o) = &self.overall {
            o.finish_and_clear();
        }
        let _ = self.multi.clear();
        self.show_cursor();
    }

    fn show_cursor(&self) {
        if self.cursor_hidden.swap(false, Ordering::SeqCst) {
            let _ = console::Term::stderr().show_cursor();
        }
    }
}

impl Drop for Reporter {
    /// Whatever way a run ends, the terminal gets its cursor back.
    fn drop(&mut self) {
        self.show_cursor();
    }
}

/// The terminal as the bars see it: at most [`BAR_WIDTH`] columns, and two short of its
/// edge. indicatif pads every bar line to the width it is told, and:
/// - a line that reaches the last column leaves the cursor there; the `^C` the terminal
///   echoes on Ctrl+C then wraps onto a new line, the next clear-and-redraw is one line short,
///   and a frozen copy of the top bar stays behind;
/// - a terminal made narrower rewraps the lines it shows: a frame wider than the new width
///   becomes two lines, and the same happens.
#[derive(Debug)]
struct ShortOfTheEdge(console::Term);

/// Bar lines are at most this wide (`SHOWN_ID` and `SHOWN_STEP` keep them so).
const BAR_WIDTH: u16 = 64;

impl indicatif::TermLike for ShortOfTheEdge {
    fn width(&self) -> u16 {
        self.0.size().1.saturating_sub(2).clamp(20, BAR_WIDTH)
    }

    fn height(&self) -> u16 {
        self.0.size().0
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }

    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_lines_lead_with_the_verdict_or_error_in_colour() {
        let r = Reporter::quiet().with_color(true);
        assert_eq!(
            r.finish_line(
                Lead::Verdict(Verdict::Unknown),
                "(no verdict found) in 1.0s"
            ),
            (
                "UNKNOWN (no verdict found) in 1.0s".to_string(),
                "\x1b[35mUNKNOWN\x1b[0m (no verdict found) in 1.0s".to_string()
            )
        );
        assert_eq!(
            r.finish_line(Lead::Error, "provider said no").1,
            "\x1b[31merror:\x1b[0m provider said no"
        );
        let stopped = "stopped (interrupted); checkpoint kept";
        assert_eq!(r.finish_line(Lead::Plain, stopped).1, stopped);
        let plain = Reporter::quiet();
        assert_eq!(
            plain.finish_line(Lead::Error, "provider said no"),
            (
                "error: provider said no".to_string(),
                "error: provider said no".to_string()
            )
        );
    }
}

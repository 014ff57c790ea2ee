//! The only owner of stderr during a run: progress bars on a terminal, whole prefixed lines
//! everywhere, so two items' text never shares a line.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::checkpoint::runlog::RunLog;

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

/// Receives events from workers and the coordinator and prints them whole.
pub struct Reporter {
    mode: Mode,
    multi: MultiProgress,
    overall: Option<ProgressBar>,
    lines: Mutex<HashMap<String, ProgressBar>>,
    plain: Mutex<()>,
    /// Every prefixed line is also appended to the run's logs.
    runlog: Option<std::sync::Arc<RunLog>>,
}

impl Reporter {
    /// A reporter for a run of `total` items.
    pub fn new(mode: Mode, total: usize) -> Reporter {
        let multi = MultiProgress::with_draw_target(match mode {
            Mode::Bars => ProgressDrawTarget::stderr_with_hz(10),
            _ => ProgressDrawTarget::hidden(),
        });
        let overall = (mode == Mode::Bars).then(|| {
            let bar = multi.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "[{bar:30}] {pos}/{len} workflows complete  {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.tick();
            bar
        });
        Reporter {
            mode,
            multi,
            overall,
            lines: Mutex::new(HashMap::new()),
            plain: Mutex::new(()),
            runlog: None,
        }
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
        if let Some(r) = &self.runlog {
            r.line(prefix, msg);
        }
        let text: String = msg
            .lines()
            .map(|l| format!("[{prefix}] {l}\n"))
            .collect::<String>();
        self.print(text.trim_end_matches('\n'));
    }

    /// Prints a line with no prefix (warnings before a run, the final note).
    pub fn print(&self, text: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Bars => {
                // MultiProgress::println clears the bars, prints whole lines, redraws.
                let _ = self.multi.println(text);
            }
            Mode::Plain => {
                let _guard = self.plain.lock().unwrap_or_else(|p| p.into_inner());
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// An item moved to a new step; bars show it on the item's line, plain mode logs it.
    pub fn step(&self, id: &str, step: &str) {
        match self.mode {
            Mode::Bars => {
                let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
                let bar = lines.entry(id.to_string()).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {prefix:.bold} {msg} {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(format!("[{id}]"));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                bar.set_message(step.to_string());
                drop(lines);
                if let Some(r) = &self.runlog {
                    r.line(id, step);
                }
            }
            _ => self.log(id, step),
        }
    }

    /// An item finished: its line goes, the overall bar moves, and `msg` is logged.
    pub fn done(&self, id: &str, msg: &str) {
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
        self.log(id, msg);
    }

    /// Removes the bars before results are printed.
    pub fn finish(&self) {
        for (_, bar) in self.lines.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            bar.finish_and_clear();
        }
        if let Some(o) = &self.overall {
            o.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

//! Snapshots of what a user reads, the same on every run and machine: insta filters replace
//! the temporary directories, object IDs, run IDs and process IDs (and, for summaries, the
//! timings) with placeholders.

use std::path::Path;

use super::Repo;

/// Filters for text from a run in `repo`: its work tree is `[REPO]`, its home `[HOME]`.
pub fn redact(repo: &Repo) -> insta::Settings {
    redact_dirs(&[(repo.path(), "[REPO]"), (&repo.home(), "[HOME]")])
}

/// Filters naming each directory by its placeholder (e.g. a clone beside the repo).
pub fn redact_dirs(dirs: &[(&Path, &str)]) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let mut named: Vec<(String, &str)> = dirs
        .iter()
        .flat_map(|(dir, name)| forms(dir).into_iter().map(move |f| (f, *name)))
        .collect();
    // The longer first, so that a path inside another is not cut in two.
    named.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
    for (form, name) in named {
        s.add_filter(&regex::escape(&form), name);
    }
    s.add_filter(r"\b[0-9a-f]{40}\b", "[OID]");
    s.add_filter(r"\b\d{8}T\d{6}Z-\d+\b", "[RUN-ID]");
    s.add_filter(r"\bpid \d+\b", "pid [PID]");
    s.add_filter(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b", "[DATE]");
    s
}

/// [`redact`], and the times, ratios and percentages of a summary.
pub fn redact_timings(repo: &Repo) -> insta::Settings {
    let mut s = redact(repo);
    // Column padding varies with a time's digits: the spaces before one go with it.
    s.add_filter(r" *\b\d+(\.\d+)?(ms|s)\b", " [TIME]");
    s.add_filter(r"\b\d+(\.\d+)?x\b", "[RATIO]");
    s.add_filter(r"\b\d+(\.\d+)?%", "[PCT]");
    s
}

/// A path as it was given and as the OS resolves it (they differ where /tmp is a link).
fn forms(dir: &Path) -> Vec<String> {
    let mut forms = vec![dir.display().to_string()];
    if let Ok(c) = dir.canonicalize() {
        forms.push(c.display().to_string());
    }
    forms.dedup();
    forms
}

/// The `error: …` line and its `  hint: …` lines in a stream, without the progress around
/// them.
pub fn error_lines(stream: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stream.lines() {
        if line.starts_with("error: ") {
            inside = true;
        } else if !line.starts_with("  hint: ") {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The lines of `stream` that contain `needle`.
pub fn lines_with(stream: &str, needle: &str) -> String {
    stream
        .lines()
        .filter(|l| l.contains(needle))
        .map(|l| format!("{l}\n"))
        .collect()
}

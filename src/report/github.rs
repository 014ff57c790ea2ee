//! `--format github`: workflow-command annotations (`::error file=…,title=…::…`) for blocking
//! findings, and the markdown job summary for `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::markdown::{self, counts_line, verdict_without_findings, Blocking};
use super::summary::Summary;
use crate::model::{ItemState, Verdict};

/// Annotations printed at most; the rest are counted.
pub const MAX_ANNOTATIONS: usize = 50;
/// The largest job summary GitHub accepts from one step, in characters.
pub const STEP_SUMMARY_LIMIT: usize = 65_535;

/// The annotations, a count line when some were left out, then one line per document.
pub fn annotations(summary: &Summary, blocking: &Blocking) -> String {
    let mut lines = Vec::new();
    for i in &summary.items {
        let file = property(&i.path);
        let verdict = i.verdict.map_or("ERROR", Verdict::as_str);
        let cached = if i.state == ItemState::Cached {
            " (cached)"
        } else {
            ""
        };
        if let Some(e) = &i.error {
            let title = property(&format!("{} error", i.id));
            lines.push(format!("::error file={file},title={title}::{}", data(e)));
            continue;
        }
        if !i.gate_failed {
            continue;
        }
        let findings = blocking.of_item(i);
        if findings.is_empty() {
            let title = property(&format!("{} {verdict}{cached}", i.id));
            lines.push(format!(
                "::error file={file},title={title}::{}",
                data(&verdict_without_findings(verdict))
            ));
        }
        for f in findings {
            let mut title = format!("{} {verdict}{cached}", i.id);
            if !f.category.is_empty() {
                let _ = write!(title, ": {}", f.category);
            }
            lines.push(format!(
                "::error file={file},title={}::{}",
                property(&title),
                data(&f.text)
            ));
        }
    }
    let mut out = String::new();
    let extra = lines.len().saturating_sub(MAX_ANNOTATIONS);
    for l in lines.into_iter().take(MAX_ANNOTATIONS) {
        out.push_str(&l);
        out.push('\n');
    }
    if extra > 0 {
        let _ = writeln!(
            out,
            "::warning title=parwf::{extra} more blocking findings not annotated (at most {MAX_ANNOTATIONS}); see the job summary"
        );
    }
    for i in &summary.items {
        let verdict = i.verdict.map_or("ERROR", Verdict::as_str);
        let state = if i.state == ItemState::Cached {
            ", cached"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{} {verdict} ({} blocking{state}) {}",
            i.id, i.blocking, i.path
        );
    }
    let _ = writeln!(
        out,
        "parwf: {}; gate {}",
        counts_line(summary),
        summary.exit_code.gate_line()
    );
    out
}

/// Appends the markdown summary to the job summary file, within GitHub's size limit.
pub fn append_step_summary(
    path: &Path,
    summary: &Summary,
    blocking: &Blocking,
) -> std::io::Result<()> {
    let text = markdown::truncate(&markdown::body(summary, blocking), STEP_SUMMARY_LIMIT);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")
}

/// Escapes a workflow-command message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`file=`, `title=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a,b: c"), "a%2Cb%3A c");
    }
}

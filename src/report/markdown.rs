//! `--format markdown`: a PR comment body (also the GitHub job summary). Deterministic: no
//! times or blob IDs, so a rerun with the same results gives the same text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::summary::Summary;
use crate::exit::Exit;
use crate::model::{ItemResult, ItemState, Verdict};
use crate::verdict::{self, Finding};

/// Tier 1 findings listed per document before "… and N more".
const FINDINGS_PER_ITEM: usize = 20;

/// The Tier 1 (blocking) findings of the last review of every item whose verdict fails the
/// gate (the only items a report lists findings for), parsed once for a rendering: `--format
/// github` writes its annotations and the job summary from the same parse.
pub struct Blocking(BTreeMap<String, Vec<Finding>>);

impl Blocking {
    pub fn of(summary: &Summary) -> Blocking {
        let parsed = summary
            .items
            .iter()
            .filter(|i| i.gate_failed)
            .filter_map(|i| {
                let text = summary.reviews.get(&i.id)?;
                let findings = verdict::parse(text)
                    .findings
                    .into_iter()
                    .filter(|f| f.tier == 1)
                    .collect();
                Some((i.id.clone(), findings))
            })
            .collect();
        Blocking(parsed)
    }

    /// The item's blocking findings: none when its verdict passes or its review is not known.
    pub fn of_item(&self, item: &ItemResult) -> &[Finding] {
        self.0.get(&item.id).map_or(&[], Vec::as_slice)
    }
}

/// A finding as one plain line: `category: text`, or the text alone when it has no category.
pub fn finding_line(f: &Finding) -> String {
    if f.category.is_empty() {
        f.text.trim().to_string()
    } else {
        format!("{}: {}", f.category.trim(), f.text.trim())
    }
}

/// What a report says of a verdict that fails the gate although the review lists no blocking
/// finding.
pub fn verdict_without_findings(verdict: &str) -> String {
    format!(
        "The review's verdict is {verdict} with no Tier 1 finding; it fails the gate (fail_on)."
    )
}

/// `3 documents: 1 approved, 2 revise (1 cached)`.
pub fn counts_line(summary: &Summary) -> String {
    let mut parts = Vec::new();
    for v in Verdict::ALL {
        let n = summary
            .items
            .iter()
            .filter(|i| i.verdict == Some(v))
            .count();
        if n > 0 {
            parts.push(format!("{n} {}", v.as_str().to_ascii_lowercase()));
        }
    }
    let errored = summary.items.iter().filter(|i| i.verdict.is_none()).count();
    if errored > 0 {
        parts.push(format!("{errored} without a verdict"));
    }
    let cached = summary
        .items
        .iter()
        .filter(|i| i.state == ItemState::Cached)
        .count();
    let mut line = format!(
        "{} document{}: {}",
        summary.items.len(),
        if summary.items.len() == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if cached > 0 {
        let _ = write!(line, " ({cached} cached)");
    }
    line
}

/// The comment body.
pub fn body(summary: &Summary, blocking: &Blocking) -> String {
    let mut out = String::new();
    if summary.items.is_empty() {
        out.push_str("## parwf review: nothing to review\n\n");
        out.push_str(super::summary::NOTHING_TO_REVIEW);
        out.push('\n');
        return out;
    }
    let icon = match summary.exit_code {
        Exit::Ok => "✅",
        Exit::GateFailed => "❌",
        _ => "⚠️",
    };
    let _ = writeln!(
        out,
        "## {icon} parwf review: gate {}\n",
        summary.exit_code.gate_line()
    );
    let _ = writeln!(out, "{}\n", counts_line(summary));
    out.push_str("| ID | Workflow | Verdict | Blocking | Path |\n|---|---|---|---:|---|\n");
    for i in &summary.items {
        let verdict = match (i.verdict, i.state) {
            (Some(v), ItemState::Cached) => format!("{} {v} (cached)", mark(i)),
            (Some(v), _) => format!("{} {v}", mark(i)),
            (None, ItemState::Failed) => "⚠️ ERROR".into(),
            (None, ItemState::Interrupted) => "⏹ STOPPED".into(),
            (None, _) => "– not run".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}` |",
            cell(&i.id),
            i.workflow,
            verdict,
            i.blocking,
            cell(&i.path)
        );
    }
    for i in summary.items.iter().filter(|i| needs_section(i)) {
        let _ = writeln!(
            out,
            "\n### {} {}\n",
            cell(&i.id),
            i.verdict.map_or("ERROR", Verdict::as_str)
        );
        let _ = writeln!(out, "`{}`\n", cell(&i.path));
        if let Some(e) = &i.error {
            let _ = writeln!(out, "Error: {}", one_line(e));
            continue;
        }
        let findings = blocking.of_item(i);
        if findings.is_empty() {
            let _ = writeln!(
                out,
                "No Tier 1 finding; the verdict itself fails the gate. See the full review: `git notes --ref=parwf show HEAD:{}`",
                i.path
            );
            continue;
        }
        for f in findings.iter().take(FINDINGS_PER_ITEM) {
            if f.category.is_empty() {
                let _ = writeln!(out, "- {}", one_line(&f.text));
            } else {
                let _ = writeln!(
                    out,
                    "- **{}**: {}",
                    one_line(&f.category),
                    one_line(&f.text)
                );
            }
        }
        if findings.len() > FINDINGS_PER_ITEM {
            let _ = writeln!(out, "- … and {} more", findings.len() - FINDINGS_PER_ITEM);
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>parwf · provider {} · full reviews: `git fetch origin refs/notes/parwf:refs/notes/parwf && git notes --ref=parwf show HEAD:PATH`</sub>",
        cell(&summary.provider)
    );
    out
}

fn mark(i: &ItemResult) -> &'static str {
    if i.gate_failed {
        "❌"
    } else {
        "✅"
    }
}

fn needs_section(i: &ItemResult) -> bool {
    i.gate_failed || i.state == ItemState::Failed
}

/// Text safe inside a table cell or heading: one line, no `|`.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|").replace('`', "'")
}

/// `s` on one line: runs of whitespace, line breaks included, become one space.
pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut at a line boundary to at most `limit` characters, with a note saying so.
pub fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let note = |dropped: usize| {
        format!("\n… truncated: {dropped} more characters not shown (limit {limit}); see the job log or `parwf --format json`.\n")
    };
    let room = limit.saturating_sub(note(text.len()).chars().count());
    let mut kept = 0;
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        let n = line.chars().count();
        if kept + n > room {
            break;
        }
        kept += n;
        end += line.len();
    }
    let dropped = text[end..].chars().count();
    format!("{}{}", &text[..end], note(dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_stays_within_the_limit_and_says_so() {
        let text: String = (0..5000).map(|i| format!("| row {i} | ✅ |\n")).collect();
        let cut = truncate(&text, 65_535);
        assert!(cut.chars().count() <= 65_535);
        let small = truncate(&text, 1000);
        assert!(small.chars().count() <= 1000, "{}", small.chars().count());
        assert!(small.ends_with("see the job log or `parwf --format json`.\n"));
        assert!(small.contains("| row 0 |"));
        assert_eq!(truncate("short\n", 100), "short\n");
    }
}

//! `--format junit`: a JUnit XML report, the form GitLab reads as a merge request's test
//! report (`artifacts: reports: junit:`) and most CI systems show. One test case per document;
//! a document whose verdict fails the gate is a failure carrying its blocking findings, one
//! whose workflow errored or was stopped is an error (it was not reviewed), one the run never
//! started is skipped.

use std::fmt::Write as _;

use super::markdown::{counts_line, finding_line, verdict_without_findings, Blocking};
use super::summary::Summary;
use crate::model::{ItemResult, ItemState, Verdict};

/// What one test case turned out as.
enum Case {
    Passed,
    Failed { message: String, text: String },
    Errored(String),
    Skipped(String),
}

fn case(blocking: &Blocking, item: &ItemResult) -> Case {
    // Every failed or stopped item carries its error, so the one unfinished state left after
    // this is NotStarted.
    if let Some(e) = &item.error {
        return Case::Errored(e.clone());
    }
    if !item.state.is_finished() {
        return Case::Skipped("not started: the run stopped first".into());
    }
    if !item.gate_failed {
        return Case::Passed;
    }
    let verdict = item.verdict.map_or("UNKNOWN", Verdict::as_str);
    let findings = blocking.of_item(item);
    let message = format!(
        "{verdict}: {} blocking finding{}",
        item.blocking,
        if item.blocking == 1 { "" } else { "s" }
    );
    let mut text = String::new();
    if findings.is_empty() {
        let _ = writeln!(text, "{}", verdict_without_findings(verdict));
    }
    for f in findings {
        let _ = writeln!(text, "- {}", finding_line(f));
    }
    let _ = write!(
        text,
        "Full review: git notes --ref=parwf show {}",
        item.blob
    );
    Case::Failed { message, text }
}

/// The report. Deterministic apart from the `time` attributes.
pub fn report(summary: &Summary) -> String {
    let blocking = Blocking::of(summary);
    let cases: Vec<(&ItemResult, Case)> = summary
        .items
        .iter()
        .map(|i| (i, case(&blocking, i)))
        .collect();
    let count = |f: fn(&Case) -> bool| cases.iter().filter(|(_, c)| f(c)).count();
    let failures = count(|c| matches!(c, Case::Failed { .. }));
    let errors = count(|c| matches!(c, Case::Errored(_)));
    let skipped = count(|c| matches!(c, Case::Skipped(_)));
    let tests = cases.len();
    let time = seconds(summary.wall_ms);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"parwf\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"parwf design review\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\">"
    );
    let _ = writeln!(out, "    <properties>");
    for (name, value) in [
        ("provider", summary.provider.as_str()),
        ("gate", summary.exit_code.gate_line()),
        ("summary", &counts_line(summary)),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(value)
        );
    }
    let _ = writeln!(out, "    </properties>");
    for (item, c) in &cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"parwf.{}\" file=\"{}\" time=\"{}\"",
            escape(&format!("{} {}", item.id, item.path)),
            escape(item.workflow.name()),
            escape(&item.path),
            seconds(item.duration_ms)
        );
        let out_line = system_out(item);
        match c {
            Case::Passed => {
                let _ = writeln!(out, ">");
            }
            Case::Failed { message, text } => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    escape(message),
                    escape(item.verdict.map_or("UNKNOWN", Verdict::as_str)),
                    escape(text)
                );
            }
            Case::Errored(e) => {
                let _ = writeln!(
                    out,
                    ">\n      <error message=\"{}\" type=\"workflow-error\">{}</error>",
                    escape(first_line(e)),
                    escape(e)
                );
            }
            Case::Skipped(why) => {
                let _ = writeln!(out, ">\n      <skipped message=\"{}\"/>", escape(why));
            }
        }
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>\n    </testcase>",
            escape(&out_line)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// One line for the test case's output: what the gate saw.
fn system_out(item: &ItemResult) -> String {
    let verdict = item.verdict.map_or("no verdict", Verdict::as_str);
    let cached = if item.state == ItemState::Cached {
        ", cached (not reviewed again)"
    } else {
        ""
    };
    format!(
        "{} {}: {verdict} ({} blocking){cached}; blob {}",
        item.workflow, item.id, item.blocking, item.blob
    )
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// XML text and attribute escaping. Characters XML 1.0 cannot carry at all (most control
/// characters) become U+FFFD, so a hostile review cannot make the report unreadable.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_the_xml_well_formed() {
        assert_eq!(
            escape("a<b>&\"c\"\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&#10;\u{FFFD}"
        );
    }
}

//! `--format sarif`: SARIF 2.1.0, the format code-scanning tools read (GitHub code scanning
//! through `upload-sarif`, GitLab, IDE viewers). One result per blocking (Tier 1) finding of a
//! document whose verdict fails the gate, one for a failing verdict without findings, one per
//! workflow error; approved documents produce none.

use crate::digest::sha256_hex;
use serde_json::{json, Value};

use super::markdown::{finding_line, one_line, Blocking};
use super::summary::Summary;
use crate::exit::Exit;
use crate::model::{ItemResult, ItemState, Verdict};

/// The rules, in `ruleIndex` order: (id, name, short description, help).
const RULES: [(&str, &str, &str, &str); 3] = [
    (
        "PARWF1001",
        "BlockingFinding",
        "A blocking (Tier 1) finding of a design review.",
        "The reviewer found a problem that must be fixed before the document is approved. Fix it, commit, and review again: git parwf --since <base>.",
    ),
    (
        "PARWF1002",
        "FailingVerdict",
        "A design review's verdict fails the gate.",
        "The verdict is in fail_on (REVISE, BLOCKED, DISCUSS, UNKNOWN by default) although the review lists no Tier 1 finding. Read the review: git notes --ref=parwf show <blob>.",
    ),
    (
        "PARWF1003",
        "WorkflowError",
        "A design review could not finish.",
        "The workflow errored (provider, unreadable document, limits). Run the same command again; checkpoints resume it.",
    ),
];

/// The SARIF log as pretty JSON.
pub fn report(summary: &Summary) -> String {
    let blocking = Blocking::of(summary);
    let mut results = Vec::new();
    for item in &summary.items {
        results.extend(item_results(&blocking, item));
    }
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, name, short, help)| {
            json!({
                "id": id,
                "name": name,
                "shortDescription": { "text": short },
                "fullDescription": { "text": short },
                "help": { "text": help },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let mut driver = json!({
        "name": "parwf",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // Only a real address: a viewer links it.
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver["informationUri"] = json!(repository);
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [{
                "executionSuccessful": matches!(summary.exit_code, Exit::Ok | Exit::GateFailed),
                "exitCode": summary.exit_code,
                "exitCodeDescription": summary.exit_code.gate_line(),
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "provider": summary.provider,
                "documents": summary.items.len(),
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn item_results(blocking: &Blocking, item: &ItemResult) -> Vec<Value> {
    let verdict = item.verdict.map_or("UNKNOWN", Verdict::as_str);
    // Every failed or stopped item carries its error.
    if let Some(e) = &item.error {
        return vec![result(
            item,
            2,
            &format!("{} could not be reviewed: {e}", item.id),
            e,
        )];
    }
    if !item.gate_failed {
        return Vec::new();
    }
    let findings = blocking.of_item(item);
    if findings.is_empty() {
        let text = format!(
            "{} {verdict}: the verdict fails the gate with no Tier 1 finding; read the review with git notes --ref=parwf show {}",
            item.id, item.blob
        );
        return vec![result(item, 1, &text, verdict)];
    }
    findings
        .iter()
        .map(|f| {
            let text = format!("{} {verdict}: {}", item.id, finding_line(f));
            result(item, 0, &text, &format!("{}\n{}", f.category, f.text))
        })
        .collect()
}

/// One result of rule `rule` on the item's document. `identity` is what makes the result the
/// same alert across runs (the finding, not the blob, so an edit elsewhere keeps it).
fn result(item: &ItemResult, rule: usize, message: &str, identity: &str) -> Value {
    let fingerprint = sha256_hex(
        format!(
            "{}\n{}\n{}\n{identity}",
            item.workflow, item.path, RULES[rule].0
        )
        .as_bytes(),
    );
    json!({
        "ruleId": RULES[rule].0,
        "ruleIndex": rule,
        "level": "error",
        "message": { "text": sentence(message) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&item.path), "uriBaseId": "%SRCROOT%" },
                "region": { "startLine": 1 },
            }
        }],
        "partialFingerprints": { "parwfFinding/v1": fingerprint },
        "properties": {
            "id": item.id,
            "workflow": item.workflow,
            "verdict": item.verdict,
            "blocking": item.blocking,
            "blob": item.blob,
            "cached": item.state == ItemState::Cached,
        },
    })
}

/// One line ending with a full stop, as SARIF viewers expect of a message.
fn sentence(s: &str) -> String {
    let mut line = one_line(s);
    if !line.ends_with(['.', '!', '?']) {
        line.push('.');
    }
    line
}

/// A repo-relative path as a URI reference: every byte outside the unreserved set and `/`
/// percent-encoded (a space, `#` or `%` in a file name must not change what it points to).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri("docs/lld/LLD-1 a#b%.md"),
            "docs/lld/LLD-1%20a%23b%25.md"
        );
        assert_eq!(uri("ideas/é.md"), "ideas/%C3%A9.md");
    }

    #[test]
    fn messages_are_one_sentence() {
        assert_eq!(sentence("a\n  b"), "a b.");
        assert_eq!(sentence("done."), "done.");
    }
}

//! The built-in offline provider: deterministic reviews decided from the document's content,
//! simulated latency, and simulated per-key request quotas that answer like a real 429.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use regex::Regex;
use tokio::time::Instant;

use super::secret::Secret;
use super::{ProviderError, Request, Task};
use crate::config::SimConfig;
use crate::model::WorkflowKind;

/// A document containing this text makes the sim provider fail its request (for tests and demos
/// of failure isolation).
pub const FAIL_MARKER: &str = "<!-- parwf-sim: fail -->";

/// The sim provider and its per-key quota windows.
#[derive(Debug)]
pub struct Sim {
    latency: Duration,
    jitter: Duration,
    requests_per_window: u32,
    window: Duration,
    start: Instant,
    /// Per key label: (window index, requests in it).
    windows: Mutex<HashMap<String, (u64, u32)>>,
    calls: AtomicU64,
}

impl Sim {
    /// A sim provider from `[sim]`.
    pub fn new(cfg: &SimConfig) -> Sim {
        Sim {
            latency: Duration::from_millis(cfg.latency_ms),
            jitter: Duration::from_millis(cfg.jitter_ms.min(cfg.latency_ms)),
            requests_per_window: cfg.requests_per_window,
            window: Duration::from_secs(cfg.window_s.max(1)),
            start: Instant::now(),
            windows: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
        }
    }

    /// LLM calls answered so far (rate-limited attempts not counted).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Answers one request after the simulated latency.
    pub async fn complete(&self, req: &Request, key: &Secret) -> Result<String, ProviderError> {
        self.take_quota(key.label())?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.latency_for(&req.document)).await;
        if req.document.contains(FAIL_MARKER) {
            return Err(ProviderError::Fatal(
                "sim: simulated provider failure (the document asks for one)".into(),
            ));
        }
        Ok(match req.task {
            Task::Review(kind) => review(kind, &req.document),
            Task::Draft(kind) => draft(kind, &req.document),
        })
    }

    fn take_quota(&self, label: &str) -> Result<(), ProviderError> {
        if self.requests_per_window == 0 {
            return Ok(());
        }
        let elapsed = self.start.elapsed();
        let index = (elapsed.as_nanos() / self.window.as_nanos()) as u64;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let entry = windows.entry(label.to_string()).or_insert((index, 0));
        if entry.0 != index {
            *entry = (index, 0);
        }
        if entry.1 >= self.requests_per_window {
            let next = self.window * (index as u32 + 1);
            return Err(ProviderError::RateLimited {
                retry_after: Some(next.saturating_sub(elapsed)),
            });
        }
        entry.1 += 1;
        Ok(())
    }

    /// Mean latency plus a jitter in [-jitter, +jitter] fixed by the document text.
    fn latency_for(&self, document: &str) -> Duration {
        if self.jitter.is_zero() {
            return self.latency;
        }
        let span = self.jitter.as_millis() as u64 * 2 + 1;
        let offset = fnv1a(document.as_bytes()) % span;
        (self.latency + Duration::from_millis(offset)).saturating_sub(self.jitter)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// The sections each kind of document must have: (name used in findings, words that satisfy it).
fn required_sections(kind: WorkflowKind) -> &'static [(&'static str, &'static [&'static str])] {
    match kind {
        WorkflowKind::Lld => &[
            ("Context", &["context", "background", "problem"]),
            ("Design", &["design", "approach"]),
            ("Test Plan", &["test"]),
            ("Risks", &["risk"]),
        ],
        WorkflowKind::Issue => &[
            ("Problem", &["problem"]),
            ("Scope", &["scope"]),
            ("Acceptance Criteria", &["acceptance"]),
            ("Risks", &["risk"]),
        ],
    }
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(TODO|TBD)\b").expect("static regex"));
static PLAINTEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)plain ?text").expect("static regex"));
static SECRET_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)password|credential|secret|api key|token").expect("static regex")
});

/// What the sim reviewer finds in a document.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Assessment {
    pub title: String,
    pub security: Vec<String>,
    pub quality: Vec<String>,
    pub open_questions: usize,
    pub words: usize,
}

/// Lines outside code fences, with their 1-based numbers.
fn prose_lines(doc: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fenced = false;
    doc.lines().enumerate().filter_map(move |(i, line)| {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            return None;
        }
        (!fenced).then_some((i + 1, line))
    })
}

fn heading(line: &str) -> Option<String> {
    let t = line.trim_start();
    t.starts_with('#')
        .then(|| t.trim_start_matches('#').trim().to_lowercase())
}

/// Applies the sim reviewer's rules (documented in README, "The sim provider").
pub fn assess(kind: WorkflowKind, doc: &str) -> Assessment {
    let mut a = Assessment {
        words: doc.split_whitespace().count(),
        ..Assessment::default()
    };
    let mut headings = Vec::new();
    let mut in_questions = false;
    for (n, line) in prose_lines(doc) {
        if let Some(h) = heading(line) {
            if a.title.is_empty() {
                a.title = line.trim_start().trim_start_matches('#').trim().to_string();
            }
            in_questions = h.contains("open questions");
            headings.push(h);
            continue;
        }
        if in_questions && line.trim_start().starts_with("- [ ]") {
            a.open_questions += 1;
        }
        if let Some(m) = PLACEHOLDER.find(line) {
            a.quality.push(format!(
                "**Unresolved placeholder (line {n}):** `{}` marks a decision the document has not made. **Requirement:** decide it and state the decision.",
                m.as_str()
            ));
        }
        if PLAINTEXT.is_match(line) && SECRET_WORD.is_match(line) {
            a.security.push(format!(
                "**Secret handling (line {n}):** the design keeps or sends a secret in plaintext. **Requirement:** store secrets in the secret manager and never log or persist them unencrypted."
            ));
        }
    }
    for (name, words) in required_sections(kind) {
        if !headings.iter().any(|h| words.iter().any(|w| h.contains(w))) {
            a.quality.insert(
                0,
                format!("**Missing section: {name}:** the document has no {name} section. **Requirement:** add it."),
            );
        }
    }
    if a.title.is_empty() {
        a.title = "Untitled document".to_string();
    }
    a
}

fn box_line(ticked: bool, word: &str, meaning: &str) -> String {
    format!(
        "[{}] **{word}** - {meaning}\n",
        if ticked { "x" } else { " " }
    )
}

fn category(out: &mut String, name: &str, items: &[String], none: &str) {
    out.push_str(&format!("\n### {name}\n"));
    if items.is_empty() {
        out.push_str(&format!("- [ ] {none}\n"));
    }
    for i in items {
        out.push_str(&format!("- [ ] {i}\n"));
    }
}

/// The review text, in the reviewer format the verdict parser reads.
pub fn review(kind: WorkflowKind, doc: &str) -> String {
    let a = assess(kind, doc);
    let verdict = if !a.security.is_empty() {
        "BLOCKED"
    } else if !a.quality.is_empty() {
        "REVISE"
    } else if a.open_questions > 0 {
        "DISCUSS"
    } else {
        "APPROVED"
    };
    let what = match kind {
        WorkflowKind::Lld => "LLD",
        WorkflowKind::Issue => "Issue",
    };
    let mut out = format!(
        "# {what} Review: {}\n\n## Identity Confirmation\nI am the parwf sim reviewer: offline and deterministic.\n\n## Pre-Flight Gate\nPASSED\n\n## Review Summary\n",
        a.title
    );
    out.push_str(&match verdict {
        "BLOCKED" => "The design mishandles secrets; it cannot proceed as written.\n".to_string(),
        "REVISE" => format!(
            "The document needs revision: {} blocking finding(s).\n",
            a.quality.len()
        ),
        "DISCUSS" => format!(
            "The design is sound but {} open question(s) need a human decision.\n",
            a.open_questions
        ),
        _ => "The document is complete and ready.\n".to_string(),
    });
    out.push_str("\n## Tier 1: BLOCKING Issues\n");
    category(
        &mut out,
        "Security",
        &a.security,
        "No blocking issues found.",
    );
    category(&mut out, "Quality", &a.quality, "No blocking issues found.");
    out.push_str("\n## Tier 2: HIGH PRIORITY Issues\n");
    let thin = if a.words < 150 {
        vec![format!("**Depth:** {} words is thin for this kind of document. **Recommendation:** add detail on failure modes.", a.words)]
    } else {
        Vec::new()
    };
    category(
        &mut out,
        "Architecture",
        &thin,
        "No high-priority issues found.",
    );
    out.push_str("\n## Tier 3: SUGGESTIONS\n- Link the tracking issue from the document header.\n");
    if a.open_questions > 0 {
        out.push_str(&format!(
            "\n## Questions for Orchestrator\n1. Resolve the {} open question(s) listed in the document.\n",
            a.open_questions
        ));
    }
    out.push_str("\n## Verdict\n");
    out.push_str(&box_line(
        verdict == "APPROVED",
        "APPROVED",
        "Ready to implement",
    ));
    out.push_str(&box_line(
        verdict == "REVISE",
        "REVISE",
        "Fix Tier 1 issues first",
    ));
    out.push_str(&box_line(
        verdict == "DISCUSS",
        "DISCUSS",
        "Needs a human decision",
    ));
    out.push_str(&box_line(verdict == "BLOCKED", "BLOCKED", "Cannot proceed"));
    out
}

/// The drafter's revision: adds missing sections and resolves placeholders; leaves security
/// problems alone (those need a human).
pub fn draft(kind: WorkflowKind, doc: &str) -> String {
    let a = assess(kind, doc);
    let mut out: String = doc
        .lines()
        .map(|l| PLACEHOLDER.replace_all(l, "Decided").into_owned() + "\n")
        .collect();
    for (name, _) in required_sections(kind) {
        if a.quality
            .iter()
            .any(|q| q.contains(&format!("Missing section: {name}:")))
        {
            out.push_str(&format!(
                "\n## {name}\n\nAdded in revision: this section states the {} for the change, as the reviewer asked.\n",
                name.to_lowercase()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# Cache\n## Context\nx\n## Design\ny\n## Test Plan\nz\n## Risks\nr\n";

    #[test]
    fn good_document_is_approved_and_findings_fail_it() {
        assert!(review(WorkflowKind::Lld, GOOD).contains("[x] **APPROVED**"));
        let todo = format!("{GOOD}\nRetry count: TBD\n");
        assert!(review(WorkflowKind::Lld, &todo).contains("[x] **REVISE**"));
        let secret = format!("{GOOD}\nThe API key is stored in plaintext.\n");
        assert!(review(WorkflowKind::Lld, &secret).contains("[x] **BLOCKED**"));
        let q = format!("{GOOD}\n## Open Questions\n- [ ] Which region?\n");
        assert!(review(WorkflowKind::Lld, &q).contains("[x] **DISCUSS**"));
    }

    #[test]
    fn fenced_text_does_not_count_and_draft_fixes_revise() {
        let fenced = format!("{GOOD}\n```\nTODO in an example\n```\n");
        assert!(assess(WorkflowKind::Lld, &fenced).quality.is_empty());
        let bad = "# X\n## Context\nTODO: pick\n";
        assert_eq!(assess(WorkflowKind::Lld, bad).quality.len(), 4);
        let fixed = draft(WorkflowKind::Lld, bad);
        assert!(
            assess(WorkflowKind::Lld, &fixed).quality.is_empty(),
            "{fixed}"
        );
    }
}

//! Documents, reviews and provider settings written for these tests, each defined once.
//! What the sim reviewer answers follows from the README's "The sim provider".

/// An LLD with every required section: the sim reviewer approves it.
pub const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";

/// An LLD with an unresolved placeholder: REVISE with one blocking finding.
pub const REVISE_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nTBD\n";

/// An LLD the drafter can fix: REVISE, then APPROVED after one draft (`--revise`).
pub const NEEDS_REVISION: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow. Eviction: TBD\n\n## Risks\nSome.\n";

/// An LLD keeping a token in plaintext: a Security finding, BLOCKED.
pub const BLOCKED_LLD: &str = "# Auth\n\n## Context\nWhy.\n\n## Design\nKeep the API token in plaintext in the config.\n\n## Test Plan\nT.\n\n## Risks\nR.\n";

/// An issue brief with every required section: APPROVED.
pub const GOOD_ISSUE: &str =
    "# Idea\n\n## Problem\nP.\n\n## Scope\nS.\n\n## Acceptance Criteria\nA.\n\n## Risks\nR.\n";

/// An issue brief with an open question: DISCUSS.
pub const DISCUSS_ISSUE: &str = "# Idea\n\n## Problem\nP.\n\n## Scope\nS.\n\n## Acceptance Criteria\nA.\n\n## Risks\nR.\n\n## Open Questions\n- [ ] Which region first?\n";

/// An issue brief missing three required sections: REVISE with three blocking findings.
pub const THIN_ISSUE: &str = "# Thin\n\n## Problem\nP.\n";

/// A review in the reviewer's format that approves.
pub const APPROVED_REVIEW: &str = "## Pre-Flight Gate\nPASSED\n\n## Review Summary\nReady.\n\n## Verdict\n[x] **APPROVED** - Ready to implement\n";

/// The sim provider at 5 ms a call, no jitter.
pub const SIM: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "5"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

/// The sim provider at 1 ms a call, no jitter.
pub const FAST: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "1"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

/// The sim provider at 400 ms a call: slow enough to interrupt a run mid-way.
pub const SLOW: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "400"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

/// `base` with `more` added (later entries win).
pub fn with<'a>(
    base: &[(&'a str, &'a str)],
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    [base, more].concat()
}

/// `n` documents `docs/lld/LLD-{i}-{stem}.md` (from 1), each `text` with a line of its own
/// (identical content is reviewed once per run, and counting requests needs distinct ones).
pub fn llds(n: usize, stem: &str, text: &str) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| {
            let own = format!("{text}\nDocument {i}.\n");
            (format!("docs/lld/LLD-{i}-{stem}.md"), own)
        })
        .collect()
}

//! `parwf verdict` and the verdict parser: what a review text decides, and properties that
//! no text panics it or approves without an APPROVED statement.

use parwf::model::Verdict;
use parwf::verdict::parse;
use proptest::prelude::*;

use crate::support::exit::{self, assert_exit};
use crate::support::snap::redact;
use crate::support::{stderr, Repo};

#[test]
fn verdict_command_prints_json() {
    let repo = Repo::new();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reviews/two-ticked.UNKNOWN.md"
    );
    let out = repo.parwf(&["verdict", file]);
    assert_exit(&out, exit::OK);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["verdict"], "UNKNOWN");
    for key in ["blocking", "findings", "preflight", "form"] {
        assert!(v.get(key).is_some(), "{key}: {v}");
    }
    let out = repo.parwf(&["verdict", "/nonexistent/review.md"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("unreadable", stderr(&out)));
}

/// Fragments real reviews are made of, to build texts the parser must get right.
fn fragment() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("APPROVED"),
        Just("REVISE"),
        Just("DISCUSS"),
        Just("BLOCKED"),
        Just("BLOCK"),
        Just("REJECT"),
        Just("PASSED"),
        Just("FAILED"),
        Just("maybe"),
    ];
    let box_ = prop_oneof![Just("[x]"), Just("[ ]"), Just("[X]")];
    prop_oneof![
        Just("## Verdict\n".to_string()),
        Just("## Pre-Flight Gate\n".to_string()),
        Just("## Tier 1: BLOCKING Issues\n".to_string()),
        Just("```\n".to_string()),
        Just("~~~json\n".to_string()),
        (box_, word.clone()).prop_map(|(b, w)| format!("{b} **{w}** - text\n")),
        word.clone().prop_map(|w| format!("Verdict: {w}\n")),
        word.clone().prop_map(|w| format!("**Verdict:** {w}\n")),
        word.prop_map(|w| format!("{{\"verdict\": \"{w}\", \"blocking_issues\": []}}\n")),
        "[^\\n]{0,40}\n",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn verdict_parser_never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let _ = parse(&text);
    }

    #[test]
    fn verdict_parser_never_approves_without_an_approved_statement(parts in prop::collection::vec(fragment(), 0..12)) {
        let text: String = parts.concat();
        let review = parse(&text);
        if review.verdict == Verdict::Approved {
            prop_assert!(text.to_uppercase().contains("APPROVE"), "APPROVED from: {text:?}");
        }
        prop_assert_eq!(review.blocking, review.findings.iter().filter(|f| f.tier == 1).count());
    }
}

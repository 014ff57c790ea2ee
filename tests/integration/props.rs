//! Property tests: parsers and derivations never panic and never yield an unsafe answer.

use parwf::config::{load, ConfigInputs};
use parwf::discover::{derive_id, is_valid_id};
use parwf::model::Verdict;
use parwf::model::WorkflowKind;
use parwf::verdict::parse;
use proptest::prelude::*;

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

    #[test]
    fn derived_ids_are_always_valid_or_refused(path in "(\\PC{0,20}/){0,3}\\PC{0,80}") {
        for kind in WorkflowKind::ALL {
            if let Ok(id) = derive_id(kind, &path) {
                prop_assert!(is_valid_id(&id), "{path:?} gave {id:?}");
                prop_assert!(id.len() <= 64);
            }
        }
    }

    #[test]
    fn config_files_never_panic_the_loader(text in "[a-z_\\[\\]=\"., 0-9\\n-]{0,200}") {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".parwf.toml");
        std::fs::write(&path, &text).expect("write");
        let inputs = ConfigInputs { repo_file: Some(path), ..ConfigInputs::default() };
        let _ = load(&inputs);
    }

    #[test]
    fn env_values_never_panic_the_loader(key in "PARWF_[A-Z_]{1,20}", value in "\\PC{0,20}") {
        let inputs = ConfigInputs { env: vec![(key, value)], ..ConfigInputs::default() };
        let _ = load(&inputs);
    }
}

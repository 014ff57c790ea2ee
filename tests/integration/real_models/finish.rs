//! How an answer ended, read in each API's format: a review cut at max_tokens has no verdict
//! whatever it got as far as saying, and every UNKNOWN says why on screen.

use parwf::model::WorkflowKind;
use parwf::provider::sim;

use super::{answer, cut_reason, item, json, repo, run, APIS, LLD};
use crate::support::api::{Api, Fake};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{stderr, stdout};

#[test]
fn a_review_cut_at_max_tokens_is_unknown_and_says_so_in_each_format() {
    for api in APIS {
        // The whole review, ticked APPROVED, but the provider says the answer was cut.
        let fake = Fake::start(api, move |c| {
            answer(
                api,
                &sim::review(WorkflowKind::Lld, &c.document),
                cut_reason(api),
            )
        });
        let repo = repo(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
        let out = run(&repo, &fake, &["--since", "main", "--format", "json"], &[]);
        assert_exit_for(&format!("{api:?}"), &out, exit::GATE_FAILED);
        let v = json(&out);
        let i = item(&v, "LLD-1");
        assert_eq!(i["verdict"], "UNKNOWN", "{api:?}: {i}");
        assert_eq!(
            i["rule"], "review cut at max_tokens: no verdict (fails closed)",
            "{api:?}"
        );
        assert!(
            i["hint"]
                .as_str()
                .unwrap_or("")
                .contains("raise max_tokens"),
            "{api:?}: {i}"
        );
        let err = stderr(&out);
        assert!(
            err.contains("[LLD-1] UNKNOWN (review cut at max_tokens) in "),
            "{api:?}: {err}"
        );
        // The verdict note records UNKNOWN, never the APPROVED the cut text shows.
        let note = repo.git(&["notes", "--ref=parwf", "show", "HEAD:docs/lld/LLD-1-a.md"]);
        assert!(
            note.starts_with("parwf-verdict: UNKNOWN"),
            "{api:?}: {note}"
        );
    }
}

#[test]
fn a_whole_review_in_each_format_still_counts() {
    // The control for the test above: the same answers, ended normally in each API's words.
    for (api, reason) in [
        (Api::OpenAi, "stop"),
        (Api::Anthropic, "end_turn"),
        (Api::Gemini, "STOP"),
    ] {
        let fake = Fake::start(api, move |c| {
            answer(api, &sim::review(WorkflowKind::Lld, &c.document), reason)
        });
        let repo = repo(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
        let out = run(&repo, &fake, &["--since", "main", "--format", "json"], &[]);
        assert_exit_for(&format!("{api:?}"), &out, exit::OK);
        assert_eq!(item(&json(&out), "LLD-1")["verdict"], "APPROVED");
    }
}

#[test]
fn every_unknown_verdict_says_why_on_the_item_line_and_in_the_table() {
    let fake = Fake::start(Api::OpenAi, |c| {
        let text = if c.document.contains("CASE-PROSE") {
            "The design looks reasonable overall; I would ship it after a second look.".to_string()
        } else if c.document.contains("CASE-BOTH") {
            "## Verdict\n[x] **APPROVED** - Ready to implement\n[x] **REVISE** - Fix Tier 1 issues first\n".to_string()
        } else if c.document.contains("CASE-FILTER") {
            "## Pre-Flight Gate\nPASSED\n".to_string()
        } else {
            // A weak model repeating its instructions, boxes unticked.
            c.prompt.clone()
        };
        let reason = if c.document.contains("CASE-FILTER") {
            "content_filter"
        } else {
            "stop"
        };
        answer(Api::OpenAi, &text, reason)
    });
    let doc = |case: &str| format!("{GOOD_LLD}\n{case}\n");
    let (prose, both_, echo, filter) = (
        doc("CASE-PROSE"),
        doc("CASE-BOTH"),
        doc("CASE-ECHO"),
        doc("CASE-FILTER"),
    );
    let repo = repo(&[
        ("docs/lld/LLD-1-prose.md", prose.as_str()),
        ("docs/lld/LLD-2-both.md", both_.as_str()),
        ("docs/lld/LLD-3-echo.md", echo.as_str()),
        ("docs/lld/LLD-4-filter.md", filter.as_str()),
    ]);
    let out = run(&repo, &fake, &["--since", "main"], &[]);
    assert_exit(&out, exit::GATE_FAILED);
    let err = stderr(&out);
    for (id, why) in [
        ("LLD-1", "no verdict found"),
        ("LLD-2", "verdicts conflict"),
        ("LLD-3", "prompt echoed back"),
        ("LLD-4", "review stopped by the provider (content_filter)"),
    ] {
        assert!(
            err.contains(&format!("[{id}] UNKNOWN ({why}) in ")),
            "{id}: {err}"
        );
        // The table's note under the item says the same.
        let table = stdout(&out);
        let row = table
            .lines()
            .position(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
        let note = table.lines().nth(row + 1).unwrap_or("");
        assert!(
            note.trim_start()
                .starts_with(&format!("why: {why}: no verdict")),
            "{id}: {table}"
        );
    }
    assert!(stdout(&out).contains("4 unknown"), "{}", stdout(&out));
}

#[test]
fn a_draft_cut_at_max_tokens_in_each_format_is_not_used() {
    for api in APIS {
        let fake = Fake::start(api, move |c| {
            if super::is_draft(&c.prompt) {
                // The first lines of a good revision, then the budget ran out.
                let partial: String = c
                    .document
                    .replace("TBD", "three tries")
                    .lines()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join("\n");
                answer(api, &partial, cut_reason(api))
            } else {
                answer(api, &sim::review(WorkflowKind::Lld, &c.document), "stop")
            }
        });
        let repo = repo(&[("docs/lld/LLD-1-a.md", LLD)]);
        let before = repo.git(&["rev-parse", "HEAD"]);
        let out = run(
            &repo,
            &fake,
            &[
                "--since", "main", "--revise", "--write", "commit", "--format", "json",
            ],
            &[],
        );
        assert_exit_for(&format!("{api:?}"), &out, exit::GATE_FAILED);
        let i = &json(&out)["items"][0];
        assert_eq!(i["verdict"], "REVISE", "{api:?}: {i}");
        let rule = i["rule"].as_str().unwrap_or("");
        assert!(
            rule.starts_with(
                "revision 1 not used: the draft was cut at max_tokens; the document is unchanged"
            ),
            "{api:?}: {rule}"
        );
        assert_eq!(
            repo.git(&["rev-parse", "HEAD"]),
            before,
            "{api:?}: a commit was made"
        );
        assert_eq!(repo.git(&["show", "HEAD:docs/lld/LLD-1-a.md"]), LLD);
    }
}

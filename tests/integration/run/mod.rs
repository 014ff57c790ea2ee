//! `parwf [run]`, the review itself, through the real binary: selection, bounds, the gate,
//! isolation of a failing item, plain output, the drafter/reviewer loop.

mod documents;
mod dry_run;
mod formats;
mod partition;

use crate::support::docs::{self, with, FAST, GOOD_ISSUE, GOOD_LLD, NEEDS_REVISION, SIM};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::snap::{redact, redact_timings};
use crate::support::{by_id, json, repo_with_branch, stderr, stdout};

#[test]
fn gate_exit_codes_follow_the_verdicts() {
    let ok = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = ok.parwf_in(ok.path(), &["--since", "main"], SIM);
    assert_exit(&out, exit::OK);
    redact_timings(&ok).bind(|| insta::assert_snapshot!("summary_approved", stdout(&out)));

    let revise = format!("{GOOD_LLD}\nRetry budget: TBD\n");
    let bad = repo_with_branch(&[("docs/lld/LLD-1-a.md", &revise)]);
    let out = bad.parwf_in(bad.path(), &["--since", "main"], SIM);
    assert_exit(&out, exit::GATE_FAILED);
    redact_timings(&bad).bind(|| insta::assert_snapshot!("summary_gate_failed", stdout(&out)));
    // fail_on decides what fails the gate.
    let out = bad.parwf_in(
        bad.path(),
        &["--since", "main"],
        &with(SIM, &[("PARWF_FAIL_ON", "BLOCKED,UNKNOWN")]),
    );
    assert_exit(&out, exit::OK);
}

#[test]
fn one_failing_item_does_not_stop_the_others() {
    let failing = format!("{GOOD_LLD}\n<!-- parwf-sim: fail -->\n");
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/lld/LLD-2-b.md", &failing),
        ("docs/lld/LLD-3-c.md", GOOD_LLD),
        ("docs/issues/ISSUE-4-d.md", GOOD_ISSUE),
    ]);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "2", "--format", "json"],
        SIM,
    );
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let v = json(&out);
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    for item in items {
        if item["id"] == "LLD-2" {
            assert_eq!(item["state"], "failed");
            assert!(item["error"]
                .as_str()
                .unwrap_or("")
                .contains("simulated provider failure"));
        } else {
            assert_eq!(item["state"], "done", "{item}");
            assert_eq!(item["verdict"], "APPROVED", "{item}");
        }
    }
    assert_eq!(v["exit_code"], exit::WORKFLOW_ERROR);
}

#[test]
fn plain_output_lines_are_whole_and_prefixed() {
    let repo = repo_with_branch(&docs::llds(8, "doc", GOOD_LLD));
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "4"],
        // A fixed cap of one request per key (the default adapts): 2 keys serve 4 workers.
        &with(
            SIM,
            &[
                ("PARWF_SIM__KEYS", "2"),
                ("PARWF_PROVIDER__MAX_IN_FLIGHT", "1"),
            ],
        ),
    );
    assert_exit(&out, exit::OK);
    let err = stderr(&out);
    assert!(
        !err.contains('\r') && !err.contains("\x1b["),
        "bars or escapes in plain mode"
    );
    let ids: Vec<String> = (1..=8).map(|i| format!("[LLD-{i}]")).collect();
    let mut seen = 0;
    for line in err.lines() {
        let prefix_ok = line.starts_with("[COORDINATOR] ")
            || line.starts_with("[PARWF] ")
            || ids.iter().any(|id| line.starts_with(&format!("{id} ")));
        assert!(prefix_ok, "line without a known prefix: {line:?}");
        let tags = ids.iter().filter(|id| line.contains(id.as_str())).count();
        assert!(tags <= 1, "two items on one line: {line:?}");
        seen += tags;
    }
    assert!(
        seen >= 16,
        "expected step and result lines per item:\n{err}"
    );
    assert!(
        err.contains("[COORDINATOR] 4 workers but 2 key(s)"),
        "{err}"
    );
}

#[test]
fn parallel_out_of_bounds_is_a_usage_error_naming_the_limit() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let mut said = String::new();
    for bad in ["0", "11", "-3"] {
        let out = repo.parwf(&["--since", "main", "--dry-run", "-j", bad]);
        assert_exit_for(&format!("-j {bad}"), &out, exit::USAGE);
        said.push_str(&format!("$ parwf -j {bad}\n{}", stderr(&out)));
    }
    insta::assert_snapshot!("parallel_out_of_bounds", said);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--dry-run", "-j", "11"],
        &[("PARWF_MAX_PARALLEL", "12")],
    );
    assert_exit(&out, exit::OK);
}

#[test]
fn no_provider_configured_is_a_usage_error_with_a_hint() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = repo.parwf(&["--since", "main"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("no_provider", stderr(&out)));
}

#[test]
fn no_upstream_means_a_hint_to_pass_since() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = repo.parwf(&["--dry-run"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("no_upstream", stderr(&out)));
    // With an upstream set, the default selection works.
    repo.git(&["branch", "--set-upstream-to=main"]);
    let out = repo.parwf(&["--dry-run"]);
    assert_exit(&out, exit::OK);
    assert!(stdout(&out).contains("LLD-1"));
}

#[test]
fn explicit_paths_review_the_work_tree_text() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    // Uncommitted edit: the explicit path is reviewed as it is on disk.
    repo.write("docs/lld/LLD-1-a.md", &format!("{GOOD_LLD}\nOwner: TODO\n"));
    let out = repo.parwf_in(
        &repo.path().join("docs"),
        &["lld/LLD-1-a.md", "--format", "json"],
        SIM,
    );
    assert_exit(&out, exit::GATE_FAILED);
    assert_eq!(json(&out)["items"][0]["verdict"], "REVISE");
}

#[test]
fn sim_quotas_answer_rate_limited_and_the_run_waits_instead_of_failing() {
    let repo = repo_with_branch(&docs::llds(4, "doc", GOOD_LLD));
    let env = with(
        SIM,
        &[
            ("PARWF_SIM__KEYS", "1"),
            ("PARWF_SIM__REQUESTS_PER_WINDOW", "2"),
            ("PARWF_SIM__WINDOW_S", "1"),
        ],
    );
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "4", "--format", "json"],
        &env,
    );
    assert_exit(&out, exit::OK);
    let v = json(&out);
    assert!(v["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["verdict"] == "APPROVED"));
    assert!(
        v["keys"][0]["rate_limited"].as_u64().unwrap_or(0) >= 1,
        "{}",
        v["keys"]
    );
    assert!(v["rate_limit_wait_ms"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(
        stderr(&out).contains("[COORDINATOR] key-1 rate limited"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn revise_loop_approves_after_a_draft_and_stops_on_what_it_cannot_fix() {
    let secret = format!("{GOOD_LLD}\nThe admin password is kept in plaintext. Owner: TBD\n");
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-fixable.md", NEEDS_REVISION),
        ("docs/lld/LLD-2-secret.md", secret.as_str()),
    ]);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--revise", "--format", "json"],
        FAST,
    );
    assert_exit(&out, exit::GATE_FAILED);
    let v = json(&out);
    let fixable = by_id(&v, "LLD-1");
    assert_eq!(fixable["verdict"], "APPROVED", "{fixable}");
    assert_eq!(fixable["llm_calls"], 3, "review, draft, review: {fixable}");
    let blocked = by_id(&v, "LLD-2");
    assert_eq!(blocked["verdict"], "BLOCKED", "{blocked}");
    assert_eq!(blocked["llm_calls"], 1);
    // max_iterations = 1: a REVISE cannot be revised, and the item is BLOCKED by that rule.
    let out = repo.parwf_in(
        repo.path(),
        &[
            "--since",
            "main",
            "--revise",
            "--fresh",
            "--format",
            "json",
            "--workflow",
            "lld",
        ],
        &with(FAST, &[("PARWF_MAX_ITERATIONS", "1")]),
    );
    let v = json(&out);
    assert_eq!(v["items"][0]["verdict"], "BLOCKED");
    assert!(v["items"][0]["rule"]
        .as_str()
        .unwrap_or("")
        .contains("max_iterations"));
}

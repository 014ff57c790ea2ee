//! Throughput as a user sees it through the real binary: one LLM call per distinct content,
//! waits for a key told apart from review time, honest figures, a fully cached run.

use crate::support::api::{self as fake, all_done, review, run, Api, Fake};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit};
use crate::support::json;
use crate::support::{repo_with_branch, stderr, stdout};

#[test]
fn two_paths_with_one_blob_make_one_request_and_both_get_the_verdict() {
    let fake = Fake::start(Api::OpenAi, |c| review(Api::OpenAi, c));
    // The same document kept under active/ and done/, and one other document.
    let repo = repo_with_branch(&[
        ("docs/lld/active/LLD-7-cache.md", GOOD_LLD.to_string()),
        ("docs/lld/done/LLD-8-cache.md", GOOD_LLD.to_string()),
        (
            "docs/lld/LLD-9-other.md",
            format!("{GOOD_LLD}\nAnother design.\n"),
        ),
    ]);
    let out = run(&repo, 3, &fake.env(1), &[]);
    assert_exit(&out, exit::OK);
    assert_eq!(fake.seen().len(), 2, "one request per distinct content");
    let v = json(&out);
    all_done(&v, 3, "APPROVED");
    let items = v["items"].as_array().expect("items");
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing: {v}"))
            .clone()
    };
    let (seven, eight) = (by_id("LLD-7"), by_id("LLD-8"));
    assert_eq!(seven["blob"], eight["blob"]);
    assert_eq!(
        (seven["llm_calls"].as_u64(), eight["llm_calls"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(eight["same_blob_as"], "LLD-7");
    assert_eq!(eight["path"], "docs/lld/done/LLD-8-cache.md");
    // Both paths show the verdict, and the next run finds both cached (one note per blob).
    let err = stderr(&out);
    assert!(
        err.contains("[LLD-8] APPROVED: same content as LLD-7 (reviewed once)"),
        "{err}"
    );
    let again = run(&repo, 3, &fake.env(1), &[]);
    assert_exit(&again, exit::OK);
    assert_eq!(fake.seen().len(), 2, "nothing reviewed again");
    let states: Vec<String> = json(&again)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["state"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(states, ["cached", "cached", "cached"]);
}

#[test]
fn a_fully_cached_run_says_all_cached_instead_of_a_speed_up() {
    let repo = fake::repo_with_llds(2);
    let sim = [
        ("PARWF_PROVIDER__KIND", "sim"),
        ("PARWF_SIM__LATENCY_MS", "5"),
        ("PARWF_SIM__JITTER_MS", "0"),
    ];
    let first = repo.parwf_in(repo.path(), &["--since", "main"], &sim);
    assert_exit(&first, exit::OK);
    assert!(stdout(&first).contains("speed-up"), "{}", stdout(&first));
    let again = repo.parwf_in(repo.path(), &["--since", "main"], &sim);
    assert_exit(&again, exit::OK);
    let text = stdout(&again);
    assert!(text.contains("all cached"), "{text}");
    assert!(!text.contains("speed-up"), "{text}");
    let v = json(&repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], &sim));
    assert_eq!(v["all_cached"], true, "{v}");
}

#[test]
fn waiting_for_a_key_is_shown_and_not_counted_as_review_time() {
    use std::time::Duration;
    let fake = Fake::start(Api::OpenAi, |c| {
        review(Api::OpenAi, c).delay(Duration::from_millis(300))
    });
    let repo = fake::repo_with_llds(2);
    // One key taking one request at a time, two workers: one item waits for the other's call.
    let out = run(
        &repo,
        2,
        &fake.env(1),
        &[("PARWF_PROVIDER__MAX_IN_FLIGHT", "1")],
    );
    assert_exit(&out, exit::OK);
    let err = stderr(&out);
    assert!(err.contains("] waiting for a key"), "{err}");
    let v = json(&out);
    let waits: Vec<u64> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["wait_ms"].as_u64().expect("wait_ms"))
        .collect();
    assert!(waits.iter().any(|w| *w > 0), "{v}");
    // Two calls one after the other: no speed-up is claimed for the wait.
    assert_eq!(v["calls_peak"], 1, "{v}");
    assert_eq!(v["concurrency_available"], 1, "{v}");
    assert!(v["speedup"].as_f64().unwrap_or(9.0) <= 1.05, "{v}");
    assert_eq!(v["keys"][0]["peak_in_flight"], 1, "{v}");
}

#[test]
fn one_key_runs_several_requests_at_once_by_default() {
    use std::time::Duration;
    let fake = Fake::start(Api::OpenAi, |c| {
        review(Api::OpenAi, c).delay(Duration::from_millis(300))
    });
    let repo = fake::repo_with_llds(3);
    let out = run(&repo, 3, &fake.env(1), &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 3, "APPROVED");
    assert_eq!(v["keys"][0]["peak_in_flight"], 3, "{v}");
    assert_eq!(v["calls_peak"], 3, "{v}");
    assert!(
        stdout(
            &repo.parwf_in(
                repo.path(),
                &["--since", "main", "-j", "3", "--fresh", "--write", "none"],
                &fake
                    .env(1)
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>()
            )
        )
        .contains("  key-1: 3 requests, 0 rate limited, 0.0s cooling, peak 3 at once (cap 3)"),
        "the summary shows the key's concurrency"
    );
}

//! The key pool through the real binary: bad keys left behind, daily quotas remembered across
//! runs, pausing instead of failing, exit 75, every key invalid, pacing.

use parwf_testkit::http::HttpResponse;

use crate::support::api::{self, all_done, cooling_line, review, run, seconds_in, Api, Fake};
use crate::support::exit::{self, assert_exit};
use crate::support::snap::{error_lines, redact};
use crate::support::{json, stderr, stdout};

const GEMINI_INVALID: &str = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#;

#[test]
fn an_invalid_key_and_a_spent_daily_quota_leave_every_item_to_the_third_key() {
    let fake = Fake::start(Api::Gemini, |c| match c.key {
        0 => HttpResponse::json(400, GEMINI_INVALID),
        1 => HttpResponse::json(
            429,
            api::gemini_429("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "12s"),
        ),
        _ => review(Api::Gemini, c),
    });
    let repo = api::repo_with_llds(12);
    let out = run(&repo, 3, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 12, "APPROVED");
    assert_eq!(
        (
            fake.requests_with(0),
            fake.requests_with(1),
            fake.requests_with(2)
        ),
        (1, 1, 12)
    );
    let err = stderr(&out);
    let daily = cooling_line(&err, "key-2");
    assert!(daily.contains("daily quota spent"), "{err}");
    // Until midnight in Los Angeles: more than the RetryInfo's 12 s, at most a day.
    let wait = seconds_in(&daily);
    assert!(wait > 12.0 && wait <= 24.0 * 3600.0, "{daily}");
    assert_eq!(v["keys"][1]["quota_exhausted"], true);
    assert!(repo.path().join(".git/parwf/state.db").is_file());
    let status = repo.parwf(&["status"]);
    let listed = stdout(&status);
    assert!(listed.contains("(fingerprint) out until"), "{listed}");

    // The next run knows key-2 is out without asking; key-1 is tried again (invalid is per run).
    // (Without the first run's verdict notes, which would make every item cached.)
    repo.git(&["update-ref", "-d", "refs/notes/parwf"]);
    let out = run(&repo, 3, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    all_done(&json(&out), 12, "APPROVED");
    assert_eq!(
        (
            fake.requests_with(0),
            fake.requests_with(1),
            fake.requests_with(2)
        ),
        (2, 1, 24)
    );
    assert!(
        stderr(&out).contains(
            "[COORDINATOR] key-2 is out of quota (daily quota, remembered from an earlier run)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn when_every_key_is_limited_the_run_pauses_then_resumes() {
    let fake = Fake::start(Api::OpenAi, |c| {
        if c.nth == 1 {
            return HttpResponse::json(429, r#"{"error":{"message":"Rate limit reached for m-test on requests per min (RPM): Limit 1, Used 1, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
                .header("retry-after", "1");
        }
        review(Api::OpenAi, c)
    });
    let repo = api::repo_with_llds(4);
    let out = run(&repo, 2, &fake.env(2), &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 4, "APPROVED");
    let err = stderr(&out);
    assert!(
        err.contains("[COORDINATOR] every key is cooling: pausing"),
        "{err}"
    );
    assert!(v["rate_limit_wait_ms"].as_u64().unwrap_or(0) >= 500, "{v}");
    // Nothing was sent while every key cooled: the first answer came a second after the 429s.
    let seen = fake.seen();
    assert_eq!(seen.iter().filter(|s| s.status == 429).count(), 2);
    let gap = seen[2].at.duration_since(seen[1].at);
    assert!(gap.as_millis() >= 900, "{gap:?}");
}

#[test]
fn waiting_longer_than_max_wait_exits_75_with_items_interrupted() {
    let fake = Fake::start(Api::OpenAi, |_| {
        HttpResponse::json(429, r#"{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
            .header("retry-after", "3600")
    });
    let repo = api::repo_with_llds(3);
    let started = std::time::Instant::now();
    let out = run(
        &repo,
        2,
        &fake.env(2),
        &[("PARWF_PROVIDER__MAX_WAIT_S", "1")],
    );
    assert_exit(&out, exit::KEYS_EXHAUSTED);
    assert!(started.elapsed().as_secs() < 10);
    let v = json(&out);
    assert_eq!(v["exit_code"], exit::KEYS_EXHAUSTED);
    let states: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap_or(""))
        .collect();
    assert!(states.contains(&"interrupted"), "{states:?}");
    assert!(
        states
            .iter()
            .all(|s| *s == "interrupted" || *s == "not-started"),
        "{states:?}"
    );
    redact(&repo).bind(|| insta::assert_snapshot!("keys_exhausted", error_lines(&stderr(&out))));
    // One 429 per key, no hammering.
    assert_eq!(fake.seen().len(), 2);
}

#[test]
fn every_key_invalid_exits_2_naming_the_labels() {
    let fake = Fake::start(Api::Anthropic, |_| {
        HttpResponse::json(
            401,
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        )
    });
    let repo = api::repo_with_llds(3);
    let out = run(&repo, 2, &fake.env(2), &[]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("every_key_refused", error_lines(&stderr(&out))));
    assert_eq!(fake.seen().len(), 2);
}

#[test]
fn requests_per_minute_spaces_each_keys_requests() {
    let fake = Fake::start(Api::OpenAi, |c| review(Api::OpenAi, c));
    let repo = api::repo_with_llds(3);
    let out = run(
        &repo,
        3,
        &fake.env(1),
        &[("PARWF_PROVIDER__REQUESTS_PER_MINUTE", "150")],
    );
    assert_exit(&out, exit::OK);
    let seen = fake.seen();
    assert_eq!(seen.len(), 3);
    // 150 rpm is one request every 400 ms: 800 ms from the first to the third. Unpaced, the
    // three answers of this instant server arrive within milliseconds. Only the whole span
    // is measured, at half its nominal length, so a busy machine that delays one delivery
    // cannot fail the test while a lost pacing still does.
    let span = seen[2].at.duration_since(seen[0].at).as_millis();
    assert!(span >= 400, "3 requests at 150 rpm took only {span} ms");
}

#[test]
fn remaining_requests_at_zero_rests_the_key_instead_of_earning_a_429() {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    let last: Mutex<Option<Instant>> = Mutex::new(None);
    let fake = Fake::start(Api::OpenAi, move |c| {
        let mut last = last.lock().unwrap();
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(600)) {
            return HttpResponse::json(429, r#"{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
                .header("retry-after", "1");
        }
        *last = Some(Instant::now());
        review(Api::OpenAi, c)
            .header("x-ratelimit-limit-requests", "1")
            .header("x-ratelimit-remaining-requests", "0")
            .header("x-ratelimit-reset-requests", "600ms")
    });
    let repo = api::repo_with_llds(3);
    // One request at a time (the default sends up to -j at once to a fresh key, before any
    // answer could say how many it takes).
    let out = run(
        &repo,
        3,
        &fake.env(1),
        &[("PARWF_PROVIDER__MAX_IN_FLIGHT", "1")],
    );
    assert_exit(&out, exit::OK);
    all_done(&json(&out), 3, "APPROVED");
    let statuses: Vec<u16> = fake.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [200, 200, 200]);
}

#[test]
fn a_provider_that_keeps_asking_for_short_waits_still_ends_in_exit_75() {
    let fake = Fake::start(Api::OpenAi, |_| {
        HttpResponse::json(429, r#"{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
            .header("retry-after-ms", "300")
    });
    let repo = api::repo_with_llds(1);
    let started = std::time::Instant::now();
    let out = run(
        &repo,
        1,
        &fake.env(1),
        &[("PARWF_PROVIDER__MAX_WAIT_S", "1")],
    );
    assert_exit(&out, exit::KEYS_EXHAUSTED);
    // About 1 s of 300 ms waits (later ones grow with backoff), then it stops.
    let n = fake.seen().len();
    assert!((2..=5).contains(&n), "{n} requests");
    assert!(started.elapsed().as_secs() < 5);
}

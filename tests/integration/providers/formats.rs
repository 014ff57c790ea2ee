//! One case per provider format: real-shaped 429/401/5xx bodies and headers from a local
//! server, read by the real binary, each key's fate told by a `[COORDINATOR]` line.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parwf::timefmt::civil_from_days;
use parwf_testkit::http::HttpResponse;

use crate::support::api::{self, all_done, cooling_line, review, run, seconds_in, Api, Fake};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit};
use crate::support::{json, stderr};

const OPENAI_RPM: &str = r#"{"error":{"message":"Rate limit reached for m-test in organization org-test on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;

/// An IMF-fixdate, as servers write `Retry-After`.
fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][m as usize - 1];
    let s = secs.rem_euclid(86_400);
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} GMT",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[test]
fn openai_retry_after_in_seconds_and_as_an_http_date() {
    let fake = Fake::start(Api::OpenAi, |c| match (c.key, c.nth) {
        (0, 1) => HttpResponse::json(429, OPENAI_RPM).header("retry-after", "7"),
        (1, 1) => HttpResponse::json(429, OPENAI_RPM).header(
            "Retry-After",
            http_date(SystemTime::now() + Duration::from_secs(40)),
        ),
        _ => review(Api::OpenAi, c),
    });
    let repo = api::repo_with_llds(3);
    let out = run(&repo, 1, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 3, "APPROVED");
    let err = stderr(&out);
    assert_eq!(seconds_in(&cooling_line(&err, "key-1")), 7.0, "{err}");
    let date_wait = seconds_in(&cooling_line(&err, "key-2"));
    assert!((35.0..=40.0).contains(&date_wait), "{err}");
    assert_eq!(v["keys"][0]["rate_limited"], 1);
    assert_eq!(v["keys"][2]["requests"], 3, "{v}");
    assert_eq!(v["provider"], "openai/m-test");
    // The request as OpenAI expects it.
    let first = &fake.seen()[0].req;
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/chat/completions");
    let body = first.json();
    assert_eq!(body["model"], "m-test");
    assert_eq!(body["messages"][0]["role"], "user");
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["max_tokens"], 4096, "a review's default budget");
    let prompt = body["messages"][0]["content"].as_str().unwrap_or("");
    assert!(
        prompt.contains("Document path: docs/lld/LLD-1-doc.md"),
        "{prompt}"
    );
}

#[test]
fn openai_reset_headers_cool_until_the_exhausted_limit_resets() {
    let fake = Fake::start(Api::OpenAi, |c| match (c.key, c.nth) {
        (0, 1) => HttpResponse::json(429, OPENAI_RPM)
            .header("x-ratelimit-limit-requests", "3")
            .header("x-ratelimit-remaining-requests", "0")
            .header("x-ratelimit-reset-requests", "6m0s")
            .header("x-ratelimit-remaining-tokens", "39000")
            .header("x-ratelimit-reset-tokens", "250ms"),
        (1, 1) => HttpResponse::json(429, OPENAI_RPM)
            .header("x-ratelimit-remaining-requests", "5")
            .header("x-ratelimit-reset-requests", "1s")
            .header("x-ratelimit-remaining-tokens", "0")
            .header("x-ratelimit-reset-tokens", "1h2m3.5s"),
        _ => review(Api::OpenAi, c),
    });
    let repo = api::repo_with_llds(2);
    let out = run(&repo, 1, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    all_done(&json(&out), 2, "APPROVED");
    let err = stderr(&out);
    assert_eq!(seconds_in(&cooling_line(&err, "key-1")), 360.0, "{err}");
    assert_eq!(seconds_in(&cooling_line(&err, "key-2")), 3720.0, "{err}");
}

#[test]
fn openai_invalid_key_and_insufficient_quota_take_keys_out_for_the_run() {
    let fake = Fake::start(Api::OpenAi, |c| match c.key {
        0 => HttpResponse::json(
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-parwf-****77e2. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        ),
        1 => HttpResponse::json(
            429,
            r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        ),
        _ => review(Api::OpenAi, c),
    });
    let repo = api::repo_with_llds(4);
    let out = run(&repo, 2, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 4, "APPROVED");
    let err = stderr(&out);
    assert!(
        cooling_line(&err, "key-1").contains("was refused (HTTP 401)"),
        "{err}"
    );
    assert!(
        cooling_line(&err, "key-2").contains("no quota left (billing)"),
        "{err}"
    );
    // Each bad key cost one request, never a second.
    assert_eq!((fake.requests_with(0), fake.requests_with(1)), (1, 1));
    assert_eq!(v["keys"][0]["invalid"], true);
    assert_eq!(v["keys"][1]["quota_exhausted"], true);
    assert_eq!(v["keys"][1]["rate_limited"], 1);
}

#[test]
fn anthropic_retry_after_reset_timestamps_and_overload() {
    let fake = Fake::start(Api::Anthropic, |c| {
        let limited = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50 requests per minute."}}"#;
        match (c.key, c.nth) {
            (0, 1) => HttpResponse::json(429, limited)
                .header("retry-after", "12")
                .header("anthropic-ratelimit-requests-limit", "50")
                .header("anthropic-ratelimit-requests-remaining", "0")
                .header(
                    "anthropic-ratelimit-requests-reset",
                    rfc3339(SystemTime::now() + Duration::from_secs(300)),
                ),
            (1, 1) => HttpResponse::json(429, limited)
                .header("anthropic-ratelimit-requests-remaining", "0")
                .header(
                    "anthropic-ratelimit-requests-reset",
                    rfc3339(SystemTime::now() + Duration::from_secs(45)),
                ),
            (2, 2) => HttpResponse::json(
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ),
            _ => review(Api::Anthropic, c),
        }
    });
    let repo = api::repo_with_llds(3);
    let out = run(&repo, 1, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 3, "APPROVED");
    let err = stderr(&out);
    assert_eq!(seconds_in(&cooling_line(&err, "key-1")), 12.0, "{err}");
    let reset = seconds_in(&cooling_line(&err, "key-2"));
    assert!((40.0..=45.0).contains(&reset), "{err}");
    // The 529 was retried: key-3 answered four requests for three documents.
    assert_eq!(fake.requests_with(2), 4);
    let first = &fake.seen()[0].req;
    assert_eq!(first.path, "/v1/messages");
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(first.json()["max_tokens"], 4096);
    assert_eq!(first.json()["model"], "m-test");
}

#[test]
fn gemini_retry_info_and_invalid_key_in_a_400() {
    let fake = Fake::start(Api::Gemini, |c| match (c.key, c.nth) {
        (0, 1) => HttpResponse::json(
            429,
            api::gemini_429(
                "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                "45.8s",
            ),
        ),
        (1, _) => HttpResponse::json(
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#,
        ),
        _ => review(Api::Gemini, c),
    });
    let repo = api::repo_with_llds(2);
    let out = run(&repo, 1, &fake.env(3), &[]);
    assert_exit(&out, exit::OK);
    all_done(&json(&out), 2, "APPROVED");
    let err = stderr(&out);
    assert_eq!(seconds_in(&cooling_line(&err, "key-1")), 45.8, "{err}");
    assert!(
        cooling_line(&err, "key-2").contains("refused (HTTP 400)"),
        "{err}"
    );
    let first = &fake.seen()[0].req;
    assert_eq!(first.path, "/v1beta/models/m-test:generateContent");
    assert!(first.header("x-goog-api-key").is_some());
    assert!(
        !first.path.contains("key="),
        "the key never goes in the URL"
    );
    let body = first.json();
    assert_eq!(body["generationConfig"]["maxOutputTokens"], 4096);
    assert!(body["contents"][0]["parts"][0]["text"]
        .as_str()
        .unwrap_or("")
        .contains("## Test Plan"));
}

#[test]
fn server_errors_are_retried_and_client_errors_fail_the_item_with_the_providers_words() {
    let fake = Fake::start(Api::OpenAi, |c| {
        if c.nth == 1 {
            return HttpResponse::json(
                500,
                r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#,
            );
        }
        if c.document.contains("EXTRA-LONG") {
            return HttpResponse::json(
                400,
                r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
            );
        }
        review(Api::OpenAi, c)
    });
    let repo = api::repo_with_llds(1);
    repo.write(
        "docs/lld/LLD-2-long.md",
        &format!("{}\nEXTRA-LONG\n", GOOD_LLD),
    );
    repo.commit_all("long");
    let out = run(&repo, 1, &fake.env(1), &[]);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let v = json(&out);
    assert_eq!(v["items"][0]["verdict"], "APPROVED", "{v}");
    assert_eq!(v["items"][1]["state"], "failed");
    assert_eq!(
        v["items"][1]["error"],
        "HTTP 400: This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages."
    );
    // 500, retry, then one request for the long document (not retried).
    assert_eq!(
        fake.seen().iter().map(|s| s.status).collect::<Vec<_>>(),
        [500, 200, 400]
    );
}

#[test]
fn command_provider_reads_the_prompt_on_stdin_and_reports_stderr_on_failure() {
    let repo = api::repo_with_llds(1);
    repo.write(
        "docs/lld/LLD-2-bad.md",
        &format!("{}\nNO-MODEL\n", GOOD_LLD),
    );
    repo.commit_all("bad");
    let script = r###"prompt=$(cat)
case "$prompt" in *NO-MODEL*) echo "loading…" >&2; echo "error: model m-test not found" >&2; exit 2;; esac
case "$prompt" in *"## Test Plan"*) ;; *) exit 9;; esac
[ "$PARWF_API_KEY" = "$EXPECTED_KEY" ] || exit 8
printf '## Verdict\n[x] **APPROVED** - Ready to implement\n'"###;
    let env = [
        ("PARWF_PROVIDER__KIND", "command"),
        ("PARWF_PROVIDER__COMMAND", script),
        ("PARWF_PROVIDER__KEYS", "env:K1"),
        ("K1", api::KEYS[0]),
        ("EXPECTED_KEY", api::KEYS[0]),
    ];
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], &env);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let v = json(&out);
    assert_eq!(v["provider"], "command");
    assert_eq!(v["items"][0]["verdict"], "APPROVED", "{v}");
    assert_eq!(
        v["items"][1]["error"],
        "provider.command exited with status 2: error: model m-test not found"
    );
}

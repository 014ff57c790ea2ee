//! Real-shaped headers and bodies from OpenAI, Anthropic and Gemini.

use super::*;

fn utc(y: i64, m: u32, d: u32, h: u64, min: u64, s: u64) -> SystemTime {
    UNIX_EPOCH
        + Duration::from_secs(days_from_civil(y, m, d) as u64 * 86_400 + h * 3600 + min * 60 + s)
}

fn secs(d: Option<Duration>) -> Option<f64> {
    d.map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// A failed response classified with its limits read as `Http::send` reads them.
fn classify(api: Api, status: u16, h: &Headers, body: &str, now: SystemTime) -> ProviderError {
    let readings = super::super::limits::readings(h, now);
    super::classify(api, status, h, &readings, body, now)
}

#[test]
fn retry_after_seconds_and_http_dates() {
    let now = utc(2015, 10, 21, 7, 27, 0);
    assert_eq!(secs(retry_after("120", now)), Some(120.0));
    assert_eq!(secs(retry_after(" 1.5 ", now)), Some(1.5));
    assert_eq!(
        secs(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now)),
        Some(60.0)
    );
    // A date already past means "now", not a negative wait.
    assert_eq!(
        secs(retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now)),
        Some(0.0)
    );
    assert_eq!(retry_after("-5", now), None);
    assert_eq!(retry_after("soon", now), None);
    assert_eq!(retry_after("NaN", now), None);
    // Absurd values are capped at a day instead of overflowing.
    assert_eq!(retry_after("1e300", now), Some(MAX_HINT));
    assert_eq!(retry_after("99999999999999", now), Some(MAX_HINT));
}

#[test]
fn openai_reset_durations() {
    for (text, want) in [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("250ms", 0.25),
        ("1h2m3.5s", 3723.5),
        ("20ms", 0.02),
        ("0s", 0.0),
        ("17.031s", 17.031),
        ("2m", 120.0),
    ] {
        assert_eq!(secs(go_duration(text)), Some(want), "{text}");
    }
    for bad in ["", "-1s", "5x", "s", "1.2.3s", "10"] {
        assert_eq!(go_duration(bad), None, "{bad:?}");
    }
    assert_eq!(go_duration("900000h"), Some(MAX_HINT));
}

#[test]
fn rfc3339_timestamps_and_calendar() {
    let t = rfc3339("2026-01-01T00:00:30Z").unwrap();
    assert_eq!(t, utc(2026, 1, 1, 0, 0, 30));
    let t = rfc3339("2026-01-01T01:00:30.500+01:00").unwrap();
    assert_eq!(
        t.duration_since(utc(2026, 1, 1, 0, 0, 30)).unwrap(),
        Duration::from_millis(500)
    );
    assert_eq!(
        rfc3339("2025-12-31T16:00:00-08:00"),
        Some(utc(2026, 1, 1, 0, 0, 0))
    );
    assert_eq!(rfc3339("2026-13-01T00:00:00Z"), None);
    assert_eq!(rfc3339("yesterday"), None);
    for day in [-1000, 0, 59, 60, 11_016, 20_454] {
        let (y, m, d) = civil_from_days(day);
        assert_eq!(days_from_civil(y, m, d), day);
    }
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(
        days_from_civil(2024, 2, 29) + 1,
        days_from_civil(2024, 3, 1)
    );
}

#[test]
fn pacific_midnight_follows_us_dst() {
    // (now UTC, next midnight in Los Angeles as UTC)
    let cases = [
        // Winter, PST: midnight is 08:00Z.
        (utc(2025, 1, 15, 12, 0, 0), utc(2025, 1, 16, 8, 0, 0)),
        (utc(2025, 1, 16, 7, 30, 0), utc(2025, 1, 16, 8, 0, 0)),
        // Summer, PDT: midnight is 07:00Z.
        (utc(2025, 7, 1, 6, 30, 0), utc(2025, 7, 1, 7, 0, 0)),
        (utc(2025, 7, 1, 7, 0, 1), utc(2025, 7, 2, 7, 0, 0)),
        // DST starts Sunday 2025-03-09 at 02:00 PST: that midnight is still PST.
        (utc(2025, 3, 9, 7, 30, 0), utc(2025, 3, 9, 8, 0, 0)),
        (utc(2025, 3, 9, 9, 30, 0), utc(2025, 3, 10, 7, 0, 0)),
        // DST ends Sunday 2025-11-02 at 02:00 PDT: that midnight is still PDT, the next is PST.
        (utc(2025, 11, 2, 6, 0, 0), utc(2025, 11, 2, 7, 0, 0)),
        (utc(2025, 11, 2, 8, 30, 0), utc(2025, 11, 3, 8, 0, 0)),
        (utc(2025, 11, 3, 7, 30, 0), utc(2025, 11, 3, 8, 0, 0)),
        // New Year's Eve in Los Angeles.
        (utc(2026, 1, 1, 7, 59, 0), utc(2026, 1, 1, 8, 0, 0)),
    ];
    for (now, want) in cases {
        assert_eq!(next_pacific_midnight(now), want, "{now:?}");
    }
}

const NOW_S: (i64, u32, u32) = (2026, 3, 2);

fn now() -> SystemTime {
    utc(NOW_S.0, NOW_S.1, NOW_S.2, 12, 0, 0)
}

const OPENAI_RPM: &str = r#"{
    "error": {
        "message": "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
        "type": "requests",
        "param": null,
        "code": "rate_limit_exceeded"
    }
}"#;

#[test]
fn openai_429_uses_retry_after_then_the_exhausted_limits_reset() {
    let h = Headers::of(&[
        ("x-ratelimit-limit-requests", "3"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "20s"),
        ("x-ratelimit-remaining-tokens", "39500"),
        ("x-ratelimit-reset-tokens", "750ms"),
    ]);
    let e = classify(Api::OpenAi, 429, &h, OPENAI_RPM, now());
    assert!(
        matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(20)),
        "{e:?}"
    );
    let mut with_retry = h.clone();
    with_retry.0.push(("Retry-After".into(), "7".into()));
    let e = classify(Api::OpenAi, 429, &with_retry, OPENAI_RPM, now());
    assert!(
        matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{e:?}"
    );
    // No limit at 0: the soonest reset.
    let h = Headers::of(&[
        ("x-ratelimit-reset-requests", "6m0s"),
        ("x-ratelimit-reset-tokens", "1s"),
    ]);
    let e = classify(Api::OpenAi, 429, &h, OPENAI_RPM, now());
    assert!(
        matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(1)),
        "{e:?}"
    );
    // No hint at all: the coordinator backs off.
    let e = classify(Api::OpenAi, 429, &Headers::default(), "", now());
    assert!(matches!(
        e,
        ProviderError::RateLimited { retry_after: None }
    ));
}

#[test]
fn openai_insufficient_quota_is_out_for_the_run_and_401_is_invalid() {
    let body = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
    let e = classify(Api::OpenAi, 429, &Headers::default(), body, now());
    assert!(
        matches!(e, ProviderError::QuotaExhausted { for_: None }),
        "{e:?}"
    );
    let body = r#"{"error":{"message":"Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
    let e = classify(Api::OpenAi, 401, &Headers::default(), body, now());
    assert!(matches!(e, ProviderError::InvalidKey { status: 401 }));
    // The error carries no text from the body at all.
    assert!(!e.to_string().contains("sk-"), "{e}");
}

#[test]
fn anthropic_429_retry_after_and_reset_headers() {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (1b2c) of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."}}"#;
    let h = Headers::of(&[
        ("retry-after", "12"),
        ("anthropic-ratelimit-requests-limit", "50"),
        ("anthropic-ratelimit-requests-remaining", "0"),
        ("anthropic-ratelimit-requests-reset", "2026-03-02T12:00:40Z"),
    ]);
    let e = classify(Api::Anthropic, 429, &h, body, now());
    assert!(
        matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(12)),
        "{e:?}"
    );
    let h = Headers::of(
        &h.0[1..]
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect::<Vec<_>>(),
    );
    let e = classify(Api::Anthropic, 429, &h, body, now());
    assert!(
        matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(40)),
        "{e:?}"
    );
    let overloaded =
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    let e = classify(Api::Anthropic, 529, &Headers::default(), overloaded, now());
    assert!(
        matches!(&e, ProviderError::Transient(m) if m == "HTTP 529: Overloaded"),
        "{e:?}"
    );
    let bad = r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}"#;
    let e = classify(Api::Anthropic, 400, &Headers::default(), bad, now());
    // A malformed request is refused for good: a rerun would send it the same way.
    assert!(
        matches!(&e, ProviderError::Refused { msg, why: crate::provider::Refusal::BadRequest } if msg == "HTTP 400: max_tokens: Field required"),
        "{e:?}"
    );
}

/// A Gemini 429 as the API sends it, with one `QuotaFailure` violation.
pub fn gemini_429(quota_id: &str, retry_delay: &str) -> String {
    format!(
        r#"{{
  "error": {{
    "code": 429,
    "message": "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
      {{
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
          {{
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "{quota_id}",
            "quotaDimensions": {{"location": "global", "model": "gemini-2.0-flash"}},
            "quotaValue": "15"
          }}
        ]
      }},
      {{
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}]
      }},
      {{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "{retry_delay}"}}
    ]
  }}
}}"#
    )
}

#[test]
fn gemini_retry_info_is_transient_and_per_day_quota_lasts_to_pacific_midnight() {
    let body = gemini_429(
        "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
        "45.8s",
    );
    let e = classify(Api::Gemini, 429, &Headers::default(), &body, now());
    assert!(
        matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d == Duration::from_millis(45_800)),
        "{e:?}"
    );
    // The daily quota wins over the RetryInfo that comes with it.
    let body = gemini_429("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "3s");
    let e = classify(Api::Gemini, 429, &Headers::default(), &body, now());
    // 2026-03-02 12:00Z is 04:00 PST: 20 hours to midnight.
    assert!(
        matches!(e, ProviderError::QuotaExhausted { for_: Some(d) } if d == Duration::from_secs(20 * 3600)),
        "{e:?}"
    );
    let invalid = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#;
    let e = classify(Api::Gemini, 400, &Headers::default(), invalid, now());
    assert!(
        matches!(e, ProviderError::InvalidKey { status: 400 }),
        "{e:?}"
    );
    let e = classify(
        Api::Gemini,
        503,
        &Headers::default(),
        r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        now(),
    );
    assert!(
        matches!(&e, ProviderError::Transient(m) if m.contains("overloaded")),
        "{e:?}"
    );
}

#[test]
fn success_headers_at_zero_rest_the_key() {
    let h = Headers::of(&[
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "8.5s"),
        ("x-ratelimit-remaining-tokens", "1200"),
        ("x-ratelimit-reset-tokens", "90ms"),
    ]);
    assert_eq!(secs(exhausted_for(&h, now())), Some(8.5));
    let h = Headers::of(&[
        ("anthropic-ratelimit-requests-remaining", "12"),
        ("anthropic-ratelimit-tokens-remaining", "0"),
        ("anthropic-ratelimit-tokens-reset", "2026-03-02T12:00:05Z"),
    ]);
    assert_eq!(secs(exhausted_for(&h, now())), Some(5.0));
    let h = Headers::of(&[("x-ratelimit-remaining-requests", "4")]);
    assert_eq!(exhausted_for(&h, now()), None);
}

#[test]
fn error_messages_are_one_bounded_line() {
    let long = format!(
        "{{\"error\":{{\"message\":\"{}\\nsecond line\"}}}}",
        "x".repeat(500)
    );
    let m = error_message(&long);
    assert!(m.chars().count() <= 301 && !m.contains('\n'), "{m}");
    assert_eq!(
        error_message("<html>Bad Gateway</html>"),
        "an HTML page: Bad Gateway"
    );
    // A proxy's error page: its title, not its markup.
    let nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    assert_eq!(
        error_message(nginx),
        "an HTML page titled \"502 Bad Gateway\""
    );
    let cloudflare = "<!DOCTYPE html>\n<!--[if lt IE 7]> <html class=\"no-js ie6 oldie\" lang=\"en-US\"> <![endif]-->\n<head>\n<title>example.com | 502: Bad gateway</title>\n<script>var a = 1;</script>";
    assert_eq!(
        error_message(cloudflare),
        "an HTML page titled \"example.com | 502: Bad gateway\""
    );
    assert_eq!(error_message(""), "(empty body)");
    assert_eq!(error_message(" \n "), "(empty body)");
    // Not HTML: the start of the body as it is.
    assert_eq!(
        error_message("upstream connect error"),
        "upstream connect error"
    );
}

#[test]
fn absurd_dates_and_offsets_are_unreadable_not_a_panic() {
    let now = now();
    // Years past what SystemTime holds used to panic even in release builds (a float too big
    // for a Duration, then an overflowing SystemTime addition).
    for year in [
        "300000000000",
        "1000000000000",
        "-25252734927764585",
        "9223372036854775807",
    ] {
        let date = format!("Wed, 21 Oct {year} 07:28:00 GMT");
        assert_eq!(http_date(&date), None, "{date}");
        assert_eq!(retry_after(&date, now), None, "{date}");
    }
    // Offsets past a day used to overflow the minutes arithmetic.
    for t in [
        "2026-01-01T00:00:00+9999999999999999:00",
        "2026-01-01T00:00:00-24:00",
        "2026-01-01T00:00:00+01:60",
    ] {
        assert_eq!(rfc3339(t), None, "{t}");
    }
    assert!(rfc3339("2026-01-01T00:00:00+23:59").is_some());
    assert!(http_date("Fri, 31 Dec 9999 23:59:59 GMT").is_some());
}

//! Property tests of the rate-limit parsers: absurd, negative or overflowing 429 headers and
//! bodies never panic, and every wait they yield stays within the cap (one day).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parwf::provider::limits::readings;
use parwf::provider::ratelimit::{
    classify, exhausted_for, go_duration, http_date, proto_duration, retry_after, rfc3339, Headers,
    MAX_HINT,
};
use parwf::provider::wire::Api;
use parwf::provider::ProviderError;
use proptest::prelude::*;

const CASES: u32 = 256;

fn now() -> impl Strategy<Value = SystemTime> {
    // From 1970 to 2100.
    (0u64..4_102_444_800).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// A number that is usually sane and sometimes absurd.
fn sometimes_absurd(sane: std::ops::Range<i64>) -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => sane,
        1 => any::<i64>(),
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(-1)],
        1 => 10_000i64..1_000_000_000_000_000,
    ]
}

/// `Retry-After` HTTP-dates with one field or another out of range.
fn http_dates() -> impl Strategy<Value = String> {
    let mon = prop_oneof![
        Just("Jan"),
        Just("Feb"),
        Just("Oct"),
        Just("Dec"),
        Just("Foo")
    ];
    (
        sometimes_absurd(1..32),
        mon,
        sometimes_absurd(1970..2100),
        sometimes_absurd(0..24),
        sometimes_absurd(0..60),
        prop_oneof![4 => 0.0f64..61.0, 1 => any::<f64>()],
    )
        .prop_map(|(d, m, y, h, mi, s)| format!("Wed, {d:02} {m} {y} {h:02}:{mi:02}:{s:02} GMT"))
}

/// Anthropic's RFC 3339 resets with absurd offsets, fractions and fields.
fn rfc3339_times() -> impl Strategy<Value = String> {
    (
        0i64..10_000,
        sometimes_absurd(1..13),
        sometimes_absurd(1..29),
        sometimes_absurd(0..24),
        prop_oneof![Just("Z"), Just("+"), Just("-"), Just("z")],
        sometimes_absurd(0..24),
        sometimes_absurd(0..60),
        "(\\.[0-9]{1,12})?",
    )
        .prop_map(|(y, m, d, h, zone, oh, om, frac)| {
            let zone = match zone {
                "Z" | "z" => zone.to_string(),
                sign => format!("{sign}{oh:02}:{om:02}"),
            };
            format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00{frac}{zone}")
        })
}

/// Go durations (`1h2m3.5s`) with huge numbers and unknown units.
fn go_durations() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        Just("h"),
        Just("m"),
        Just("s"),
        Just("ms"),
        Just("us"),
        Just("µs"),
        Just("ns"),
        Just(""),
        Just("d"),
    ];
    prop::collection::vec(("[0-9]{1,25}(\\.[0-9]{0,5})?", unit), 1..5)
        .prop_map(|parts| parts.into_iter().map(|(n, u)| format!("{n}{u}")).collect())
}

/// Header values: real-shaped ones with absurd numbers, and arbitrary text.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f}s")),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| format!("{i}.{i}")),
        go_durations(),
        http_dates(),
        rfc3339_times(),
        "\\PC{0,40}",
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("retry-after".to_string()),
        Just("Retry-After".to_string()),
        Just("retry-after-ms".to_string()),
        Just("x-ratelimit-remaining-requests".to_string()),
        Just("x-ratelimit-reset-requests".to_string()),
        Just("x-ratelimit-remaining-tokens".to_string()),
        Just("x-ratelimit-reset-tokens".to_string()),
        Just("anthropic-ratelimit-requests-remaining".to_string()),
        Just("anthropic-ratelimit-requests-reset".to_string()),
        Just("anthropic-ratelimit-tokens-remaining".to_string()),
        Just("anthropic-ratelimit-output-tokens-reset".to_string()),
        "[a-z-]{1,20}",
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    let value = prop_oneof![1 => Just("0".to_string()), 3 => header_value()];
    prop::collection::vec((header_name(), value), 0..8).prop_map(Headers)
}

/// Error bodies: each API's real shapes with hostile fields, and arbitrary text.
fn body() -> impl Strategy<Value = String> {
    let text = "\\PC{0,60}";
    prop_oneof![
        (header_value(), text).prop_map(|(delay, msg)| {
            serde_json::json!({"error": {"code": 429, "message": msg, "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}})
            .to_string()
        }),
        (text, any::<bool>()).prop_map(|(q, day)| {
            let quota = if day { format!("{q}PerDay") } else { q };
            serde_json::json!({"error": {"code": 429, "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": quota}]}]}})
            .to_string()
        }),
        (text, prop_oneof![Just("insufficient_quota"), Just("rate_limit_exceeded"), Just("")])
            .prop_map(|(msg, code)| {
                serde_json::json!({"error": {"message": msg, "type": code, "code": code}}).to_string()
            }),
        Just(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
        Just("<html><head><title>502 Bad Gateway</title></head></html>".to_string()),
        "\\PC{0,300}",
        "[{}\\[\\]\":,a-z0-9 ]{0,200}",
    ]
}

fn api() -> impl Strategy<Value = Api> {
    prop_oneof![Just(Api::OpenAi), Just(Api::Anthropic), Just(Api::Gemini)]
}

fn capped(d: Option<Duration>) -> Result<(), TestCaseError> {
    if let Some(d) = d {
        prop_assert!(d <= MAX_HINT, "{d:?} above the cap {MAX_HINT:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Every header parser on any value: no panic, no overflow, no wait above MAX_HINT.
    #[test]
    fn rate_limit_header_parsers_never_panic_and_stay_capped(v in header_value(), now in now()) {
        capped(retry_after(&v, now))?;
        capped(go_duration(&v))?;
        capped(proto_duration(&v))?;
        let _ = http_date(&v);
        let _ = rfc3339(&v);
        if v.trim_start().starts_with('-') {
            prop_assert_eq!(go_duration(&v), None);
            if v.trim().parse::<f64>().is_ok_and(|f| f < 0.0) {
                prop_assert_eq!(retry_after(&v, now), None, "a negative delay is not a wait");
            }
        }
    }

    /// A whole failed response — any status, headers and body, in each API's format — is
    /// classified without a panic, every wait it asks for is within MAX_HINT, and its message
    /// is one bounded line.
    #[test]
    fn any_failed_response_classifies_to_a_capped_wait_and_one_line(
        api in api(),
        status in prop_oneof![3 => Just(429u16), 1 => 100u16..600],
        h in headers(),
        body in body(),
        now in now(),
    ) {
        capped(exhausted_for(&h, now))?;
        match classify(api, status, &h, &readings(&h, now), &body, now) {
            ProviderError::RateLimited { retry_after } => capped(retry_after)?,
            ProviderError::QuotaExhausted { for_ } => capped(for_)?,
            ProviderError::InvalidKey { status: s } => prop_assert_eq!(s, status),
            ProviderError::Transient(m)
            | ProviderError::Fatal(m)
            | ProviderError::Refused { msg: m, .. } => {
                prop_assert!(!m.contains('\n'), "{}", m);
                prop_assert!(m.chars().count() <= 320, "{}", m);
            }
        }
    }
}

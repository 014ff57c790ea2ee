//! Limits read from real-shaped OpenAI, Anthropic and LiteLLM responses.

use super::*;

fn now() -> SystemTime {
    // 2026-01-01T00:00:00Z
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn ms(d: Option<Duration>) -> Option<u128> {
    d.map(|d| d.as_millis())
}

/// The wait a 429 with headers `h` asks for, its limits read as `Http::send` reads them.
fn wait_for_429(h: &Headers, message: &str, now: SystemTime) -> Option<Duration> {
    super::wait_for_429(h, &readings(h, now), message, now)
}

#[test]
fn waits_keep_the_precision_they_were_written_in() {
    let w = go_duration("0.021s").unwrap();
    assert_eq!(
        (w.after, w.precision),
        (Duration::from_millis(21), Duration::from_millis(1))
    );
    assert_eq!(
        go_duration("6m0s").unwrap().precision,
        Duration::from_secs(1)
    );
    assert_eq!(
        go_duration("250ms").unwrap().precision,
        Duration::from_millis(1)
    );
    assert_eq!(
        go_duration("1.5s").unwrap().precision,
        Duration::from_millis(100)
    );
    assert_eq!(seconds("1").unwrap().precision, Duration::from_secs(1));
    assert_eq!(
        seconds("0.25").unwrap().precision,
        Duration::from_millis(10)
    );
    let w = rfc3339_wait("2026-01-01T00:00:02.500Z", now()).unwrap();
    assert_eq!(
        (w.after, w.precision),
        (Duration::from_millis(2500), Duration::from_millis(1))
    );
    assert_eq!(
        rfc3339_wait("2026-01-01T00:00:30Z", now())
            .unwrap()
            .precision,
        Duration::from_secs(1)
    );
}

#[test]
fn the_most_precise_reset_wins_over_a_whole_second_retry_after() {
    let h = Headers::of(&[
        ("retry-after", "1"),
        ("x-ratelimit-limit-requests", "10"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "0.021s"),
    ]);
    assert_eq!(ms(wait_for_429(&h, "", now())), Some(21));
    // Without `remaining`, a reset that names the same moment still refines Retry-After.
    let h = Headers::of(&[("retry-after", "2"), ("x-ratelimit-reset-tokens", "1.350s")]);
    assert_eq!(ms(wait_for_429(&h, "", now())), Some(1350));
    // A Retry-After that names another moment is the server's instruction: it stands.
    let h = Headers::of(&[
        ("retry-after", "7"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "20s"),
    ]);
    assert_eq!(ms(wait_for_429(&h, "", now())), Some(7000));
    // retry-after-ms is already precise.
    let h = Headers::of(&[
        ("retry-after-ms", "1234"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "1.2s"),
    ]);
    assert_eq!(ms(wait_for_429(&h, "", now())), Some(1234));
}

#[test]
fn gateway_hints_are_read() {
    // LiteLLM forwards the provider's headers with an `llm_provider-` prefix.
    let h = Headers::of(&[
        ("llm_provider-retry-after", "1"),
        ("llm_provider-x-ratelimit-remaining-requests", "0"),
        ("llm_provider-x-ratelimit-reset-requests", "0.480s"),
    ]);
    assert_eq!(ms(wait_for_429(&h, "", now())), Some(480));
    let h = Headers::of(&[("llm_provider-retry-after", "3")]);
    assert_eq!(ms(wait_for_429(&h, "", now())), Some(3000));
    // Its own "No deployments available" 429: a retry-after header and the same in words.
    let msg = "No deployments available for selected model, Try again in 5 seconds. Passed model=gpt-4o-mini. pre-call-checks=False, cooldown_list=['3f2a']";
    let h = Headers::of(&[("retry-after", "5")]);
    assert_eq!(ms(wait_for_429(&h, msg, now())), Some(5000));
    assert_eq!(
        ms(wait_for_429(&Headers::default(), msg, now())),
        Some(5000)
    );
    let r = readings(
        &Headers::of(&[
            ("x-ratelimit-remaining-requests", "99"),
            ("llm_provider-x-ratelimit-limit-tokens", "60000"),
            ("llm_provider-x-ratelimit-remaining-tokens", "0"),
            ("llm_provider-x-ratelimit-reset-tokens", "2.5s"),
        ]),
        now(),
    );
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(!r[0].upstream && r[0].dim == Dim::Requests && r[0].remaining == Some(99));
    assert!(r[1].upstream && r[1].dim == Dim::Tokens && r[1].limit == Some(60000));
    assert_eq!(
        r[1].reset.map(|w| w.after),
        Some(Duration::from_millis(2500))
    );
}

#[test]
fn openai_and_anthropic_token_limits_are_read() {
    let r = readings(
        &Headers::of(&[
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "499"),
            ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-limit-tokens", "200000"),
            ("x-ratelimit-remaining-tokens", "187500"),
            ("x-ratelimit-reset-tokens", "3.75s"),
        ]),
        now(),
    );
    let tokens = r.iter().find(|r| r.dim == Dim::Tokens).unwrap();
    assert_eq!(
        (tokens.limit, tokens.remaining),
        (Some(200_000), Some(187_500))
    );
    assert_eq!(
        tokens.reset.map(|w| w.after),
        Some(Duration::from_millis(3750))
    );
    let r = readings(
        &Headers::of(&[
            ("anthropic-ratelimit-input-tokens-limit", "30000"),
            ("anthropic-ratelimit-input-tokens-remaining", "12000"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2026-01-01T00:00:36Z",
            ),
            ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ("anthropic-ratelimit-output-tokens-remaining", "0"),
            (
                "anthropic-ratelimit-output-tokens-reset",
                "2026-01-01T00:00:09.5Z",
            ),
        ]),
        now(),
    );
    let input = r.iter().find(|r| r.dim == Dim::InputTokens).unwrap();
    assert_eq!(input.reset.map(|w| w.after), Some(Duration::from_secs(36)));
    let output = r.iter().find(|r| r.dim == Dim::OutputTokens).unwrap();
    assert_eq!(output.remaining, Some(0));
    assert_eq!(
        output.reset.map(|w| w.after),
        Some(Duration::from_millis(9500))
    );
}

#[test]
fn openai_message_waits_and_costs() {
    let msg = "Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): Limit 60000, Used 52000, Requested 10240. Please try again in 2.24s. Visit https://platform.openai.com/account/rate-limits to learn more.";
    assert_eq!(
        message_wait(msg).map(|w| w.after),
        Some(Duration::from_millis(2240))
    );
    assert_eq!(
        message_wait("Please try again in 20ms.").map(|w| w.after),
        Some(Duration::from_millis(20))
    );
    assert_eq!(message_wait("try again later"), None);
    let c = Cost::of(&"x".repeat(4001), 4096);
    assert_eq!(
        c.prompt_tokens,
        1001 + 16,
        "bytes/4 rounded up, and the chat framing"
    );
    assert_eq!(
        (
            c.units(Dim::Requests),
            c.units(Dim::Tokens),
            c.units(Dim::InputTokens),
            c.units(Dim::OutputTokens)
        ),
        (1, 5113, 1017, 4096)
    );
}

//! Reading rate limits from real provider responses: header and body parsers (pure, tested on
//! real-shaped input) and the classification of a failed response into a [`ProviderError`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::headers::{cap, secs_f64};
pub use super::headers::{http_date, rfc3339, Headers, MAX_HINT};
use super::limits::Reading;
use super::wire::Api;
use super::{ProviderError, Refusal};
use crate::timefmt::{civil_from_days, days_from_civil};

/// `Retry-After`: delay-seconds (fractions tolerated) or an HTTP-date. A date in the past is 0;
/// a negative or unreadable value is `None` (the caller backs off).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    super::limits::retry_after(value, now).map(|w| w.after)
}

/// Go-style durations as in OpenAI's `x-ratelimit-reset-*`: `1s`, `6m0s`, `250ms`, `1h2m3.5s`.
pub fn go_duration(value: &str) -> Option<Duration> {
    super::limits::go_duration(value).map(|w| w.after)
}

/// A protobuf JSON `Duration` as in Gemini's `RetryInfo.retryDelay`: `"45.8s"`.
pub fn proto_duration(value: &str) -> Option<Duration> {
    secs_f64(value.trim().strip_suffix('s')?.parse().ok()?)
}

fn until(t: SystemTime, now: SystemTime) -> Duration {
    cap(t.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Is `date` (local civil date) in US daylight time at 00:00 local? DST runs from the second
/// Sunday of March to the first Sunday of November, switching at 02:00, so midnight of the
/// switch-on day is still standard time and midnight of the switch-off day is still daylight.
fn pacific_midnight_is_dst(y: i64, m: u32, d: u32) -> bool {
    let nth_sunday = |month: u32, n: i64| {
        let first = days_from_civil(y, month, 1);
        let weekday = (first + 4).rem_euclid(7); // 0 = Sunday; 1970-01-01 was a Thursday
        first + (7 - weekday) % 7 + 7 * (n - 1)
    };
    let day = days_from_civil(y, m, d);
    day > nth_sunday(3, 2) && day <= nth_sunday(11, 1)
}

/// The next midnight in America/Los_Angeles after `now`, when Gemini's daily quotas reset.
/// Computed from the US DST rules (no tz database): UTC-8, or UTC-7 in daylight time.
pub fn next_pacific_midnight(now: SystemTime) -> SystemTime {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    // The UTC-7 date is the local date whenever its midnight falls in daylight time (checked
    // through both switch nights); otherwise the UTC-8 date is.
    let local_day = |offset_h: i64| (secs - offset_h * 3600).div_euclid(86_400);
    let today = {
        let d = local_day(7);
        let (y, m, dd) = civil_from_days(d);
        if pacific_midnight_is_dst(y, m, dd) {
            d
        } else {
            local_day(8)
        }
    };
    let tomorrow = today + 1;
    let (y, m, d) = civil_from_days(tomorrow);
    let offset_h = if pacific_midnight_is_dst(y, m, d) {
        7
    } else {
        8
    };
    UNIX_EPOCH + Duration::from_secs((tomorrow * 86_400 + offset_h * 3600).max(0) as u64)
}

/// When a successful response says a key has no requests (or tokens) left: how long to rest
/// the key so the next request does not earn a 429. OpenAI and Anthropic headers are read.
pub fn exhausted_for(h: &Headers, now: SystemTime) -> Option<Duration> {
    let mut rest: Option<Duration> = None;
    let mut take = |d: Option<Duration>| {
        if let Some(d) = d {
            rest = Some(rest.map_or(d, |r| r.max(d)));
        }
    };
    for kind in ["requests", "tokens"] {
        if h.get(&format!("x-ratelimit-remaining-{kind}")) == Some("0") {
            take(
                h.get(&format!("x-ratelimit-reset-{kind}"))
                    .and_then(go_duration),
            );
        }
    }
    for kind in ["requests", "tokens", "input-tokens", "output-tokens"] {
        if h.get(&format!("anthropic-ratelimit-{kind}-remaining")) == Some("0") {
            take(
                h.get(&format!("anthropic-ratelimit-{kind}-reset"))
                    .and_then(rfc3339)
                    .map(|t| until(t, now)),
            );
        }
    }
    rest
}

/// An error body, parsed once: its text and, when it is JSON, the value.
struct ErrorBody<'a> {
    text: &'a str,
    json: Option<Value>,
}

impl<'a> ErrorBody<'a> {
    fn new(text: &'a str) -> ErrorBody<'a> {
        ErrorBody {
            text,
            json: serde_json::from_str(text).ok(),
        }
    }

    /// The `error` object of a JSON error body, if the body is one.
    fn error(&self) -> Option<&Value> {
        self.json.as_ref()?.get("error").filter(|e| e.is_object())
    }

    /// What [`error_message`] says of this body.
    fn message(&self) -> String {
        let msg = self
            .error()
            .and_then(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
            .or_else(|| self.top_level_message())
            .or_else(|| html_summary(self.text))
            .unwrap_or_else(|| self.text.trim().to_string());
        let one_line = msg.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.is_empty() {
            return "(empty body)".to_string();
        }
        match one_line.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &one_line[..i]),
            None => one_line,
        }
    }

    /// vLLM's error shape: `{"object": "error", "message": …}` with no `error` object.
    fn top_level_message(&self) -> Option<String> {
        let v = self.json.as_ref()?;
        (v.get("object").and_then(Value::as_str) == Some("error"))
            .then(|| v.get("message")?.as_str().map(str::to_string))
            .flatten()
    }

    /// The `details` of the `error` object.
    fn details(&self) -> &[Value] {
        self.error()
            .and_then(|e| e.get("details"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Gemini's `error.details`: (`RetryInfo.retryDelay`, a `QuotaFailure` violation is per
    /// day).
    fn gemini_details(&self) -> (Option<Duration>, bool) {
        let mut delay = None;
        let mut per_day = false;
        for d in self.details() {
            let ty = d.get("@type").and_then(|t| t.as_str()).unwrap_or("");
            if ty.ends_with("google.rpc.RetryInfo") {
                delay = d
                    .get("retryDelay")
                    .and_then(|r| r.as_str())
                    .and_then(proto_duration);
            } else if ty.ends_with("google.rpc.QuotaFailure") {
                let violations = d.get("violations").and_then(|v| v.as_array());
                per_day |= violations.into_iter().flatten().any(|v| {
                    v.get("quotaId")
                        .and_then(|q| q.as_str())
                        .is_some_and(|q| q.contains("PerDay"))
                });
            }
        }
        (delay, per_day)
    }

    fn gemini_key_invalid(&self) -> bool {
        self.details()
            .iter()
            .any(|d| d.get("reason").and_then(|r| r.as_str()) == Some("API_KEY_INVALID"))
    }

    fn code(&self) -> Option<String> {
        let e = self.error()?;
        ["code", "type"]
            .iter()
            .find_map(|k| e.get(*k).and_then(|c| c.as_str()).map(str::to_string))
    }
}

/// The provider's own words for an error (`error.message`), else what an HTML page (a proxy's
/// or gateway's) says, else the start of the body.
pub fn error_message(body: &str) -> String {
    ErrorBody::new(body).message()
}

/// An HTML page's `<title>`, else its text without tags: the markup of a proxy's error page
/// (scripts, styles, conditional comments) says nothing to a user.
fn html_summary(body: &str) -> Option<String> {
    let head: String = body.trim_start().chars().take(16 * 1024).collect();
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` index `head`.
    let lower = head.to_ascii_lowercase();
    if !(lower.starts_with("<!doctype html") || lower.starts_with("<html")) {
        return None;
    }
    let title = lower.find("<title").and_then(|open| {
        let start = open + lower[open..].find('>')? + 1;
        let end = start + lower[start..].find("</title")?;
        Some(strip_tags(&head[start..end]))
    });
    Some(match title.filter(|t| !t.trim().is_empty()) {
        Some(t) => format!("an HTML page titled \"{}\"", t.trim()),
        None => format!("an HTML page: {}", strip_tags(&head)),
    })
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Classifies a non-2xx response whose limits read `readings` (from `headers`, as of `now`).
/// Messages carry the provider's words, never the request's headers; the provider layer still
/// redacts key text from them before they go anywhere.
pub fn classify(
    api: Api,
    status: u16,
    headers: &Headers,
    readings: &[Reading],
    body: &str,
    now: SystemTime,
) -> ProviderError {
    let body = ErrorBody::new(body);
    let message = body.message();
    let msg = || format!("HTTP {status}: {message}");
    match status {
        401 | 403 => ProviderError::InvalidKey { status },
        400 if api == Api::Gemini && body.gemini_key_invalid() => {
            ProviderError::InvalidKey { status }
        }
        429 => {
            if api == Api::OpenAi && body.code().as_deref() == Some("insufficient_quota") {
                return ProviderError::QuotaExhausted { for_: None };
            }
            if api == Api::Gemini {
                let (delay, per_day) = body.gemini_details();
                if per_day {
                    let reset = next_pacific_midnight(now);
                    return ProviderError::QuotaExhausted {
                        for_: Some(until(reset, now)),
                    };
                }
                if delay.is_some() {
                    return ProviderError::RateLimited { retry_after: delay };
                }
            }
            ProviderError::RateLimited {
                retry_after: super::limits::wait_for_429(headers, readings, &message, now),
            }
        }
        // Anthropic's "credit balance is too low" is a billing state of this key, not the request.
        400 if api == Api::Anthropic && message.contains("credit balance") => {
            ProviderError::QuotaExhausted { for_: None }
        }
        408 | 500..=599 => ProviderError::Transient(msg()),
        // The request itself is refused: sending it again, now or in a rerun, fails the same
        // way, so the item fails for good with a hint on what to change.
        400 | 404 | 413 | 422 => ProviderError::Refused {
            msg: msg(),
            why: Refusal::classify(status, &message, body.code().as_deref()),
        },
        _ => ProviderError::Fatal(msg()),
    }
}

#[cfg(test)]
#[path = "ratelimit_tests.rs"]
mod tests;

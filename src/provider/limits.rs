//! What a response says about a key's limits, read exactly: each limit's remaining budget and
//! reset (OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`, and both as a LiteLLM
//! gateway forwards them with an `llm_provider-` prefix), waits with the precision they were
//! given in, and what a request costs against each limit when the provider admits it.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use regex::Regex;

use super::context::estimate_tokens;
use super::headers::{secs_f64, Headers, MAX_HINT};

/// The prefix LiteLLM's proxy puts on the headers it forwards from the provider behind it.
pub const GATEWAY_PREFIX: &str = "llm_provider-";

/// A wait as a response gave it: how long, and to what precision (`Retry-After: 1` is whole
/// seconds, `x-ratelimit-reset-requests: 0.021s` is milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub after: Duration,
    pub precision: Duration,
}

impl Wait {
    fn new(after: Duration, precision: Duration) -> Wait {
        Wait {
            after: after.min(MAX_HINT),
            precision,
        }
    }

    /// Whether `other` names the same moment as this coarser wait (a server rounds a precise
    /// reset to whole seconds for `Retry-After`, up or down).
    fn agrees_with(&self, other: &Wait) -> bool {
        let (a, b) = (self.after, other.after);
        let gap = a.abs_diff(b);
        gap < self.precision.max(Duration::from_millis(1))
    }
}

/// Which limit of a key a figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Requests,
    /// OpenAI's tokens per minute: prompt tokens plus `max_tokens` at admission.
    Tokens,
    /// Anthropic's input tokens per minute.
    InputTokens,
    /// Anthropic's output tokens per minute (charged `max_tokens` at admission).
    OutputTokens,
}

impl Dim {
    const ALL: [(Dim, &'static str); 4] = [
        (Dim::Requests, "requests"),
        (Dim::Tokens, "tokens"),
        (Dim::InputTokens, "input-tokens"),
        (Dim::OutputTokens, "output-tokens"),
    ];
}

/// One limit as one response reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub dim: Dim,
    /// Reported by the gateway for the provider behind it (`llm_provider-…`), not for the key
    /// the request was sent with: a separate limit.
    pub upstream: bool,
    /// The full budget (`…-limit`).
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Until the budget is full again: OpenAI's "time until the rate limit resets to its
    /// initial state", Anthropic's "when the rate limit will be fully replenished".
    pub reset: Option<Wait>,
}

/// Tokens a chat request carries besides its text (role markers, message framing).
const FRAMING_TOKENS: u64 = 16;

/// What a request costs when the provider admits it: its prompt tokens (estimated) and the
/// `max_tokens` it reserves for the answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub prompt_tokens: u64,
    pub max_tokens: u64,
}

impl Cost {
    /// The cost of sending `prompt` with `max_tokens` reserved.
    pub fn of(prompt: &str, max_tokens: u64) -> Cost {
        Cost {
            prompt_tokens: estimate_tokens(prompt) + FRAMING_TOKENS,
            max_tokens,
        }
    }

    /// The units this request takes from limit `dim`.
    pub fn units(&self, dim: Dim) -> u64 {
        match dim {
            Dim::Requests => 1,
            Dim::Tokens => self.prompt_tokens + self.max_tokens,
            Dim::InputTokens => self.prompt_tokens,
            Dim::OutputTokens => self.max_tokens,
        }
    }
}

/// The precision of a decimal number written with `text`'s digits, in units of `unit` seconds.
fn precision_of(text: &str, unit: f64) -> Duration {
    let decimals = text.split_once('.').map_or(0, |(_, f)| f.len()).min(9);
    Duration::from_secs_f64(unit / 10f64.powi(decimals as i32))
}

/// Seconds (`120`, `1.5`) with the precision they are written in.
pub fn seconds(value: &str) -> Option<Wait> {
    let v = value.trim();
    let s: f64 = v.parse().ok()?;
    Some(Wait::new(secs_f64(s)?, precision_of(v, 1.0)))
}

/// Go-style durations as in OpenAI's `x-ratelimit-reset-*` (`1s`, `6m0s`, `0.021s`, `250ms`),
/// with the precision of their smallest written unit.
pub fn go_duration(value: &str) -> Option<Wait> {
    let s = value.trim();
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    if s == "0" {
        return Some(Wait::new(Duration::ZERO, Duration::from_millis(1)));
    }
    let mut total = 0f64;
    let mut precision = f64::MAX;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_end = rest[num_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |i| num_end + i);
        let digits = &rest[..num_end];
        let n: f64 = digits.parse().ok()?;
        let scale = match &rest[num_end..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += n * scale;
        precision = precision.min(precision_of(digits, scale).as_secs_f64());
        rest = &rest[unit_end..];
    }
    Some(Wait::new(
        secs_f64(total)?,
        Duration::from_secs_f64(precision),
    ))
}

/// An RFC 3339 timestamp (Anthropic's resets) as a wait from `now`, precise to its written
/// fraction of a second.
pub fn rfc3339_wait(value: &str, now: SystemTime) -> Option<Wait> {
    let at = super::headers::rfc3339(value)?;
    let fraction = value
        .split_once('.')
        .map(|(_, f)| f.chars().take_while(char::is_ascii_digit).count())
        .unwrap_or(0);
    let precision = Duration::from_secs_f64(1.0 / 10f64.powi(fraction.min(9) as i32));
    Some(Wait::new(
        at.duration_since(now).unwrap_or(Duration::ZERO),
        precision,
    ))
}

/// `Retry-After` in either form: delay-seconds or an HTTP-date (whole seconds).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Wait> {
    if let Some(w) = seconds(value) {
        return Some(w);
    }
    let at = super::headers::http_date(value.trim())?;
    Some(Wait::new(
        at.duration_since(now).unwrap_or(Duration::ZERO),
        Duration::from_secs(1),
    ))
}

/// The limits a response reports, the key's own and (through a gateway) the provider's.
pub fn readings(h: &Headers, now: SystemTime) -> Vec<Reading> {
    let mut out = Vec::new();
    for (prefix, upstream) in [("", false), (GATEWAY_PREFIX, true)] {
        for (dim, name) in Dim::ALL {
            let get = |field: &str| -> Option<&str> {
                h.get(&format!("{prefix}x-ratelimit-{field}-{name}"))
                    .or_else(|| h.get(&format!("{prefix}anthropic-ratelimit-{name}-{field}")))
            };
            let number = |field: &str| get(field).and_then(|v| v.parse::<u64>().ok());
            let reset = get("reset").and_then(|v| {
                if v.contains('T') {
                    rfc3339_wait(v, now)
                } else {
                    go_duration(v)
                }
            });
            let reading = Reading {
                dim,
                upstream,
                limit: number("limit"),
                remaining: number("remaining"),
                reset,
            };
            if reading.remaining.is_some() || reading.reset.is_some() {
                out.push(reading);
            }
        }
    }
    out
}

static TRY_AGAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)try again in\s+([0-9][0-9.]*(?:[a-zµ]+[0-9.]*)*)(?:\s+(seconds?|secs?))?")
        .expect("static regex")
});

/// The wait an error message names: OpenAI's "Please try again in 1.234s." or LiteLLM's
/// "No deployments available for selected model, Try again in 5 seconds."
pub fn message_wait(message: &str) -> Option<Wait> {
    let caps = TRY_AGAIN.captures(message)?;
    let token = caps.get(1)?.as_str().trim_end_matches('.');
    if caps.get(2).is_some() || token.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return seconds(token);
    }
    go_duration(token)
}

/// The wait a 429 asks for. The most precise figure wins when it names the same moment as a
/// coarser one (`x-ratelimit-reset-requests: 0.021s` over `Retry-After: 1`); a `Retry-After`
/// that disagrees with the resets is the server's instruction and stands. Then: the reset of
/// whichever limit is at 0 (the last of them to free), else the soonest reset given, else a
/// wait named in the error message. `readings` are the limits read from `h` as of `now`.
pub fn wait_for_429(
    h: &Headers,
    readings: &[Reading],
    message: &str,
    now: SystemTime,
) -> Option<Duration> {
    let explicit = [
        ("retry-after-ms", 1e-3),
        ("retry-after", 1.0),
        ("llm_provider-retry-after-ms", 1e-3),
        ("llm_provider-retry-after", 1.0),
    ]
    .into_iter()
    .filter_map(|(name, unit)| {
        let v = h.get(name)?;
        if unit < 1.0 {
            let ms: f64 = v.parse().ok()?;
            return Some(Wait::new(secs_f64(ms * unit)?, Duration::from_millis(1)));
        }
        retry_after(v, now)
    })
    .min_by_key(|w| w.precision);
    let binding = readings
        .iter()
        .filter(|r| r.remaining == Some(0))
        .filter_map(|r| r.reset)
        .max_by_key(|w| w.after);
    let resets: Vec<Wait> = readings.iter().filter_map(|r| r.reset).collect();
    match (explicit, binding) {
        (Some(e), Some(b)) if b.precision < e.precision && e.agrees_with(&b) => Some(b.after),
        (Some(e), _) => {
            // A precise reset of some limit that names the same moment as Retry-After.
            let finer = resets
                .iter()
                .filter(|r| r.precision < e.precision && e.agrees_with(r))
                .min_by_key(|r| r.precision);
            Some(finer.map_or(e.after, |r| r.after))
        }
        (None, Some(b)) => Some(b.after),
        (None, None) => resets
            .iter()
            .map(|r| r.after)
            .min()
            .or_else(|| message_wait(message).map(|w| w.after)),
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;

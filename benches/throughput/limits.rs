//! Rate limits as servers apply them, per key: a sliding window of requests, an OpenAI-style
//! token bucket, and a gateway key that answers a burst with hintless 429s. Each answers in
//! OpenAI's format and logs what it admitted and refused.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::{completion, go_secs, Planned, Request, Response};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub key: String,
    pub arrived: Instant,
    pub status: u16,
    /// When the answer left (after the latency for a 200, at once for a 429).
    pub left: Instant,
    /// Tokens the server charged (token bucket only).
    pub cost: u64,
}

/// What a server saw, shared with the benchmark.
pub type Log = Arc<Mutex<Vec<Seen>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn record(log: &Log, req: &Request, arrived: Instant, status: u16, cost: u64) -> usize {
    let mut l = lock(log);
    l.push(Seen {
        key: req.key.clone(),
        arrived,
        status,
        left: arrived,
        cost,
    });
    l.len() - 1
}

fn left_at(log: &Log, n: usize) {
    if let Some(s) = lock(log).get_mut(n) {
        s.left = Instant::now();
    }
}

/// No limits: every answer after `latency`.
pub fn plain(latency: Duration, log: Log) -> impl Fn(Request) -> Planned + Send + Sync {
    move |req| {
        let n = record(&log, &req, Instant::now(), 200, 0);
        let log = log.clone();
        Planned {
            after: latency,
            build: Box::new(move || {
                left_at(&log, n);
                Response::json(200, completion())
            }),
        }
    }
}

/// `limit` requests per key in any `window` (a sliding log). Answers carry
/// `x-ratelimit-{limit,remaining,reset}-requests` as of when they leave, the reset being when
/// the oldest request in the window leaves it (the next free slot); a refusal says
/// `Retry-After` in whole seconds and the precise reset.
pub fn sliding(
    limit: usize,
    window: Duration,
    latency: Duration,
    log: Log,
) -> impl Fn(Request) -> Planned + Send + Sync {
    let admitted: Arc<Mutex<HashMap<String, VecDeque<Instant>>>> = Arc::default();
    move |req| {
        let now = Instant::now();
        let mut all = lock(&admitted);
        let times = all.entry(req.key.clone()).or_default();
        while times.front().is_some_and(|t| *t + window <= now) {
            times.pop_front();
        }
        if times.len() >= limit {
            let reset = (times[0] + window).saturating_duration_since(now);
            record(&log, &req, now, 429, 0);
            return Planned::now(
                Response::json(429, r#"{"error":{"message":"Rate limit reached for bench on requests per window: Limit 10.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
                    .header("retry-after", reset.as_secs_f64().ceil().to_string())
                    .header("x-ratelimit-limit-requests", limit.to_string())
                    .header("x-ratelimit-remaining-requests", "0")
                    .header("x-ratelimit-reset-requests", go_secs(reset)),
            );
        }
        times.push_back(now);
        drop(all);
        let n = record(&log, &req, now, 200, 0);
        let (log, admitted) = (log.clone(), admitted.clone());
        Planned {
            after: latency,
            build: Box::new(move || {
                left_at(&log, n);
                let at = Instant::now();
                let mut all = lock(&admitted);
                let times = all.entry(req.key.clone()).or_default();
                while times.front().is_some_and(|t| *t + window <= at) {
                    times.pop_front();
                }
                let reset = times.front().map_or(Duration::ZERO, |t| {
                    (*t + window).saturating_duration_since(at)
                });
                Response::json(200, completion())
                    .header("x-ratelimit-limit-requests", limit.to_string())
                    .header(
                        "x-ratelimit-remaining-requests",
                        limit.saturating_sub(times.len()).to_string(),
                    )
                    .header("x-ratelimit-reset-requests", go_secs(reset))
            }),
        }
    }
}

/// Tokens a prompt is charged at admission as OpenAI counts them: an estimate from its
/// characters (about four a token; it does not tokenize), plus a few for the chat framing.
pub fn admission_tokens(prompt: &str) -> u64 {
    (prompt.chars().count() as u64).div_ceil(4) + 7
}

/// A token bucket per key: `capacity` tokens, refilled continuously over `window`. A request
/// costs its prompt's tokens plus its `max_tokens` when admitted (as OpenAI counts). Answers
/// carry `x-ratelimit-{limit,remaining,reset}-tokens` as of when they leave (the reset: until
/// the bucket is full); a refusal says "Please try again in …" when enough will be back.
pub fn token_bucket(
    capacity: u64,
    window: Duration,
    latency: Duration,
    log: Log,
) -> impl Fn(Request) -> Planned + Send + Sync {
    let rate = capacity as f64 / window.as_secs_f64();
    let buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>> = Arc::default();
    let level = move |b: &mut (f64, Instant), at: Instant| {
        b.0 = (b.0 + rate * at.saturating_duration_since(b.1).as_secs_f64()).min(capacity as f64);
        b.1 = at;
        b.0
    };
    let headers = move |r: Response, level: f64| {
        let reset = Duration::from_secs_f64((capacity as f64 - level).max(0.0) / rate);
        r.header("x-ratelimit-limit-requests", "10000")
            .header("x-ratelimit-remaining-requests", "9999")
            .header("x-ratelimit-reset-requests", "0.006s")
            .header("x-ratelimit-limit-tokens", capacity.to_string())
            .header("x-ratelimit-remaining-tokens", (level as u64).to_string())
            .header("x-ratelimit-reset-tokens", go_secs(reset))
    };
    move |req| {
        let now = Instant::now();
        let prompt = req.body["messages"][0]["content"].as_str().unwrap_or("");
        let cost = admission_tokens(prompt) + req.body["max_tokens"].as_u64().unwrap_or(0);
        let mut all = lock(&buckets);
        let b = all.entry(req.key.clone()).or_insert((capacity as f64, now));
        let l = level(b, now);
        if l < cost as f64 {
            let wait = Duration::from_secs_f64((cost as f64 - l) / rate);
            record(&log, &req, now, 429, cost);
            let msg = format!(
                "Rate limit reached for bench in organization org-bench on tokens per min (TPM): Limit {capacity}, Used {}, Requested {cost}. Please try again in {}. Visit https://platform.openai.com/account/rate-limits to learn more.",
                capacity - l as u64,
                go_secs(wait)
            );
            let body = serde_json::json!({"error": {"message": msg, "type": "tokens", "param": null, "code": "rate_limit_exceeded"}});
            return Planned::now(headers(Response::json(429, body.to_string()), l));
        }
        b.0 -= cost as f64;
        drop(all);
        let n = record(&log, &req, now, 200, cost);
        let (log, buckets) = (log.clone(), buckets.clone());
        Planned {
            after: latency,
            build: Box::new(move || {
                left_at(&log, n);
                let at = Instant::now();
                let l = lock(&buckets)
                    .get_mut(&req.key)
                    .map_or(capacity as f64, |b| level(b, at));
                headers(Response::json(200, completion()), l)
            }),
        }
    }
}

/// A gateway key (LiteLLM's proxy) whose upstream is busy for `busy` after the first
/// request: everything arriving then gets a 429 without any hint, as LiteLLM passes an
/// upstream 429 on; afterwards answers take `latency`.
pub fn gateway(
    busy: Duration,
    latency: Duration,
    log: Log,
) -> impl Fn(Request) -> Planned + Send + Sync {
    let first: Mutex<Option<Instant>> = Mutex::new(None);
    move |req| {
        let now = Instant::now();
        let start = *lock(&first).get_or_insert(now);
        if now < start + busy {
            record(&log, &req, now, 429, 0);
            return Planned::now(Response::json(
                429,
                r#"{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for requests","type":"None","param":"None","code":"429"}}"#,
            ));
        }
        plain(latency, log.clone())(req)
    }
}

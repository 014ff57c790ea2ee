//! (f) Rate limits: 60 reviews at `--parallel 6` through the `openai` provider against a local
//! server that emulates 3 keys, each allowing 10 requests per fixed 10 s window (429 with
//! `Retry-After` beyond that). Run twice: with OpenAI's `x-ratelimit-remaining/reset-requests`
//! headers on every answer, and with `Retry-After` only. One size: `--quick` changes nothing.
//!
//! A fixed window's quota is available in full from its start, so the quota's rate is measured
//! over the windows the run touched: achieved = reviews served / (windows × 3 keys × 10).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parwf_testkit::http::{HttpResponse, LocalServer};

mod common;

use common::Error;

const KEYS: usize = 3;
const PER_WINDOW: u32 = 10;
const WINDOW: Duration = Duration::from_secs(10);
const REVIEWS: usize = 60;
const PARALLEL: i64 = 6;
const LATENCY: Duration = Duration::from_millis(100);

/// One request the server answered: (key, window index, status, when).
type Entry = (usize, u64, u16, Instant);

struct Quota {
    start: Instant,
    /// Admitted requests per (key, window).
    admitted: HashMap<(usize, u64), u32>,
    log: Vec<Entry>,
}

const REVIEW: &str = "## Review Summary\nBenchmark answer.\n\n## Verdict\n[x] **APPROVED** - Ready to implement\n[ ] **REVISE** - Fix Tier 1 issues first\n";

fn answer(quota: &Mutex<Quota>, auth: Option<&str>, headers: bool) -> HttpResponse {
    let key = auth
        .and_then(|a| a.strip_prefix("Bearer bench-key-"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let mut q = quota.lock().unwrap_or_else(|p| p.into_inner());
    let elapsed = q.start.elapsed();
    let window = (elapsed.as_nanos() / WINDOW.as_nanos()) as u64;
    let left = WINDOW * (window as u32 + 1) - elapsed;
    let used = q.admitted.entry((key, window)).or_insert(0);
    let resp = if *used < PER_WINDOW {
        *used += 1;
        let r = HttpResponse::json(
            200,
            serde_json::json!({
                "id": "chatcmpl-bench", "object": "chat.completion", "model": "bench",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": REVIEW},
                             "finish_reason": "stop"}]
            })
            .to_string(),
        )
        .delay(LATENCY);
        if headers {
            r.header("x-ratelimit-limit-requests", PER_WINDOW.to_string())
                .header(
                    "x-ratelimit-remaining-requests",
                    (PER_WINDOW - *used).to_string(),
                )
                // As of when the answer leaves, after the simulated latency.
                .header(
                    "x-ratelimit-reset-requests",
                    format!("{:.3}s", left.saturating_sub(LATENCY).as_secs_f64()),
                )
        } else {
            r
        }
    } else {
        HttpResponse::json(429, r#"{"error":{"message":"Rate limit reached for bench on requests per window: Limit 10.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)
            .header("retry-after", left.as_secs_f64().ceil().to_string())
    };
    q.log.push((key, window, resp.status, Instant::now()));
    resp
}

fn main() -> std::process::ExitCode {
    common::main(|_quick| {
        println!(
            "(f) rate limits: {REVIEWS} reviews at --parallel {PARALLEL} through the openai provider; local server: {KEYS} keys × {PER_WINDOW} requests per {}s window, {} ms per answer",
            WINDOW.as_secs(),
            LATENCY.as_millis()
        );
        for (name, headers) in [
            ("x-ratelimit-* headers + Retry-After", true),
            ("Retry-After only", false),
        ] {
            variant(name, headers)?;
        }
        Ok(())
    })
}

fn variant(name: &str, headers: bool) -> Result<(), Error> {
    let repo = common::docs_repo(REVIEWS)?;
    let quota = Arc::new(Mutex::new(Quota {
        start: Instant::now(),
        admitted: HashMap::new(),
        log: Vec::new(),
    }));
    let q = quota.clone();
    let server = LocalServer::start(move |req| answer(&q, req.header("authorization"), headers))?;
    let s = |v: &str| toml::Value::String(v.into());
    let keys = (1..=KEYS)
        .map(|i| s(&format!("cmd:echo bench-key-{i}")))
        .collect();
    let summary = common::review(
        repo.path(),
        PARALLEL,
        None,
        vec![
            ("provider.kind", s("openai")),
            ("provider.model", s("bench")),
            ("provider.base_url", s(&format!("{}/v1", server.url()))),
            ("provider.keys", toml::Value::Array(keys)),
            ("provider.max_wait_s", toml::Value::Integer(120)),
        ],
    )?;
    drop(server);
    let q = quota.lock().unwrap_or_else(|p| p.into_inner());
    let served: Vec<&Entry> = q.log.iter().filter(|e| e.2 == 200).collect();
    let first = served.iter().map(|e| e.1).min().unwrap_or(0);
    let last = served.iter().map(|e| e.1).max().unwrap_or(0);
    let windows = last - first + 1;
    let capacity = windows * KEYS as u64 * u64::from(PER_WINDOW);
    let pct = served.len() as f64 * 100.0 / capacity as f64;
    let mut limited: HashMap<(usize, u64), u32> = HashMap::new();
    for e in q.log.iter().filter(|e| e.2 == 429) {
        *limited.entry((e.0, e.1)).or_insert(0) += 1;
    }
    let max_429 = limited.values().copied().max().unwrap_or(0);
    let total_429: u32 = limited.values().sum();
    // How long after each later window opened the first review in it was served.
    let lag = (first + 1..=last)
        .filter_map(|w| {
            let opens = q.start + WINDOW * w as u32;
            served
                .iter()
                .filter(|e| e.1 == w)
                .map(|e| e.3.saturating_duration_since(opens))
                .min()
        })
        .max()
        .unwrap_or_default();
    let failed = common::failed_items(&summary);
    println!(
        "    {name}: {} reviews served in {windows} window(s) of {} = {pct:.1}% of the quota's rate (target ≥ 95%); max 429s per key per window {max_429} (target ≤ 1); failed items {failed} (target 0)",
        served.len(),
        KEYS as u32 * PER_WINDOW,
    );
    println!(
        "      wall {:.1}s, {total_429} 429s in all, first review {:.2}s after a window opened, requests waited {:.1}s on limits (summed over workers)",
        summary.wall_ms as f64 / 1000.0,
        lag.as_secs_f64(),
        summary.rate_limit_wait_ms as f64 / 1000.0,
    );
    Ok(())
}

//! Throughput figures (printed, not asserted: the machine may be shared and noisy):
//! (a) one key, 6 documents over HTTP at 700 ms latency, `-j3` against `-j1`;
//! (b) 1,000 documents at `-j10` on the default sim (3 keys) against 10 s, and peak memory;
//! (c) 3 keys × 10 requests per 5 s sliding window, 120 documents at `-j6`;
//! (d) OpenAI-style token limits: 60,000 tokens per key per 6 s, 3 keys, 48 long documents;
//! (e) six simultaneous hintless 429s from one gateway key.
//! (c) and (d) are compared with the best schedule (see `schedule.rs`), measured at the server.
//!
//! `cargo bench --bench throughput -- --quick` (smaller sizes), `--only a,c` picks parts.

#[path = "throughput/limits.rs"]
mod limits;
#[path = "throughput/schedule.rs"]
mod schedule;
#[path = "throughput/server.rs"]
mod server;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use limits::{Log, Seen};
use parwf::config::{ConfigInputs, WriteMode};
use parwf::discover::Selection;
use parwf::report::progress::Mode;
use parwf::report::summary::Summary;
use parwf::run::{execute, Plan, RunOptions, RunOutcome};
use parwf::workspace::Workspace;
use server::Server;

type Flags = Vec<(&'static str, toml::Value)>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let want = |p: &str| only.is_empty() || only.iter().any(|o| o == p);
    // The local servers are on 127.0.0.1: never through a proxy.
    std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
    std::env::set_var("no_proxy", "127.0.0.1,localhost");
    // (b) first: it is the one whose peak memory is reported.
    if want("b") {
        scale(if quick { 300 } else { 1_000 });
    }
    if want("a") {
        one_key();
    }
    if want("c") {
        sliding_window(if quick { 60 } else { 120 });
    }
    if want("d") {
        token_limits(if quick { 24 } else { 48 });
    }
    if want("e") {
        gateway();
    }
}

/// A short design document, distinct per `n` (the same content is reviewed once per run).
fn short_doc(n: usize) -> String {
    format!("# Design {n}\n\n## Context\nWhy change {n} is needed.\n\n## Design\nHow it works.\n\n## Test Plan\nUnit and integration tests.\n\n## Risks\nSome, listed.\n")
}

const WORDS: &[&str] = &[
    "the",
    "coordinator",
    "leases",
    "a",
    "key",
    "for",
    "each",
    "request",
    "and",
    "reviews",
    "documents",
    "in",
    "parallel",
    "while",
    "checkpoints",
    "record",
    "every",
    "completed",
    "step",
    "so",
    "that",
    "an",
    "interrupted",
    "run",
    "resumes",
    "without",
    "repeating",
    "calls",
    "rate",
    "limits",
    "are",
    "read",
    "from",
    "headers",
    "tokens",
    "budget",
    "service",
    "latency",
    "storage",
    "retention",
    "migration",
    "rollback",
    "operator",
    "deployment",
    "capacity",
    "throughput",
    "consistency",
    "eviction",
    "policy",
    "cache",
];

/// A long design document (about 24 KB of prose), distinct per `n`.
fn long_doc(n: usize) -> String {
    let mut out = format!("# Design {n}: a long one\n\n");
    let mut x = n as u64 * 7919 + 17;
    for section in ["Context", "Design", "Test Plan", "Risks"] {
        out.push_str(&format!("## {section}\n\n"));
        let end = out.len() + 6000;
        while out.len() < end {
            for _ in 0..14 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                out.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
                out.push(' ');
            }
            out.push_str(".\n");
        }
        out.push('\n');
    }
    out
}

/// A repository with a README on `main` and `docs` committed on `feature` (checked out).
fn repo(docs: &[String]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("parwf-throughput-")
        .tempdir()
        .expect("tempdir");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Bench")
            .env("GIT_AUTHOR_EMAIL", "bench@parwf.invalid")
            .env("GIT_COMMITTER_NAME", "Bench")
            .env("GIT_COMMITTER_EMAIL", "bench@parwf.invalid")
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?} failed");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("README.md"), "bench\n").expect("write");
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    git(&["checkout", "-q", "-b", "feature"]);
    let lld = dir.path().join("docs/lld");
    std::fs::create_dir_all(&lld).expect("mkdir");
    for (i, text) in docs.iter().enumerate() {
        std::fs::write(lld.join(format!("LLD-{}-bench.md", i + 1)), text).expect("write");
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "docs"]);
    dir
}

fn s(v: &str) -> toml::Value {
    toml::Value::String(v.to_string())
}

fn int(v: i64) -> toml::Value {
    toml::Value::Integer(v)
}

/// Flags for the `openai` provider at `server` with `keys` keys.
fn openai(server: &Server, keys: usize) -> Flags {
    let refs = (1..=keys)
        .map(|i| s(&format!("cmd:echo bench-key-{i}")))
        .collect();
    vec![
        ("provider.kind", s("openai")),
        ("provider.model", s("bench")),
        ("provider.base_url", s(&server.base_url())),
        ("provider.keys", toml::Value::Array(refs)),
        ("provider.timeout_s", int(60)),
        ("provider.max_wait_s", int(300)),
    ]
}

/// Reviews every document of `dir` at `-j parallel` (fresh, nothing written back).
fn run(dir: &Path, parallel: i64, flags: Flags) -> Summary {
    let mut opts = RunOptions::new(Selection::Since("main".into()), dir.to_path_buf());
    opts.parallel = Some(parallel);
    opts.fresh = true;
    opts.write = Some(WriteMode::None);
    opts.env = parwf::env::Env::from_process();
    let mut flags = flags;
    flags.push(("max_parallel", int(64)));
    let inputs = ConfigInputs {
        flags: flags
            .into_iter()
            .map(|(k, v)| (k.to_string(), v, "bench".to_string()))
            .collect(),
        ..ConfigInputs::default()
    };
    let plan = Plan::new(opts, inputs).expect("plan");
    let ws = Workspace::discover(dir).expect("workspace");
    match execute(&ws, &plan, Mode::Quiet).expect("run") {
        RunOutcome::Reviewed(s) => s,
        other => panic!("nothing reviewed: {other:?}"),
    }
}

fn failed(s: &Summary) -> usize {
    s.items
        .iter()
        .filter(|i| i.state != parwf::model::ItemState::Done)
        .count()
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The most requests one key had at the server at once.
fn peak_per_key(seen: &[Seen]) -> usize {
    let mut peak = 0;
    for s in seen {
        let overlapping = seen
            .iter()
            .filter(|o| o.key == s.key && o.arrived <= s.arrived && o.left > s.arrived)
            .count();
        peak = peak.max(overlapping);
    }
    peak
}

/// From the first request's arrival to the last answer leaving.
fn span(seen: &[Seen]) -> f64 {
    let first = seen.iter().map(|s| s.arrived).min();
    let last = seen
        .iter()
        .filter(|s| s.status == 200)
        .map(|s| s.left)
        .max();
    match (first, last) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
        _ => 0.0,
    }
}

fn one_key() {
    let latency = Duration::from_millis(700);
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let server = Server::start(limits::plain(latency, log.clone()));
    let docs: Vec<String> = (1..=6).map(short_doc).collect();
    let dir = repo(&docs);
    let one = run(dir.path(), 1, openai(&server, 1));
    let three = run(dir.path(), 3, openai(&server, 1));
    let peak = peak_per_key(&seen(&log));
    let ratio = three.wall_ms as f64 / one.wall_ms.max(1) as f64;
    println!(
        "(a) one key, 6 documents over HTTP at 700 ms: -j1 {:.2}s, -j3 {:.2}s: -j3/-j1 {ratio:.3} (target ≤ 0.40; 0.333 is the limit); at most {peak} request(s) in flight on the key; per-item overhead at -j1 {:.0} ms (wall/6 − 700 ms); failed {}",
        secs(one.wall_ms),
        secs(three.wall_ms),
        (secs(one.wall_ms) / 6.0 - 0.7) * 1000.0,
        failed(&one) + failed(&three),
    );
}

fn scale(n: usize) {
    let docs: Vec<String> = (1..=n).map(short_doc).collect();
    let dir = repo(&docs);
    let flags = vec![
        ("provider.kind", s("sim")),
        ("sim.latency_ms", int(100)),
        ("sim.jitter_ms", int(0)),
    ];
    let started = Instant::now();
    let summary = run(dir.path(), 10, flags);
    let ideal = n as f64 * 0.1 / 10.0;
    println!(
        "(b) scale: {n} documents at -j10 on the default sim (3 keys, latency 100 ms): wall {:.2}s ({:.2}s with discovery), {:.2}x of the {ideal:.1}s that 10 at once take (target ≤ 1.10x); peak RSS {} (target < 100 MB); failed {}",
        secs(summary.wall_ms),
        started.elapsed().as_secs_f64(),
        secs(summary.wall_ms) / ideal,
        peak_rss_mb().map_or("n/a".into(), |m| format!("{m:.1} MB")),
        failed(&summary),
    );
}

/// How late requests came after the slot they took freed, in ms (median, 90th percentile):
/// the `limit`-th request before on the same key left the window `window` after it arrived.
fn slot_lag(seen: &[Seen], limit: usize, window: Duration) -> (f64, f64) {
    let mut lags = Vec::new();
    let mut keys: Vec<&str> = seen.iter().map(|s| s.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let mut at: Vec<Instant> = seen
            .iter()
            .filter(|s| s.key == key && s.status == 200)
            .map(|s| s.arrived)
            .collect();
        at.sort();
        for i in limit..at.len() {
            let freed = at[i - limit] + window;
            lags.push(at[i].saturating_duration_since(freed).as_secs_f64() * 1000.0);
        }
    }
    lags.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        lags.get(((lags.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (pick(0.5), pick(0.9))
}

fn sliding_window(n: usize) {
    let (keys, limit, window, latency) =
        (3, 10, Duration::from_secs(5), Duration::from_millis(100));
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let server = Server::start(limits::sliding(limit, window, latency, log.clone()));
    let docs: Vec<String> = (1..=n).map(short_doc).collect();
    let dir = repo(&docs);
    let summary = run(dir.path(), 6, openai(&server, keys));
    let seen = seen(&log);
    let best = schedule::sliding(
        n,
        6,
        keys,
        limit,
        window.as_secs_f64(),
        latency.as_secs_f64(),
    );
    let actual = span(&seen);
    let refused = seen.iter().filter(|s| s.status == 429).count();
    let (lag, lag90) = slot_lag(&seen, limit, window);
    println!(
        "(c) sliding window: {n} documents at -j6, 3 keys × {limit} requests per {}s sliding window, {} ms per answer: server span {actual:.2}s, best schedule {best:.2}s = {:.1}% (target ≥ 95%); {refused} 429(s); a request came {lag:.0} ms (median; 90th percentile {lag90:.0} ms) after the window freed its slot; at most {} in flight on one key; wall {:.2}s; failed {}",
        window.as_secs(),
        latency.as_millis(),
        best * 100.0 / actual.max(1e-9),
        peak_per_key(&seen),
        secs(summary.wall_ms),
        failed(&summary),
    );
}

fn token_limits(n: usize) {
    let (keys, capacity, window, latency) = (
        3,
        60_000u64,
        Duration::from_secs(6),
        Duration::from_millis(500),
    );
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let server = Server::start(limits::token_bucket(capacity, window, latency, log.clone()));
    let docs: Vec<String> = (1..=n).map(long_doc).collect();
    let dir = repo(&docs);
    let mut flags = openai(&server, keys);
    flags.push(("provider.max_tokens", int(4096)));
    let summary = run(dir.path(), 6, flags);
    let seen = seen(&log);
    let costs: Vec<u64> = seen
        .iter()
        .filter(|s| s.status == 200)
        .map(|s| s.cost)
        .collect();
    let rate = capacity as f64 / window.as_secs_f64();
    let best = schedule::tokens(
        &costs,
        6,
        keys,
        capacity as f64,
        rate,
        latency.as_secs_f64(),
    );
    let actual = span(&seen);
    let refused = seen.iter().filter(|s| s.status == 429).count();
    let key_windows = keys as f64 * (actual / window.as_secs_f64()).ceil().max(1.0);
    let mean_cost = costs.iter().sum::<u64>() as f64 / costs.len().max(1) as f64;
    println!(
        "(d) token limits: {n} long documents (about {mean_cost:.0} tokens a request as the server counts, max_tokens 4096) at -j6, 3 keys × {capacity} tokens per {}s (a bucket refilled continuously), {} ms per answer: server span {actual:.2}s, best schedule {best:.2}s = {:.1}% (target ≥ 93%); {refused} 429(s) in {key_windows:.0} key-windows = {:.2} per four (target ≤ 1); wall {:.2}s; failed {}",
        window.as_secs(),
        latency.as_millis(),
        best * 100.0 / actual.max(1e-9),
        refused as f64 * 4.0 / key_windows,
        secs(summary.wall_ms),
        failed(&summary),
    );
}

fn gateway() {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let busy = Duration::from_millis(500);
    let server = Server::start(limits::gateway(
        busy,
        Duration::from_millis(100),
        log.clone(),
    ));
    let docs: Vec<String> = (1..=12).map(short_doc).collect();
    let dir = repo(&docs);
    // The README's gateway setup: one virtual key, several requests in flight on it.
    let mut flags = openai(&server, 1);
    flags.push(("provider.max_in_flight", int(6)));
    let summary = run(dir.path(), 6, flags);
    let seen = seen(&log);
    let burst: Vec<&Seen> = seen.iter().filter(|s| s.status == 429).collect();
    let last_429 = burst.iter().map(|s| s.arrived).max();
    let first_ok = seen
        .iter()
        .filter(|s| s.status == 200)
        .map(|s| s.arrived)
        .min();
    let pause = match (last_429, first_ok) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let spread = match (burst.iter().map(|s| s.arrived).min(), last_429) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64() * 1000.0,
        _ => 0.0,
    };
    println!(
        "(e) gateway: 12 documents at -j6 through one gateway key (max_in_flight 6) whose upstream is busy for {} ms: {} hintless 429(s) within {spread:.0} ms, then a pause of {pause:.2}s before the next request (one backoff step is 0.75–1.25 s; each further step doubles it); wall {:.2}s; failed {}",
        busy.as_millis(),
        burst.len(),
        secs(summary.wall_ms),
        failed(&summary),
    );
}

//! The coordinator on the sim provider's real 429s, under tokio's paused clock (no sleeping).

use super::*;
use crate::config::SimConfig;
use crate::model::WorkflowKind;
use crate::provider::sim::Sim;
use crate::provider::Task;

fn sim(requests_per_window: u32, window_s: u64) -> Arc<Sim> {
    Arc::new(Sim::new(&SimConfig {
        latency_ms: 100,
        jitter_ms: 0,
        keys: 2,
        requests_per_window,
        window_s,
    }))
}

fn pool(n: usize, max_wait_s: u64, rpm: u32) -> KeySet {
    KeySet {
        keys: (1..=n)
            .map(|i| Secret::new(format!("key-{i}"), format!("secret-{i}")))
            .collect(),
        limits: Limits {
            max_in_flight: 1,
            retries: 3,
            max_wait: Duration::from_secs(max_wait_s),
            requests_per_minute: rpm,
        },
    }
}

fn coordinator(p: KeySet, store: Option<CooldownStore>) -> Coordinator {
    Coordinator::new(
        vec![p],
        2,
        Arc::new(Silent),
        CancellationToken::new(),
        store,
    )
}

fn req() -> Request {
    let doc = "# X\n## Context\n## Design\n## Test Plan\n## Risks\n";
    Request {
        task: Task::Review(WorkflowKind::Lld),
        prompt: doc.into(),
        document: doc.into(),
        findings: Vec::new(),
        doc_id: "LLD-1".into(),
        doc_path: "docs/lld/LLD-1.md".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn all_keys_limited_pauses_then_resumes() {
    let s = sim(1, 10);
    let provider = Provider::sim(s.clone());
    let c = coordinator(pool(2, 600, 0), None);
    let t0 = Instant::now();
    let mut labels = Vec::new();
    for _ in 0..4 {
        let (text, label) = c.call(&provider, &req()).await.expect("answered");
        assert!(text.contains("[x] **APPROVED**"));
        labels.push(label);
    }
    // Two keys × one request per 10 s window: the 3rd and 4th requests waited for window 2.
    assert_eq!(labels, ["key-1", "key-2", "key-1", "key-2"]);
    assert!(
        t0.elapsed() >= Duration::from_secs(10),
        "{:?}",
        t0.elapsed()
    );
    assert!(t0.elapsed() < Duration::from_secs(11), "{:?}", t0.elapsed());
    let stats = c.key_stats();
    assert_eq!(stats[0].rate_limited + stats[1].rate_limited, 2);
    assert_eq!(stats[0].requests + stats[1].requests, 6);
    assert!(c.times().0 >= Duration::from_secs(9), "{:?}", c.times());
    assert_eq!(s.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn waiting_beyond_max_wait_is_exhausted() {
    let s = sim(1, 3600);
    let provider = Provider::sim(s.clone());
    let c = coordinator(pool(2, 30, 0), None);
    for _ in 0..2 {
        c.call(&provider, &req()).await.expect("first window");
    }
    let t0 = Instant::now();
    let e = c.call(&provider, &req()).await.unwrap_err();
    assert!(matches!(e, CallError::Exhausted(_)), "{e:?}");
    assert!(t0.elapsed() < Duration::from_secs(1), "gave up at once");
}

#[tokio::test(start_paused = true)]
async fn requests_per_minute_spaces_a_keys_requests() {
    let provider = Provider::sim(sim(0, 10));
    let c = coordinator(pool(1, 600, 30), None);
    let t0 = Instant::now();
    for _ in 0..3 {
        c.call(&provider, &req()).await.expect("answered");
    }
    // 30 rpm = one request every 2 s: the third starts at 4 s and takes 100 ms.
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(4100) && took < Duration::from_millis(4200),
        "{took:?}"
    );
    assert_eq!(c.key_stats()[0].rate_limited, 0);
}

#[tokio::test(start_paused = true)]
async fn a_remembered_daily_quota_costs_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parwf/state.db");
    let p = pool(1, 60, 0);
    let store = CooldownStore::at(&path);
    let now = SystemTime::now();
    store
        .set(
            &p.keys[0].fingerprint(),
            now + Duration::from_secs(5 * 3600),
            "daily quota",
            now,
        )
        .unwrap();
    let s = sim(0, 10);
    let provider = Provider::sim(s.clone());
    let c = coordinator(p, Some(store));
    let e = c.call(&provider, &req()).await.unwrap_err();
    assert!(matches!(e, CallError::Exhausted(_)), "{e:?}");
    assert_eq!(
        s.calls(),
        0,
        "no request was spent to learn the quota again"
    );
    assert!(c.key_stats()[0].quota_exhausted);
    // The store holds a fingerprint, never the key.
    let bytes = std::fs::read(&path).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("secret-1"));
}

#[tokio::test(start_paused = true)]
async fn every_key_invalid_names_the_labels() {
    let c = coordinator(pool(2, 60, 0), None);
    let p = &c.pools[0];
    for i in 0..2 {
        let lease = p.lock().lease(i, Instant::now(), None, Cost::default());
        c.release(
            p,
            &lease,
            LeaseEnd::Failed(&ProviderError::InvalidKey { status: 401 }),
            &[],
        );
    }
    let e = c
        .call(&Provider::sim(sim(0, 10)), &req())
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "every key was refused by the provider (401/403): key-1, key-2"
    );
}

#[tokio::test(start_paused = true)]
async fn short_waits_that_never_end_still_hit_max_wait() {
    // One request per 1 s window on each of 2 keys, but every request needs a fresh window
    // after the first two: the waits are short, their sum is what max_wait bounds.
    let s = sim(1, 1);
    let provider = Provider::sim(s.clone());
    let c = coordinator(pool(2, 2, 0), None);
    let mut answered = 0;
    let t0 = Instant::now();
    let mut last = Ok((String::new(), String::new()));
    for _ in 0..20 {
        last = c.call(&provider, &req()).await;
        if last.is_err() {
            break;
        }
        answered += 1;
    }
    // Every call waits < 1 s: nothing is exhausted, all 20 are answered.
    assert!(last.is_ok(), "{last:?}");
    assert_eq!(answered, 20);
    assert!(t0.elapsed() < Duration::from_secs(12), "{:?}", t0.elapsed());
}

//! The key pool's bookkeeping over plain instants: leasing, cooling, pacing, budgets,
//! adaptive concurrency, and one backoff step per rate-limit event.

use super::*;
use crate::provider::limits::{Dim, Wait};

fn limited(secs: u64) -> ProviderError {
    ProviderError::RateLimited {
        retry_after: Some(Duration::from_secs(secs)),
    }
}

const HINTLESS: ProviderError = ProviderError::RateLimited { retry_after: None };

fn fixed(n: usize) -> KeyPool {
    KeyPool::new(n, PerKey::Fixed(1))
}

fn cost() -> Cost {
    Cost::default()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Leases key `i` at `now` with no pacing and no cost.
fn take(p: &mut KeyPool, now: Instant) -> Lease {
    match p.pick(now, &cost()) {
        Pick::Key(i) => p.lease(i, now, None, cost()),
        other => panic!("no key free: {other:?}"),
    }
}

#[test]
fn leases_spread_over_keys_and_respect_a_fixed_cap() {
    let t0 = Instant::now();
    let mut p = fixed(2);
    let a = take(&mut p, t0);
    let b = take(&mut p, t0);
    assert_eq!((a.key, b.key), (0, 1));
    assert!(matches!(
        p.pick(t0, &cost()),
        Pick::Wait {
            until: None,
            cooling: false,
            ..
        }
    ));
    p.release(&b, LeaseEnd::Answered(None), &[], t0);
    assert_eq!(p.pick(t0, &cost()), Pick::Key(1));
    let mut two = KeyPool::new(1, PerKey::Fixed(2));
    take(&mut two, t0);
    take(&mut two, t0);
    assert!(matches!(two.pick(t0, &cost()), Pick::Wait { .. }));
}

#[test]
fn one_key_runs_as_many_requests_as_the_workers_by_default() {
    let t0 = Instant::now();
    let mut p = KeyPool::new(1, PerKey::Adaptive { bound: 3 });
    let leases: Vec<Lease> = (0..3).map(|_| take(&mut p, t0)).collect();
    assert!(leases.iter().all(|l| l.key == 0));
    assert!(matches!(
        p.pick(t0, &cost()),
        Pick::Wait { until: None, .. }
    ));
    assert_eq!(p.stats(&["key-1"], t0)[0].peak_in_flight, 3);
    // Several keys start with an even share of the workers (the sim's 3 keys at -j10: 4 each).
    let mut p = KeyPool::new(3, PerKey::Adaptive { bound: 10 });
    let keys: Vec<usize> = (0..10).map(|_| take(&mut p, t0).key).collect();
    assert_eq!(keys.iter().filter(|k| **k == 0).count(), 4, "{keys:?}");
    assert_eq!(p.concurrency(1), (3, 4));
}

#[test]
fn adaptive_concurrency_halves_on_a_429_among_others_and_grows_back_by_one() {
    let t0 = Instant::now();
    let mut p = KeyPool::new(1, PerKey::Adaptive { bound: 8 });
    let leases: Vec<Lease> = (0..8).map(|_| take(&mut p, t0)).collect();
    // One 429 while 8 were in flight: the cap halves once, to 4 …
    p.release(&leases[0], LeaseEnd::Failed(&limited(1)), &[], t0);
    assert_eq!(p.concurrency(0), (7, 4));
    // … and the other 429s of the same event do not halve it again.
    for l in &leases[1..4] {
        p.release(l, LeaseEnd::Failed(&limited(1)), &[], t0);
    }
    assert_eq!(p.concurrency(0), (4, 4));
    // Answers to requests sent before the event do not grow it either.
    for l in &leases[4..] {
        p.release(l, LeaseEnd::Answered(None), &[], t0);
    }
    assert_eq!(p.concurrency(0), (0, 4));
    // After the cooldown, each answer grows it by one, up to the bound.
    let t1 = t0 + Duration::from_secs(1);
    for want in [5, 6, 7, 8, 8] {
        let l = take(&mut p, t1);
        p.release(&l, LeaseEnd::Answered(None), &[], t1);
        assert_eq!(p.concurrency(0).1, want);
    }
    // A 429 with nothing else in flight is a rate, not a concurrency, problem: no halving.
    let l = take(&mut p, t1);
    p.release(&l, LeaseEnd::Failed(&limited(1)), &[], t1);
    assert_eq!(p.concurrency(0).1, 8);
    // A fixed cap never moves.
    let mut f = KeyPool::new(1, PerKey::Fixed(2));
    let (a, b) = (take(&mut f, t0), take(&mut f, t0));
    f.release(&a, LeaseEnd::Failed(&limited(1)), &[], t0);
    f.release(&b, LeaseEnd::Failed(&limited(1)), &[], t0);
    assert_eq!(f.concurrency(0).1, 2);
}

#[test]
fn six_hintless_429s_of_one_event_cost_one_backoff_step() {
    let t0 = Instant::now();
    let mut p = KeyPool::new(1, PerKey::Adaptive { bound: 6 });
    let leases: Vec<Lease> = (0..6).map(|_| take(&mut p, t0)).collect();
    let mut events = Vec::new();
    for (n, l) in leases.iter().enumerate() {
        // Arriving within milliseconds of each other.
        let at = t0 + ms(n as u64);
        events.push(p.release(l, LeaseEnd::Failed(&HINTLESS), &[], at));
    }
    let waits: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            Some(KeyEvent::Limited(w)) => Some(*w),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), 1, "{events:?}");
    // Step 1: one second ±25%.
    assert!(waits[0] >= ms(750) && waits[0] <= ms(1250), "{waits:?}");
    let Pick::Wait { until: Some(u), .. } = p.pick(t0, &cost()) else {
        panic!("the key should be cooling");
    };
    assert_eq!(u, t0 + waits[0]);
    assert_eq!(p.stats(&["gw"], t0)[0].rate_limited, 6);
    // The next event (a request sent after the first) is the second step.
    let l = take(&mut p, u);
    match p.release(&l, LeaseEnd::Failed(&HINTLESS), &[], u) {
        Some(KeyEvent::Limited(w)) => assert!(w >= ms(1500) && w <= ms(2500), "{w:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_limited_key_cools_and_the_others_go_on() {
    let t0 = Instant::now();
    let mut p = fixed(2);
    let a = take(&mut p, t0);
    let e = p.release(&a, LeaseEnd::Failed(&limited(5)), &[], t0);
    assert_eq!(e, Some(KeyEvent::Limited(Duration::from_secs(5))));
    let b = take(&mut p, t0);
    assert_eq!(b.key, 1);
    p.release(&b, LeaseEnd::Failed(&limited(3)), &[], t0);
    // Both cooling, none busy: wait for key 2 (index 1), which frees first.
    assert_eq!(
        p.pick(t0, &cost()),
        Pick::Wait {
            until: Some(t0 + Duration::from_secs(3)),
            cooling: true,
            first: Some(1),
            paced: false
        }
    );
    assert_eq!(p.pick(t0 + Duration::from_secs(3), &cost()), Pick::Key(1));
    let stats = p.stats(&["key-1", "key-2"], t0 + Duration::from_secs(10));
    assert_eq!((stats[0].cooling_ms, stats[1].cooling_ms), (5000, 3000));
    assert_eq!(stats[0].rate_limited, 1);
}

#[test]
fn quota_invalid_and_exhausted_pools() {
    let t0 = Instant::now();
    let mut p = fixed(3);
    let l: Vec<Lease> = (0..3).map(|_| take(&mut p, t0)).collect();
    let invalid = ProviderError::InvalidKey { status: 401 };
    p.release(&l[0], LeaseEnd::Failed(&invalid), &[], t0);
    let billing = ProviderError::QuotaExhausted { for_: None };
    let e = p.release(&l[1], LeaseEnd::Failed(&billing), &[], t0);
    assert_eq!(e, Some(KeyEvent::OutForRun));
    let day = Duration::from_secs(20 * 3600);
    let daily = ProviderError::QuotaExhausted { for_: Some(day) };
    p.release(&l[2], LeaseEnd::Failed(&daily), &[], t0);
    assert!(matches!(
        p.pick(t0, &cost()),
        Pick::Wait {
            cooling: true,
            first: Some(2),
            ..
        }
    ));
    // Once the daily cooldown is over the key is back.
    let l = take(&mut p, t0 + day);
    assert_eq!(l.key, 2);
    p.release(&l, LeaseEnd::Failed(&billing), &[], t0 + day);
    assert_eq!(p.pick(t0 + day, &cost()), Pick::Exhausted);
    let mut all_bad = fixed(2);
    for _ in 0..2 {
        let l = take(&mut all_bad, t0);
        all_bad.release(&l, LeaseEnd::Failed(&invalid), &[], t0);
    }
    assert_eq!(all_bad.pick(t0, &cost()), Pick::AllInvalid);
}

#[test]
fn pacing_and_rest_hints_hold_a_key_back() {
    let t0 = Instant::now();
    let mut p = fixed(1);
    let l = p.lease(0, t0, Some(Duration::from_secs(6)), cost());
    p.release(
        &l,
        LeaseEnd::Answered(None),
        &[],
        t0 + Duration::from_secs(1),
    );
    assert_eq!(
        p.pick(t0 + Duration::from_secs(1), &cost()),
        Pick::Wait {
            until: Some(t0 + Duration::from_secs(6)),
            cooling: true,
            first: Some(0),
            paced: true
        }
    );
    let t1 = t0 + Duration::from_secs(6);
    let l = take(&mut p, t1);
    let e = p.release(
        &l,
        LeaseEnd::Answered(Some(Duration::from_secs(9))),
        &[],
        t1,
    );
    assert_eq!(e, Some(KeyEvent::Rested(Duration::from_secs(9))));
    assert!(matches!(
        p.pick(t1, &cost()),
        Pick::Wait { paced: false, .. }
    ));
    assert_eq!(p.stats(&["key-1"], t1)[0].rate_limited, 0);
}

#[test]
fn repeated_events_back_off_even_when_told_zero() {
    let t0 = Instant::now();
    let mut p = fixed(1);
    let mut waits = Vec::new();
    for _ in 0..4 {
        // Leased while cooling, as a request told "0 s" would be right after.
        let l = p.lease(0, t0, None, cost());
        if let Some(KeyEvent::Limited(w)) = p.release(&l, LeaseEnd::Failed(&limited(0)), &[], t0) {
            waits.push(w);
        }
    }
    assert_eq!(waits[0], Duration::ZERO);
    assert!(
        waits[1] > Duration::from_millis(150) && waits[3] > waits[1],
        "{waits:?}"
    );
}

#[test]
fn a_precise_reset_wakes_the_key_exactly_then() {
    let t0 = Instant::now();
    let hint = ProviderError::RateLimited {
        retry_after: Some(ms(21)),
    };
    let mut p = fixed(1);
    let l = take(&mut p, t0);
    p.release(&l, LeaseEnd::Failed(&hint), &[], t0);
    assert_eq!(
        p.pick(t0, &cost()),
        Pick::Wait {
            until: Some(t0 + ms(21)),
            cooling: true,
            first: Some(0),
            paced: false
        }
    );
    assert_eq!(p.pick(t0 + ms(21), &cost()), Pick::Key(0));
}

fn tokens(limit: u64, remaining: u64, full_in: Duration) -> Reading {
    Reading {
        dim: Dim::Tokens,
        upstream: false,
        limit: Some(limit),
        remaining: Some(remaining),
        reset: Some(Wait {
            after: full_in,
            precision: ms(1),
        }),
    }
}

fn requests(remaining: u64, reset_in: Duration) -> Reading {
    Reading {
        dim: Dim::Requests,
        upstream: false,
        limit: Some(10),
        remaining: Some(remaining),
        reset: Some(Wait {
            after: reset_in,
            precision: ms(1),
        }),
    }
}

#[test]
fn token_budgets_send_only_what_fits_and_pick_the_key_that_frees_first() {
    let t0 = Instant::now();
    let mut p = KeyPool::new(2, PerKey::Adaptive { bound: 6 });
    // 10,000 tokens a request (6,000 prompt + 4,000 max_tokens).
    let c = Cost {
        prompt_tokens: 6_000,
        max_tokens: 4_000,
    };
    let a = p.lease(0, t0, None, c);
    let b = p.lease(1, t0, None, c);
    // Key 1 has 5,000 of 60,000 left, full in 5.5 s: 10,000 per second.
    p.release(
        &a,
        LeaseEnd::Answered(None),
        &[tokens(60_000, 5_000, ms(5_500))],
        t0,
    );
    // Key 2 has 8,000 left, the same rate: it frees first (0.2 s against 0.5 s).
    p.release(
        &b,
        LeaseEnd::Answered(None),
        &[tokens(60_000, 8_000, ms(5_200))],
        t0,
    );
    assert_eq!(
        p.pick(t0, &c),
        Pick::Wait {
            until: Some(t0 + ms(200)),
            cooling: true,
            first: Some(1),
            paced: true
        }
    );
    assert_eq!(p.pick(t0 + ms(200), &c), Pick::Key(1));
    let l = p.lease(1, t0 + ms(200), None, c);
    // Key 2's budget is now spoken for by the request in flight; key 1 fits at 0.5 s.
    assert!(
        matches!(p.pick(t0 + ms(200), &c), Pick::Wait { until: Some(t), .. } if t == t0 + ms(500))
    );
    // A small request fits key 1 already.
    let small = Cost {
        prompt_tokens: 1_000,
        max_tokens: 1_000,
    };
    assert_eq!(p.pick(t0 + ms(200), &small), Pick::Key(0));
    p.release(&l, LeaseEnd::Answered(None), &[], t0 + ms(900));
}

#[test]
fn request_budgets_wait_for_the_reset_then_try_one() {
    let t0 = Instant::now();
    let mut p = KeyPool::new(1, PerKey::Adaptive { bound: 4 });
    let a = take(&mut p, t0);
    let b = take(&mut p, t0);
    // The answer to `a` says one request is left (it counts `b` already or not: unknown).
    p.release(
        &a,
        LeaseEnd::Answered(None),
        &[requests(1, ms(4_600))],
        t0 + ms(100),
    );
    // `b` was sent after `a`: it may take that last slot. Wait for its answer.
    assert!(matches!(
        p.pick(t0 + ms(100), &cost()),
        Pick::Wait { until: None, .. }
    ));
    p.release(
        &b,
        LeaseEnd::Answered(None),
        &[requests(0, ms(4_550))],
        t0 + ms(150),
    );
    // Nothing left: exactly at the reset one request goes, and its answer tells the rest.
    let reset = t0 + ms(4_700);
    assert_eq!(
        p.pick(t0 + ms(150), &cost()),
        Pick::Wait {
            until: Some(reset),
            cooling: true,
            first: Some(0),
            paced: true
        }
    );
    let c = take(&mut p, reset);
    assert!(matches!(
        p.pick(reset, &cost()),
        Pick::Wait { until: None, .. }
    ));
    p.release(
        &c,
        LeaseEnd::Answered(None),
        &[requests(3, ms(50))],
        reset + ms(100),
    );
    assert_eq!(p.pick(reset + ms(100), &cost()), Pick::Key(0));
}

#[test]
fn a_budget_with_nothing_in_flight_never_blocks_forever() {
    let t0 = Instant::now();
    let mut p = fixed(1);
    let l = take(&mut p, t0);
    let no_reset = Reading {
        dim: Dim::Requests,
        upstream: false,
        limit: None,
        remaining: Some(0),
        reset: None,
    };
    p.release(&l, LeaseEnd::Answered(None), &[no_reset], t0);
    assert_eq!(p.pick(t0, &cost()), Pick::Key(0));
}

#[test]
fn own_requests_free_their_window_slots_one_by_one() {
    let t0 = Instant::now();
    let mut p = KeyPool::new(1, PerKey::Adaptive { bound: 3 });
    let sent: Vec<Lease> = [0, 10, 20]
        .iter()
        .map(|d| p.lease(0, t0 + ms(*d), None, cost()))
        .collect();
    let limit3 = |remaining: u64, reset_in: Duration| Reading {
        limit: Some(3),
        ..requests(remaining, reset_in)
    };
    // Three of three used; the oldest (sent at 0) leaves the 5 s window at 5.0 s.
    let at = t0 + ms(100);
    for l in &sent {
        p.release(l, LeaseEnd::Answered(None), &[limit3(0, ms(4_900))], at);
    }
    assert!(
        matches!(p.pick(at, &cost()), Pick::Wait { until: Some(t), .. } if t == t0 + ms(5_000))
    );
    // The slots free as the requests were sent: 5.00 s, then 5.01 s and 5.02 s (plus 5 ms of
    // slack for the network), not one answer apart.
    let a = take(&mut p, t0 + ms(5_000));
    assert!(
        matches!(p.pick(t0 + ms(5_000), &cost()), Pick::Wait { until: Some(t), .. } if t == t0 + ms(5_015))
    );
    let b = take(&mut p, t0 + ms(5_015));
    let c = take(&mut p, t0 + ms(5_025));
    assert_eq!((a.key, b.key, c.key), (0, 0, 0));
}

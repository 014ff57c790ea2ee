//! One key pool's state: which key a request gets, and what a response does to its key
//! (cooling, pacing, out of quota, invalid). Pure bookkeeping over instants, no waiting.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::provider::ratelimit::MAX_HINT;
use crate::provider::ProviderError;

/// Per-key state and figures.
#[derive(Debug, Default)]
pub(super) struct KeyState {
    in_flight: usize,
    /// Cooling since / until; `until` is `None` with `out_for_run`.
    cool_from: Option<Instant>,
    cool_until: Option<Instant>,
    /// The current cooldown is a spent quota (daily, or billing for the run).
    quota: bool,
    out_for_run: bool,
    invalid: bool,
    /// 429s in a row on this key.
    backoff_step: u32,
    last_lease: u64,
    /// `requests_per_minute` pacing: not before this.
    next_slot: Option<Instant>,
    requests: u64,
    limited: u64,
    cooled: Duration,
}

/// What a request should do next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Pick {
    Key(usize),
    /// No key free: wake at `until` (the earliest cooling or pacing end, if any) or on a
    /// release. `cooling`: no key is busy, so only limits hold the request. `first`: the key
    /// that frees first, `paced`: its wait is only pacing.
    Wait {
        until: Option<Instant>,
        cooling: bool,
        first: Option<usize>,
        paced: bool,
    },
    AllInvalid,
    /// Only keys out of quota for the run (or invalid) are left.
    Exhausted,
}

/// How a leased request ended.
pub(super) enum LeaseEnd<'a> {
    /// Answered; `rest` when the response said the key has nothing left until then.
    Answered(Option<Duration>),
    Failed(&'a ProviderError),
    /// Cancelled, or a failure that says nothing about the key.
    Abandoned,
}

/// What a release did to the key, for the `[COORDINATOR]` line.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum KeyEvent {
    Limited(Duration),
    Rested(Duration),
    DailyQuota(Duration),
    OutForRun,
    Invalid(u16),
}

/// Per-key figures for the summary (JSON field names are stable).
#[derive(Debug, Clone, Serialize)]
pub struct KeyStats {
    pub key: String,
    pub requests: u64,
    pub rate_limited: u64,
    pub cooling_ms: u64,
    pub invalid: bool,
    /// Out of quota (daily or billing) when the run ended.
    pub quota_exhausted: bool,
}

/// A pool's keys, in pool order.
#[derive(Debug, Default)]
pub(super) struct KeyPool {
    pub keys: Vec<KeyState>,
    seq: u64,
    /// The last countdown line: (cooling end it announced, when).
    pub announced: Option<(Instant, Instant)>,
}

/// Exponential backoff with jitter: base × 2^(step-1), capped at 60 s, ±25%.
pub fn backoff(step: u32, base: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << step.saturating_sub(1).min(16));
    let capped = exp.min(Duration::from_secs(60));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = 0.75 + f64::from(nanos % 1000) / 2000.0;
    capped.mul_f64(jitter)
}

impl KeyPool {
    /// `n` fresh keys.
    pub fn new(n: usize) -> KeyPool {
        KeyPool {
            keys: (0..n).map(|_| KeyState::default()).collect(),
            ..KeyPool::default()
        }
    }

    fn cool(&mut self, i: usize, now: Instant, wait: Duration) {
        let k = &mut self.keys[i];
        let until = now + wait.min(MAX_HINT);
        if k.cool_until.is_none() {
            k.cool_from = Some(now);
        }
        k.cool_until = Some(k.cool_until.map_or(until, |u| u.max(until)));
    }

    /// A daily quota remembered from an earlier run: cooling for `wait` from `now`.
    pub fn restore_quota(&mut self, i: usize, now: Instant, wait: Duration) {
        self.cool(i, now, wait);
        self.keys[i].quota = true;
    }

    /// Ends cooldowns that are over, adding their time to the key's figures.
    fn expire(&mut self, now: Instant) {
        for k in &mut self.keys {
            if let (Some(from), Some(until)) = (k.cool_from, k.cool_until) {
                if until <= now {
                    k.cooled += until.saturating_duration_since(from);
                    (k.cool_from, k.cool_until, k.quota) = (None, None, false);
                }
            }
        }
    }

    /// The least busy, least recently used usable key with room, else what to wait for.
    pub fn pick(&mut self, now: Instant, max_in_flight: usize) -> Pick {
        self.expire(now);
        let usable = |k: &KeyState| !k.invalid && !k.out_for_run;
        let ready = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                usable(k)
                    && k.cool_until.is_none()
                    && k.in_flight < max_in_flight.max(1)
                    && k.next_slot.is_none_or(|t| t <= now)
            })
            .min_by_key(|(_, k)| (k.in_flight, k.last_lease));
        if let Some((i, _)) = ready {
            return Pick::Key(i);
        }
        if self.keys.iter().all(|k| k.invalid) {
            return Pick::AllInvalid;
        }
        let busy = self.keys.iter().any(|k| usable(k) && k.in_flight > 0);
        // (end, key, is pacing) of every key that frees by itself.
        let ends = self.keys.iter().enumerate().filter(|(_, k)| usable(k));
        let first = ends
            .filter_map(|(i, k)| match (k.cool_until, k.next_slot) {
                (Some(t), _) => Some((t, i, false)),
                (None, Some(t)) if t > now => Some((t, i, true)),
                _ => None,
            })
            .min();
        if !busy && first.is_none() {
            return Pick::Exhausted;
        }
        Pick::Wait {
            until: first.map(|f| f.0),
            cooling: !busy && first.is_some(),
            first: first.map(|f| f.1),
            paced: first.is_some_and(|f| f.2),
        }
    }

    /// Key `i` goes to a request; with pacing, its next request waits `spacing`.
    pub fn lease(&mut self, i: usize, now: Instant, spacing: Option<Duration>) {
        self.seq += 1;
        let k = &mut self.keys[i];
        k.in_flight += 1;
        k.requests += 1;
        k.last_lease = self.seq;
        if let Some(s) = spacing {
            k.next_slot = Some(now + s);
        }
    }

    /// Key `i` comes back from a request that ended with `outcome`.
    pub fn release(&mut self, i: usize, outcome: LeaseEnd<'_>, now: Instant) -> Option<KeyEvent> {
        let k = &mut self.keys[i];
        k.in_flight = k.in_flight.saturating_sub(1);
        match outcome {
            LeaseEnd::Abandoned => None,
            LeaseEnd::Answered(rest) => {
                k.backoff_step = 0;
                let rest = rest.filter(|r| !r.is_zero())?;
                self.cool(i, now, rest);
                Some(KeyEvent::Rested(rest.min(MAX_HINT)))
            }
            LeaseEnd::Failed(ProviderError::RateLimited { retry_after }) => {
                k.limited += 1;
                k.backoff_step += 1;
                let step = k.backoff_step;
                let mut wait = retry_after.unwrap_or_else(|| backoff(step, Duration::from_secs(1)));
                if step > 1 {
                    // 429s in a row despite waiting as told: the hint is not working, slow down.
                    wait = wait.max(backoff(step - 1, Duration::from_millis(250)));
                }
                let wait = wait.min(MAX_HINT);
                self.cool(i, now, wait);
                Some(KeyEvent::Limited(wait))
            }
            LeaseEnd::Failed(ProviderError::QuotaExhausted { for_: Some(d) }) => {
                k.limited += 1;
                let d = (*d).min(MAX_HINT);
                self.cool(i, now, d);
                self.keys[i].quota = true;
                Some(KeyEvent::DailyQuota(d))
            }
            LeaseEnd::Failed(ProviderError::QuotaExhausted { for_: None }) => {
                k.limited += 1;
                k.out_for_run = true;
                k.quota = true;
                k.cool_from.get_or_insert(now);
                k.cool_until = None;
                Some(KeyEvent::OutForRun)
            }
            LeaseEnd::Failed(ProviderError::InvalidKey { status }) => {
                k.invalid = true;
                Some(KeyEvent::Invalid(*status))
            }
            LeaseEnd::Failed(_) => None,
        }
    }

    /// Figures per key, labelled.
    pub fn stats(&self, labels: &[&str], now: Instant) -> Vec<KeyStats> {
        self.keys
            .iter()
            .zip(labels)
            .map(|(k, label)| {
                let current = k.cool_from.map_or(Duration::ZERO, |from| {
                    k.cool_until
                        .map_or(now, |u| u.min(now))
                        .saturating_duration_since(from)
                });
                KeyStats {
                    key: label.to_string(),
                    requests: k.requests,
                    rate_limited: k.limited,
                    cooling_ms: (k.cooled + current).as_millis() as u64,
                    invalid: k.invalid,
                    quota_exhausted: k.quota,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(secs: u64) -> ProviderError {
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(secs)),
        }
    }

    #[test]
    fn leases_spread_over_keys_and_respect_max_in_flight() {
        let t0 = Instant::now();
        let mut p = KeyPool::new(2);
        assert_eq!(p.pick(t0, 1), Pick::Key(0));
        p.lease(0, t0, None);
        assert_eq!(p.pick(t0, 1), Pick::Key(1));
        p.lease(1, t0, None);
        assert!(matches!(
            p.pick(t0, 1),
            Pick::Wait {
                until: None,
                cooling: false,
                ..
            }
        ));
        assert_eq!(p.pick(t0, 2), Pick::Key(0));
        p.release(1, LeaseEnd::Answered(None), t0);
        assert_eq!(p.pick(t0, 1), Pick::Key(1));
    }

    #[test]
    fn a_limited_key_cools_and_the_others_go_on() {
        let t0 = Instant::now();
        let mut p = KeyPool::new(2);
        p.lease(0, t0, None);
        let e = p.release(0, LeaseEnd::Failed(&limited(5)), t0);
        assert_eq!(e, Some(KeyEvent::Limited(Duration::from_secs(5))));
        assert_eq!(p.pick(t0, 1), Pick::Key(1));
        p.lease(1, t0, None);
        p.release(1, LeaseEnd::Failed(&limited(3)), t0);
        // Both cooling, none busy: wait for key 2 (index 1), which frees first.
        assert_eq!(
            p.pick(t0, 1),
            Pick::Wait {
                until: Some(t0 + Duration::from_secs(3)),
                cooling: true,
                first: Some(1),
                paced: false
            }
        );
        assert_eq!(p.pick(t0 + Duration::from_secs(3), 1), Pick::Key(1));
        let stats = p.stats(&["key-1", "key-2"], t0 + Duration::from_secs(10));
        assert_eq!((stats[0].cooling_ms, stats[1].cooling_ms), (5000, 3000));
        assert_eq!(stats[0].rate_limited, 1);
    }

    #[test]
    fn quota_invalid_and_exhausted_pools() {
        let t0 = Instant::now();
        let mut p = KeyPool::new(3);
        p.release(
            0,
            LeaseEnd::Failed(&ProviderError::InvalidKey { status: 401 }),
            t0,
        );
        let e = p.release(
            1,
            LeaseEnd::Failed(&ProviderError::QuotaExhausted { for_: None }),
            t0,
        );
        assert_eq!(e, Some(KeyEvent::OutForRun));
        assert_eq!(p.pick(t0, 1), Pick::Key(2));
        let day = Duration::from_secs(20 * 3600);
        p.release(
            2,
            LeaseEnd::Failed(&ProviderError::QuotaExhausted { for_: Some(day) }),
            t0,
        );
        assert!(matches!(
            p.pick(t0, 1),
            Pick::Wait {
                cooling: true,
                first: Some(2),
                ..
            }
        ));
        // Once the daily cooldown is over the key is back.
        assert_eq!(p.pick(t0 + day, 1), Pick::Key(2));
        p.release(
            2,
            LeaseEnd::Failed(&ProviderError::QuotaExhausted { for_: None }),
            t0 + day,
        );
        assert_eq!(p.pick(t0 + day, 1), Pick::Exhausted);
        let mut all_bad = KeyPool::new(2);
        for i in 0..2 {
            all_bad.release(
                i,
                LeaseEnd::Failed(&ProviderError::InvalidKey { status: 403 }),
                t0,
            );
        }
        assert_eq!(all_bad.pick(t0, 1), Pick::AllInvalid);
    }

    #[test]
    fn pacing_and_rest_hints_hold_a_key_back() {
        let t0 = Instant::now();
        let mut p = KeyPool::new(1);
        p.lease(0, t0, Some(Duration::from_secs(6)));
        p.release(0, LeaseEnd::Answered(None), t0 + Duration::from_secs(1));
        assert_eq!(
            p.pick(t0 + Duration::from_secs(1), 1),
            Pick::Wait {
                until: Some(t0 + Duration::from_secs(6)),
                cooling: true,
                first: Some(0),
                paced: true
            }
        );
        let t1 = t0 + Duration::from_secs(6);
        assert_eq!(p.pick(t1, 1), Pick::Key(0));
        p.lease(0, t1, None);
        let e = p.release(0, LeaseEnd::Answered(Some(Duration::from_secs(9))), t1);
        assert_eq!(e, Some(KeyEvent::Rested(Duration::from_secs(9))));
        assert!(matches!(p.pick(t1, 1), Pick::Wait { paced: false, .. }));
        assert_eq!(
            p.stats(&["key-1"], t1).first().map(|s| s.rate_limited),
            Some(0)
        );
    }

    #[test]
    fn repeated_429s_back_off_even_when_told_zero() {
        let t0 = Instant::now();
        let mut p = KeyPool::new(1);
        let mut waits = Vec::new();
        for _ in 0..4 {
            p.lease(0, t0, None);
            if let Some(KeyEvent::Limited(w)) = p.release(0, LeaseEnd::Failed(&limited(0)), t0) {
                waits.push(w);
            }
        }
        assert_eq!(waits[0], Duration::ZERO);
        assert!(
            waits[1] > Duration::from_millis(150) && waits[3] > waits[1],
            "{waits:?}"
        );
    }
}

//! One key pool's state: which key a request gets, and what a response does to its key
//! (cooling, pacing, budgets, concurrency, out of quota, invalid). Pure bookkeeping over
//! instants, no waiting.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::budget::{Budgets, Fit};
use crate::provider::limits::{Cost, Reading};
use crate::provider::ratelimit::MAX_HINT;
use crate::provider::ProviderError;

/// How many requests a key may have in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerKey {
    /// Exactly this cap (`max_in_flight` > 0).
    Fixed(usize),
    /// Adapted per key (`max_in_flight = 0`): starts at the key's share of `bound` (the
    /// workers), halves on a 429 that found other requests in flight on the key, grows by one
    /// per answer up to `bound`.
    Adaptive { bound: usize },
}

impl PerKey {
    /// The cap each of `keys` keys starts with: an even share of the workers, so that a
    /// fresh pool spreads requests instead of sending them all to keys it knows nothing of.
    fn start(self, keys: usize) -> usize {
        match self {
            PerKey::Fixed(n) => n.max(1),
            PerKey::Adaptive { bound } => bound.div_ceil(keys.max(1)).max(1),
        }
    }
}

/// Per-key state and figures.
#[derive(Debug, Default)]
pub(super) struct KeyState {
    in_flight: usize,
    /// The most requests in flight at once.
    peak: usize,
    /// The current cap on requests in flight.
    limit: usize,
    /// Cooling since / until; `until` is `None` with `out_for_run`.
    cool_from: Option<Instant>,
    cool_until: Option<Instant>,
    /// The current cooldown is a spent quota (daily, or billing for the run).
    quota: bool,
    out_for_run: bool,
    invalid: bool,
    /// Rate-limit events in a row on this key (each escalates the backoff once).
    backoff_step: u32,
    /// Rate-limit events so far. A 429 for a request sent before the latest event answers
    /// that event (the requests were in flight together): it does not escalate again.
    epoch: u64,
    last_lease: u64,
    /// `requests_per_minute` pacing: not before this.
    next_slot: Option<Instant>,
    budgets: Budgets,
    requests: u64,
    limited: u64,
    cooled: Duration,
}

/// What a request should do next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Pick {
    Key(usize),
    /// No key free: wake at `until` (the earliest cooling, pacing or budget end, if any) or on
    /// a release. `cooling`: no key is busy, so only limits hold the request. `first`: the key
    /// that frees first, `paced`: its wait is only pacing (ours or its budget's).
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

/// A key given to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lease {
    pub key: usize,
    seq: u64,
    /// The key's rate-limit events when the request was sent.
    epoch: u64,
}

/// How a leased request ended.
pub(super) enum LeaseEnd<'a> {
    /// Answered; `rest` when the response said the key has nothing left until then (used
    /// when the response reported no limits to budget with).
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
    /// The most requests this key had in flight at once.
    pub peak_in_flight: usize,
    /// Its cap on requests in flight when the run ended (adapted, or `max_in_flight`).
    pub concurrency: usize,
}

/// A pool's keys, in pool order.
#[derive(Debug)]
pub(super) struct KeyPool {
    pub keys: Vec<KeyState>,
    per_key: PerKey,
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
    /// `n` fresh keys, each allowed `per_key` requests in flight.
    pub fn new(n: usize, per_key: PerKey) -> KeyPool {
        KeyPool {
            keys: (0..n)
                .map(|_| KeyState {
                    limit: per_key.start(n),
                    ..KeyState::default()
                })
                .collect(),
            per_key,
            seq: 0,
            announced: None,
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

    /// The least busy, least recently used usable key with room for a request costing
    /// `cost`, else what to wait for: the key whose cooldown, pacing or budget frees first.
    pub fn pick(&mut self, now: Instant, cost: &Cost) -> Pick {
        self.expire(now);
        let mut ready: Option<(usize, (usize, u64))> = None;
        // (end, key, only pacing or budget) of the key that frees first by itself.
        let mut first: Option<(Instant, usize, bool)> = None;
        let mut busy = false;
        for (i, k) in self.keys.iter().enumerate() {
            if k.invalid || k.out_for_run {
                continue;
            }
            busy |= k.in_flight > 0;
            let end = if let Some(t) = k.cool_until {
                Some((t, false))
            } else if k.in_flight >= k.limit {
                None
            } else if let Some(t) = k.next_slot.filter(|t| *t > now) {
                Some((t, true))
            } else {
                match k.budgets.fit(cost, now) {
                    Fit::Now => {
                        let rank = (k.in_flight, k.last_lease);
                        if ready.is_none_or(|(_, r)| rank < r) {
                            ready = Some((i, rank));
                        }
                        None
                    }
                    Fit::At(t) => Some((t, true)),
                    Fit::OnAnswer => None,
                }
            };
            if let Some((t, paced)) = end {
                if first.is_none_or(|f| (t, i) < (f.0, f.1)) {
                    first = Some((t, i, paced));
                }
            }
        }
        if let Some((i, _)) = ready {
            return Pick::Key(i);
        }
        if self.keys.iter().all(|k| k.invalid) {
            return Pick::AllInvalid;
        }
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

    /// Key `i` goes to a request costing `cost`; with pacing, its next request waits
    /// `spacing`.
    pub fn lease(
        &mut self,
        i: usize,
        now: Instant,
        spacing: Option<Duration>,
        cost: Cost,
    ) -> Lease {
        self.seq += 1;
        let seq = self.seq;
        let k = &mut self.keys[i];
        k.in_flight += 1;
        k.peak = k.peak.max(k.in_flight);
        k.requests += 1;
        k.last_lease = seq;
        k.budgets.sent(seq, cost, now);
        if let Some(s) = spacing {
            k.next_slot = Some(now + s);
        }
        Lease {
            key: i,
            seq,
            epoch: k.epoch,
        }
    }

    /// A lease comes back from a request that ended with `outcome`; `readings` are the limits
    /// its response reported.
    pub fn release(
        &mut self,
        lease: &Lease,
        outcome: LeaseEnd<'_>,
        readings: &[Reading],
        now: Instant,
    ) -> Option<KeyEvent> {
        let i = lease.key;
        let adaptive = match self.per_key {
            PerKey::Adaptive { bound } => Some(bound.max(1)),
            PerKey::Fixed(_) => None,
        };
        let k = &mut self.keys[i];
        let in_flight = k.in_flight;
        k.in_flight = k.in_flight.saturating_sub(1);
        k.budgets.answered(lease.seq, readings, now);
        // Sent after the key's latest rate-limit event (not one of the requests it answered).
        let current = lease.epoch == k.epoch;
        match outcome {
            LeaseEnd::Abandoned => None,
            LeaseEnd::Answered(rest) => {
                if current {
                    k.backoff_step = 0;
                    if let Some(bound) = adaptive {
                        k.limit = (k.limit + 1).min(bound);
                    }
                }
                let rest = rest.filter(|r| !r.is_zero() && readings.is_empty())?;
                self.cool(i, now, rest);
                Some(KeyEvent::Rested(rest.min(MAX_HINT)))
            }
            LeaseEnd::Failed(ProviderError::RateLimited { retry_after }) => {
                k.limited += 1;
                if !current {
                    // The same event answering another request that was in flight with the
                    // first: a wait it names still counts, but no second step, no halving.
                    if let Some(w) = retry_after {
                        self.cool(i, now, *w);
                    }
                    return None;
                }
                k.epoch += 1;
                k.backoff_step += 1;
                if let Some(bound) = adaptive {
                    if in_flight > 1 {
                        k.limit = (k.limit.min(in_flight) / 2).clamp(1, bound);
                    }
                }
                let step = k.backoff_step;
                let mut wait = retry_after.unwrap_or_else(|| backoff(step, Duration::from_secs(1)));
                if step > 1 {
                    // Events in a row despite waiting as told: the hint is not working, slow down.
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

    /// Requests in flight on key `i` and its current cap.
    #[cfg(test)]
    pub fn concurrency(&self, i: usize) -> (usize, usize) {
        (self.keys[i].in_flight, self.keys[i].limit)
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
                    peak_in_flight: k.peak,
                    concurrency: k.limit,
                }
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "key_pool_tests.rs"]
mod tests;

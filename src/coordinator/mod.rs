//! The credential coordinator: leases a key per request, cools keys on rate limits, paces them,
//! remembers spent daily quotas across runs, and waits (instead of failing) when every key is
//! cooling, up to `max_wait`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod budget;
mod key_pool;

use crate::checkpoint::cooldowns::CooldownStore;
use crate::provider::limits::{Cost, Reading};
use crate::provider::secret::Secret;
use crate::provider::{Provider, ProviderError, Reply, Request};
use key_pool::{KeyEvent, KeyPool, Lease, LeaseEnd, Pick};

pub use key_pool::{backoff, KeyStats, PerKey};

/// Where the coordinator's `[COORDINATOR]` lines go (the run's reporter; nothing in tests).
pub trait Notices: Send + Sync {
    fn notice(&self, msg: &str);
}

/// Notices nobody reads.
pub struct Silent;

impl Notices for Silent {
    fn notice(&self, _: &str) {}
}

/// Told when a request starts and stops waiting for a key (the item's progress line).
pub trait Waiting: Send + Sync {
    /// Every key is busy, cooling or paced: the request waits.
    fn waiting(&self);
    /// It has a key again and is being sent.
    fn sending(&self);
}

impl Waiting for Silent {
    fn waiting(&self) {}
    fn sending(&self) {}
}

/// An answered call.
#[derive(Debug, Clone)]
pub struct Called {
    /// The answer, and how it ended.
    pub reply: Reply,
    /// The label of the key that answered.
    pub key: String,
    /// How long the request waited for a key (not for the provider).
    pub waited: Duration,
}

/// Coordinator settings for one pool, from `[provider]` (or `[drafter]`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests in flight per key; 0 = adapted per key, up to the worker count.
    pub max_in_flight: usize,
    pub retries: u32,
    pub max_wait: Duration,
    /// Per key; 0 = no pacing.
    pub requests_per_minute: u32,
}

/// The keys of one pool and their limits, as configured. The reviewer uses pool 0; a drafter
/// with its own keys gets pool 1.
#[derive(Debug)]
pub struct KeySet {
    pub keys: Vec<Secret>,
    pub limits: Limits,
}

/// Why a call could not be completed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("interrupted")]
    Cancelled,
    #[error("every usable key is rate limited or out of quota for longer than max_wait_s ({}s)", .0.as_secs())]
    Exhausted(Duration),
    #[error("every key was refused by the provider (401/403): {0}")]
    AllInvalid(String),
    #[error("{0}")]
    Provider(ProviderError),
}

impl CallError {
    /// The provider refused the request as it is: a rerun meets the same refusal.
    pub fn is_permanent(&self) -> bool {
        matches!(self, CallError::Provider(ProviderError::Refused { .. }))
    }

    /// What to change, when the error says.
    pub fn hint(&self) -> Option<String> {
        match self {
            CallError::Provider(e) => e.hint(),
            _ => None,
        }
    }
}

/// Countdown lines while every key cools are repeated this often.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(10);

/// A key set in use: its bookkeeping, and a wake-up for requests waiting on it.
struct SharedPool {
    keys: Vec<Secret>,
    limits: Limits,
    state: Mutex<KeyPool>,
    freed: Notify,
}

/// LLM calls in flight across the pools, and the most at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn start(&self) {
        let n = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(n, Ordering::Relaxed);
    }

    fn end(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }
}

impl SharedPool {
    fn lock(&self) -> std::sync::MutexGuard<'_, KeyPool> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn spacing(&self) -> Option<Duration> {
        let rpm = self.limits.requests_per_minute;
        (rpm > 0).then(|| Duration::from_secs(60) / rpm)
    }
}

#[derive(Default)]
struct Totals {
    limit_wait: Duration,
    overhead: Duration,
}

/// Leases keys to requests.
pub struct Coordinator {
    pools: Vec<SharedPool>,
    totals: Mutex<Totals>,
    calls: InFlight,
    store: Option<CooldownStore>,
    notices: Arc<dyn Notices>,
    cancel: CancellationToken,
}

/// How many requests a pool's keys may each have in flight.
fn per_key(limits: &Limits, workers: usize) -> PerKey {
    match limits.max_in_flight {
        0 => PerKey::Adaptive {
            bound: workers.max(1),
        },
        n => PerKey::Fixed(n),
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{:.1}s", d.as_secs_f64()),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

impl Coordinator {
    /// A coordinator over `pools`; says once when the reviewer's pool is smaller than the
    /// worker count, and restores daily-quota cooldowns remembered in `store`.
    pub fn new(
        pools: Vec<KeySet>,
        workers: usize,
        notices: Arc<dyn Notices>,
        cancel: CancellationToken,
        store: Option<CooldownStore>,
    ) -> Coordinator {
        if let Some(p) = pools.first() {
            let per_key = p.limits.max_in_flight;
            let capacity = p.keys.len() * per_key;
            if per_key > 0 && capacity < workers {
                notices.notice(&format!(
                        "{workers} workers but {} key(s) × {per_key} request(s) in flight (max_in_flight): at most {capacity} LLM call(s) at once",
                        p.keys.len(),
                    ),
                );
            }
        }
        let pools: Vec<SharedPool> = pools
            .into_iter()
            .map(|p| SharedPool {
                state: Mutex::new(KeyPool::new(p.keys.len(), per_key(&p.limits, workers))),
                keys: p.keys,
                limits: p.limits,
                freed: Notify::new(),
            })
            .collect();
        let c = Coordinator {
            pools,
            totals: Mutex::new(Totals::default()),
            calls: InFlight::default(),
            store,
            notices,
            cancel,
        };
        c.restore();
        c
    }

    fn restore(&self) {
        let Some(store) = &self.store else { return };
        let now = SystemTime::now();
        for p in &self.pools {
            for (i, key) in p.keys.iter().enumerate() {
                match store.get(&key.fingerprint(), now) {
                    Ok(Some((until, reason))) => {
                        let wait = until.duration_since(now).unwrap_or(Duration::ZERO);
                        p.lock().restore_quota(i, Instant::now(), wait);
                        self.notices.notice(&format!(
                                "{} is out of quota ({reason}, remembered from an earlier run): cooling {}",
                                key.label(),
                                human(wait)
                            ),
                        );
                    }
                    Ok(None) => {}
                    Err(e) => self
                        .notices
                        .notice(&format!("cannot read key cooldowns: {e}")),
                }
            }
        }
    }

    fn totals(&self) -> std::sync::MutexGuard<'_, Totals> {
        self.totals.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `req` through `provider`, leasing a key from the provider's pool for each
    /// attempt; returns the text and the label of the key that answered.
    pub async fn call(
        &self,
        provider: &Provider,
        req: &Request,
    ) -> Result<(String, String), CallError> {
        self.call_observed(provider, req, &Silent)
            .await
            .map(|c| (c.reply.text, c.key))
    }

    /// [`Coordinator::call`], telling `observer` when the request waits for a key and when it
    /// is sent again; returns the whole reply (how the answer ended) and how long it waited.
    /// A prompt the provider's token budget cannot fit is refused before any key is leased.
    pub async fn call_observed(
        &self,
        provider: &Provider,
        req: &Request,
        observer: &dyn Waiting,
    ) -> Result<Called, CallError> {
        provider
            .preflight(&req.prompt)
            .map_err(CallError::Provider)?;
        let Some(pool) = self.pools.get(provider.pool()) else {
            return Err(CallError::Provider(ProviderError::Fatal(
                "internal error: no key pool for this provider".into(),
            )));
        };
        let cost = provider.cost(req);
        let mut transient_failures = 0u32;
        // Rate-limit waits of this request so far: max_wait bounds their sum, so a provider that
        // keeps answering 429 with short waits cannot hold a request forever.
        let mut waited = Duration::ZERO;
        let mut for_key = Duration::ZERO;
        loop {
            let lease = self
                .lease(pool, &cost, &mut waited, &mut for_key, observer)
                .await?;
            let key = &pool.keys[lease.key];
            self.calls.start();
            let attempt = tokio::select! {
                r = provider.attempt(req, key) => r,
                _ = self.cancel.cancelled() => {
                    self.calls.end();
                    self.release(pool, &lease, LeaseEnd::Abandoned, &[]);
                    return Err(CallError::Cancelled);
                }
            };
            self.calls.end();
            let limits = &attempt.limits;
            match attempt.result {
                Ok(reply) => {
                    self.release(pool, &lease, LeaseEnd::Answered(reply.rest), limits);
                    return Ok(Called {
                        reply,
                        key: key.label().to_string(),
                        waited: for_key,
                    });
                }
                Err(ProviderError::Transient(msg)) => {
                    self.release(pool, &lease, LeaseEnd::Abandoned, limits);
                    transient_failures += 1;
                    if transient_failures > pool.limits.retries {
                        return Err(CallError::Provider(ProviderError::Transient(format!(
                            "{msg} (gave up after {} retries)",
                            pool.limits.retries
                        ))));
                    }
                    let delay = backoff(transient_failures, Duration::from_millis(500));
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = self.cancel.cancelled() => return Err(CallError::Cancelled),
                    }
                }
                Err(e @ (ProviderError::Fatal(_) | ProviderError::Refused { .. })) => {
                    self.release(pool, &lease, LeaseEnd::Abandoned, limits);
                    return Err(CallError::Provider(e));
                }
                Err(e) => self.release(pool, &lease, LeaseEnd::Failed(&e), limits),
            }
        }
    }

    /// Waits for a usable key with room for `cost`, or fails when the request's waiting on
    /// limits would exceed `max_wait`. `for_key` grows by the time spent waiting.
    async fn lease(
        &self,
        p: &SharedPool,
        cost: &Cost,
        waited: &mut Duration,
        for_key: &mut Duration,
        observer: &dyn Waiting,
    ) -> Result<Lease, CallError> {
        let mut told = false;
        loop {
            if self.cancel.is_cancelled() {
                return Err(CallError::Cancelled);
            }
            let t0 = std::time::Instant::now();
            let now = Instant::now();
            let notified = p.freed.notified();
            let pick = {
                let mut st = p.lock();
                match st.pick(now, cost) {
                    Pick::Key(i) => Ok(st.lease(i, now, p.spacing(), *cost)),
                    other => Err(other),
                }
            };
            self.totals().overhead += t0.elapsed();
            let (until, cooling, first, paced) = match pick {
                Ok(lease) => {
                    if told {
                        observer.sending();
                    }
                    return Ok(lease);
                }
                Err(Pick::Key(_)) => continue,
                Err(Pick::AllInvalid) => {
                    let labels: Vec<&str> = p.keys.iter().map(|k| k.label()).collect();
                    return Err(CallError::AllInvalid(labels.join(", ")));
                }
                Err(Pick::Exhausted) => return Err(CallError::Exhausted(p.limits.max_wait)),
                Err(Pick::Wait {
                    until,
                    cooling,
                    first,
                    paced,
                }) => (until, cooling, first, paced),
            };
            if let (Some(t), true) = (until, cooling) {
                if *waited + t.saturating_duration_since(now) > p.limits.max_wait {
                    return Err(CallError::Exhausted(p.limits.max_wait));
                }
                if !paced {
                    self.announce(p, t, first);
                }
            }
            if !told {
                observer.waiting();
                told = true;
            }
            // Wake at the key's end exactly, and at least every ANNOUNCE_EVERY so the countdown
            // keeps being told.
            let wake = until
                .unwrap_or(now + Duration::from_secs(3600))
                .min(now + ANNOUNCE_EVERY);
            let slept_from = Instant::now();
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(wake) => {}
                _ = self.cancel.cancelled() => return Err(CallError::Cancelled),
            }
            let slept = slept_from.elapsed();
            *for_key += slept;
            if cooling {
                *waited += slept;
                self.totals().limit_wait += slept;
            }
        }
    }

    /// The `[COORDINATOR]` countdown: once per cooling end, then every ANNOUNCE_EVERY.
    fn announce(&self, p: &SharedPool, until: Instant, first: Option<usize>) {
        let now = Instant::now();
        let again = {
            let mut st = p.lock();
            match st.announced {
                Some((u, at)) if u == until && now.duration_since(at) < ANNOUNCE_EVERY => return,
                Some((u, _)) if u == until => {
                    st.announced = Some((until, now));
                    true
                }
                _ => {
                    st.announced = Some((until, now));
                    false
                }
            }
        };
        let left = human(until.saturating_duration_since(now));
        let who = first
            .and_then(|i| p.keys.get(i))
            .map_or("a key".to_string(), |k| k.label().to_string());
        let msg = if again {
            format!("still pausing: {left} until {who} frees")
        } else {
            format!(
                "every key is cooling: pausing {left} until {who} frees (max_wait_s {})",
                p.limits.max_wait.as_secs()
            )
        };
        self.notices.notice(&msg);
    }

    /// Returns a key and applies what the request learnt about it.
    fn release(&self, p: &SharedPool, lease: &Lease, outcome: LeaseEnd<'_>, limits: &[Reading]) {
        let t0 = std::time::Instant::now();
        let event = p.lock().release(lease, outcome, limits, Instant::now());
        self.totals().overhead += t0.elapsed();
        p.freed.notify_waiters();
        let Some(event) = event else { return };
        let key = &p.keys[lease.key];
        let label = key.label();
        let msg = match event {
            KeyEvent::Limited(w) => format!("{label} rate limited: cooling {}", human(w)),
            // Routine pacing from the provider's own headers: not worth a line each time.
            KeyEvent::Rested(w) => {
                tracing::debug!("{label} has no requests left: resting {w:?}");
                return;
            }
            KeyEvent::DailyQuota(w) => {
                let until = SystemTime::now() + w;
                if let Some(store) = &self.store {
                    if let Err(e) =
                        store.set(&key.fingerprint(), until, "daily quota", SystemTime::now())
                    {
                        self.notices
                            .notice(&format!("cannot remember {label}'s cooldown: {e}"));
                    }
                }
                format!(
                    "{label} daily quota spent: out for {} (until the quota resets)",
                    human(w)
                )
            }
            KeyEvent::OutForRun => {
                format!("{label} has no quota left (billing): not used again in this run")
            }
            KeyEvent::Invalid(status) => {
                format!("{label} was refused (HTTP {status}): not used again in this run")
            }
        };
        self.notices.notice(&msg);
    }

    /// Per-key figures, pools in order.
    pub fn key_stats(&self) -> Vec<KeyStats> {
        let now = Instant::now();
        self.pools
            .iter()
            .flat_map(|p| {
                let labels: Vec<&str> = p.keys.iter().map(|k| k.label()).collect();
                p.lock().stats(&labels, now)
            })
            .collect()
    }

    /// The most LLM calls that were in flight at once.
    pub fn peak_calls(&self) -> usize {
        self.calls.peak.load(Ordering::Relaxed)
    }

    /// The most LLM calls the reviewer's pool allows at once with `workers` workers: keys ×
    /// `max_in_flight`, or the workers when adapted.
    pub fn capacity(&self, workers: usize) -> usize {
        self.pools
            .first()
            .map_or(workers, |p| match p.limits.max_in_flight {
                0 => workers,
                n => (p.keys.len() * n).min(workers),
            })
    }

    /// Total time requests waited on rate limits, and time spent in the coordinator's
    /// bookkeeping.
    pub fn times(&self) -> (Duration, Duration) {
        let t = self.totals();
        (t.limit_wait, t.overhead)
    }
}

#[cfg(test)]
mod tests;

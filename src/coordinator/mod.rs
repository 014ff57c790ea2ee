//! The credential coordinator: leases a key per request, cools keys on rate limits, paces them,
//! remembers spent daily quotas across runs, and waits (instead of failing) when every key is
//! cooling, up to `max_wait`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod key_pool;

use crate::checkpoint::cooldowns::CooldownStore;
use crate::provider::secret::Secret;
use crate::provider::{Provider, ProviderError, Reply, Request};
use key_pool::{KeyEvent, KeyPool, LeaseEnd, Pick};

pub use key_pool::{backoff, KeyStats};

/// Where the coordinator's `[COORDINATOR]` lines go (the run's reporter; nothing in tests).
pub trait Notices: Send + Sync {
    fn notice(&self, msg: &str);
}

/// Notices nobody reads.
pub struct Silent;

impl Notices for Silent {
    fn notice(&self, _: &str) {}
}

/// Coordinator settings for one pool, from `[provider]` (or `[drafter]`).
#[derive(Debug, Clone)]
pub struct Limits {
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
    store: Option<CooldownStore>,
    notices: Arc<dyn Notices>,
    cancel: CancellationToken,
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
            let per_key = p.limits.max_in_flight.max(1);
            let capacity = p.keys.len() * per_key;
            if capacity < workers {
                notices.notice(&format!(
                        "{workers} workers but {} key(s) × {per_key} request(s) in flight: at most {capacity} LLM call(s) at once",
                        p.keys.len(),
                    ),
                );
            }
        }
        let pools: Vec<SharedPool> = pools
            .into_iter()
            .map(|p| SharedPool {
                state: Mutex::new(KeyPool::new(p.keys.len())),
                keys: p.keys,
                limits: p.limits,
                freed: Notify::new(),
            })
            .collect();
        let c = Coordinator {
            pools,
            totals: Mutex::new(Totals::default()),
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
        self.call_full(provider, req)
            .await
            .map(|(reply, key)| (reply.text, key))
    }

    /// [`Coordinator::call`], with the whole reply (how the answer ended). A prompt the
    /// provider's token budget cannot fit is refused before any key is leased.
    pub async fn call_full(
        &self,
        provider: &Provider,
        req: &Request,
    ) -> Result<(Reply, String), CallError> {
        provider
            .preflight(&req.prompt)
            .map_err(CallError::Provider)?;
        let Some(pool) = self.pools.get(provider.pool()) else {
            return Err(CallError::Provider(ProviderError::Fatal(
                "internal error: no key pool for this provider".into(),
            )));
        };
        let mut transient_failures = 0u32;
        // Rate-limit waits of this request so far: max_wait bounds their sum, so a provider that
        // keeps answering 429 with short waits cannot hold a request forever.
        let mut waited = Duration::ZERO;
        loop {
            let index = self.lease(pool, &mut waited).await?;
            let key = &pool.keys[index];
            let result = tokio::select! {
                r = provider.complete(req, key) => r,
                _ = self.cancel.cancelled() => {
                    self.release(pool, index, LeaseEnd::Abandoned);
                    return Err(CallError::Cancelled);
                }
            };
            match result {
                Ok(reply) => {
                    self.release(pool, index, LeaseEnd::Answered(reply.rest));
                    return Ok((reply, key.label().to_string()));
                }
                Err(ProviderError::Transient(msg)) => {
                    self.release(pool, index, LeaseEnd::Abandoned);
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
                    self.release(pool, index, LeaseEnd::Abandoned);
                    return Err(CallError::Provider(e));
                }
                Err(e) => self.release(pool, index, LeaseEnd::Failed(&e)),
            }
        }
    }

    /// Waits for a usable key, or fails when the request's waiting on limits would exceed
    /// `max_wait`.
    async fn lease(&self, p: &SharedPool, waited: &mut Duration) -> Result<usize, CallError> {
        loop {
            if self.cancel.is_cancelled() {
                return Err(CallError::Cancelled);
            }
            let t0 = std::time::Instant::now();
            let now = Instant::now();
            let notified = p.freed.notified();
            let pick = {
                let mut st = p.lock();
                let pick = st.pick(now, p.limits.max_in_flight);
                if let Pick::Key(i) = pick {
                    st.lease(i, now, p.spacing());
                }
                pick
            };
            self.totals().overhead += t0.elapsed();
            let (until, cooling, first, paced) = match pick {
                Pick::Key(index) => return Ok(index),
                Pick::AllInvalid => {
                    let labels: Vec<&str> = p.keys.iter().map(|k| k.label()).collect();
                    return Err(CallError::AllInvalid(labels.join(", ")));
                }
                Pick::Exhausted => return Err(CallError::Exhausted(p.limits.max_wait)),
                Pick::Wait {
                    until,
                    cooling,
                    first,
                    paced,
                } => (until, cooling, first, paced),
            };
            if let (Some(t), true) = (until, cooling) {
                if *waited + t.saturating_duration_since(now) > p.limits.max_wait {
                    return Err(CallError::Exhausted(p.limits.max_wait));
                }
                if !paced {
                    self.announce(p, t, first);
                }
            }
            // Wake at least every ANNOUNCE_EVERY so the countdown keeps being told.
            let wake = until
                .unwrap_or(now + Duration::from_secs(3600))
                .min(now + ANNOUNCE_EVERY);
            let slept_from = Instant::now();
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(wake) => {}
                _ = self.cancel.cancelled() => return Err(CallError::Cancelled),
            }
            if cooling {
                let slept = slept_from.elapsed();
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
    fn release(&self, p: &SharedPool, index: usize, outcome: LeaseEnd<'_>) {
        let t0 = std::time::Instant::now();
        let event = p.lock().release(index, outcome, Instant::now());
        self.totals().overhead += t0.elapsed();
        p.freed.notify_waiters();
        let Some(event) = event else { return };
        let key = &p.keys[index];
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

    /// Total time requests waited on rate limits, and time spent in the coordinator's
    /// bookkeeping.
    pub fn times(&self) -> (Duration, Duration) {
        let t = self.totals();
        (t.limit_wait, t.overhead)
    }
}

#[cfg(test)]
mod tests;

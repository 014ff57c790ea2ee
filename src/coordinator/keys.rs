//! The credential coordinator: leases a key per request, cools keys on rate limits, and waits
//! (instead of failing) when every key is cooling.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::secret::Secret;
use crate::provider::{Provider, ProviderError, Request};
use crate::report::progress::Reporter;

/// Coordinator settings, from `[provider]`.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_in_flight: usize,
    pub retries: u32,
    pub max_wait: Duration,
}

/// Why a call could not be completed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("interrupted")]
    Cancelled,
    #[error("every key is rate limited for longer than max_wait ({}s)", .0.as_secs())]
    Exhausted(Duration),
    #[error("every key was refused by the provider ({0})")]
    AllInvalid(String),
    #[error("{0}")]
    Provider(ProviderError),
}

#[derive(Debug, Default)]
struct KeyState {
    in_flight: usize,
    cool_until: Option<Instant>,
    invalid: bool,
    backoff_step: u32,
    last_lease: u64,
    requests: u64,
    limited: u64,
    cooling: Duration,
}

#[derive(Debug, Default)]
struct State {
    keys: Vec<KeyState>,
    seq: u64,
    limit_wait: Duration,
    overhead: Duration,
    waiting_announced: Option<Instant>,
}

/// Per-key figures for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStats {
    pub key: String,
    pub requests: u64,
    pub rate_limited: u64,
    pub cooling_ms: u64,
    pub invalid: bool,
}

/// Leases keys to requests.
pub struct Coordinator {
    keys: Vec<Secret>,
    limits: Limits,
    state: Mutex<State>,
    freed: Notify,
    reporter: Arc<Reporter>,
    cancel: CancellationToken,
}

/// One leased key; give it back with [`Coordinator::release`].
struct Lease {
    index: usize,
}

enum Pick {
    Key(usize),
    /// No key free: wake at the earliest cooling end (if any) or on a release.
    /// `cooling` is true when no key is busy, so only a rate limit holds the request.
    Wait {
        until: Option<Instant>,
        cooling: bool,
    },
    AllInvalid,
}

impl Coordinator {
    /// A coordinator over `keys`; says once when the pool is smaller than the worker count.
    pub fn new(
        keys: Vec<Secret>,
        limits: Limits,
        workers: usize,
        reporter: Arc<Reporter>,
        cancel: CancellationToken,
    ) -> Coordinator {
        let capacity = keys.len() * limits.max_in_flight.max(1);
        if capacity < workers {
            reporter.log(
                "COORDINATOR",
                &format!(
                    "{workers} workers but {} key(s) × {} request(s) in flight: at most {capacity} LLM call(s) at once",
                    keys.len(),
                    limits.max_in_flight.max(1)
                ),
            );
        }
        let state = State {
            keys: keys.iter().map(|_| KeyState::default()).collect(),
            ..State::default()
        };
        Coordinator {
            keys,
            limits,
            state: Mutex::new(state),
            freed: Notify::new(),
            reporter,
            cancel,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `req` through `provider`, leasing a key for each attempt; returns the text and the
    /// label of the key that answered.
    pub async fn call(
        &self,
        provider: &Provider,
        req: &Request,
    ) -> Result<(String, String), CallError> {
        let mut transient_failures = 0u32;
        loop {
            let lease = self.lease().await?;
            let key = &self.keys[lease.index];
            let result = tokio::select! {
                r = provider.complete(req, key) => r,
                _ = self.cancel.cancelled() => {
                    self.release(lease, None);
                    return Err(CallError::Cancelled);
                }
            };
            let label = key.label().to_string();
            match result {
                Ok(text) => {
                    self.release(lease, None);
                    return Ok((text, label));
                }
                Err(ProviderError::Transient(msg)) => {
                    self.release(lease, None);
                    transient_failures += 1;
                    if transient_failures > self.limits.retries {
                        return Err(CallError::Provider(ProviderError::Transient(format!(
                            "{msg} (gave up after {} retries)",
                            self.limits.retries
                        ))));
                    }
                    let delay = backoff(transient_failures, Duration::from_millis(500));
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = self.cancel.cancelled() => return Err(CallError::Cancelled),
                    }
                }
                Err(ProviderError::Fatal(msg)) => {
                    self.release(lease, None);
                    return Err(CallError::Provider(ProviderError::Fatal(msg)));
                }
                Err(e) => self.release(lease, Some(e)),
            }
        }
    }

    /// Waits for a usable key, or fails when waiting would exceed `max_wait`.
    async fn lease(&self) -> Result<Lease, CallError> {
        let started = Instant::now();
        loop {
            if self.cancel.is_cancelled() {
                return Err(CallError::Cancelled);
            }
            let t0 = std::time::Instant::now();
            let now = Instant::now();
            let notified = self.freed.notified();
            let pick = {
                let mut st = self.lock();
                let pick = self.pick(&mut st, now);
                if let Pick::Key(i) = pick {
                    st.seq += 1;
                    let seq = st.seq;
                    let k = &mut st.keys[i];
                    k.in_flight += 1;
                    k.requests += 1;
                    k.last_lease = seq;
                }
                st.overhead += t0.elapsed();
                pick
            };
            let (until, cooling) = match pick {
                Pick::Key(index) => return Ok(Lease { index }),
                Pick::AllInvalid => {
                    let labels: Vec<&str> = self.keys.iter().map(|k| k.label()).collect();
                    return Err(CallError::AllInvalid(labels.join(", ")));
                }
                Pick::Wait { until, cooling } => (until, cooling),
            };
            if let (Some(t), true) = (until, cooling) {
                if t.duration_since(started) > self.limits.max_wait {
                    return Err(CallError::Exhausted(self.limits.max_wait));
                }
                self.announce_wait(t);
            }
            let far = Instant::now() + Duration::from_secs(3600);
            let slept_from = Instant::now();
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(until.unwrap_or(far)) => {}
                _ = self.cancel.cancelled() => return Err(CallError::Cancelled),
            }
            if cooling {
                self.lock().limit_wait += slept_from.elapsed();
            }
        }
    }

    /// The least busy, least recently used usable key with room, else what to wait for.
    fn pick(&self, st: &mut State, now: Instant) -> Pick {
        let max = self.limits.max_in_flight.max(1);
        let mut earliest: Option<Instant> = None;
        for k in st.keys.iter_mut().filter(|k| !k.invalid) {
            match k.cool_until {
                Some(t) if t > now => earliest = Some(earliest.map_or(t, |e| e.min(t))),
                Some(_) => k.cool_until = None,
                None => {}
            }
        }
        let ready = st
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| !k.invalid && k.cool_until.is_none() && k.in_flight < max)
            .min_by_key(|(_, k)| (k.in_flight, k.last_lease));
        if let Some((i, _)) = ready {
            return Pick::Key(i);
        }
        if st.keys.iter().all(|k| k.invalid) {
            return Pick::AllInvalid;
        }
        let busy = st.keys.iter().any(|k| !k.invalid && k.in_flight > 0);
        Pick::Wait {
            until: earliest,
            cooling: !busy && earliest.is_some(),
        }
    }

    fn announce_wait(&self, until: Instant) {
        let mut st = self.lock();
        if st.waiting_announced == Some(until) {
            return;
        }
        st.waiting_announced = Some(until);
        drop(st);
        let secs = until
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        self.reporter.log(
            "COORDINATOR",
            &format!("every key is cooling: pausing {secs:.1}s until the first one frees"),
        );
    }

    /// Returns a key; `outcome` is the rate-limit/key error the request met, if any.
    fn release(&self, lease: Lease, outcome: Option<ProviderError>) {
        let t0 = std::time::Instant::now();
        let mut message = None;
        {
            let mut st = self.lock();
            let label = self.keys[lease.index].label().to_string();
            let k = &mut st.keys[lease.index];
            k.in_flight = k.in_flight.saturating_sub(1);
            match outcome {
                None => k.backoff_step = 0,
                Some(ProviderError::RateLimited { retry_after }) => {
                    k.limited += 1;
                    k.backoff_step += 1;
                    let wait = retry_after
                        .unwrap_or_else(|| backoff(k.backoff_step, Duration::from_secs(1)))
                        .min(MAX_COOL);
                    k.cooling += wait;
                    k.cool_until = Some(Instant::now() + wait);
                    message = Some(format!(
                        "{label} rate limited: cooling {:.1}s",
                        wait.as_secs_f64()
                    ));
                }
                Some(ProviderError::QuotaExhausted { for_ }) => {
                    k.limited += 1;
                    let wait = for_.min(MAX_COOL);
                    k.cooling += wait;
                    k.cool_until = Some(Instant::now() + wait);
                    message = Some(format!(
                        "{label} quota exhausted: out for {:.0} min",
                        wait.as_secs_f64() / 60.0
                    ));
                }
                Some(ProviderError::InvalidKey) => {
                    k.invalid = true;
                    message = Some(format!(
                        "{label} was refused (401/403): not used again in this run"
                    ));
                }
                Some(_) => {}
            }
            st.overhead += t0.elapsed();
        }
        if let Some(m) = message {
            self.reporter.log("COORDINATOR", &m);
        }
        self.freed.notify_waiters();
    }

    /// Per-key figures.
    pub fn key_stats(&self) -> Vec<KeyStats> {
        let st = self.lock();
        self.keys
            .iter()
            .zip(&st.keys)
            .map(|(s, k)| KeyStats {
                key: s.label().to_string(),
                requests: k.requests,
                rate_limited: k.limited,
                cooling_ms: k.cooling.as_millis() as u64,
                invalid: k.invalid,
            })
            .collect()
    }

    /// Total time requests waited for a key, and time spent in the coordinator's bookkeeping.
    pub fn times(&self) -> (Duration, Duration) {
        let st = self.lock();
        (st.limit_wait, st.overhead)
    }
}

/// Cooling is capped: a provider asking for more than a day is treated as a day.
const MAX_COOL: Duration = Duration::from_secs(24 * 3600);

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

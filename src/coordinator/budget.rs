//! A key's limit budgets as its responses report them (requests, tokens, input and output
//! tokens; the key's own and a gateway's upstream ones), and when a request of a given cost
//! fits them. Pure bookkeeping over instants.
//!
//! Token limits are buckets that refill continuously (OpenAI: `reset` is the time until the
//! limit "resets to its initial state"; Anthropic: "fully replenished"), so with the limit
//! known the budget grows linearly from `remaining` to `limit` over the reset. Request limits
//! are read more cautiously: some servers (sliding windows, gateways) report the reset of the
//! next slot only. When the key's own requests account for the ones the server counts, each
//! frees its slot as long after it was sent as the oldest of them (whose slot frees at the
//! reset): that is exact for a sliding window and close for a bucket. Otherwise one more
//! request is assumed to fit at the reset, and its answer tells the rest.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::provider::limits::{Cost, Dim, Reading};

/// When a request fits a key's budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fit {
    Now,
    /// Not before then: the budget refills by itself.
    At(Instant),
    /// Spoken for by requests in flight: only their answers can tell.
    OnAnswer,
}

impl Fit {
    /// The later of two fits.
    fn and(self, other: Fit) -> Fit {
        match (self, other) {
            (Fit::OnAnswer, _) | (_, Fit::OnAnswer) => Fit::OnAnswer,
            (Fit::At(a), Fit::At(b)) => Fit::At(a.max(b)),
            (Fit::At(a), Fit::Now) | (Fit::Now, Fit::At(a)) => Fit::At(a),
            (Fit::Now, Fit::Now) => Fit::Now,
        }
    }
}

/// One limit as last reported.
#[derive(Debug, Clone)]
struct Budget {
    dim: Dim,
    upstream: bool,
    limit: Option<u64>,
    remaining: u64,
    as_of: Instant,
    full_at: Option<Instant>,
    /// The lease whose response reported it: requests leased later may not be counted in it.
    seq: u64,
    /// Requests: when the key's own counted requests free their slots, in order.
    slots: Vec<Instant>,
}

impl Budget {
    /// When `need` more units fit, with `pending` units sent since the figures were taken.
    fn fit(&self, need: u64, pending: u64, now: Instant) -> Fit {
        let need = self.limit.map_or(need, |l| need.min(l));
        let want = need + pending;
        match (self.dim, self.limit, self.full_at) {
            (Dim::Requests, _, _) if !self.slots.is_empty() => self.slots(want, now),
            (Dim::Requests, _, _) | (_, None, _) | (_, _, None) => self.step(need, want, now),
            (_, Some(limit), Some(full_at)) => {
                if want > limit {
                    return Fit::OnAnswer;
                }
                let deficit = want.saturating_sub(self.remaining);
                let empty = limit.saturating_sub(self.remaining);
                let span = full_at.saturating_duration_since(self.as_of);
                if deficit == 0 || span.is_zero() {
                    return Fit::Now;
                }
                // Refilling `empty` units over `span`: `deficit` of them take this share of it.
                let at = self.as_of + span.mul_f64((deficit as f64 / empty as f64).min(1.0));
                if at <= now {
                    Fit::Now
                } else {
                    Fit::At(at)
                }
            }
        }
    }

    /// Requests fit as the slots of the key's own earlier requests free.
    fn slots(&self, want: u64, now: Instant) -> Fit {
        let deficit = want.saturating_sub(self.remaining) as usize;
        match deficit.checked_sub(1).map(|i| self.slots.get(i)) {
            None => Fit::Now,
            Some(Some(t)) if *t <= now => Fit::Now,
            Some(Some(t)) => Fit::At(*t),
            Some(None) => Fit::OnAnswer,
        }
    }

    /// The budget stays as reported until the reset; then at least one more request fits.
    fn step(&self, need: u64, want: u64, now: Instant) -> Fit {
        let after_reset = self.remaining.max(need);
        match self.full_at {
            Some(t) if t <= now => {
                if after_reset >= want {
                    Fit::Now
                } else {
                    Fit::OnAnswer
                }
            }
            _ if self.remaining >= want => Fit::Now,
            Some(t) if after_reset >= want => Fit::At(t),
            _ => Fit::OnAnswer,
        }
    }
}

/// A key's budgets and the requests in flight on it.
#[derive(Debug, Default)]
pub(super) struct Budgets {
    budgets: Vec<Budget>,
    /// Requests in flight: (lease, cost).
    outstanding: Vec<(u64, Cost)>,
    /// The latest leases and when they were sent, oldest first.
    sent_at: VecDeque<(u64, Instant)>,
}

/// Slack for a request that took longer to reach the server than the oldest one did.
const SLOT_MARGIN: Duration = Duration::from_millis(5);

/// Sends remembered per key: more than any request limit worth modelling per window.
const SENDS_KEPT: usize = 1024;

impl Budgets {
    /// Lease `seq` was sent at `now` with `cost`.
    pub fn sent(&mut self, seq: u64, cost: Cost, now: Instant) {
        self.outstanding.push((seq, cost));
        if self.sent_at.len() == SENDS_KEPT {
            self.sent_at.pop_front();
        }
        self.sent_at.push_back((seq, now));
    }

    /// When the key's own requests up to lease `seq` account for the `used` ones the server
    /// counts, and the oldest of them frees its slot in `reset`: when each frees its slot.
    fn own_slots(
        &self,
        seq: u64,
        used: u64,
        reset: std::time::Duration,
        now: Instant,
    ) -> Vec<Instant> {
        let ours: Vec<Instant> = self
            .sent_at
            .iter()
            .filter(|(s, _)| *s <= seq)
            .map(|(_, t)| *t)
            .collect();
        let used = used as usize;
        if used == 0 || ours.len() < used {
            return Vec::new();
        }
        let counted = &ours[ours.len() - used..];
        let window = (now + reset).saturating_duration_since(counted[0]);
        // The oldest frees exactly at the reset; the others as long after their sending, give
        // or take how long each took to reach the server.
        counted
            .iter()
            .enumerate()
            .map(|(i, t)| *t + window + if i == 0 { Duration::ZERO } else { SLOT_MARGIN })
            .collect()
    }

    /// Lease `seq` ended; what its response reported (if anything) replaces what was known,
    /// as of `now`: the latest answer is the freshest view of the key.
    pub fn answered(&mut self, seq: u64, readings: &[Reading], now: Instant) {
        self.outstanding.retain(|(s, _)| *s != seq);
        for r in readings {
            let Some(remaining) = r.remaining else {
                continue;
            };
            let slots = match (r.dim, r.limit, r.reset) {
                (Dim::Requests, Some(limit), Some(reset)) => {
                    self.own_slots(seq, limit.saturating_sub(remaining), reset.after, now)
                }
                _ => Vec::new(),
            };
            let b = Budget {
                dim: r.dim,
                upstream: r.upstream,
                limit: r.limit,
                remaining,
                as_of: now,
                full_at: r.reset.map(|w| now + w.after),
                seq,
                slots,
            };
            match self
                .budgets
                .iter_mut()
                .find(|x| x.dim == r.dim && x.upstream == r.upstream)
            {
                Some(x) => *x = b,
                None => self.budgets.push(b),
            }
        }
    }

    /// Units of `dim` sent after lease `after`.
    fn pending(&self, after: u64, dim: Dim) -> u64 {
        self.outstanding
            .iter()
            .filter(|(s, _)| *s > after)
            .map(|(_, c)| c.units(dim))
            .sum()
    }

    /// When a request costing `cost` fits every budget of the key.
    pub fn fit(&self, cost: &Cost, now: Instant) -> Fit {
        let fit = self.budgets.iter().fold(Fit::Now, |acc, b| {
            acc.and(b.fit(cost.units(b.dim), self.pending(b.seq, b.dim), now))
        });
        // With nothing in flight no answer is coming: let the provider say (a 429 with hints).
        if fit == Fit::OnAnswer && self.outstanding.is_empty() {
            return Fit::Now;
        }
        fit
    }
}

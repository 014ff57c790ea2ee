//! A key's limit budgets as its responses report them (requests, tokens, input and output
//! tokens; the key's own and a gateway's upstream ones), and when a request of a given cost
//! fits them. Pure bookkeeping over instants.
//!
//! Token limits are buckets that refill continuously (OpenAI: `reset` is the time until the
//! limit "resets to its initial state"; Anthropic: "fully replenished"), so with the limit
//! known the budget grows linearly from `remaining` to `limit` over the reset. Request limits
//! are read more cautiously: some servers (sliding windows, gateways) report the reset of the
//! next slot only, so at the reset one more request is assumed to fit and its answer tells the
//! rest.

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
}

impl Budget {
    /// When `need` more units fit, with `pending` units sent since the figures were taken.
    fn fit(&self, need: u64, pending: u64, now: Instant) -> Fit {
        let need = self.limit.map_or(need, |l| need.min(l));
        let want = need + pending;
        match (self.dim, self.limit, self.full_at) {
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
}

impl Budgets {
    /// Lease `seq` was sent with `cost`.
    pub fn sent(&mut self, seq: u64, cost: Cost) {
        self.outstanding.push((seq, cost));
    }

    /// Lease `seq` ended; what its response reported (if anything) replaces what was known,
    /// as of `now`: the latest answer is the freshest view of the key.
    pub fn answered(&mut self, seq: u64, readings: &[Reading], now: Instant) {
        self.outstanding.retain(|(s, _)| *s != seq);
        for r in readings {
            let Some(remaining) = r.remaining else {
                continue;
            };
            let b = Budget {
                dim: r.dim,
                upstream: r.upstream,
                limit: r.limit,
                remaining,
                as_of: now,
                full_at: r.reset.map(|w| now + w.after),
                seq,
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

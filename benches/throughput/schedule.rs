//! The best schedule a client could reach against a server's limits: the span of an ideal
//! client that knows the server's rules and counts exactly, and starts every request (in
//! order) as soon as one of its workers is free and some key would admit it, on the key that
//! admits it first (ties: the least used key, the fullest bucket); each answer takes the
//! server's latency. Times in seconds, from the first request to the last answer. For these
//! limits it meets the lower bound: the larger of requests × latency / workers and the time
//! the keys' limits need to admit every request, plus one latency.

/// The ideal span for `n` requests on `keys` keys allowing `limit` requests in any `window`.
pub fn sliding(
    n: usize,
    workers: usize,
    keys: usize,
    limit: usize,
    window: f64,
    latency: f64,
) -> f64 {
    let mut free = vec![0.0f64; workers.max(1)];
    let mut admitted: Vec<Vec<f64>> = vec![Vec::new(); keys.max(1)];
    let mut end = 0.0f64;
    for _ in 0..n {
        let (w, t_w) = earliest(&free);
        let (t, _, k) = admitted
            .iter()
            .enumerate()
            .map(|(k, times)| {
                let recent: Vec<f64> = times
                    .iter()
                    .copied()
                    .filter(|a| *a > t_w - window)
                    .collect();
                let t = if recent.len() < limit {
                    t_w
                } else {
                    recent[recent.len() - limit] + window
                };
                (t, recent.len(), k)
            })
            // The key that admits first; of those, the least used.
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .unwrap_or((t_w, 0, 0));
        admitted[k].push(t);
        free[w] = t + latency;
        end = end.max(t + latency);
    }
    end
}

/// The ideal span for requests costing `costs` tokens on `keys` token buckets of `capacity`
/// refilled at `rate` tokens a second (full at the start).
pub fn tokens(
    costs: &[u64],
    workers: usize,
    keys: usize,
    capacity: f64,
    rate: f64,
    latency: f64,
) -> f64 {
    let mut free = vec![0.0f64; workers.max(1)];
    // (level, as of)
    let mut buckets = vec![(capacity, 0.0f64); keys.max(1)];
    let mut end = 0.0f64;
    for &c in costs {
        let c = (c as f64).min(capacity);
        let (w, t_w) = earliest(&free);
        let (t, _, k) = buckets
            .iter()
            .enumerate()
            .map(|(k, (level, at))| {
                let now = (level + rate * (t_w - at)).min(capacity);
                let t = if now >= c {
                    t_w
                } else {
                    t_w + (c - now) / rate
                };
                (t, now, k)
            })
            // The key that admits first; of those, the fullest (a full bucket wastes refill).
            .min_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)))
            .unwrap_or((t_w, 0.0, 0));
        let (level, at) = buckets[k];
        buckets[k] = ((level + rate * (t - at)).min(capacity) - c, t);
        free[w] = t + latency;
        end = end.max(t + latency);
    }
    end
}

fn earliest(free: &[f64]) -> (usize, f64) {
    free.iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0))
}

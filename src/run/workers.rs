//! The worker pool: at most N items in flight, results in input order, one failure never stops
//! the others, and no new item starts once shutdown is requested.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A worker that ended without a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkerError {
    #[error("internal error: the workflow panicked (please report this)")]
    Panicked,
    #[error("the workflow was cancelled")]
    Cancelled,
}

/// Runs `work` over `items` with at most `parallel` at once. Items not started because of
/// cancellation come back as `None`; a panicking item comes back as `Some(Err(Panicked))`.
pub async fn run_workers<I, T, F, Fut>(
    items: Vec<I>,
    parallel: usize,
    cancel: &CancellationToken,
    work: F,
) -> Vec<Option<Result<T, WorkerError>>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let n = items.len();
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let mut set = JoinSet::new();
    let mut results: Vec<Option<Result<T, WorkerError>>> = (0..n).map(|_| None).collect();
    let mut ids = std::collections::HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        let permit = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let fut = work(item);
        let handle = set.spawn(async move {
            let out = fut.await;
            drop(permit);
            (index, out)
        });
        ids.insert(handle.id(), index);
        // Collect finished items as we go so memory stays flat on long runs.
        while let Some(done) = set.try_join_next_with_id() {
            store(done, &ids, &mut results);
        }
    }
    while let Some(done) = set.join_next_with_id().await {
        store(done, &ids, &mut results);
    }
    results
}

type Joined<T> = Result<(tokio::task::Id, (usize, T)), tokio::task::JoinError>;

fn store<T>(
    done: Joined<T>,
    ids: &std::collections::HashMap<tokio::task::Id, usize>,
    results: &mut [Option<Result<T, WorkerError>>],
) {
    match done {
        Ok((_, (index, out))) => results[index] = Some(Ok(out)),
        Err(e) => {
            if let Some(&index) = ids.get(&e.id()) {
                results[index] = Some(Err(if e.is_panic() {
                    WorkerError::Panicked
                } else {
                    WorkerError::Cancelled
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn never_more_than_parallel_in_flight_and_order_kept() {
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let cancel = CancellationToken::new();
        let out = run_workers((0..20).collect(), 3, &cancel, |i: usize| {
            let (now, peak) = (now.clone(), peak.clone());
            async move {
                let cur = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(cur, Ordering::SeqCst);
                tokio::task::yield_now().await;
                now.fetch_sub(1, Ordering::SeqCst);
                if i == 5 {
                    panic!("boom");
                }
                i * 2
            }
        })
        .await;
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(out.len(), 20);
        assert!(matches!(out[5], Some(Err(_))));
        assert_eq!(out[7], Some(Ok(14)));
    }

    #[tokio::test]
    async fn cancellation_stops_dispatch() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let out = run_workers((0..5).collect(), 2, &cancel, |i: usize| async move { i }).await;
        assert!(out.iter().all(Option::is_none));
    }
}

//! (d) Scale: 1,000 documents at `--parallel 10` (efficiency, coordinator overhead, peak
//! RSS), and discovery on 100,000 commits and 20,000 documents.

mod common;

fn main() -> std::process::ExitCode {
    common::main(|quick| {
        let (n, commits, docs) = if quick {
            (200, 10_000, 4_000)
        } else {
            (1_000, 100_000, 20_000)
        };
        let repo = common::docs_repo(n)?;
        let s = common::review_on_sim(repo.path(), 10, 50, 10)?;
        println!(
            "(d) scale: {n} documents at --parallel 10, sim latency 50 ms: wall {:.2}s, efficiency {:.3} (target ≥ 0.95), coordinator overhead {:.3}% (target < 1%), peak RSS {} (target < 100 MB); progress shows at most 10 item lines",
            s.wall_ms as f64 / 1000.0,
            common::efficiency(&s, 10.0),
            s.coordinator_overhead_pct,
            common::peak_rss_mb().map_or("n/a".into(), |m| format!("{m:.1} MB")),
        );
        drop(repo);
        common::discovery("(d) scale discovery", commits, docs)
    })
}

//! (b) Parallel efficiency: documents at `--parallel 10` on the sim provider, efficiency =
//! sum of item times / (10 × wall).

mod common;

fn main() -> std::process::ExitCode {
    common::main(|quick| {
        let n = if quick { 30 } else { 100 };
        let repo = common::docs_repo(n)?;
        let s = common::review_on_sim(repo.path(), 10, 200, 10)?;
        println!(
            "(b) efficiency: {n} documents at --parallel 10, sim latency 200 ms: wall {:.3}s, sum of item times {:.3}s, efficiency {:.3} (target ≥ 0.95), coordinator overhead {:.3}%",
            s.wall_ms as f64 / 1000.0,
            s.item_ms_total as f64 / 1000.0,
            common::efficiency(&s, 10.0),
            s.coordinator_overhead_pct,
        );
        Ok(())
    })
}

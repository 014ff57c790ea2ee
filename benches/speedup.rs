//! (a) Speed-up: six documents on the sim provider at a fixed latency, `--parallel 1` against
//! `--parallel 3`, as the ratio of wall times.

mod common;

fn main() -> std::process::ExitCode {
    common::main(|quick| {
        let latency_ms = if quick { 100 } else { 300 };
        let repo = common::docs_repo(6)?;
        let one = common::review_on_sim(repo.path(), 1, latency_ms, 3)?;
        let three = common::review_on_sim(repo.path(), 3, latency_ms, 3)?;
        let ratio = three.wall_ms as f64 / one.wall_ms.max(1) as f64;
        println!(
            "(a) speed-up: 6 documents, sim latency {latency_ms} ms: --parallel 1 {:.3}s, --parallel 3 {:.3}s, ratio {ratio:.3} (target ≤ 0.36)",
            one.wall_ms as f64 / 1000.0,
            three.wall_ms as f64 / 1000.0,
        );
        Ok(())
    })
}

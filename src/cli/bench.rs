//! `parwf bench`: prints figures. (a) speed-up of --parallel 3 over 1, (b) parallel efficiency
//! of 100 documents at --parallel 10, (c) discovery time against `git diff --name-only`,
//! (d) 1,000 documents and a 100,000-commit history, (e) pre-push hook latency on a push that
//! changes no document, (f) quota use against a rate-limited local server (`bench_ratelimit.rs`).
//!
//! Figures, not pass/fail: the machine may be shared and noisy; targets are printed beside them.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::args::BenchArgs;
use crate::config::{ConfigInputs, ProviderKind, WriteMode};
use crate::demo::DEMO_FILES;
use crate::discover::Selection;
use crate::error::Error;
use crate::exit::Exit;
use crate::report::progress::Mode;
use crate::report::summary::Summary;
use crate::run::{self, Plan, RunOptions, RunOutcome};
use crate::workspace::Workspace;

pub(super) fn io(e: impl std::fmt::Display) -> Error {
    Error::Git {
        what: "bench",
        msg: e.to_string(),
    }
}

/// A run of `--since main` in `dir`.
pub(super) fn since_main(dir: &Path, parallel: i64) -> RunOptions {
    let mut opts = RunOptions::new(Selection::Since("main".into()), dir.to_path_buf());
    opts.parallel = Some(parallel);
    opts
}

/// Runs the benchmarks and prints their figures.
pub fn bench(args: &BenchArgs) -> Result<Exit, Error> {
    let want = |part: &str| args.only.is_empty() || args.only.iter().any(|o| o == part);
    if want("speedup") {
        speedup(if args.quick { 100 } else { 300 })?;
    }
    if want("efficiency") {
        efficiency(if args.quick { 30 } else { 100 })?;
    }
    if want("discovery") {
        let (commits, docs) = if args.quick {
            (2_000, 1_000)
        } else {
            (10_000, 5_000)
        };
        discovery("(c) discovery", commits, docs)?;
    }
    if want("scale") {
        let (n, commits, docs) = if args.quick {
            (200, 10_000, 4_000)
        } else {
            (1_000, 100_000, 20_000)
        };
        scale_run(n)?;
        discovery("(d) scale discovery", commits, docs)?;
    }
    if want("hook") {
        hook_latency(if args.quick { 2_000 } else { 10_000 })?;
    }
    if want("ratelimit") {
        super::bench_ratelimit::ratelimit()?;
    }
    Ok(Exit::Ok)
}

/// A repo whose branch adds `n` documents (the demo fixtures, renumbered) on top of `main`.
pub(super) fn docs_repo(n: usize) -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix("parwf-bench-")
        .tempdir()
        .map_err(io)?;
    let lld: Vec<&str> = DEMO_FILES
        .iter()
        .filter(|(t, p, _)| *t == "branch" && p.starts_with("docs/lld/"))
        .map(|(_, _, text)| *text)
        .collect();
    let mut files = Vec::new();
    for i in 0..n {
        // Each document distinct: identical content is reviewed once per run.
        files.push((
            format!("docs/lld/LLD-{:04}-bench.md", i + 1),
            format!(
                "{}
<!-- bench document {} -->
",
                lld[i % lld.len()],
                i + 1
            ),
        ));
    }
    git_import(dir.path(), &[], &files)?;
    Ok(dir)
}

/// Sim provider at a fixed latency (no jitter), no pacing, plenty of keys, quiet.
fn sim_plan(dir: &Path, parallel: i64, latency_ms: u64, keys: usize) -> Result<Plan, Error> {
    let mut opts = since_main(dir, parallel);
    opts.provider = Some(ProviderKind::Sim);
    // Every run reviews for real: no cached verdicts read, no notes written.
    opts.fresh = true;
    opts.write = Some(WriteMode::None);
    let int = |k: &str, v: i64| (k.to_string(), toml::Value::Integer(v), "bench".to_string());
    let inputs = ConfigInputs {
        flags: vec![
            int("sim.latency_ms", latency_ms as i64),
            int("sim.jitter_ms", 0),
            int("sim.keys", keys as i64),
            int("max_parallel", 64),
        ],
        ..ConfigInputs::default()
    };
    Plan::new(opts, inputs)
}

pub(super) fn run_summary(dir: &Path, plan: &Plan) -> Result<Summary, Error> {
    let ws = Workspace::discover(dir)?;
    match run::execute(&ws, plan, Mode::Quiet)? {
        RunOutcome::Reviewed(s) => Ok(s),
        _ => Err(io("no documents were reviewed")),
    }
}

fn speedup(latency_ms: u64) -> Result<(), Error> {
    let repo = docs_repo(6)?;
    let one = run_summary(repo.path(), &sim_plan(repo.path(), 1, latency_ms, 3)?)?;
    let three = run_summary(repo.path(), &sim_plan(repo.path(), 3, latency_ms, 3)?)?;
    let ratio = three.wall_ms as f64 / one.wall_ms.max(1) as f64;
    println!(
        "(a) speed-up: 6 documents, sim latency {latency_ms} ms: --parallel 1 {:.3}s, --parallel 3 {:.3}s, ratio {ratio:.3} (target ≤ 0.36)",
        one.wall_ms as f64 / 1000.0,
        three.wall_ms as f64 / 1000.0,
    );
    Ok(())
}

fn efficiency(n: usize) -> Result<(), Error> {
    let repo = docs_repo(n)?;
    let s = run_summary(repo.path(), &sim_plan(repo.path(), 10, 200, 10)?)?;
    let eff = s.item_ms_total as f64 / (10.0 * s.wall_ms.max(1) as f64);
    println!(
        "(b) efficiency: {n} documents at --parallel 10, sim latency 200 ms: wall {:.3}s, sum of item times {:.3}s, efficiency {eff:.3} (target ≥ 0.95), coordinator overhead {:.3}%",
        s.wall_ms as f64 / 1000.0,
        s.item_ms_total as f64 / 1000.0,
        s.coordinator_overhead_pct,
    );
    Ok(())
}

fn discovery(label: &str, commits: usize, docs: usize) -> Result<(), Error> {
    let dir = tempfile::Builder::new()
        .prefix("parwf-bench-")
        .tempdir()
        .map_err(io)?;
    let t0 = Instant::now();
    generated_history(dir.path(), commits, docs)?;
    let gen = t0.elapsed();
    let exe = std::env::current_exe().map_err(io)?;
    // The whole branch (every document changed), then a PR-sized range of its last 100 commits.
    for (since, range) in [
        ("main", "main...HEAD"),
        ("feature~100", "feature~100...HEAD"),
    ] {
        let parwf = || {
            Command::new(&exe)
                .args(["--since", since, "--dry-run", "--format", "json"])
                .current_dir(dir.path())
                .env("CI", "true")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .output()
        };
        let items = serde_json::from_slice::<serde_json::Value>(&parwf().map_err(io)?.stdout)
            .ok()
            .and_then(|v| v["items"].as_array().map(Vec::len))
            .unwrap_or(0);
        let git = || {
            Command::new("git")
                .args(["diff", "--name-only", "-M", range])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .status()
        };
        let (ours, theirs) = paired_medians(|| parwf().map(|_| ()), || git().map(|_| ()))?;
        println!(
            "{label}: {commits} commits, {docs} documents (generated in {:.1}s), --since {since}: {items} changed: parwf --dry-run {:.1} ms, git diff --name-only {:.1} ms, ratio {:.2} (target ≤ 1.5)",
            gen.as_secs_f64(),
            ours.as_secs_f64() * 1000.0,
            theirs.as_secs_f64() * 1000.0,
            ours.as_secs_f64() / theirs.as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn scale_run(n: usize) -> Result<(), Error> {
    let repo = docs_repo(n)?;
    let s = run_summary(repo.path(), &sim_plan(repo.path(), 10, 50, 10)?)?;
    let eff = s.item_ms_total as f64 / (10.0 * s.wall_ms.max(1) as f64);
    println!(
        "(d) scale: {n} documents at --parallel 10, sim latency 50 ms: wall {:.2}s, efficiency {eff:.3} (target ≥ 0.95), coordinator overhead {:.3}% (target < 1%), peak RSS {} (target < 100 MB); progress shows at most 10 item lines",
        s.wall_ms as f64 / 1000.0,
        s.coordinator_overhead_pct,
        peak_rss_mb().map_or("n/a".into(), |m| format!("{m:.1} MB")),
    );
    Ok(())
}

/// (e) `parwf hook pre-push` on a push of one code-only commit, in a repo of `commits`
/// commits and 2,000 documents: the update of an existing remote branch and a new branch.
fn hook_latency(commits: usize) -> Result<(), Error> {
    let dir = tempfile::Builder::new()
        .prefix("parwf-bench-")
        .tempdir()
        .map_err(io)?;
    let docs = 2_000;
    generated_history(dir.path(), commits, docs)?;
    let git = |args: &[&str]| -> Result<String, Error> {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Bench")
            .env("GIT_AUTHOR_EMAIL", "bench@parwf.invalid")
            .env("GIT_COMMITTER_NAME", "Bench")
            .env("GIT_COMMITTER_EMAIL", "bench@parwf.invalid")
            .stderr(Stdio::null())
            .output()
            .map_err(io)?;
        if !out.status.success() {
            return Err(io(format!("git {args:?} failed")));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    // The remote has everything but one new commit that changes code only.
    git(&["update-ref", "refs/remotes/origin/main", "HEAD"])?;
    git(&["update-ref", "refs/remotes/origin/feature", "HEAD"])?;
    std::fs::create_dir_all(dir.path().join("src")).map_err(io)?;
    std::fs::write(dir.path().join("src/lib.rs"), "// code\n").map_err(io)?;
    git(&["add", "src/lib.rs"])?;
    git(&["commit", "-q", "-m", "code only"])?;
    let head = git(&["rev-parse", "HEAD"])?;
    let old = git(&["rev-parse", "HEAD~1"])?;
    let total: usize = git(&["rev-list", "--count", "HEAD"])?.parse().unwrap_or(0);
    let exe = std::env::current_exe().map_err(io)?;
    let hook = |line: String| {
        let exe = exe.clone();
        let dir = dir.path().to_path_buf();
        move || -> std::io::Result<()> {
            let mut child = Command::new(&exe)
                .args([
                    "hook",
                    "pre-push",
                    "origin",
                    "https://example.invalid/repo.git",
                ])
                .current_dir(&dir)
                .env("CI", "true")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env_remove("PARWF_SKIP")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            child
                .stdin
                .take()
                .ok_or_else(|| std::io::Error::other("no stdin"))?
                .write_all(line.as_bytes())?;
            let status = child.wait()?;
            if status.success() {
                Ok(())
            } else {
                Err(std::io::Error::other(format!("the hook refused: {status}")))
            }
        }
    };
    let update = format!("refs/heads/feature {head} refs/heads/feature {old}\n");
    let zero = "0".repeat(40);
    let new_branch = format!("refs/heads/topic {head} refs/heads/topic {zero}\n");
    let t_update = median(hook(update))?;
    let t_new = median(hook(new_branch))?;
    let t_git = median(|| {
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .status()
            .map(|_| ())
    })?;
    println!(
        "(e) pre-push hook, push changing no document: {total} commits, {docs} documents: update of a remote branch {:.1} ms, new branch (merge-base with origin/main) {:.1} ms, git rev-parse HEAD {:.1} ms (target < 50 ms)",
        t_update.as_secs_f64() * 1000.0,
        t_new.as_secs_f64() * 1000.0,
        t_git.as_secs_f64() * 1000.0,
    );
    Ok(())
}

/// A repo of `docs` generated documents (about 100 a directory, as in a real docs tree) and
/// `commits` commits, each editing one document: half on `main`, half on `feature`.
fn generated_history(dir: &Path, commits: usize, docs: usize) -> Result<(), Error> {
    let base: Vec<(String, String)> = (0..docs)
        .map(|i| {
            (
                format!(
                    "docs/lld/d{:03}/LLD-{:05}-gen.md",
                    i % docs.div_ceil(100),
                    i + 1
                ),
                format!("# LLD {i}\n\n## Context\nGenerated document {i}.\n"),
            )
        })
        .collect();
    let edits: Vec<(String, String)> = (0..commits)
        .map(|c| {
            let i = (c * 7919) % docs;
            (base[i].0.clone(), format!("{}\nEdit {c}.\n", base[i].1))
        })
        .collect();
    git_import(dir, &base, &edits)
}

/// Median wall times of `a` and `b` over 15 alternating runs each (after a warm-up), so
/// that load from other processes on a shared machine falls on both alike.
fn paired_medians(
    mut a: impl FnMut() -> std::io::Result<()>,
    mut b: impl FnMut() -> std::io::Result<()>,
) -> Result<(Duration, Duration), Error> {
    a().map_err(io)?;
    b().map_err(io)?;
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        a().map_err(io)?;
        ta.push(t.elapsed());
        let t = Instant::now();
        b().map_err(io)?;
        tb.push(t.elapsed());
    }
    ta.sort();
    tb.sort();
    Ok((ta[ta.len() / 2], tb[tb.len() / 2]))
}

/// Median wall time of 7 runs (after one warm-up).
fn median(mut f: impl FnMut() -> std::io::Result<()>) -> Result<Duration, Error> {
    f().map_err(io)?;
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        f().map_err(io)?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Builds a repo with `git fast-import`: one commit of `base` on `main` plus the first half of
/// `edits` (one commit each), then the second half on branch `feature` (checked out).
/// With no `base`, `main` gets a README and every edit goes on the branch in one commit.
fn git_import(
    dir: &Path,
    base: &[(String, String)],
    edits: &[(String, String)],
) -> Result<(), Error> {
    let git = |args: &[&str]| -> Result<(), Error> {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io)?
            .success();
        ok.then_some(())
            .ok_or_else(|| io(format!("git {args:?} failed")))
    };
    git(&["init", "-q", "-b", "main"])?;
    let mut s = String::new();
    let mut mark = 0;
    let mut commit = |s: &mut String, branch: &str, files: &[(String, String)], first: bool| {
        mark += 1;
        s.push_str(&format!(
            "commit refs/heads/{branch}\nmark :{mark}\ncommitter Bench <bench@parwf.invalid> {} +0000\ndata 5\nbench\n",
            1_700_000_000 + mark
        ));
        if !first {
            s.push_str(&format!("from :{}\n", mark - 1));
        }
        for (path, text) in files {
            s.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{text}\n",
                text.len()
            ));
        }
    };
    if base.is_empty() {
        commit(
            &mut s,
            "main",
            &[("README.md".into(), "bench\n".into())],
            true,
        );
        commit(&mut s, "feature", edits, false);
    } else {
        commit(&mut s, "main", base, true);
        let half = edits.len() / 2;
        for e in &edits[..half] {
            commit(&mut s, "main", std::slice::from_ref(e), false);
        }
        for e in &edits[half..] {
            commit(&mut s, "feature", std::slice::from_ref(e), false);
        }
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .spawn()
        .map_err(io)?;
    child
        .stdin
        .take()
        .ok_or_else(|| io("no stdin"))?
        .write_all(s.as_bytes())
        .map_err(io)?;
    if !child.wait().map_err(io)?.success() {
        return Err(io("git fast-import failed"));
    }
    git(&["checkout", "-q", "feature"])
}

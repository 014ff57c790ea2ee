//! What the benchmark targets share: options, generated repositories, timing, and the one
//! place they call into the library (a review run in this process, so its memory is ours).
//!
//! Figures, not pass/fail: the machine may be shared and noisy; targets are printed beside them.

// Each target uses a part of this module.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use parwf::config::{ConfigInputs, ProviderKind, WriteMode};
use parwf::discover::Selection;
use parwf::env::Env;
use parwf::report::progress::Mode;
use parwf::run::{self, Plan, RunOptions, RunOutcome};
use parwf::workspace::Workspace;
use parwf_testkit::history::FastImport;

pub use parwf::model::ItemState;
use parwf::report::summary::Summary;

/// Any failure of a benchmark: it stops and says why.
pub type Error = Box<dyn std::error::Error>;

/// The parwf binary cargo built for this benchmark.
pub const PARWF: &str = env!("CARGO_BIN_EXE_parwf");

/// Runs a benchmark part: `--quick` (after `cargo bench … --`) picks smaller sizes. Cargo
/// also passes `--bench`, which says nothing more here.
pub fn main(part: impl FnOnce(bool) -> Result<(), Error>) -> ExitCode {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    match part(quick) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A fresh temporary directory for a generated repository.
pub fn tempdir() -> Result<tempfile::TempDir, Error> {
    Ok(tempfile::Builder::new().prefix("parwf-bench-").tempdir()?)
}

// ---- the library: one review run ----------------------------------------------------------

/// A review of the branch `feature` against `main` in `dir`, in this process, quiet: every
/// document reviewed for real (no cached verdicts read, no notes written). `config` holds
/// values as `.parwf.toml` would (`sim.latency_ms`, `provider.keys`, …).
pub fn review(
    dir: &Path,
    parallel: i64,
    provider: Option<ProviderKind>,
    config: Vec<(&str, toml::Value)>,
) -> Result<Summary, Error> {
    let mut opts = RunOptions::new(Selection::Since("main".into()), dir.to_path_buf());
    opts.parallel = Some(parallel);
    opts.provider = provider;
    opts.fresh = true;
    opts.write = Some(WriteMode::None);
    // `cmd:` and `env:` key references resolve as they would for a user.
    opts.env = Env::from_process();
    let inputs = ConfigInputs {
        flags: config
            .into_iter()
            .map(|(k, v)| (k.to_string(), v, "bench".to_string()))
            .collect(),
        ..ConfigInputs::default()
    };
    let plan = Plan::new(opts, inputs)?;
    match run::execute(&Workspace::discover(dir)?, &plan, Mode::Quiet)? {
        RunOutcome::Reviewed(s) => Ok(s),
        _ => Err("no documents were reviewed".into()),
    }
}

/// The sim provider at a fixed latency (no jitter), with `keys` keys and room for any
/// `--parallel`.
pub fn review_on_sim(
    dir: &Path,
    parallel: i64,
    latency_ms: u64,
    keys: usize,
) -> Result<Summary, Error> {
    let int = |v: i64| toml::Value::Integer(v);
    review(
        dir,
        parallel,
        Some(ProviderKind::Sim),
        vec![
            ("sim.latency_ms", int(latency_ms as i64)),
            ("sim.jitter_ms", int(0)),
            ("sim.keys", int(keys as i64)),
            ("max_parallel", int(64)),
        ],
    )
}

/// Items that did not finish with a verdict.
pub fn failed_items(s: &Summary) -> usize {
    s.items
        .iter()
        .filter(|i| i.state != ItemState::Done)
        .count()
}

/// Sum of item times / (parallel × wall).
pub fn efficiency(s: &Summary, parallel: f64) -> f64 {
    s.item_ms_total as f64 / (parallel * s.wall_ms.max(1) as f64)
}

// ---- generated repositories ----------------------------------------------------------------

/// The LLDs of the demo's feature branch (`fixtures/demo/branch/docs/lld`), in path order.
fn demo_llds() -> Result<Vec<String>, Error> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/branch/docs/lld"),
        &mut files,
    )?;
    files
        .iter()
        .map(|p| Ok(std::fs::read_to_string(p)?))
        .collect()
}

/// A repo whose branch `feature` adds `n` documents (the demo's LLDs, renumbered) on top of
/// `main` (a README).
pub fn docs_repo(n: usize) -> Result<tempfile::TempDir, Error> {
    let dir = tempdir()?;
    let lld = demo_llds()?;
    // Each document distinct: identical content is reviewed once per run.
    let texts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{}\n<!-- bench document {} -->\n",
                lld[i % lld.len()],
                i + 1
            )
        })
        .collect();
    let files: Vec<(String, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| (format!("docs/lld/LLD-{:04}-bench.md", i + 1), text.as_str()))
        .collect();
    let mut s = FastImport::new(COMMITTER);
    let main = s.commit("main", time(1), "bench", None, &[("README.md", "bench\n")]);
    s.commit("feature", time(2), "bench", Some(main), &files);
    import(dir.path(), s)?;
    Ok(dir)
}

/// A repo of `docs` generated documents (about 100 a directory, as in a real docs tree) and
/// `commits` commits, each editing one document: half on `main`, half on `feature`
/// (checked out).
pub fn generated_history(dir: &Path, commits: usize, docs: usize) -> Result<(), Error> {
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
    let mut s = FastImport::new(COMMITTER);
    let mut tip = s.commit("main", time(1), "bench", None, &base);
    for c in 0..commits {
        let i = (c * 7919) % docs;
        let edit = [(&base[i].0, format!("{}\nEdit {c}.\n", base[i].1))];
        let branch = if c < commits / 2 { "main" } else { "feature" };
        tip = s.commit(branch, time(c + 2), "bench", Some(tip), &edit);
    }
    import(dir, s)
}

const COMMITTER: &str = "Bench <bench@parwf.invalid>";

/// The time of the `n`th commit of a stream (from 1): one second apart.
fn time(n: usize) -> i64 {
    1_700_000_000 + n as i64
}

/// `git init -b main`, the stream, then `git checkout feature`.
fn import(dir: &Path, s: FastImport) -> Result<(), Error> {
    git(dir, &["init", "-q", "-b", "main"])?;
    s.import(dir, |c| {
        c.env("GIT_CONFIG_GLOBAL", "/dev/null");
    })?;
    git(dir, &["checkout", "-q", "feature"])?;
    Ok(())
}

/// `git ARGS` in `dir` as a bench user, without the user's config; its stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, Error> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@parwf.invalid")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@parwf.invalid")
        .stderr(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(format!("git {args:?} failed").into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs the parwf binary in `dir` with `input` on stdin, output discarded; an error unless it
/// exits 0.
pub fn parwf_with_input(dir: &Path, args: &[&str], input: &[u8]) -> std::io::Result<()> {
    let mut child = Command::new(PARWF)
        .args(args)
        .current_dir(dir)
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
        .write_all(input)?;
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("parwf {args:?}: {status}")))
    }
}

/// Discovery on a generated history of `commits` commits and `docs` documents: the whole
/// branch (every document changed), then a PR-sized range of its last 100 commits, each as
/// `parwf --dry-run` against `git diff --name-only`. Prints one line per range.
pub fn discovery(label: &str, commits: usize, docs: usize) -> Result<(), Error> {
    let dir = tempdir()?;
    let t0 = Instant::now();
    generated_history(dir.path(), commits, docs)?;
    let gen = t0.elapsed();
    for (since, range) in [
        ("main", "main...HEAD"),
        ("feature~100", "feature~100...HEAD"),
    ] {
        let parwf = || {
            Command::new(PARWF)
                .args(["--since", since, "--dry-run", "--format", "json"])
                .current_dir(dir.path())
                .env("CI", "true")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .output()
        };
        let items = serde_json::from_slice::<serde_json::Value>(&parwf()?.stdout)
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
        let (ours, theirs) = paired_medians(15, || parwf().map(|_| ()), || git().map(|_| ()))?;
        println!(
            "{label}: {commits} commits, {docs} documents (generated in {:.1}s), --since {since}: {items} changed: parwf --dry-run {:.1} ms, git diff --name-only {:.1} ms, ratio {:.2} (target ≤ 1.5)",
            gen.as_secs_f64(),
            ms(ours),
            ms(theirs),
            ours.as_secs_f64() / theirs.as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}

// ---- timing --------------------------------------------------------------------------------

/// Median wall times of `a` and `b` over `runs` alternating runs each (after a warm-up), so
/// that load from other processes on a shared machine falls on both alike.
pub fn paired_medians(
    runs: usize,
    mut a: impl FnMut() -> std::io::Result<()>,
    mut b: impl FnMut() -> std::io::Result<()>,
) -> std::io::Result<(Duration, Duration)> {
    a()?;
    b()?;
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        a()?;
        ta.push(t.elapsed());
        let t = Instant::now();
        b()?;
        tb.push(t.elapsed());
    }
    ta.sort();
    tb.sort();
    Ok((ta[ta.len() / 2], tb[tb.len() / 2]))
}

/// Median wall time of 7 runs (after one warm-up).
pub fn median(mut f: impl FnMut() -> std::io::Result<()>) -> Result<Duration, Error> {
    f()?;
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Peak resident memory of this process so far (Linux), in MB.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

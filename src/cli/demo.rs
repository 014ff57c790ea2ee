//! `parwf demo`: a temporary repo from the built-in fixtures, reviewed on the sim provider.

use std::path::Path;

use super::args::{DemoArgs, Format, RunArgs};
use super::run;
use crate::config::ConfigInputs;
use crate::error::{exit, Error};
use crate::report::progress::Mode;

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// The branch the demo's documents are committed on.
pub const DEMO_BRANCH: &str = "feature/dispatch-designs";

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("demo: {e}"))
}

/// Writes the files of one fixture tree and commits them on the current branch.
fn commit_tree(repo: &git2::Repository, tree: &str, message: &str) -> Result<git2::Oid, Error> {
    let root = repo.workdir().ok_or_else(|| io("no work tree"))?;
    for (t, rel, text) in DEMO_FILES.iter().filter(|(t, _, _)| *t == tree) {
        let path = root.join(rel);
        debug_assert_eq!(*t, tree);
        std::fs::create_dir_all(path.parent().unwrap_or(root)).map_err(io)?;
        std::fs::write(&path, text).map_err(io)?;
    }
    let mut index = repo.index().map_err(io)?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(io)?;
    index.write().map_err(io)?;
    let tree_id = index.write_tree().map_err(io)?;
    let tree = repo.find_tree(tree_id).map_err(io)?;
    let sig = git2::Signature::now("parwf demo", "demo@parwf.invalid").map_err(io)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .map_err(io)
}

/// Builds the demo repo: fixtures/demo/main on `main`, fixtures/demo/branch on a branch.
pub fn build_repo(dir: &Path) -> Result<(), Error> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &opts).map_err(io)?;
    let base = commit_tree(
        &repo,
        "main",
        "Haulmark: service overview and the outbox LLD",
    )?;
    let base = repo.find_commit(base).map_err(io)?;
    repo.branch(DEMO_BRANCH, &base, false).map_err(io)?;
    repo.set_head(&format!("refs/heads/{DEMO_BRANCH}"))
        .map_err(io)?;
    commit_tree(
        &repo,
        "branch",
        "Add dispatch and billing designs for review",
    )?;
    Ok(())
}

/// Runs the demo; exits 0 when it ran, whatever the gate says (the gate is shown, not returned).
pub fn demo(args: &DemoArgs, mode: Mode) -> Result<i32, Error> {
    let dir = tempfile::Builder::new()
        .prefix("parwf-demo-")
        .tempdir()
        .map_err(io)?;
    build_repo(dir.path())?;
    let docs = DEMO_FILES.iter().filter(|(t, _, _)| *t == "branch").count();
    eprintln!(
        "parwf demo: a repo with {docs} documents added on branch `{DEMO_BRANCH}`; running\n  parwf --since main --parallel {} --provider sim   (simulated latency {} ms per LLM call)\n",
        args.parallel, args.latency_ms
    );
    let run_args = RunArgs {
        since: Some("main".into()),
        parallel: Some(args.parallel),
        provider: Some("sim".into()),
        format: Format::Human,
        ..RunArgs::default()
    };
    // Hermetic: the user's config and PARWF_* do not change what the demo shows.
    let inputs = ConfigInputs {
        flags: vec![
            (
                "sim.latency_ms".into(),
                toml::Value::Integer(args.latency_ms as i64),
                "--latency-ms".into(),
            ),
            (
                "sim.jitter_ms".into(),
                toml::Value::Integer((args.latency_ms / 3) as i64),
                "--latency-ms".into(),
            ),
        ],
        ..ConfigInputs::default()
    };
    let code = run::run(&run_args, dir.path(), inputs, mode)?;
    let gate = match code {
        exit::OK => "passed: every document is approved".to_string(),
        exit::GATE_FAILED => "failed (exit code 1 in a real run): some documents need revision, discussion, or are blocked".to_string(),
        other => format!("exit code {other} in a real run"),
    };
    println!("\ngate {gate}");
    if args.keep {
        let path = dir.keep();
        println!("demo repo kept at {}", path.display());
        println!(
            "  try: cd {} && parwf --since main --dry-run",
            path.display()
        );
    }
    Ok(exit::OK)
}

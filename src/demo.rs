//! The demo: a throwaway repository built from the project's `fixtures/demo/` (embedded at
//! build time), and the run `parwf demo` makes on it with the offline sim provider.

use std::path::Path;

use crate::config::{ConfigInputs, ProviderKind};
use crate::discover::Selection;
use crate::error::Error;
use crate::exit::Exit;
use crate::run::RunOptions;

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// The branch the demo's documents are committed on.
pub const DEMO_BRANCH: &str = "feature/dispatch-designs";

fn git(e: git2::Error) -> Error {
    Error::Git {
        what: "cannot build the demo repository",
        msg: e.message().to_string(),
    }
}

/// The documents added on the demo branch.
pub fn branch_documents() -> impl Iterator<Item = (&'static str, &'static str)> {
    DEMO_FILES
        .iter()
        .filter(|(t, _, _)| *t == "branch")
        .map(|(_, path, text)| (*path, *text))
}

/// Writes the files of one fixture tree and commits them on the current branch.
fn commit_tree(repo: &git2::Repository, tree: &str, message: &str) -> Result<git2::Oid, Error> {
    let root = repo.workdir().ok_or_else(|| Error::Git {
        what: "cannot build the demo repository",
        msg: "it has no work tree".into(),
    })?;
    for (_, rel, text) in DEMO_FILES.iter().filter(|(t, _, _)| *t == tree) {
        let path = root.join(rel);
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir).map_err(|e| Error::file("create", dir, e))?;
        std::fs::write(&path, text).map_err(|e| Error::file("write", &path, e))?;
    }
    let mut index = repo.index().map_err(git)?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(git)?;
    index.write().map_err(git)?;
    let tree_id = index.write_tree().map_err(git)?;
    let tree = repo.find_tree(tree_id).map_err(git)?;
    let sig = git2::Signature::now("parwf demo", "demo@parwf.invalid").map_err(git)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .map_err(git)
}

/// Builds the demo repo in `dir`: fixtures/demo/main on `main`, fixtures/demo/branch on a
/// branch, checked out.
pub fn build_repo(dir: &Path) -> Result<(), Error> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &opts).map_err(git)?;
    let base = commit_tree(
        &repo,
        "main",
        "Haulmark: service overview and the outbox LLD",
    )?;
    let base = repo.find_commit(base).map_err(git)?;
    repo.branch(DEMO_BRANCH, &base, false).map_err(git)?;
    repo.set_head(&format!("refs/heads/{DEMO_BRANCH}"))
        .map_err(git)?;
    commit_tree(
        &repo,
        "branch",
        "Add dispatch and billing designs for review",
    )?;
    Ok(())
}

/// The demo's run on `dir`: `--since main` on the sim provider at `parallel`, with a simulated
/// latency. Hermetic: the user's config and `PARWF_*` do not change what the demo shows.
pub fn run_options(dir: &Path, parallel: i64, latency_ms: u64) -> (RunOptions, ConfigInputs) {
    let mut opts = RunOptions::new(Selection::Since("main".into()), dir.to_path_buf());
    opts.parallel = Some(parallel);
    opts.provider = Some(ProviderKind::Sim);
    let int = |key: &str, v: u64| {
        (
            key.to_string(),
            toml::Value::Integer(v as i64),
            "--latency-ms".to_string(),
        )
    };
    let inputs = ConfigInputs {
        flags: vec![
            int("sim.latency_ms", latency_ms),
            int("sim.jitter_ms", latency_ms / 3),
        ],
        ..ConfigInputs::default()
    };
    (opts, inputs)
}

/// What `parwf demo` says before its run: the repository, and the command the run stands for.
pub fn intro(parallel: i64, latency_ms: u64) -> String {
    format!(
        "parwf demo: a repo with {} documents added on branch `{DEMO_BRANCH}`; running\n  parwf --since main --parallel {parallel} --provider sim   (simulated latency {latency_ms} ms per LLM call)\n",
        branch_documents().count(),
    )
}

/// The demo's last word: what the gate would decide in a real run (the demo itself exits 0).
pub fn gate(exit: Exit) -> String {
    let gate = match exit {
        Exit::Ok => "passed: every document is approved".to_string(),
        Exit::GateFailed => "failed (exit code 1 in a real run): some documents need revision, discussion, or are blocked".to_string(),
        other => format!("exit code {} in a real run", other.code()),
    };
    format!("\ngate {gate}")
}

/// Where `--keep` left the demo repository, and what to try in it.
pub fn kept(path: &Path) -> String {
    format!(
        "demo repo kept at {}\n  try: cd {} && parwf --since main --dry-run",
        path.display(),
        path.display()
    )
}

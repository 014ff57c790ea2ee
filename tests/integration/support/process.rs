//! Runs of the real binary that a test watches, signals or kills, and what the runs left in
//! their audit logs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};

use super::{hermetic_env, Repo};

/// Starts `parwf ARGS` in the repo with `env`, stdout and stderr piped.
pub fn spawn(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
    cmd.args(args)
        .current_dir(repo.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    hermetic_env(&mut cmd, &repo.home());
    cmd.envs(env.iter().copied());
    cmd.spawn().expect("spawn parwf")
}

/// Reads stderr lines until one contains `needle`; returns everything read and the rest.
pub fn read_until(child: &mut Child, needle: &str) -> (String, BufReader<ChildStderr>) {
    let mut reader = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read stderr");
        assert!(n > 0, "stderr ended before {needle:?}:\n{seen}");
        seen.push_str(&line);
        if line.contains(needle) {
            return (seen, reader);
        }
    }
}

/// `kill SIG PID` (`-INT`, `-KILL`).
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} failed");
}

/// The run directories under `.git/parwf/runs`, oldest first.
pub fn run_dirs(repo: &Repo) -> Vec<PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(repo.path().join(".git/parwf/runs"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// One LLM step an audit line records: (id, step, iteration).
pub type Call = (String, String, i64);

/// How an audit log may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Every line is whole JSON (the run ended or was stopped between lines).
    Whole,
    /// A SIGKILL at any moment can cut the last line short: only whole lines count.
    MayBeCut,
}

/// The audit events of one run, as (call, replayed from a checkpoint).
pub fn audit_events(run_dir: &Path, lines: Lines) -> Vec<(Call, bool)> {
    let mut events = Vec::new();
    for entry in std::fs::read_dir(run_dir).into_iter().flatten().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("workflow-audit-")
        {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            let v: serde_json::Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(_) if lines == Lines::MayBeCut => continue,
                Err(e) => panic!("audit line is not JSON ({e}): {line}"),
            };
            assert!(
                v["key"].as_str().is_some_and(|k| k.starts_with("key-")),
                "an audit line names a key label: {v}"
            );
            let call = (
                v["id"].as_str().unwrap_or_default().to_string(),
                v["step"].as_str().unwrap_or_default().to_string(),
                v["iteration"].as_i64().unwrap_or(0),
            );
            if let Some(resumed) = v["resumed"].as_bool() {
                events.push((call, resumed));
            }
        }
    }
    events.sort();
    events
}

/// The LLM calls a run made (not replayed), sorted; every audit line must be whole.
pub fn calls_in_run(run_dir: &Path) -> Vec<Call> {
    audited(run_dir, false)
}

/// The calls a run audited with `resumed` = `resumed`, sorted; every line must be whole.
pub fn audited(run_dir: &Path, resumed: bool) -> Vec<Call> {
    audit_events(run_dir, Lines::Whole)
        .into_iter()
        .filter(|(_, r)| *r == resumed)
        .map(|(c, _)| c)
        .collect()
}

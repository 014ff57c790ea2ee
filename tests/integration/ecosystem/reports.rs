//! The report formats against their specifications and real consumers: `--format json` and
//! the dry-run JSON against the schemas in `schema/`, `--format sarif` against the official
//! SARIF 2.1.0 schema and Microsoft's SARIF validator, `--format junit` through a JUnit parser.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::tools;
use crate::support::docs::{GOOD_LLD, REVISE_LLD, SIM};
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stderr, stdout, Repo};

/// The sim reviewer blocks a design that keeps secrets in plaintext.
const BLOCKED_LLD: &str = "# Login\n\n## Context\nUsers sign in.\n\n## Design\nPasswords are kept in plaintext in the users table.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";

/// A repo whose branch adds an approved, a REVISE, a BLOCKED and an over-sized document.
fn mixed_repo() -> Repo {
    let big = format!("{GOOD_LLD}\n{}", "Padding line for size.\n".repeat(100));
    repo_with_branch(&[
        ("docs/lld/LLD-001-good.md", GOOD_LLD.to_string()),
        ("docs/lld/LLD-002-todo.md", REVISE_LLD.to_string()),
        ("docs/lld/LLD-003-login.md", BLOCKED_LLD.to_string()),
        ("docs/lld/LLD-004 big #1.md", big),
    ])
}

fn run(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut env = SIM.to_vec();
    env.push(("PARWF_MAX_DOCUMENT_BYTES", "1000"));
    repo.parwf_in(repo.path(), args, &env)
}

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema JSON")
}

/// The schema's complaints about `doc`, one line each.
fn violations(schema: &Value, doc: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("a valid schema");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn json_output_matches_its_schema_in_every_item_state() {
    let repo = mixed_repo();
    let out = run(&repo, &["--since", "main", "--format", "json"]);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let states: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"done") && states.contains(&"failed"),
        "{states:?}"
    );
    let summary = schema("summary.v1.json");
    assert_eq!(violations(&summary, &doc), Vec::<String>::new());
    // The run's own copy under .git/parwf is the same document.
    let runs = repo.path().join(".git/parwf/runs");
    let run_dir = std::fs::read_dir(&runs).unwrap().flatten().next().unwrap();
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.path().join("summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(violations(&summary, &saved), Vec::<String>::new());

    // A second run finds the verdicts cached: that state is covered too.
    let again = run(&repo, &["--since", "main", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&again.stdout).expect("JSON on stdout");
    assert!(doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["state"] == "cached"));
    assert_eq!(violations(&summary, &doc), Vec::<String>::new());

    // The schema is strict both ways: an unknown field, a missing one or an unknown verdict
    // is reported, so output and schema cannot drift apart silently.
    let mut extra = doc.clone();
    extra["items"][0]["surprise"] = Value::Bool(true);
    let mut missing = doc.clone();
    missing.as_object_mut().unwrap().remove("wall_ms");
    let mut verdict = doc.clone();
    verdict["items"][0]["verdict"] = Value::String("MAYBE".into());
    for bad in [extra, missing, verdict] {
        assert!(!violations(&summary, &bad).is_empty(), "accepted: {bad}");
    }
}

#[test]
fn dry_run_json_matches_its_schema() {
    let repo = mixed_repo();
    assert_exit(&run(&repo, &["--since", "main"]), exit::WORKFLOW_ERROR);
    repo.write("docs/lld/LLD-009-new.md", GOOD_LLD);
    repo.commit_all("one more");
    let out = run(&repo, &["--since", "main", "--dry-run", "--format", "json"]);
    assert_exit(&out, exit::OK);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let states: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"cached") && states.contains(&"pending"),
        "{states:?}"
    );
    let listing = schema("dry-run.v1.json");
    assert_eq!(violations(&listing, &doc), Vec::<String>::new());
    let mut bad = doc.clone();
    bad["items"][0]["state"] = Value::String("maybe".into());
    assert!(!violations(&listing, &bad).is_empty());
}

/// `--format sarif` of the mixed run: one result per Tier 1 finding and per error.
fn sarif_of_mixed_run() -> (Repo, Value, String) {
    let repo = mixed_repo();
    let out = run(&repo, &["--since", "main", "--format", "sarif"]);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let text = stdout(&out);
    let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    (repo, doc, text)
}

#[test]
fn sarif_names_each_blocking_finding_at_its_document() {
    let (_repo, doc, _) = sarif_of_mixed_run();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let by_rule =
        |rule: &str| -> Vec<&Value> { results.iter().filter(|r| r["ruleId"] == rule).collect() };
    let findings = by_rule("PARWF1001");
    let uris: Vec<&str> = findings
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"docs/lld/LLD-002-todo.md"), "{uris:?}");
    assert!(uris.contains(&"docs/lld/LLD-003-login.md"), "{uris:?}");
    assert!(
        !uris.iter().any(|u| u.contains("good")),
        "approved documents have no result"
    );
    let login = findings
        .iter()
        .find(|r| r["properties"]["id"] == "LLD-3")
        .expect("the BLOCKED document's finding");
    assert!(
        login["message"]["text"]
            .as_str()
            .unwrap()
            .contains("plaintext"),
        "{login}"
    );
    assert_eq!(login["properties"]["verdict"], "BLOCKED");
    let errors = by_rule("PARWF1003");
    assert_eq!(errors.len(), 1, "{results:?}");
    assert_eq!(
        errors[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "docs/lld/LLD-004%20big%20%231.md"
    );
    assert_eq!(doc["runs"][0]["invocations"][0]["exitCode"], 3);
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(path) = tools::file("node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json")
    else {
        return tools::skip(
            "sarif_validates_against_the_official_schema",
            "the SARIF 2.1.0 schema (npm @microsoft/sarif-multitool-linux) is not installed",
        );
    };
    let official: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (_repo, doc, _) = sarif_of_mixed_run();
    assert_eq!(violations(&official, &doc), Vec::<String>::new());
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(
        !violations(&official, &bad).is_empty(),
        "the schema check can fail"
    );
}

#[test]
fn sarif_passes_microsofts_sarif_validator() {
    let Some(tool) = tools::file("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
    else {
        return tools::skip(
            "sarif_passes_microsofts_sarif_validator",
            "Sarif.Multitool (npm @microsoft/sarif-multitool-linux) is not installed",
        );
    };
    let (repo, doc, text) = sarif_of_mixed_run();
    let validate = |name: &str, text: &str| -> (Vec<String>, String) {
        let input = repo.home().join(format!("{name}.sarif"));
        let report = repo.home().join(format!("{name}.validation.sarif"));
        std::fs::write(&input, text).unwrap();
        let out = Command::new(&tool)
            // The SARIF rules and GitHub's ingestion rules (Gh), errors and warnings.
            .args([
                "validate",
                "--rule-kind",
                "Sarif;Gh",
                "--level",
                "Error;Warning",
                "--output",
            ])
            .arg(&report)
            .arg(&input)
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            .env("HOME", repo.home())
            .output()
            .expect("run Sarif.Multitool");
        let log = format!("{}{}", stdout(&out), stderr(&out));
        let validation: Value = std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| panic!("no validation log: {log}"));
        let problems = validation["runs"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|r| matches!(r["level"].as_str(), Some("error") | Some("warning") | None))
            // informationUri needs the package's repository address, which Cargo.toml has not
            // got yet; it is filled in from there once it has.
            .filter(|r| !(r["ruleId"] == "SARIF2005" && env!("CARGO_PKG_REPOSITORY").is_empty()))
            .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
            .collect();
        (problems, log)
    };
    let (problems, log) = validate("parwf", &text);
    assert_eq!(problems, Vec::<String>::new(), "{log}");
    // The validator does find faults: a result pointing at a rule index that does not exist.
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["ruleIndex"] = Value::from(7);
    let (problems, log) = validate("bad", &bad.to_string());
    assert!(!problems.is_empty(), "{log}");
}

#[test]
fn junit_has_one_test_case_per_document_with_the_findings_in_failures() {
    let repo = mixed_repo();
    let out = run(&repo, &["--since", "main", "--format", "junit"]);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let xml = stdout(&out);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("tests=\"4\" failures=\"2\" errors=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("type=\"BLOCKED\">- Security: "), "{xml}");
    assert!(xml.contains("plaintext"), "{xml}");

    let Some(python) = tools::python_with("junitparser") else {
        return tools::skip(
            "junit_has_one_test_case_per_document_with_the_findings_in_failures (parser part)",
            "python3 with junitparser (PyPI) is not available",
        );
    };
    let file = repo.home().join("report.xml");
    std::fs::write(&file, &xml).unwrap();
    // junitparser reads the report the way CI servers do: suites, cases, results.
    let script = r#"
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
for suite in xml:
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        text = " | ".join((r.message or "") + " :: " + (r.text or "").replace("\n", " / ") for r in case.result)
        print(f"{case.name}\t{case.classname}\t{','.join(kinds) or 'passed'}\t{text}")
"#;
    let parsed = Command::new(&python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("run python");
    assert!(parsed.status.success(), "{}", stderr(&parsed));
    let lines = stdout(&parsed);
    let case = |id: &str| -> String {
        lines
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no test case for {id}: {lines}"))
            .to_string()
    };
    assert!(case("LLD-1").contains("\tparwf.lld\tpassed"), "{lines}");
    let revise = case("LLD-2");
    assert!(
        revise.contains("\tFailure\tREVISE: 1 blocking finding ::"),
        "{revise}"
    );
    assert!(revise.contains("Unresolved placeholder"), "{revise}");
    assert!(case("LLD-3").contains("\tFailure\tBLOCKED"), "{lines}");
    assert!(case("LLD-4").contains("\tError\t"), "{lines}");
}

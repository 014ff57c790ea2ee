//! The `run` command through the real binary: selection, bounds, output, isolation, exit codes.

use crate::support::{repo_with_branch, stderr, stdout, Repo};

const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";
const GOOD_ISSUE: &str =
    "# Idea\n\n## Problem\nP.\n\n## Scope\nS.\n\n## Acceptance Criteria\nA.\n\n## Risks\nR.\n";

const FAST: &[(&str, &str)] = &[
    ("PARWF_PROVIDER__KIND", "sim"),
    ("PARWF_SIM__LATENCY_MS", "5"),
    ("PARWF_SIM__JITTER_MS", "0"),
];

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

#[test]
fn dry_run_lists_items_and_writes_nothing() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-042-cache.md", GOOD_LLD),
        ("docs/issues/ISSUE-7-idea.md", GOOD_ISSUE),
        ("notes/other.md", "not a document\n"),
    ]);
    let out = repo.parwf(&["--since", "main", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("LLD-42") && text.contains("docs/lld/LLD-042-cache.md"),
        "{text}"
    );
    assert!(
        text.contains("ISSUE-7") && text.contains("pending"),
        "{text}"
    );
    assert!(!text.contains("other.md"), "{text}");
    assert!(
        !repo.path().join(".git/parwf").exists(),
        ".git/parwf was created by a dry run"
    );
    let out = repo.parwf(&[
        "--since",
        "main",
        "--dry-run",
        "--format",
        "json",
        "--workflow",
        "lld",
    ]);
    let v = json(&out);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["items"][0]["id"], "LLD-42");
}

#[test]
fn parallel_out_of_bounds_is_a_usage_error_naming_the_limit() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    for bad in ["0", "11", "-3"] {
        let out = repo.parwf(&["--since", "main", "--dry-run", "-j", bad]);
        assert_eq!(out.status.code(), Some(2), "-j {bad}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("between 1 and 10") && err.contains("max_parallel"),
            "{err}"
        );
        assert!(err.contains("hint:"), "{err}");
    }
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--dry-run", "-j", "11"],
        &[("PARWF_MAX_PARALLEL", "12")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn one_failing_item_does_not_stop_the_others() {
    let failing = format!("{GOOD_LLD}\n<!-- parwf-sim: fail -->\n");
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/lld/LLD-2-b.md", &failing),
        ("docs/lld/LLD-3-c.md", GOOD_LLD),
        ("docs/issues/ISSUE-4-d.md", GOOD_ISSUE),
    ]);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "2", "--format", "json"],
        FAST,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json(&out);
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    for item in items {
        if item["id"] == "LLD-2" {
            assert_eq!(item["state"], "failed");
            assert!(item["error"]
                .as_str()
                .unwrap_or("")
                .contains("simulated provider failure"));
        } else {
            assert_eq!(item["state"], "done", "{item}");
            assert_eq!(item["verdict"], "APPROVED", "{item}");
        }
    }
    assert_eq!(v["exit_code"], 3);
}

#[test]
fn gate_exit_codes_follow_the_verdicts() {
    let ok = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = ok.parwf_in(ok.path(), &["--since", "main"], FAST);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("APPROVED"));

    let revise = format!("{GOOD_LLD}\nRetry budget: TBD\n");
    let bad = repo_with_branch(&[("docs/lld/LLD-1-a.md", &revise)]);
    let out = bad.parwf_in(bad.path(), &["--since", "main"], FAST);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("REVISE"));
    // fail_on decides what fails the gate.
    let out = bad.parwf_in(
        bad.path(),
        &["--since", "main"],
        &[FAST, &[("PARWF_FAIL_ON", "BLOCKED,UNKNOWN")]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn plain_output_lines_are_whole_and_prefixed() {
    let docs: Vec<(String, String)> = (1..=8)
        .map(|i| (format!("docs/lld/LLD-{i}-doc.md"), GOOD_LLD.to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = docs.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let repo = repo_with_branch(&refs);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "4"],
        &[FAST, &[("PARWF_SIM__KEYS", "2")]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains('\r') && !err.contains("\x1b["),
        "bars or escapes in plain mode"
    );
    let ids: Vec<String> = (1..=8).map(|i| format!("[LLD-{i}]")).collect();
    let mut seen = 0;
    for line in err.lines() {
        let prefix_ok = line.starts_with("[COORDINATOR] ")
            || line.starts_with("[PARWF] ")
            || ids.iter().any(|id| line.starts_with(&format!("{id} ")));
        assert!(prefix_ok, "line without a known prefix: {line:?}");
        let tags = ids.iter().filter(|id| line.contains(id.as_str())).count();
        assert!(tags <= 1, "two items on one line: {line:?}");
        seen += tags;
    }
    assert!(
        seen >= 16,
        "expected step and result lines per item:\n{err}"
    );
    assert!(
        err.contains("[COORDINATOR] 4 workers but 2 key(s)"),
        "{err}"
    );
}

#[test]
fn json_summary_has_the_documented_schema() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/issues/ISSUE-2-b.md", "# Brief\n\n## Problem\nP.\n"),
    ]);
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], FAST);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["provider"], "sim");
    assert_eq!(v["parallel"], 3);
    for key in [
        "wall_ms",
        "item_ms_total",
        "speedup",
        "efficiency",
        "coordinator_overhead_pct",
        "rate_limit_wait_ms",
    ] {
        assert!(v[key].is_number(), "{key} missing: {v}");
    }
    assert_eq!(v["keys"].as_array().map(Vec::len), Some(3));
    let issue = &v["items"][1];
    assert_eq!(issue["id"], "ISSUE-2");
    assert_eq!(issue["verdict"], "REVISE");
    assert_eq!(issue["blocking"], 3, "three missing sections: {issue}");
    assert_eq!(issue["gate_failed"], true);
    assert_eq!(issue["blob"].as_str().map(str::len), Some(40));
    for key in [
        "workflow",
        "path",
        "state",
        "rule",
        "error",
        "duration_ms",
        "llm_calls",
    ] {
        assert!(issue.get(key).is_some(), "{key} missing: {issue}");
    }
}

#[test]
fn no_provider_configured_is_a_usage_error_with_a_hint() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = repo.parwf(&["--since", "main"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("error: no provider configured") && err.contains("--provider sim"),
        "{err}"
    );
}

#[test]
fn no_upstream_means_a_hint_to_pass_since() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = repo.parwf(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--since"), "{}", stderr(&out));
    // With an upstream set, the default selection works.
    repo.git(&["branch", "--set-upstream-to=main"]);
    let out = repo.parwf(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("LLD-1"));
}

#[test]
fn explicit_paths_review_the_work_tree_text() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    // Uncommitted edit: the explicit path is reviewed as it is on disk.
    repo.write("docs/lld/LLD-1-a.md", &format!("{GOOD_LLD}\nOwner: TODO\n"));
    let out = repo.parwf_in(
        &repo.path().join("docs"),
        &["lld/LLD-1-a.md", "--format", "json"],
        FAST,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json(&out)["items"][0]["verdict"], "REVISE");
}

#[test]
fn demo_runs_offline_and_exits_zero() {
    let repo = Repo::new();
    let out = repo.parwf_in(repo.path(), &["demo", "--latency-ms", "10", "--keep"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for id in ["LLD-112", "LLD-131", "LLD-140", "ISSUE-21", "ISSUE-52"] {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    assert!(
        !text.contains("LLD-7 "),
        "the unchanged LLD on main was reviewed:\n{text}"
    );
    assert!(text.contains("gate failed"), "{text}");
    assert!(stderr(&out).contains("shares LLD-101"), "{}", stderr(&out));
    let kept = text
        .lines()
        .find_map(|l| l.strip_prefix("demo repo kept at "))
        .expect("kept path");
    assert!(std::path::Path::new(kept).join(".git").exists());
    let _ = std::fs::remove_dir_all(kept);
}

#[test]
fn demo_documents_get_the_verdicts_the_fixtures_expect() {
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/demo/EXPECTED.tsv"
    ))
    .expect("EXPECTED.tsv");
    let repo = Repo::new();
    let out = repo.parwf_in(repo.path(), &["demo", "--latency-ms", "1", "--keep"], &[]);
    let text = stdout(&out);
    let kept = text
        .lines()
        .find_map(|l| l.strip_prefix("demo repo kept at "))
        .expect("kept path")
        .to_string();
    let out = repo.parwf_in(
        std::path::Path::new(&kept),
        &["--since", "main", "--format", "json"],
        FAST,
    );
    let _ = std::fs::remove_dir_all(&kept);
    let v = json(&out);
    for line in expected.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let item = v["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["path"] == cols[0]))
            .unwrap_or_else(|| panic!("{} not reviewed", cols[0]));
        assert_eq!(item["verdict"], cols[1], "{}", cols[0]);
        assert_eq!(item["blocking"].to_string(), cols[2], "{}", cols[0]);
    }
}

#[test]
fn sim_quotas_answer_rate_limited_and_the_run_waits_instead_of_failing() {
    let docs: Vec<(String, String)> = (1..=4)
        .map(|i| (format!("docs/lld/LLD-{i}-doc.md"), GOOD_LLD.to_string()))
        .collect();
    let repo = repo_with_branch(&docs);
    let env = [
        FAST,
        &[
            ("PARWF_SIM__KEYS", "1"),
            ("PARWF_SIM__REQUESTS_PER_WINDOW", "2"),
            ("PARWF_SIM__WINDOW_S", "1"),
        ],
    ]
    .concat();
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "4", "--format", "json"],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert!(v["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["verdict"] == "APPROVED"));
    assert!(
        v["keys"][0]["rate_limited"].as_u64().unwrap_or(0) >= 1,
        "{}",
        v["keys"]
    );
    assert!(v["rate_limit_wait_ms"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(
        stderr(&out).contains("[COORDINATOR] key-1 rate limited"),
        "{}",
        stderr(&out)
    );
}

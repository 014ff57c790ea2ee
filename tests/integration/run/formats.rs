//! `--format json|github|markdown`: the documented JSON schema, GitHub annotations and job
//! summary, the PR comment.

use crate::support::docs::{
    with, BLOCKED_LLD, DISCUSS_ISSUE, GOOD_LLD, REVISE_LLD, SIM, THIN_ISSUE,
};
use crate::support::exit::{self, assert_exit};
use crate::support::{json, repo_with_branch, stdout, Repo};

fn run(repo: &Repo, args: &[&str]) -> std::process::Output {
    repo.parwf_in(repo.path(), args, SIM)
}

#[test]
fn json_summary_has_the_documented_schema() {
    let repo = repo_with_branch(&[
        ("docs/lld/LLD-1-a.md", GOOD_LLD),
        ("docs/issues/ISSUE-2-b.md", THIN_ISSUE),
    ]);
    let out = run(&repo, &["--since", "main", "--format", "json"]);
    assert_exit(&out, exit::GATE_FAILED);
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

fn pr_repo() -> Repo {
    repo_with_branch(&[
        ("docs/lld/LLD-1-cache.md", REVISE_LLD),
        ("docs/lld/LLD-2-auth.md", BLOCKED_LLD),
        ("docs/lld/LLD-3-ok.md", GOOD_LLD),
        ("docs/issues/ISSUE-4-open.md", DISCUSS_ISSUE),
        ("docs/issues/ISSUE-5-thin.md", THIN_ISSUE),
    ])
}

#[test]
fn github_format_annotates_blocking_findings_and_writes_the_job_summary() {
    let repo = pr_repo();
    let summary = repo.path().join(".git/step-summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--format", "github"],
        &with(
            SIM,
            &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8"))],
        ),
    );
    assert_exit(&out, exit::GATE_FAILED);
    insta::assert_snapshot!("github_annotations", stdout(&out));
    let written = std::fs::read_to_string(&summary).expect("summary");
    let appended = written.strip_prefix("earlier step\n").expect("appended");
    insta::assert_snapshot!("github_step_summary", appended);

    // A cached run says the same, marked cached.
    let again = run(&repo, &["--since", "main", "--format", "github"]);
    assert_exit(&again, exit::GATE_FAILED);
    assert!(
        stdout(&again).contains("LLD-1 REVISE (cached)"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn markdown_format_is_a_pr_comment_body() {
    let repo = pr_repo();
    let out = run(&repo, &["--since", "main", "--format", "markdown"]);
    assert_exit(&out, exit::GATE_FAILED);
    insta::assert_snapshot!("markdown_comment", stdout(&out));
    let ok = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = run(&ok, &["--since", "main", "--format", "markdown"]);
    assert_exit(&out, exit::OK);
    insta::assert_snapshot!("markdown_comment_passed", stdout(&out));
}

#[test]
fn github_annotations_stop_at_fifty_and_count_the_rest() {
    let many: String = (0..60).map(|i| format!("Step {i}: TBD\n")).collect();
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", &format!("{GOOD_LLD}\n{many}"))]);
    let out = run(&repo, &["--since", "main", "--format", "github"]);
    assert_exit(&out, exit::GATE_FAILED);
    let text = stdout(&out);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        50
    );
    assert!(
        text.contains("::warning title=parwf::10 more blocking findings not annotated"),
        "{text}"
    );
}

//! `--revise --write commit` with drafters that go wrong the ways real models do: nothing
//! damaged or unapproved is ever committed, the drafts are kept for the user to read, and the
//! run exits non-zero when nothing was approved.

use std::path::PathBuf;

use parwf::model::WorkflowKind;
use parwf::provider::sim;

use super::{answer, is_draft, item, json, repo, run, LLD};
use crate::support::api::{Api, Fake};
use crate::support::exit::{self, assert_exit};
use crate::support::{stderr, Repo};

const REVISE_COMMIT: &[&str] = &[
    "--since", "main", "--revise", "--write", "commit", "--format", "json",
];

/// The sim reviewer's review of what the request carries, ended normally.
fn sim_review(document: &str) -> parwf_testkit::http::HttpResponse {
    answer(
        Api::OpenAi,
        &sim::review(WorkflowKind::Lld, document),
        "stop",
    )
}

/// `LLD` under another ID, so several documents can share a run.
fn lld(n: u32) -> String {
    LLD.replace("LLD-1:", &format!("LLD-{n}:"))
}

/// The path of a kept draft named in a rule `(last draft: PATH)`, made absolute.
fn draft_path(repo: &Repo, rule: &str) -> PathBuf {
    let (_, rest) = rule
        .split_once("(last draft: ")
        .unwrap_or_else(|| panic!("no draft path in {rule}"));
    repo.path().join(rest.trim_end_matches(')'))
}

fn head(repo: &Repo) -> String {
    repo.git(&["rev-parse", "HEAD"])
}

#[test]
fn a_gutted_draft_and_a_review_returned_as_a_draft_are_never_committed() {
    let fake = Fake::start(Api::OpenAi, |c| {
        if !is_draft(&c.prompt) {
            return sim_review(&c.document);
        }
        if c.document.contains("LLD-1:") {
            // The title and a summary of two sections: what a rambling model answered.
            answer(
                Api::OpenAi,
                "# LLD-1: Read-through cache\n\n## Context\nReads repeat.\n\n## Design\nAn LRU with a 30 s TTL; eviction retries: three.\n",
                "stop",
            )
        } else {
            // A review where the document should be.
            sim_review(&c.document)
        }
    });
    let (one, two) = (lld(1), lld(2));
    let repo = repo(&[
        ("docs/lld/LLD-1-cache.md", one.as_str()),
        ("docs/lld/LLD-2-cache.md", two.as_str()),
    ]);
    let before = head(&repo);
    let out = run(&repo, &fake, REVISE_COMMIT, &[]);
    assert_exit(&out, exit::GATE_FAILED);
    assert_eq!(head(&repo), before, "nothing may be committed");
    assert_eq!(repo.git(&["show", "HEAD:docs/lld/LLD-1-cache.md"]), one);
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "the work tree is untouched"
    );
    let v = json(&out);
    let gutted = item(&v, "LLD-1");
    assert_eq!(gutted["verdict"], "REVISE");
    let rule = gutted["rule"].as_str().unwrap_or("");
    assert!(
        rule.starts_with("revision 1 not used: not the same document: 5 of the document's 17 non-blank lines remain (at least 60% must); the document is unchanged"),
        "{rule}"
    );
    // The draft is kept for the user, exactly as the drafter wrote it; the review of it was
    // never asked for.
    let kept = std::fs::read_to_string(draft_path(&repo, rule)).expect("the kept draft");
    assert!(kept.contains("eviction retries: three"), "{kept}");
    assert_eq!(gutted["llm_calls"], 2, "review, draft: {gutted}");
    let review = item(&v, "LLD-2");
    let rule = review["rule"].as_str().unwrap_or("");
    assert!(
        rule.starts_with("revision 1 not used: not the same document: the title \"lld-2: read-through cache\" is gone (the draft's first heading is \"lld review: lld-2: read-through cache\")"),
        "{rule}"
    );
    // The summary says it too, and that nothing was committed.
    let err = stderr(&out);
    assert!(err.contains("[LLD-1] REVISE (1 blocking) in "), "{err}");
    assert!(
        err.contains("[LLD-1] revision 1 not used: not the same document"),
        "{err}"
    );
    assert!(err.contains("--write commit: nothing committed"), "{err}");
    // The documents as they are keep their own verdict notes.
    let note = repo.git(&[
        "notes",
        "--ref=parwf",
        "show",
        "HEAD:docs/lld/LLD-1-cache.md",
    ]);
    assert!(note.starts_with("parwf-verdict: REVISE"), "{note}");
}

#[test]
fn revisions_never_approved_are_not_committed_and_the_last_draft_is_kept() {
    let fake = Fake::start(Api::OpenAi, |c| {
        if !is_draft(&c.prompt) {
            return sim_review(&c.document);
        }
        let text = if c.document.contains("LLD-1:") {
            // Each draft leaves a new decision open: the reviewer never runs out of findings.
            let n = c.document.matches("Fallback owner").count() + 1;
            format!("{}Fallback owner ({n}): TBD\n", c.document)
        } else {
            // The drafter "resolves" the TBD by writing a secret into the design.
            c.document
                .replace("TBD", "three, with the admin password stored in plaintext")
        };
        answer(Api::OpenAi, &text, "stop")
    });
    let (one, two) = (lld(1), lld(2));
    let repo = repo(&[
        ("docs/lld/LLD-1-cache.md", one.as_str()),
        ("docs/lld/LLD-2-cache.md", two.as_str()),
    ]);
    let before = head(&repo);
    let out = run(
        &repo,
        &fake,
        REVISE_COMMIT,
        &[("PARWF_LINEAGE_DIR", "docs/reviews")],
    );
    assert_exit(&out, exit::GATE_FAILED);
    assert_eq!(head(&repo), before, "nothing approved, nothing committed");
    assert_eq!(repo.git(&["show", "HEAD:docs/lld/LLD-2-cache.md"]), two);
    assert!(!repo.path().join("docs/reviews").exists());
    let v = json(&out);
    let endless = item(&v, "LLD-1");
    assert_eq!(endless["verdict"], "BLOCKED", "{endless}");
    assert_eq!(
        endless["llm_calls"], 5,
        "review, draft, review, draft, review"
    );
    let rule = endless["rule"].as_str().unwrap_or("");
    assert!(
        rule.starts_with("max_iterations (3) reached without approval; the document is unchanged (last draft: .git/parwf/runs/"),
        "{rule}"
    );
    assert!(rule.ends_with("/LLD-1.draft-2.md)"), "{rule}");
    let kept = std::fs::read_to_string(draft_path(&repo, rule)).expect("the kept draft");
    assert!(kept.ends_with("Fallback owner (2): TBD\n"), "{kept}");
    let secret = item(&v, "LLD-2");
    assert_eq!(
        secret["verdict"], "REVISE",
        "the document's own verdict: {secret}"
    );
    let rule = secret["rule"].as_str().unwrap_or("");
    assert!(
        rule.starts_with("revision 1 not approved: the reviewer answered BLOCKED; the document is unchanged (last draft: "),
        "{rule}"
    );
    let note = repo.git(&[
        "notes",
        "--ref=parwf",
        "show",
        "HEAD:docs/lld/LLD-1-cache.md",
    ]);
    assert!(note.starts_with("parwf-verdict: BLOCKED"), "{note}");
    // The note carries the review of the document itself, not of a draft.
    assert!(!note.contains("Fallback owner"), "{note}");
}

#[test]
fn only_the_approved_revision_is_committed_cleaned_of_fences_and_talk() {
    let fake = Fake::start(Api::OpenAi, |c| {
        if !is_draft(&c.prompt) {
            return sim_review(&c.document);
        }
        let revised = c.document.replace("TBD", "three tries, then the store");
        if c.document.contains("LLD-1:") {
            // How chat models like to answer: a line of talk, then the document in a fence.
            let text = format!("Here is the revised document:\n\n```markdown\n{revised}```\n");
            answer(Api::OpenAi, &text, "stop")
        } else {
            let cut: String = revised.lines().take(9).map(|l| format!("{l}\n")).collect();
            answer(Api::OpenAi, &cut, "length")
        }
    });
    let (one, two) = (lld(1), lld(2));
    let repo = repo(&[
        ("docs/lld/LLD-1-cache.md", one.as_str()),
        ("docs/lld/LLD-2-cache.md", two.as_str()),
    ]);
    let out = run(&repo, &fake, REVISE_COMMIT, &[]);
    // LLD-2 is still REVISE: the gate fails, but the approved revision is committed.
    assert_exit(&out, exit::GATE_FAILED);
    let files = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files, "docs/lld/LLD-1-cache.md\n");
    let trailers = repo.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Parwf-Verdict,valueonly)",
    ]);
    assert_eq!(trailers.trim(), "LLD-1=APPROVED");
    let committed = repo.git(&["show", "HEAD:docs/lld/LLD-1-cache.md"]);
    assert_eq!(committed, one.replace("TBD", "three tries, then the store"));
    assert_eq!(repo.git(&["show", "HEAD:docs/lld/LLD-2-cache.md"]), two);
    let v = json(&out);
    assert_eq!(
        item(&v, "LLD-1")["rule"],
        "the reviewer approved revision 1"
    );
    let rule = item(&v, "LLD-2")["rule"].as_str().unwrap_or("").to_string();
    assert!(
        rule.starts_with(
            "revision 1 not used: the draft was cut at max_tokens; the document is unchanged"
        ),
        "{rule}"
    );
}

#[test]
fn the_drafter_gets_the_review_when_it_lists_no_findings_and_is_not_called_for_an_empty_revise() {
    const PROSE: &str = "The rollback section does not say how to drain the cache before the flag is turned off. Add the steps.\n\nVerdict: REVISE\n";
    let fake = Fake::start(Api::OpenAi, |c| {
        if is_draft(&c.prompt) {
            let text = format!(
                "{}Drain: flush each region before turning the flag off.\n",
                c.document
            );
            return answer(Api::OpenAi, &text, "stop");
        }
        let text = if c.document.contains("Drain:") {
            "## Verdict\n[x] **APPROVED** - Ready to implement\n"
        } else if c.document.contains("LLD-1:") {
            PROSE
        } else {
            "## Verdict\n[x] **REVISE** - Fix Tier 1 issues first\n"
        };
        answer(Api::OpenAi, text, "stop")
    });
    let (one, two) = (lld(1), lld(2));
    let repo = repo(&[
        ("docs/lld/LLD-1-cache.md", one.as_str()),
        ("docs/lld/LLD-2-cache.md", two.as_str()),
    ]);
    let out = run(
        &repo,
        &fake,
        &["--since", "main", "--revise", "--format", "json"],
        &[],
    );
    assert_exit(&out, exit::GATE_FAILED);
    let v = json(&out);
    assert_eq!(item(&v, "LLD-1")["verdict"], "APPROVED", "{v}");
    let drafts: Vec<String> = fake
        .seen()
        .iter()
        .map(|s| crate::support::api::prompt_of(Api::OpenAi, &s.req))
        .filter(|p| is_draft(p))
        .collect();
    assert_eq!(drafts.len(), 1, "one draft, for LLD-1 only");
    assert!(
        drafts[0].contains(&format!("What the reviewer asked for:\n{}", PROSE.trim())),
        "{}",
        drafts[0]
    );
    let empty = item(&v, "LLD-2");
    assert_eq!(empty["verdict"], "REVISE");
    assert_eq!(empty["llm_calls"], 1);
    assert_eq!(
        empty["rule"],
        "REVISE without findings: nothing for the drafter to act on; the document is unchanged"
    );
}

//! The pre-push hook through real pushes: `git push` runs the installed shim, which runs this
//! build's `git parwf hook pre-push`.

mod input;
mod input_props;

use crate::support::docs::{with, GOOD_LLD, REVISE_LLD, SIM};
use crate::support::exit::{self, assert_exit};
use crate::support::push::{assert_pushed, assert_refused, git_out, refusal, Pushing};
use crate::support::snap::{lines_with, redact};
use crate::support::{stderr, Repo};

#[test]
fn a_revise_note_refuses_the_push_and_an_approved_one_lets_it_through() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-042-cache.md", REVISE_LLD);
    p.repo.write("src/lib.rs", "// code\n");
    p.repo.commit_all("cache design");
    assert_eq!(
        p.review(),
        exit::GATE_FAILED,
        "the sim reviewer should ask for a revision"
    );
    let note = p.repo.git(&[
        "notes",
        "--ref=parwf",
        "show",
        "HEAD:docs/lld/LLD-042-cache.md",
    ]);
    assert!(note.starts_with("parwf-verdict: REVISE\n"), "{note}");

    let out = p.push(&["feature"], &[]);
    assert_refused(&out);
    redact(&p.repo).bind(|| insta::assert_snapshot!("refused_revise", refusal(&stderr(&out))));
    assert_eq!(p.remote_branch("feature"), None);

    p.repo.write("docs/lld/LLD-042-cache.md", GOOD_LLD);
    p.repo.commit_all("decide the risks");
    // The old note is for the old blob: the new content has no review yet.
    let out = p.push(&["feature"], &[]);
    assert_refused(&out);
    redact(&p.repo).bind(|| insta::assert_snapshot!("refused_no_review", refusal(&stderr(&out))));

    assert_eq!(p.review(), exit::OK);
    let out = p.push(&["feature"], &[]);
    assert_pushed(&out);
    insta::assert_snapshot!("approved", lines_with(&stderr(&out), "pre-push"));
    assert_eq!(p.remote_branch("feature"), Some(p.head()));
}

#[test]
fn a_push_without_documents_a_deletion_and_a_tag_pass() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("src/main.rs", "fn main() {}\n");
    p.repo.commit_all("code only");
    let out = p.push(&["feature"], &[]);
    assert_pushed(&out);
    assert!(!stderr(&out).contains("[PARWF]"), "{}", stderr(&out));

    // An update of an existing remote branch compares with what the remote has: only the
    // new commit counts, and it touches no document.
    p.repo.write("src/main.rs", "fn main() { println!(); }\n");
    p.repo.commit_all("more code");
    assert_pushed(&p.push(&["feature"], &[]));

    // A document nobody reviewed, pushed past the hook, then deleted and tagged.
    p.repo.git(&["checkout", "-q", "-b", "unreviewed"]);
    p.repo.write("docs/lld/LLD-9-x.md", REVISE_LLD);
    p.repo.commit_all("unreviewed design");
    assert_refused(&p.push(&["unreviewed"], &[]));
    assert_pushed(&p.push(&["--no-verify", "unreviewed"], &[]));
    assert!(p.remote_branch("unreviewed").is_some());
    assert_pushed(&p.push(&[":unreviewed"], &[]));
    assert_eq!(p.remote_branch("unreviewed"), None);
    p.repo.git(&["tag", "v1"]);
    assert_pushed(&p.push(&["v1"], &[]));
}

#[test]
fn parwf_skip_skips_the_check() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/issues/ISSUE-7-idea.md", "# Idea\n");
    p.repo.commit_all("idea");
    let out = p.push(&["feature"], &[]);
    assert_refused(&out);
    redact(&p.repo).bind(|| insta::assert_snapshot!("refused_issue", refusal(&stderr(&out))));
    let out = p.push(&["feature"], &[("PARWF_SKIP", "1")]);
    assert_pushed(&out);
    assert_eq!(p.remote_branch("feature"), Some(p.head()));
}

#[test]
fn review_mode_runs_the_missing_reviews_before_deciding() {
    let p = Pushing::new();
    p.install(&[]);
    let review = with(SIM, &[("PARWF_HOOK__MODE", "review")]);
    p.repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    p.repo.commit_all("good design");
    assert_pushed(&p.push(&["feature"], &review));
    let note = p
        .repo
        .git(&["notes", "--ref=parwf", "show", "HEAD:docs/lld/LLD-1-a.md"]);
    assert!(note.starts_with("parwf-verdict: APPROVED"), "{note}");

    p.repo.write("docs/lld/LLD-2-b.md", REVISE_LLD);
    p.repo.commit_all("unfinished design");
    let out = p.push(&["feature"], &review);
    assert_refused(&out);
    // Only the document that fails is listed.
    redact(&p.repo)
        .bind(|| insta::assert_snapshot!("refused_after_review", refusal(&stderr(&out))));
    // Off: nothing is checked.
    assert_pushed(&p.push(&["feature"], &[("PARWF_HOOK__MODE", "off")]));
}

#[test]
fn review_mode_stops_at_the_time_limit_and_refuses() {
    let p = Pushing::new();
    p.install(&[]);
    p.repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    p.repo.commit_all("design");
    let started = std::time::Instant::now();
    let out = p.push(
        &["feature"],
        &[
            ("PARWF_PROVIDER__KIND", "sim"),
            ("PARWF_SIM__LATENCY_MS", "600000"),
            ("PARWF_SIM__JITTER_MS", "0"),
            ("PARWF_HOOK__MODE", "review"),
            ("PARWF_HOOK__TIMEOUT_S", "1"),
        ],
    );
    assert_refused(&out);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the time limit did not stop the review"
    );
    redact(&p.repo).bind(|| insta::assert_snapshot!("refused_time_limit", refusal(&stderr(&out))));
}

#[test]
fn a_first_push_to_an_empty_remote_checks_every_document_in_the_pushed_tree() {
    let repo = Repo::new();
    let remote_dir = tempfile::tempdir().expect("tempdir");
    let remote = remote_dir.path().join("empty.git").display().to_string();
    repo.git(&["init", "-q", "--bare", &remote]);
    repo.git(&["remote", "add", "origin", &remote]);
    repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    repo.commit_all("design");
    repo.write("src/lib.rs", "// code\n");
    repo.commit_all("code");
    assert_exit(&repo.parwf(&["install-hook"]), exit::OK);

    let out = git_out(&repo, &["push", "origin", "main"], &[]);
    assert_refused(&out);
    redact(&repo).bind(|| insta::assert_snapshot!("refused_first_push", refusal(&stderr(&out))));

    let out = repo.parwf_in(repo.path(), &["--all"], SIM);
    assert_exit(&out, exit::OK);
    assert_pushed(&git_out(&repo, &["push", "origin", "main"], SIM));
}

//! Selections by path and glob: --all, explicit paths, workflow filters, and timing.

use parwf_testkit::history::FastImport;

use super::*;

#[test]
fn all_selects_every_document_in_head() {
    let repo = repo_with_feature_branch();
    repo.write("ideas/active/fast-start.md", "# idea\n");
    repo.write(
        "ideas/active/nested/too-deep.md",
        "`*` does not cross `/`\n",
    );
    repo.write("ideas/archive/old.md", "# not active\n");
    repo.write("docs/other.md", "# no workflow\n");
    repo.commit_all("more");
    // A new file in the work tree is not in HEAD.
    repo.write("docs/lld/LLD-99.md", "# uncommitted\n");

    let d = run(&options(repo.path(), Selection::All));
    assert_eq!(
        ids(&d),
        [
            ("LLD-1", "docs/lld/LLD-1-cache.md"),
            ("LLD-2", "docs/lld/LLD-2.md"),
            ("ISSUE-1", "docs/issues/ISSUE-1.md"),
            ("ISSUE-fast-start", "ideas/active/fast-start.md"),
        ]
    );
    let blob = rev_parse(&repo, repo.path(), "HEAD:ideas/active/fast-start.md");
    assert_eq!(d.items[3].blob, blob);

    let mut only = options(repo.path(), Selection::All);
    only.only = Some(Issue);
    assert_eq!(
        paths(&run(&only)),
        ["docs/issues/ISSUE-1.md", "ideas/active/fast-start.md"]
    );
}

#[test]
fn a_path_matching_two_kinds_takes_the_most_specific_glob() {
    let repo = Repo::new();
    repo.write("docs/issues/ISSUE-3.md", "# three\n");
    repo.commit_all("base");
    let broad = vec!["docs/**/*.md".to_string()];
    let narrow = vec!["docs/issues/**/*.md".to_string()];

    // Whichever order the kinds come in, `docs/issues/**` says more than `docs/**`.
    let mut opts = options(repo.path(), Selection::All);
    opts.kinds = kinds(vec![(Lld, broad.clone()), (Issue, narrow.clone())]);
    let d = run(&opts);
    assert_eq!(ids(&d), [("ISSUE-3", "docs/issues/ISSUE-3.md")]);

    opts.kinds = kinds(vec![(Issue, narrow), (Lld, broad.clone())]);
    let d = run(&opts);
    assert_eq!(ids(&d), [("ISSUE-3", "docs/issues/ISSUE-3.md")]);

    // Equally specific: the kind listed first (config kinds come in name order).
    opts.kinds = kinds(vec![(Issue, broad.clone()), (Lld, broad)]);
    let d = run(&opts);
    assert_eq!(ids(&d), [("ISSUE-3", "docs/issues/ISSUE-3.md")]);
}

#[test]
fn bad_glob_is_a_config_error() {
    let repo = repo_with_feature_branch();
    let mut opts = options(repo.path(), Selection::All);
    opts.kinds = kinds(vec![(Lld, vec!["docs/lld/[.md".to_string()])]);
    let e = run_err(&opts);
    assert!(matches!(e, DiscoverError::BadGlob { .. }), "{e:?}");
    redact(&repo).bind(|| insta::assert_snapshot!("bad_glob", said(&e)));
}

#[test]
fn explicit_paths_are_read_from_the_work_tree() {
    let repo = repo_with_feature_branch();
    repo.write("docs/lld/LLD-2.md", "# LLD 2\nunsaved edit\n");
    repo.write("notes/lld-sketch.md", "# inferred from the name\n");
    let sub = repo.path().join("docs/lld");
    let absolute = repo.path().join("docs/issues/ISSUE-1.md");

    let d = run(&options(
        &sub,
        Selection::Paths(vec![
            "LLD-2.md".into(),
            "./LLD-2.md".into(),
            absolute,
            "../../notes/lld-sketch.md".into(),
        ]),
    ));
    assert_eq!(
        ids(&d),
        [
            ("LLD-2", "docs/lld/LLD-2.md"),
            ("LLD-lld-sketch", "notes/lld-sketch.md"),
            ("ISSUE-1", "docs/issues/ISSUE-1.md"),
        ]
    );
    for item in &d.items {
        assert_eq!(item.source, ContentSource::Worktree);
        let hashed = repo.git(&["hash-object", &item.path]).trim().to_string();
        assert_eq!(item.blob, hashed, "{}", item.path);
    }
}

#[test]
fn explicit_paths_outside_the_repo_or_unknown_are_refused() {
    let repo = repo_with_feature_branch();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("LLD-1.md"), "# not in the repo\n").unwrap();
    repo.write("notes/plan.md", "# which workflow?\n");
    let paths_opts = |p: PathBuf| options(repo.path(), Selection::Paths(vec![p]));
    let mut text = String::new();
    let mut refused = |p: PathBuf| {
        let e = run_err(&paths_opts(p.clone()));
        text.push_str(&format!("{}:\n{}", p.display(), said(&e)));
        e
    };

    let e = refused(elsewhere.path().join("LLD-1.md"));
    assert!(matches!(e, DiscoverError::PathOutsideRepo { .. }), "{e:?}");
    let e = refused("../outside.md".into());
    assert!(matches!(e, DiscoverError::PathNotFound(_)), "{e:?}");
    let e = refused("docs/lld/LLD-404.md".into());
    assert!(matches!(e, DiscoverError::PathNotFound(_)), "{e:?}");
    let e = refused(".git/config".into());
    assert!(matches!(e, DiscoverError::PathOutsideRepo { .. }), "{e:?}");
    let e = refused("docs/lld".into());
    assert!(matches!(e, DiscoverError::NotAFile(_)), "{e:?}");
    let e = refused("notes/plan.md".into());
    assert!(matches!(e, DiscoverError::UnknownWorkflow(_)), "{e:?}");
    let dirs = [(repo.path(), "[REPO]"), (elsewhere.path(), "[ELSEWHERE]")];
    redact_dirs(&dirs).bind(|| insta::assert_snapshot!("refused_paths", text));

    let mut opts = paths_opts("notes/plan.md".into());
    opts.only = Some(Issue);
    assert_eq!(ids(&run(&opts)), [("ISSUE-plan", "notes/plan.md")]);
}

#[test]
fn workflow_flag_decides_how_an_explicit_path_is_reviewed() {
    let repo = repo_with_feature_branch();
    repo.write("docs/issues/ISSUE-30.md", "# thirty\n");
    let mut opts = options(
        repo.path(),
        Selection::Paths(vec!["docs/issues/ISSUE-30.md".into()]),
    );
    assert_eq!(ids(&run(&opts)), [("ISSUE-30", "docs/issues/ISSUE-30.md")]);
    // Named on the command line with --workflow lld: reviewed as an LLD, never dropped.
    opts.only = Some(Lld);
    let d = run(&opts);
    assert_eq!(ids(&d), [("LLD-30", "docs/issues/ISSUE-30.md")]);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    insta::assert_snapshot!("reviewed_as_lld", d.warnings[0]);
}

#[test]
fn workflow_filter_applies_to_ranges() {
    let repo = repo_with_feature_branch();
    repo.write("docs/lld/LLD-2.md", "# changed\n");
    repo.write("docs/issues/ISSUE-1.md", "# changed\n");
    repo.commit_all("both kinds");
    let mut opts = options(repo.path(), Selection::Since("main".into()));
    assert_eq!(paths(&run(&opts)).len(), 2);
    opts.only = Some(Lld);
    assert_eq!(paths(&run(&opts)), ["docs/lld/LLD-2.md"]);
}

/// Builds `main` with `docs` documents (and as many code files) and `feature` with `commits`
/// commits on top, each editing one document, through `git fast-import` (seconds instead of
/// minutes).
fn big_history(repo: &Repo, docs: usize, commits: usize) {
    const WHEN: i64 = 1_767_225_600;
    let mut s = FastImport::new("Test <test@example.com>");
    let mut base = Vec::new();
    for i in 0..docs {
        base.push((
            format!("docs/lld/d{:03}/LLD-{i}.md", i / 100),
            format!("# LLD {i}\n"),
        ));
        base.push((format!("src/m{:03}/f{i}.rs", i / 100), format!("// {i}\n")));
    }
    let mut parent = s.commit("main", WHEN, "base", None, &base);
    for c in 0..commits {
        let i = c % docs;
        let edit = [(
            format!("docs/lld/d{:03}/LLD-{i}.md", i / 100),
            format!("# LLD {i}\nrevision {c}\n"),
        )];
        parent = s.commit("feature", WHEN, &format!("c{c}"), Some(parent), &edit);
    }
    s.import(repo.path(), |cmd| hermetic_env(cmd, &repo.home()))
        .expect("git fast-import");
    repo.git(&["checkout", "-q", "-f", "feature"]);
}

/// 10,000 commits touching 5,000 documents: discovery is one tree diff, so it must cost
/// about what `git diff --name-only` costs, not a walk over the commits.
#[test]
#[ignore = "builds a 10,000-commit history; run with --ignored"]
fn a_long_range_costs_about_one_tree_diff() {
    let repo = Repo::new();
    big_history(&repo, 5_000, 10_000);

    let started = Instant::now();
    let names = repo.git(&["diff", "--name-only", "main...HEAD"]);
    let git_time = started.elapsed();
    assert_eq!(names.lines().count(), 5_000);

    let started = Instant::now();
    let d = since(repo.path(), "main");
    let ours = started.elapsed();
    assert_eq!(d.items.len(), 5_000);
    eprintln!("git diff --name-only: {git_time:?}; discover: {ours:?}");
    assert!(
        ours < git_time * 5 + Duration::from_millis(500),
        "discover took {ours:?}, git diff {git_time:?}"
    );
}

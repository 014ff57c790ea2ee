//! Document IDs: derivation, refusals, and documents that share a number.

use proptest::prelude::*;

use super::*;

#[test]
fn derive_id_table() {
    let table = [
        (Lld, "docs/lld/LLD-042-cache.md", "LLD-42"),
        (Lld, "docs/lld/drafts/spec-0101-readiness.md", "LLD-101"),
        (Lld, "docs/lld/0000.md", "LLD-0"),
        (Lld, "docs/lld/v2.1-design.md", "LLD-2"),
        (
            Lld,
            "docs/lld/00000000000000000000000000000000000000007.md",
            "LLD-7",
        ),
        (Issue, "docs/issues/17-login-fails.md", "ISSUE-17"),
        (Issue, "ideas/active/my idea!.md", "ISSUE-my-idea"),
        (
            Issue,
            "ideas/active/--my--great__idea--.md",
            "ISSUE-my-great__idea",
        ),
        (Issue, "ideas/active/naïve.md", "ISSUE-na-ve"),
        (Issue, "ideas/active/archive.tar.md", "ISSUE-archive-tar"),
        (Issue, "ideas/active/README", "ISSUE-README"),
        (Issue, "ideas/active/.hidden.md", "ISSUE-hidden"),
        (
            Issue,
            &format!("ideas/active/{}.md", "a".repeat(58)),
            &format!("ISSUE-{}", "a".repeat(58)),
        ),
        (
            Lld,
            &format!("docs/lld/{}.md", "9".repeat(60)),
            &format!("LLD-{}", "9".repeat(60)),
        ),
    ];
    for (kind, path, want) in table {
        let got = derive_id(kind, path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(got, want, "{path}");
        assert!(is_valid_id(&got), "{got}");
        assert!(got.len() <= 64);
    }
}

#[test]
fn derive_id_refuses_unusable_names() {
    let long_stem = format!("ideas/active/{}.md", "a".repeat(59));
    let long_number = format!("docs/lld/{}.md", "9".repeat(61));
    let refused = [
        (Issue, "ideas/active/...md"),
        (Issue, "ideas/active/....md"),
        (Issue, "ideas/active/日本語.md"),
        (Issue, "ideas/active/a\nb.md"),
        (Issue, "ideas/active/a\0b.md"),
        (Lld, "docs/lld/LLD-1\n.md"),
        (Issue, "ideas/active/"),
        (Issue, &long_stem),
        (Lld, &long_number),
        (Issue, &format!("ideas/active/{}.md", "x".repeat(200))),
    ];
    let mut text = String::new();
    for (kind, path) in refused {
        let e = derive_id(kind, path).expect_err(path);
        assert!(matches!(e, DiscoverError::BadId { .. }), "{path}: {e:?}");
        let msg = e.to_string();
        let visible = path.split(char::is_control).next().unwrap();
        assert!(msg.contains(visible), "{msg} should name {path:?}");
        assert!(!msg.chars().any(char::is_control), "one line: {msg:?}");
        text.push_str(&format!("{kind:?} {path:?}:\n{}", said(&e)));
    }
    insta::assert_snapshot!("refused_names", text);
    assert!(!is_valid_id(""));
    assert!(!is_valid_id(".."));
    assert!(!is_valid_id("LLD/1"));
    assert!(!is_valid_id(&"a".repeat(65)));
    assert!(is_valid_id(&"a".repeat(64)));
}

#[test]
fn a_badly_named_selected_document_fails_alone_naming_it() {
    let repo = repo_with_feature_branch();
    repo.write("ideas/active/日本語.md", "# idea\n");
    repo.write("ideas/active/fine-7.md", "# idea\n");
    repo.commit_all("idea");
    let d = run(&options(repo.path(), Selection::Since("main".into())));
    assert_eq!(ids(&d), [("ISSUE-7", "ideas/active/fine-7.md")]);
    assert_eq!(d.unusable.len(), 1, "{:?}", d.unusable);
    let u = &d.unusable[0];
    assert_eq!(u.item.path, "ideas/active/日本語.md");
    assert!(is_valid_id(&u.item.id), "{}", u.item.id);
    assert!(u.reason.contains("ideas/active/日本語.md"), "{}", u.reason);
    assert!(u.reason.contains("rename"), "{}", u.reason);
}

/// `BASE-` + the first 6 hex digits of SHA-256(path), as documented.
fn suffixed(base: &str, path: &str) -> String {
    let hex: String = Sha256::digest(path.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{base}-{}", &hex[..6])
}

#[test]
fn duplicate_numbers_get_distinct_stable_ids_and_a_warning() {
    let repo = Repo::new();
    let active = "docs/lld/active/LLD-101.md";
    let draft = "docs/lld/drafts/spec-0101-readiness.md";
    repo.write(active, "# active\n");
    repo.write(draft, "# draft\n");
    repo.write("docs/lld/LLD-102.md", "# unique\n");
    repo.commit_all("two documents numbered 101");

    // The document whose name spells LLD-101 keeps it; the other gets a suffix from its path.
    let all = run(&options(repo.path(), Selection::All));
    let draft_id = suffixed("LLD-101", draft);
    assert_eq!(
        ids(&all),
        [
            ("LLD-102", "docs/lld/LLD-102.md"),
            ("LLD-101", active),
            (draft_id.as_str(), draft),
        ]
    );
    assert_eq!(all.warnings.len(), 1, "{:?}", all.warnings);
    assert!(
        all.warnings[0].starts_with(&format!(
            "1 document(s) share an ID with another and get a suffix from their path: {draft} → {draft_id} (shares LLD-101 with {active})"
        )),
        "{:?}",
        all.warnings
    );

    // Same IDs when only one of the two is selected: an ID does not depend on the selection.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(draft, "# draft\nrevised\n");
    repo.commit_all("revise the draft");
    let d = since(repo.path(), "main");
    assert_eq!(ids(&d), [(draft_id.as_str(), draft)]);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].contains(active) && d.warnings[0].contains(&draft_id));
}

#[test]
fn duplicate_ids_stay_within_64_bytes() {
    let repo = Repo::new();
    let stem = "a".repeat(58);
    repo.write(&format!("docs/issues/{stem}.md"), "# one\n");
    repo.write(&format!("ideas/active/{stem}.md"), "# two\n");
    repo.commit_all("same long stem twice");
    let d = run(&options(repo.path(), Selection::All));
    assert_eq!(d.items.len(), 2);
    assert_ne!(d.items[0].id, d.items[1].id);
    for item in &d.items {
        assert!(is_valid_id(&item.id), "{}", item.id);
        assert_eq!(item.id.len(), 64, "{}", item.id);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary file paths as document names: every ID is valid, or the file is refused.
    #[test]
    fn derived_ids_are_always_valid_or_refused(path in "(\\PC{0,20}/){0,3}\\PC{0,80}") {
        for kind in WorkflowKind::ALL {
            if let Ok(id) = derive_id(kind, &path) {
                prop_assert!(is_valid_id(&id), "{path:?} gave {id:?}");
                prop_assert!(id.len() <= 64);
            }
        }
    }
}

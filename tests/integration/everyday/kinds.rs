//! Document kinds and IDs: an ID depends on the file's own path and the config, collisions
//! are told once and resolved the same way every run.

use super::*;
use crate::support::exit::{self, assert_exit};
use crate::support::{stderr, stdout};

fn listing(repo: &Repo, args: &[&str]) -> (Vec<(String, String, String)>, String) {
    let out = repo.parwf(&[args, &["--dry-run", "--format", "json"]].concat());
    assert_exit(&out, exit::OK);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let items = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("kind"), s("path"))
        })
        .collect();
    (items, stderr(&out))
}

fn id_of(items: &[(String, String, String)], path: &str) -> String {
    items
        .iter()
        .find(|(_, _, p)| p == path)
        .map(|(id, _, _)| id.clone())
        .unwrap_or_else(|| panic!("{path} not listed: {items:?}"))
}

#[test]
fn a_kind_of_its_own_with_a_prefix_and_excludes_gives_every_document_its_own_id() {
    let repo = Repo::new();
    repo.write("docs/lld/active/LLD-088.md", GOOD_LLD);
    repo.write("docs/lld/drafts/spec-0088-readiness.md", GOOD_LLD);
    repo.write("docs/lld/templates/LLD-000-template.md", GOOD_LLD);
    repo.write("docs/lld/active/LLD-089.md", GOOD_LLD);
    repo.commit_all("documents");
    repo.write(
        ".parwf.toml",
        "[workflows.lld]\nexclude = [\"docs/lld/templates/**\"]\n\n\
         [workflows.spec]\npaths = [\"docs/lld/drafts/**/*.md\"]\nworkflow = \"lld\"\nid_prefix = \"SPEC\"\n",
    );
    let (items, err) = listing(&repo, &["--all"]);
    assert_eq!(id_of(&items, "docs/lld/active/LLD-088.md"), "LLD-88");
    assert_eq!(
        id_of(&items, "docs/lld/drafts/spec-0088-readiness.md"),
        "SPEC-88"
    );
    assert!(
        items
            .iter()
            .any(|(id, kind, _)| id == "SPEC-88" && kind == "spec"),
        "{items:?}"
    );
    assert!(
        !items.iter().any(|(_, _, p)| p.contains("templates")),
        "an excluded file was listed: {items:?}"
    );
    assert!(!err.contains("share"), "no collision is left: {err}");

    // `--workflow lld` keeps the spec documents: they are reviewed as LLDs.
    let (items, _) = listing(&repo, &["--all", "--workflow", "lld"]);
    assert_eq!(items.len(), 3, "{items:?}");
}

#[test]
fn collisions_are_told_in_one_line_and_ids_do_not_depend_on_the_selection() {
    let repo = Repo::new();
    for n in 1..=5 {
        repo.write(&format!("docs/lld/active/LLD-{n:03}.md"), GOOD_LLD);
        repo.write(&format!("docs/lld/drafts/spec-{n:04}-x.md"), GOOD_LLD);
    }
    repo.commit_all("five shared numbers");
    let (all, err) = listing(&repo, &["--all"]);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("share")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains("5 document(s)") && warnings[0].contains("and 2 more"),
        "{err}"
    );
    // The documents whose names spell the ID keep it.
    assert_eq!(id_of(&all, "docs/lld/active/LLD-003.md"), "LLD-3");
    let spec = "docs/lld/drafts/spec-0003-x.md";
    let spec_id = id_of(&all, spec);
    assert!(
        spec_id.starts_with("LLD-3-") && spec_id.len() == "LLD-3-".len() + 6,
        "{spec_id}"
    );

    // The same IDs on every run, for any selection, whatever else the repo holds.
    let (again, _) = listing(&repo, &["--all"]);
    assert_eq!(again, all);
    let (one, err) = listing(&repo, &[spec]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, spec_id);
    assert_eq!(
        err.lines().filter(|l| l.contains("share")).count(),
        1,
        "{err}"
    );
    repo.write("docs/lld/active/LLD-200-new.md", GOOD_LLD);
    repo.write("ideas/active/3-idea.md", GOOD_LLD);
    repo.commit_all("more documents");
    let (after, _) = listing(&repo, &["--all"]);
    for (id, _, path) in &all {
        assert_eq!(&id_of(&after, path), id, "{path}");
    }
    assert_eq!(id_of(&after, "ideas/active/3-idea.md"), "ISSUE-3");
}

#[test]
fn kind_config_errors_name_the_file_and_line() {
    let repo = Repo::new();
    repo.write("docs/lld/LLD-1.md", GOOD_LLD);
    repo.commit_all("one");
    let cfg = repo.path().join(".parwf.toml");
    for (text, line, words) in [
        (
            "parallel = 2\n[workflows.spec]\npaths = [\"docs/spec/*.md\"]\n",
            3,
            "workflow",
        ),
        (
            "[workflows.lld]\n\npaths = [\"docs/lld/[*.md\"]\n",
            3,
            "invalid glob `docs/lld/[*.md`",
        ),
        (
            "[workflows.lld]\nid_prefix = \"L/D\"\n",
            2,
            "cannot start an ID",
        ),
        (
            "[workflows.spec]\npaths = []\nworkflow = \"design\"\n",
            3,
            "`design` is not one of lld, issue",
        ),
    ] {
        repo.write(".parwf.toml", text);
        let out = repo.parwf(&["--all", "--dry-run"]);
        let err = stderr(&out);
        assert_exit(&out, exit::USAGE);
        assert!(
            err.contains(&format!("{}:{line}", cfg.display())),
            "{text}: {err}"
        );
        assert!(err.contains(words), "{text}: {err}");
        assert!(stdout(&out).is_empty());
    }
}

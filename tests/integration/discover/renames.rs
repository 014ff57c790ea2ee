//! Ranges that move many files: discovery diffs only the document globs' roots, and still
//! follows documents that move.

use super::*;

/// The roots of `globs()`: the pathspec a user would give git for the same question.
const ROOTS: [&str; 3] = ["docs/lld", "docs/issues", "ideas/active"];

/// A few lines of code that differ per file, so that git's rename detection has work to do.
fn code(i: usize) -> String {
    (0..8)
        .map(|l| format!("pub fn f{i}_{l}() -> u32 {{ {l} + {i} }}\n"))
        .collect()
}

/// main: 300 code files under `src/`, two LLDs and an issue; then branch `feature`.
fn repo_with_code() -> Repo {
    let repo = Repo::new();
    for i in 0..300 {
        repo.write(&format!("src/m{}/f{i}.rs", i / 50), &code(i));
    }
    let body = "# Design\n".to_string() + &"a line of design text\n".repeat(20);
    repo.write("docs/lld/LLD-5-old-name.md", &body);
    repo.write("docs/lld/LLD-6.md", "# six\n");
    repo.write("docs/issues/ISSUE-4.md", "# four\n");
    repo.write("notes/draft.md", "# A draft\n\nNot yet a document.\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

/// What `git diff --name-only -M main...HEAD -- <roots>` lists, deletions left out.
fn git_names(repo: &Repo) -> Vec<String> {
    let mut args = vec![
        "diff",
        "--name-only",
        "-M",
        "--diff-filter=d",
        "main...HEAD",
        "--",
    ];
    args.extend(ROOTS);
    let mut names: Vec<String> = repo.git(&args).lines().map(str::to_string).collect();
    names.sort();
    names
}

#[test]
fn a_range_that_moves_many_other_files_selects_the_changed_documents_under_their_new_paths() {
    let repo = repo_with_code();
    // The reorganisation: every code file moves (a third edited), 200 more are added.
    repo.git(&["mv", "src", "lib"]);
    for i in (0..300).step_by(3) {
        repo.write(
            &format!("lib/m{}/f{i}.rs", i / 50),
            &(code(i) + "// moved\n"),
        );
    }
    for i in 300..500 {
        repo.write(&format!("gen/g{}/a{i}.rs", i / 50), &code(i));
    }
    // Documents: one renamed into a new folder, one edited.
    std::fs::create_dir_all(repo.path().join("docs/lld/archive")).unwrap();
    repo.git(&[
        "mv",
        "docs/lld/LLD-5-old-name.md",
        "docs/lld/archive/LLD-5.md",
    ]);
    repo.write("docs/lld/LLD-6.md", "# six\nrevised\n");
    repo.commit_all("reorganise the code, archive LLD-5, revise LLD-6");
    let moved = repo.git(&["diff", "--name-status", "-M", "main...HEAD"]);
    assert!(
        moved.lines().filter(|l| l.starts_with('R')).count() >= 300,
        "git sees the code renames: {moved}"
    );

    let d = since(repo.path(), "main");
    assert_eq!(
        ids(&d),
        [
            ("LLD-6", "docs/lld/LLD-6.md"),
            ("LLD-5", "docs/lld/archive/LLD-5.md"),
        ]
    );
    let mut ours: Vec<String> = paths(&d).iter().map(|p| p.to_string()).collect();
    ours.sort();
    assert_eq!(ours, git_names(&repo), "the same answer as git");
    for item in &d.items {
        let head_blob = rev_parse(&repo, repo.path(), &format!("HEAD:{}", item.path));
        assert_eq!(item.blob, head_blob, "{}", item.path);
    }
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn a_file_moved_into_a_document_folder_is_a_new_document_and_one_moved_out_is_gone() {
    let repo = repo_with_code();
    repo.git(&["mv", "src", "lib"]);
    // In from a folder no glob covers, across two roots, and out of every root.
    repo.git(&["mv", "notes/draft.md", "docs/issues/ISSUE-9-draft.md"]);
    repo.git(&["mv", "docs/issues/ISSUE-4.md", "docs/lld/LLD-4.md"]);
    std::fs::create_dir_all(repo.path().join("attic")).unwrap();
    repo.git(&["mv", "docs/lld/LLD-6.md", "attic/LLD-6.md"]);
    repo.commit_all("move documents around");

    let d = since(repo.path(), "main");
    assert_eq!(
        ids(&d),
        [
            ("LLD-4", "docs/lld/LLD-4.md"),
            ("ISSUE-9", "docs/issues/ISSUE-9-draft.md"),
        ]
    );
    assert_eq!(
        d.items[0].workflow, Lld,
        "the new path decides the workflow"
    );
    assert_eq!(
        d.items[1].blob,
        rev_parse(&repo, repo.path(), "main:notes/draft.md"),
        "the moved file's content is reviewed"
    );
    let mut ours: Vec<String> = paths(&d).iter().map(|p| p.to_string()).collect();
    ours.sort();
    assert_eq!(ours, git_names(&repo), "the same answer as git");

    // The same moves staged but not committed: the work-tree diff is limited the same way.
    repo.git(&["reset", "-q", "--soft", "main"]);
    let mut opts = options(repo.path(), Selection::Since("main".to_string()));
    opts.include_worktree = true;
    let d = run(&opts);
    assert_eq!(
        paths(&d),
        ["docs/lld/LLD-4.md", "docs/issues/ISSUE-9-draft.md"]
    );
    assert!(d.items.iter().all(|i| i.source == ContentSource::Worktree));
}

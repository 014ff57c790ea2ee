//! A `.parwf.toml` that is a symlink: `parwf trust` recorded the link's place while loading
//! looked up its target, so the trust never took effect. Trust binds to the file where it is
//! in the repository and to the text the user saw: an edit to the target needs trust again,
//! and a file trusted in one repository is not trusted through another repository's link.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::{APPROVED_REVIEW, GOOD_LLD};
use crate::support::exit::{self, assert_exit};
use crate::support::{repo_with_branch, stderr, Repo};

/// A `command` provider that leaves `marker` behind and answers with an honest review.
fn command_config(dir: &Path, marker: &Path) -> String {
    let review = dir.join("review.md");
    std::fs::write(&review, APPROVED_REVIEW).unwrap();
    format!(
        "[provider]\nkind = \"command\"\ncommand = \"touch '{}'; cat '{}'\"\n",
        marker.display(),
        review.display()
    )
}

/// A repository with one LLD on `feature`, `.parwf.toml` a symlink to `target` (relative
/// to the repository's root, or absolute).
fn linked_repo(target: &Path) -> Repo {
    let repo = repo_with_branch(&[("docs/lld/LLD-5-cache.md", GOOD_LLD)]);
    symlink(target, repo.path().join(".parwf.toml")).expect("symlink");
    repo
}

/// Reviews the branch with the repository's config (`state` is the trust store's home);
/// returns whether the configured command ran.
fn review(repo: &Repo, marker: &Path, state: &Path) -> (std::process::Output, bool) {
    let _ = std::fs::remove_file(marker);
    let state = state.display().to_string();
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--write", "none"],
        &[("XDG_STATE_HOME", &state)],
    );
    (out, marker.exists())
}

fn refused(out: &std::process::Output) {
    assert_exit(out, exit::USAGE);
    assert!(stderr(out).contains("is not trusted"), "{}", stderr(out));
}

fn state_of(repo: &Repo) -> PathBuf {
    repo.home().join(".local/state")
}

#[test]
fn parwf_trust_on_a_symlinked_config_takes_effect_until_the_target_changes() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    let config = command_config(outside.path(), &marker);
    // Linked inside the repository, and to a file outside it.
    let shared = outside.path().join("shared.toml");
    std::fs::write(&shared, &config).unwrap();
    for target in ["config/parwf.toml", &shared.display().to_string()] {
        // An absolute target stays as it is; a relative one is a file in the repository.
        let repo = linked_repo(Path::new(target));
        let file = repo.path().join(target);
        if !file.exists() {
            repo.write(target, &config);
        }
        let state = state_of(&repo);

        let (out, ran) = review(&repo, &marker, &state);
        refused(&out);
        assert!(!ran, "{target}: the untrusted command ran");

        assert_exit(&repo.parwf(&["trust"]), exit::OK);
        let (out, ran) = review(&repo, &marker, &state);
        assert_exit(&out, exit::OK);
        assert!(ran, "{target}: the trusted command did not run");

        // The text the user saw is what is trusted: an edit through the link needs trust again.
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}# changed\n")).unwrap();
        let (out, ran) = review(&repo, &marker, &state);
        refused(&out);
        assert!(!ran, "{target}: the changed command ran");
        std::fs::write(&file, &config).unwrap();
    }
}

#[test]
fn a_file_trusted_in_one_repository_is_not_trusted_through_anothers_link() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    let trusted = repo_with_branch(&[("docs/lld/LLD-5-cache.md", GOOD_LLD)]);
    trusted.write(".parwf.toml", &command_config(outside.path(), &marker));
    assert_exit(&trusted.parwf(&["trust"]), exit::OK);
    let state = state_of(&trusted);
    let (out, ran) = review(&trusted, &marker, &state);
    assert_exit(&out, exit::OK);
    assert!(ran);

    // Another repository links to the trusted file: same text, same user, another place
    // (where the command and relative paths would act on that repository).
    let other = linked_repo(&trusted.path().join(".parwf.toml"));
    let (out, ran) = review(&other, &marker, &state);
    refused(&out);
    assert!(!ran, "trust carried over to another repository's link");
}

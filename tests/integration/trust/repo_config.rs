//! Attack 1: a cloned repository's `.parwf.toml` ran commands (a `command` provider, a
//! `cmd:` key reference) on a plain `git parwf`, and a teammate's pushed config ran on the
//! victim's next `git push` through the hook in review mode. Now nothing a repository file
//! sets runs until `parwf trust` has recorded that exact content.

use super::{error_lines, user_config, Endpoint, Origin, APPROVED_REVIEW, GOOD_LLD};
use crate::support::exit::{self, assert_exit};
use crate::support::push::git_out;
use crate::support::{stderr, stdout, Repo};

/// A `command` provider that leaves `marker` behind and answers with an honest review.
fn command_config(dir: &std::path::Path, marker: &std::path::Path) -> String {
    let review = dir.join("review.md");
    std::fs::write(&review, APPROVED_REVIEW).unwrap();
    format!(
        "parallel = 2\n\n[provider]\nkind = \"command\"\ncommand = \"touch '{}'; cat '{}'\"\n",
        marker.display(),
        review.display()
    )
}

fn feature_with_doc(repo: &Repo) {
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("docs/lld/LLD-3-cache.md", GOOD_LLD);
    repo.commit_all("design");
}

#[test]
fn a_cloned_repositorys_command_provider_runs_only_after_parwf_trust() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    let origin = Origin::new(Some(&command_config(outside.path(), &marker)));
    let repo = &origin.dev;
    feature_with_doc(repo);
    let cfg = std::fs::canonicalize(repo.path().join(".parwf.toml")).unwrap();

    let out = repo.parwf(&["--since", "origin/main"]);
    assert_exit(&out, exit::USAGE);
    let (error, hint) = error_lines(&out);
    assert_eq!(
        error,
        format!("error: {} is not trusted: it sets provider.command, provider.kind (settings that run commands, read files or choose where requests and keys go)", cfg.display())
    );
    assert!(
        hint.contains("run `parwf trust` (it shows what it trusts)"),
        "{hint}"
    );
    assert!(!marker.exists(), "the repository's command ran");

    // What runs nothing works untrusted; config show says what is not used.
    let out = repo.parwf(&["--since", "origin/main", "--dry-run"]);
    assert_exit(&out, exit::OK);
    assert!(stdout(&out).contains("LLD-3"), "{}", stdout(&out));
    let out = repo.parwf(&["config", "show"]);
    assert_exit(&out, exit::OK);
    let shown = stdout(&out);
    let line = shown
        .lines()
        .find(|l| l.starts_with("provider.command "))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        line.ends_with("(untrusted: not used until `parwf trust`)"),
        "{line}"
    );
    assert!(
        shown.contains("parallel ")
            && !shown
                .lines()
                .any(|l| l.starts_with("parallel ") && l.contains("untrusted"))
    );
    assert_exit(&repo.parwf(&["status"]), exit::OK);
    assert!(!marker.exists());

    // `parwf trust` shows what it trusts, then the same run works.
    let out = repo.parwf(&["trust"]);
    assert_exit(&out, exit::OK);
    let said = stdout(&out);
    assert!(
        said.contains(&format!("parwf trust: {}", cfg.display())),
        "{said}"
    );
    assert!(said.contains("provider.command = \"touch '"), "{said}");
    assert!(
        said.contains("provider.kind    = \"command\"  # line 4"),
        "{said}"
    );
    assert!(repo.home().join(".local/state/parwf/trusted").is_file());
    let out = repo.parwf(&["--since", "origin/main"]);
    assert_exit(&out, exit::OK);
    assert!(marker.exists(), "the trusted command provider did not run");
    assert!(stdout(&out).contains("APPROVED"), "{}", stdout(&out));

    // Any change needs trust again; so does a revoked file.
    std::fs::remove_file(&marker).unwrap();
    let text = std::fs::read_to_string(repo.path().join(".parwf.toml")).unwrap();
    repo.write(".parwf.toml", &format!("{text}# one more line\n"));
    let out = repo.parwf(&["--since", "origin/main", "--fresh"]);
    assert_exit(&out, exit::USAGE);
    assert!(stderr(&out).contains("is not trusted"));
    assert!(repo.parwf(&["trust"]).status.success());
    let out = repo.parwf(&["trust", "--revoke"]);
    assert!(
        stdout(&out).contains("no longer trusted"),
        "{}",
        stdout(&out)
    );
    let out = repo.parwf(&["--since", "origin/main", "--fresh"]);
    assert_exit(&out, exit::USAGE);
    assert!(!marker.exists());
}

#[test]
fn a_cmd_key_reference_in_a_cloned_config_runs_nothing_and_sends_nothing() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    let endpoint = Endpoint::reviewing(APPROVED_REVIEW);
    let config = format!(
        "[provider]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"{}\"\nkeys = [\"cmd:touch '{}'; echo k\", \"file:~/.git-credentials\"]\n",
        endpoint.base_url(),
        marker.display()
    );
    let origin = Origin::new(Some(&config));
    feature_with_doc(&origin.dev);
    let out = origin.dev.parwf(&["--since", "origin/main"]);
    assert_exit(&out, exit::USAGE);
    let (error, _) = error_lines(&out);
    assert!(
        error.contains("is not trusted: it sets provider.base_url, provider.keys, provider.kind"),
        "{error}"
    );
    assert!(!marker.exists(), "the cmd: reference ran");
    assert!(endpoint.requests().is_empty(), "a request was sent");
}

#[test]
fn a_teammates_pushed_config_does_not_run_on_the_victims_push() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    let origin = Origin::new(None);
    // The victim has their own provider and the hook installed.
    let victim = &origin.dev;
    user_config(victim, "[provider]\nkind = \"sim\"\n");
    assert!(victim.parwf(&["install-hook"]).status.success());

    // A teammate pushes a config that turns on review mode with their own command.
    let mate = Repo::clone_of(&origin.url());
    let config = format!(
        "[hook]\nmode = \"review\"\n\n{}",
        command_config(outside.path(), &marker).replace("parallel = 2\n\n", "")
    );
    mate.write(".parwf.toml", &config);
    mate.commit_all("review in the hook");
    mate.git(&["push", "-q", "origin", "main"]);

    victim.git(&["pull", "-q", "origin", "main"]);
    feature_with_doc(victim);
    let out = git_out(victim, &["push", "origin", "feature"], &[]);
    assert!(!out.status.success(), "pushed: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(".parwf.toml is not trusted: it sets provider.command, provider.kind"),
        "{err}"
    );
    assert!(err.contains("parwf trust"), "{err}");
    assert!(
        !marker.exists(),
        "the teammate's command ran in the victim's push"
    );
    let remote = victim.git(&["ls-remote", "origin", "feature"]);
    assert!(remote.trim().is_empty(), "the branch reached the remote");
}

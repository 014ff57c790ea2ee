//! Attack 2: the user's config names the keys, a repository's config names only `base_url`
//! (plain http, someone else's host): the key arrived there as `Authorization: Bearer …`.
//! Now a key goes only to the endpoint set by whoever set the key, and `http://` leaves the
//! machine only when the user says so.

use super::{error_lines, user_config, Endpoint, APPROVED_REVIEW, GOOD_LLD, KEY};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{repo_with_branch, stderr, stdout};

#[test]
fn the_users_keys_never_go_to_an_endpoint_the_repository_chose() {
    let endpoint = Endpoint::reviewing(APPROVED_REVIEW);
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    user_config(
        &repo,
        "[provider]\nkind = \"openai\"\nmodel = \"m\"\nkeys = [\"env:OPENAI_API_KEY\"]\n",
    );
    let env = [("OPENAI_API_KEY", KEY), ("NO_PROXY", "127.0.0.1")];
    repo.write(
        ".parwf.toml",
        &format!("[provider]\nbase_url = \"{}\"\n", endpoint.base_url()),
    );
    let user_file = repo.home().join(".config/parwf/config.toml");
    let repo_file = repo.path().join(".parwf.toml");

    // Untrusted: the repository may not choose where requests go at all.
    let out = repo.parwf_in(repo.path(), &["--since", "main"], &env);
    assert_exit(&out, exit::USAGE);
    assert!(stderr(&out).contains("is not trusted: it sets provider.base_url"));

    // Trusted: still not with the user's keys.
    assert!(repo.parwf(&["trust"]).status.success());
    let out = repo.parwf_in(repo.path(), &["--since", "main"], &env);
    assert_exit(&out, exit::USAGE);
    let (error, hint) = error_lines(&out);
    assert_eq!(
        error,
        format!(
            "error: `provider.keys` ({}:4) would be sent to the endpoint `provider.base_url` ({}:2), set elsewhere: keys go only where the layer that set them says",
            user_file.display(),
            repo_file.display()
        )
    );
    assert!(hint.contains("in the same place"), "{hint}");

    // The drafter inherits the user's keys: the repository's [drafter] endpoint is refused too.
    repo.write(
        ".parwf.toml",
        &format!(
            "[drafter]\nkind = \"openai\"\nbase_url = \"{}\"\n",
            endpoint.base_url()
        ),
    );
    assert!(repo.parwf(&["trust"]).status.success());
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--revise"], &env);
    assert_exit(&out, exit::USAGE);
    assert!(
        stderr(&out).contains("`provider.keys` (")
            && stderr(&out).contains("the endpoint `drafter.base_url` ("),
        "{}",
        stderr(&out)
    );

    assert!(
        endpoint.requests().is_empty(),
        "a request reached the repository's endpoint"
    );
    for out_text in [stdout(&out), stderr(&out)] {
        assert!(!out_text.contains(KEY));
    }

    // Keys and endpoint from the same trusted file: the file's own choice, which runs.
    repo.write(
        ".parwf.toml",
        &format!(
            "[provider]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"{}\"\nkeys = [\"env:TEAM_KEY\"]\n",
            endpoint.base_url()
        ),
    );
    assert!(repo.parwf(&["trust"]).status.success());
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main"],
        &[("TEAM_KEY", KEY), ("NO_PROXY", "127.0.0.1")],
    );
    assert_exit(&out, exit::OK);
    let seen = endpoint.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn plain_http_leaves_the_machine_only_when_the_user_allows_it() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    user_config(
        &repo,
        "[provider]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"http://attacker.invalid/v1\"\nkeys = [\"env:OPENAI_API_KEY\"]\n",
    );
    let user_file = repo.home().join(".config/parwf/config.toml");
    // Checked when the config loads, so even `config show` says it.
    let out = repo.parwf(&["config", "show"]);
    assert_exit(&out, exit::USAGE);
    let (error, _) = error_lines(&out);
    assert_eq!(
        error,
        format!("error: `provider.base_url` ({}:4): http:// to attacker.invalid would send the key and the documents unencrypted; use https, or set provider.allow_insecure_http = true", user_file.display())
    );

    // The repository cannot allow it on the user's behalf.
    repo.write(".parwf.toml", "[provider]\nallow_insecure_http = true\n");
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main"],
        &[("OPENAI_API_KEY", KEY)],
    );
    assert_exit(&out, exit::USAGE);
    assert!(
        stderr(&out).contains("is not trusted: it sets provider.allow_insecure_http"),
        "{}",
        stderr(&out)
    );

    // Other endpoint checks, each naming the key and its source.
    std::fs::remove_file(repo.path().join(".parwf.toml")).unwrap();
    user_config(&repo, "[provider]\nkind = \"openai\"\nmodel = \"m\"\n");
    for (env, want) in [
        (
            ("PARWF_PROVIDER__BASE_URL", "ftp://host/v1"),
            "`provider.base_url` (env PARWF_PROVIDER__BASE_URL): scheme `ftp` is not http or https",
        ),
        (
            ("PARWF_PROVIDER__TIMEOUT_S", "0"),
            "`provider.timeout_s` (env PARWF_PROVIDER__TIMEOUT_S): must be at least 1 (seconds)",
        ),
        (
            ("PARWF_PROVIDER__TEMPERATURE", "nan"),
            "`provider.temperature` (env PARWF_PROVIDER__TEMPERATURE): must be a finite number",
        ),
        (
            ("PARWF_MAX_DOCUMENT_BYTES", "0"),
            "`max_document_bytes` (env PARWF_MAX_DOCUMENT_BYTES): must be at least 1",
        ),
        (
            ("PARWF_PROMPTS_DIR", "no-such-dir"),
            "`prompts_dir` (env PARWF_PROMPTS_DIR): ",
        ),
    ] {
        let out = repo.parwf_in(repo.path(), &["config", "show"], &[env]);
        assert_exit_for(&format!("{env:?}"), &out, exit::USAGE);
        assert!(stderr(&out).contains(want), "{env:?}: {}", stderr(&out));
    }

    // Loopback is this machine: allowed without asking (a local gateway, Ollama).
    let out = repo.parwf_in(
        repo.path(),
        &["config", "show"],
        &[("PARWF_PROVIDER__BASE_URL", "http://127.0.0.1:11434/v1")],
    );
    assert_exit(&out, exit::OK);
}

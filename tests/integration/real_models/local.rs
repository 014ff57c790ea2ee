//! A server on this machine (llama.cpp, Ollama, vLLM) runs without keys, in each API's format;
//! anywhere else a key is still required.

use super::{item, json, APIS};
use crate::support::api::{review, Api, Fake};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::stderr;

/// The fake's environment without any key reference or key.
fn keyless(fake: &Fake) -> Vec<(String, String)> {
    fake.env(0)
        .into_iter()
        .filter(|(k, _)| k != "PARWF_PROVIDER__KEYS")
        .collect()
}

#[test]
fn a_loopback_server_needs_no_key_and_is_sent_none_in_each_format() {
    for api in APIS {
        let fake = Fake::start(api, move |c| review(api, c));
        // Two contents (identical ones would be reviewed once).
        let second = format!("{GOOD_LLD}\nAnother design.\n");
        let repo = super::repo(&[
            ("docs/lld/LLD-1-a.md", GOOD_LLD),
            ("docs/lld/LLD-2-b.md", second.as_str()),
        ]);
        let env = keyless(&fake);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = repo.parwf_in(
            repo.path(),
            &["--since", "main", "--format", "json", "-j", "2"],
            &env,
        );
        assert_exit_for(&format!("{api:?}"), &out, exit::OK);
        let v = json(&out);
        assert_eq!(item(&v, "LLD-2")["verdict"], "APPROVED");
        assert_eq!(v["keys"][0]["key"], "local", "{v}");
        assert_eq!(v["keys"][0]["requests"], 2);
        for seen in fake.seen() {
            for header in ["authorization", "x-api-key", "x-goog-api-key"] {
                assert!(
                    seen.req.header(header).is_none(),
                    "{api:?} sent {header} to a keyless server"
                );
            }
        }
    }
}

#[test]
fn a_remote_server_without_keys_is_still_refused_before_any_request() {
    let repo = super::repo(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main"],
        &[
            ("PARWF_PROVIDER__KIND", "openai"),
            ("PARWF_PROVIDER__MODEL", "m-test"),
            ("PARWF_PROVIDER__BASE_URL", "https://llm.example.invalid/v1"),
        ],
    );
    assert_exit(&out, exit::USAGE);
    let err = stderr(&out);
    assert!(
        err.contains("error: provider.keys is empty: openai needs an API key"),
        "{err}"
    );
    assert!(
        err.contains("on localhost or 127.0.0.1) needs none"),
        "{err}"
    );
}

#[test]
fn a_keyless_local_server_gets_max_in_flight_requests_at_once() {
    // A local server runs one generation at a time unless started with more slots, and a
    // request queued there runs out its timeout while it waits: parwf sends no more than
    // max_in_flight (default 1) at once, whatever --parallel is, and says so.
    let fake = Fake::start(Api::OpenAi, |c| review(Api::OpenAi, c));
    let docs: Vec<(String, String)> = (1..=4)
        .map(|n| {
            (
                format!("docs/lld/LLD-{n}-x.md"),
                format!("{GOOD_LLD}\nDocument {n}.\n"),
            )
        })
        .collect();
    let repo = crate::support::repo_with_branch(&docs);
    let env = keyless(&fake);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = repo.parwf_in(repo.path(), &["--since", "main", "-j", "4"], &env);
    assert_exit(&out, exit::OK);
    assert_eq!(fake.seen().len(), 4);
    let err = stderr(&out);
    assert!(
        err.contains("[COORDINATOR] 4 workers but 1 key(s) × 1 request(s) in flight (max_in_flight): at most 1 LLM call(s) at once"),
        "{err}"
    );
    // A server started with more slots is given as many.
    env.push(("PARWF_PROVIDER__MAX_IN_FLIGHT", "4"));
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "-j", "4", "--fresh"],
        &env,
    );
    assert_exit(&out, exit::OK);
    assert!(!stderr(&out).contains("at most"), "{}", stderr(&out));
}

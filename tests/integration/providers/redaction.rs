//! No key text in any output of a run or any file under `.git/parwf`, even when the provider
//! echoes keys back.

use std::path::Path;

use parwf::provider::secret::Secret;
use parwf_testkit::http::HttpResponse;

use crate::support::api::{self, review, run, Api, Fake, KEYS};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit};
use crate::support::{json, stderr, stdout};

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_key_text_in_output_logs_or_state_even_when_the_provider_echoes_it() {
    let fake = Fake::start(Api::Gemini, |c| {
        let key = KEYS[c.key.min(2)];
        match c.key {
            // Spends its daily quota: state.db gets a row.
            0 => HttpResponse::json(
                429,
                api::gemini_429("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "30s"),
            ),
            // A provider that quotes the key in its error message.
            _ if c.document.contains("ECHO") => HttpResponse::json(
                400,
                format!(
                    r#"{{"error":{{"code":400,"message":"Request for key {key} is malformed: model m-test does not support this input","status":"INVALID_ARGUMENT"}}}}"#
                ),
            ),
            _ => {
                let mut r = review(Api::Gemini, c);
                r.body = r.body.replace(
                    "Pre-Flight Gate",
                    &format!("Pre-Flight Gate (served for {key})"),
                );
                r.header("x-debug-key", key)
            }
        }
    });
    let repo = api::repo_with_llds(4);
    repo.write("docs/lld/LLD-9-echo.md", &format!("{}\nECHO\n", GOOD_LLD));
    repo.commit_all("echo");
    let mut outputs = Vec::new();
    for extra in [&[("PARWF_LOG", "debug")][..], &[]] {
        let out = run(&repo, 2, &fake.env(3), extra);
        assert_exit(&out, exit::WORKFLOW_ERROR);
        let v = json(&out);
        let echo = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "LLD-9")
            .cloned()
            .unwrap_or_default();
        // The echoed key was replaced by its label before it reached the result.
        let error = echo["error"].as_str().unwrap_or("");
        assert!(
            error.starts_with("HTTP 400: Request for key [key-")
                && error.ends_with("] is malformed: model m-test does not support this input"),
            "{error}"
        );
        outputs.push(stdout(&out));
        outputs.push(stderr(&out));
    }
    let config = repo.parwf_in(
        repo.path(),
        &["config", "show"],
        &fake
            .env(3)
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    outputs.push(stdout(&config));
    outputs.push(stderr(&config));
    assert!(
        fake.seen().iter().any(|s| s.status == 400),
        "the echo case never ran"
    );

    let mut files = Vec::new();
    files_under(&repo.path().join(".git/parwf"), &mut files);
    assert!(!files.is_empty(), "nothing under .git/parwf to check");
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| {
            (
                f.display().to_string(),
                std::fs::read(f).unwrap_or_default(),
            )
        })
        .collect();
    // The state file really holds key-1's cooldown, by fingerprint.
    let fp = Secret::new("key-1", KEYS[0]).fingerprint();
    assert!(
        contents
            .iter()
            .any(|(_, c)| c.windows(fp.len()).any(|w| w == fp.as_bytes())),
        "no cooldown row for key-1 in {files:?}"
    );
    for key in KEYS {
        for text in &outputs {
            assert!(!text.contains(key), "key text in output:\n{text}");
        }
        for (name, bytes) in &contents {
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "key text in {name}"
            );
        }
    }
}

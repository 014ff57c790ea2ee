//! Attack 5, and the transport around it: a base_url answering 307 to another host: that host
//! received `x-api-key` (Anthropic) and `x-goog-api-key` (Gemini) and, on 307, the whole
//! prompt, and its 200 was taken as the review. Now no redirect is followed: the item fails
//! naming where it pointed. A provider echoing part of a key shows none of it.

use parwf_testkit::http::HttpResponse;

use super::{json, openai_ok, Endpoint, APPROVED_REVIEW, GOOD_LLD, KEY};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{repo_with_branch, stderr, stdout};

#[test]
fn a_redirect_to_another_host_gets_neither_the_key_nor_the_document() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-secret-design.md", GOOD_LLD)]);
    for (kind, base_suffix) in [("anthropic", ""), ("gemini", "/v1beta"), ("openai", "/v1")] {
        // The other host answers whatever it gets with an approval.
        let elsewhere = Endpoint::start(|_| openai_ok(APPROVED_REVIEW));
        let target = elsewhere.server.url();
        let port = target.rsplit(':').next().unwrap_or_default().to_string();
        let front = Endpoint::start(move |req| {
            HttpResponse::json(307, "").header("location", format!("{target}{}", req.path))
        });
        let base = format!("{}{base_suffix}", front.server.url());
        let env = [
            ("PARWF_PROVIDER__KIND", kind),
            ("PARWF_PROVIDER__MODEL", "m"),
            ("PARWF_PROVIDER__BASE_URL", base.as_str()),
            ("PARWF_PROVIDER__KEYS", "env:K"),
            ("K", KEY),
            ("NO_PROXY", "127.0.0.1"),
        ];
        let out = repo.parwf_in(
            repo.path(),
            &["--since", "main", "--format", "json", "--fresh"],
            &env,
        );
        assert_exit_for(kind, &out, exit::WORKFLOW_ERROR);
        let v = json(&out);
        let item = &v["items"][0];
        assert_eq!(item["state"], "failed", "{kind}: {v}");
        let error = item["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&format!(
                "HTTP 307 redirect to 127.0.0.1:{port}: not followed"
            )),
            "{kind}: {error}"
        );
        assert_eq!(front.requests().len(), 1, "{kind}: retried a redirect");
        assert!(
            elsewhere.requests().is_empty(),
            "{kind}: the redirect was followed"
        );
        assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
    }
}

#[test]
fn a_provider_echoing_part_of_the_key_shows_none_of_it() {
    let repo = repo_with_branch(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    // As OpenAI does: the start and the end of the key, the middle starred out.
    let echo = format!(
        "{{\"error\":{{\"message\":\"Incorrect API key provided: {}**********{}. You can find your API key at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}}}",
        &KEY[..11],
        &KEY[KEY.len() - 9..]
    );
    let endpoint = Endpoint::start(move |_| HttpResponse::json(400, echo.clone()));
    let base = endpoint.base_url();
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--format", "json"],
        &[
            ("PARWF_PROVIDER__KIND", "openai"),
            ("PARWF_PROVIDER__MODEL", "m"),
            ("PARWF_PROVIDER__BASE_URL", base.as_str()),
            ("PARWF_PROVIDER__KEYS", "env:K"),
            ("K", KEY),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let error = json(&out)["items"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("Incorrect API key provided: [key-1]**********[key-1]."),
        "{error}"
    );
    let mut everything = format!("{}{}", stdout(&out), stderr(&out));
    for entry in walk(&repo.path().join(".git/parwf")) {
        everything.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry).unwrap_or_default(),
        ));
    }
    for part in [&KEY[..11], &KEY[KEY.len() - 9..]] {
        assert!(!everything.contains(part), "{part} leaked");
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

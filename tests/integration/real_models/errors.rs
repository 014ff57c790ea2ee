//! Requests a provider refuses as they are fail their item for good, with what to change,
//! and are never called resumable; a prompt that cannot fit the model is not even sent.

use parwf_testkit::http::HttpResponse;

use super::{item, json, repo, run, APIS};
use crate::support::api::{review, Api, Fake};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::stderr;

/// Each API's real 400 for a prompt longer than the model's context.
fn context_400(api: Api) -> HttpResponse {
    let body = match api {
        // vLLM's and llama-cpp-python's OpenAI-compatible servers say it this way.
        Api::OpenAi => {
            r#"{"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 20475 tokens (12283 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}"#
        }
        Api::Anthropic => {
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215000 tokens > 200000 maximum"}}"#
        }
        Api::Gemini => {
            r#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#
        }
    };
    HttpResponse::json(400, body)
}

#[test]
fn a_context_length_400_in_each_format_is_permanent_and_never_resumable() {
    for (api, limit) in [
        (Api::OpenAi, "8192"),
        (Api::Anthropic, "200000"),
        (Api::Gemini, "1048576"),
    ] {
        let fake = Fake::start(api, move |c| {
            if c.document.contains("HUGE") {
                context_400(api)
            } else if c.document.contains("FLAKY") {
                HttpResponse::json(503, r#"{"error":{"message":"upstream busy"}}"#)
            } else {
                review(api, c)
            }
        });
        let huge = format!("{GOOD_LLD}\nHUGE\n");
        let flaky = format!("{GOOD_LLD}\nFLAKY\n");
        let repo = repo(&[
            ("docs/lld/LLD-1-ok.md", GOOD_LLD),
            ("docs/lld/LLD-2-huge.md", huge.as_str()),
            ("docs/lld/LLD-3-flaky.md", flaky.as_str()),
        ]);
        let out = run(
            &repo,
            &fake,
            &["--since", "main", "--format", "json"],
            &[("PARWF_PROVIDER__RETRIES", "0")],
        );
        assert_exit_for(&format!("{api:?}"), &out, exit::WORKFLOW_ERROR);
        let v = json(&out);
        assert_eq!(item(&v, "LLD-1")["verdict"], "APPROVED");
        let huge = item(&v, "LLD-2");
        assert_eq!(huge["state"], "failed", "{api:?}: {huge}");
        assert_eq!(huge["permanent"], true, "{api:?}: {huge}");
        let hint = huge["hint"].as_str().unwrap_or("");
        assert!(
            hint.contains(&format!("context_tokens = {limit}")),
            "{api:?}: {hint}"
        );
        assert_eq!(item(&v, "LLD-3")["permanent"], false);
        let err = stderr(&out);
        // Only the transient failure is worth running again.
        assert!(
            err.contains("[PARWF] 1 item(s) kept in checkpoints under .git/parwf: run the same command again to resume"),
            "{api:?}: {err}"
        );
        assert!(
            err.contains("[PARWF] 1 item(s) refused by the provider as they are"),
            "{api:?}: {err}"
        );
        assert!(
            err.contains(
                "[LLD-2] hint: the prompt (instructions + document) plus max_tokens must fit"
            ),
            "{api:?}: {err}"
        );
        // Sent once: a refusal is not retried.
        let huge_requests = fake
            .seen()
            .iter()
            .filter(|s| s.req.body.contains("HUGE"))
            .count();
        assert_eq!(huge_requests, 1, "{api:?}");
    }
}

#[test]
fn an_unknown_model_fails_for_good_with_a_hint_on_the_model_setting() {
    let fake = Fake::start(Api::OpenAi, |_| {
        HttpResponse::json(
            404,
            r#"{"error":{"message":"The model `m-test` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        )
    });
    let repo = repo(&[("docs/lld/LLD-1-a.md", GOOD_LLD)]);
    let out = run(&repo, &fake, &["--since", "main"], &[]);
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let err = stderr(&out);
    assert!(
        err.contains("[LLD-1] error: HTTP 404: The model `m-test` does not exist"),
        "{err}"
    );
    assert!(
        err.contains("[LLD-1] hint: the server does not serve this model: check `model`"),
        "{err}"
    );
    assert!(!err.contains("run the same command again"), "{err}");
    assert_eq!(fake.seen().len(), 1, "not retried");
}

#[test]
fn a_document_too_long_for_the_configured_context_is_refused_before_any_request() {
    for api in APIS {
        let fake = Fake::start(api, move |c| review(api, c));
        // ~12 KB: about 3,000 tokens of prompt, + 4096 for the answer > 6000.
        let long = format!(
            "{GOOD_LLD}\n{}",
            "The cache keeps entries warm.\n".repeat(400)
        );
        let repo = repo(&[
            ("docs/lld/LLD-1-short.md", GOOD_LLD),
            ("docs/lld/LLD-2-long.md", long.as_str()),
        ]);
        let out = run(
            &repo,
            &fake,
            &["--since", "main", "--format", "json"],
            &[("PARWF_PROVIDER__CONTEXT_TOKENS", "6000")],
        );
        assert_exit_for(&format!("{api:?}"), &out, exit::WORKFLOW_ERROR);
        let v = json(&out);
        assert_eq!(item(&v, "LLD-1")["verdict"], "APPROVED");
        let long = item(&v, "LLD-2");
        assert_eq!(long["permanent"], true, "{api:?}: {long}");
        let error = long["error"].as_str().unwrap_or("");
        assert!(
            error.starts_with("not sent: the prompt is about ")
                && error
                    .ends_with("+ max_tokens 4096, more than the model's context of 6000 tokens"),
            "{api:?}: {error}"
        );
        assert_eq!(long["llm_calls"], 0);
        let hint = long["hint"].as_str().unwrap_or("");
        assert!(
            hint.contains("in a context of 6000, and max_tokens is 4096: lower max_tokens"),
            "{api:?}: {hint}"
        );
        // The server saw the short document only.
        assert_eq!(fake.seen().len(), 1, "{api:?}");
    }
}

//! Answers as real models give them, through the real binary against a local server in each
//! API's format: answers cut at max_tokens, reviews with no usable verdict, permanent 400s,
//! servers without keys, and a revise loop whose drafts are cut, gutted or never approved.

mod errors;
mod finish;
mod local;
mod revise;

use std::process::Output;

use parwf_testkit::http::HttpResponse;
use serde_json::json;

use crate::support::api::{Api, Fake};
pub use crate::support::json;
use crate::support::Repo;

pub const APIS: [Api; 3] = [Api::OpenAi, Api::Anthropic, Api::Gemini];

/// A design document long enough for the revise loop's bound to mean something: a title,
/// five `##` sections, 17 non-blank lines. The sim reviewer asks to revise it for its `TBD`.
pub const LLD: &str = "# LLD-1: Read-through cache\n\n## Context\nThe catalogue service answers 40k reads per second from Postgres.\nMost reads repeat within a minute.\n\n## Design\nA read-through LRU cache in front of the catalogue store.\nEntries expire after 30 seconds.\nWrites invalidate the entry before they commit.\nThe cache holds at most 200k entries per node.\n\n## Test Plan\nUnit tests for eviction and invalidation.\nA load test at 60k reads per second.\n\n## Risks\nStale reads within the TTL.\nEviction retry budget: TBD\n\n## Rollout\nBehind a flag, one region at a time.\n";

/// The drafter's prompt starts this way (src/prompts/drafter.md).
pub fn is_draft(prompt: &str) -> bool {
    prompt.starts_with("You are the author")
}

/// A 200 in `api`'s real shape whose answer ended for `reason` (the API's own word).
pub fn answer(api: Api, text: &str, reason: &str) -> HttpResponse {
    let body = match api {
        Api::OpenAi => json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1767225600,
            "model": "m-test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": reason}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 4096, "total_tokens": 4996}
        }),
        Api::Anthropic => json!({
            "id": "msg_test", "type": "message", "role": "assistant", "model": "m-test",
            "content": [{"type": "text", "text": text}],
            "stop_reason": reason, "stop_sequence": null,
            "usage": {"input_tokens": 900, "output_tokens": 4096}
        }),
        Api::Gemini => json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": reason, "index": 0}],
            "usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 4096,
                              "totalTokenCount": 4996},
            "modelVersion": "m-test"
        }),
    };
    HttpResponse::json(200, body.to_string())
}

/// Each API's word for an answer cut at max_tokens.
pub fn cut_reason(api: Api) -> &'static str {
    match api {
        Api::OpenAi => "length",
        Api::Anthropic => "max_tokens",
        Api::Gemini => "MAX_TOKENS",
    }
}

/// A repo with `docs` committed on branch `feature`.
pub fn repo(docs: &[(&str, &str)]) -> Repo {
    crate::support::repo_with_branch(docs)
}

/// `parwf ARGS` against `fake` with its first key, plus `extra`.
pub fn run(repo: &Repo, fake: &Fake, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let env = fake.env(1);
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    repo.parwf_in(repo.path(), args, &all)
}

/// The item with this ID in a JSON summary.
pub fn item<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id))
        .unwrap_or_else(|| panic!("no item {id} in {v}"))
}

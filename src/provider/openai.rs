//! OpenAI chat completions, on any compatible base URL (OpenAI, a LiteLLM proxy, vLLM, Ollama).

use serde_json::{json, Value};

use super::secret::Secret;
use super::wire::{answer, str_at, unexpected, Settings};
use super::{Finish, ProviderError};

/// `POST {base_url}/chat/completions` with a bearer key.
pub fn request(
    client: &reqwest::Client,
    s: &Settings,
    prompt: &str,
    key: &Secret,
) -> reqwest::RequestBuilder {
    let mut body = json!({
        "model": s.model,
        "messages": [{"role": "user", "content": prompt}],
    });
    if s.temperature >= 0.0 {
        body["temperature"] = json!(s.temperature);
    }
    if s.max_tokens > 0 {
        body["max_tokens"] = json!(s.max_tokens);
    }
    let req = client.post(format!("{}/chat/completions", s.base_url));
    // A local server without auth gets no Authorization header at all.
    let req = if key.expose().is_empty() {
        req
    } else {
        req.bearer_auth(key.expose())
    };
    req.json(&body)
}

/// `choices[0].message.content` and how it ended (`finish_reason`). No text because the
/// answer was cut (a reasoning model spent max_tokens thinking) is an empty, cut answer.
pub fn text(v: &Value) -> Result<(String, Finish), ProviderError> {
    let reason = str_at(v, "/choices/0/finish_reason");
    let finish = Finish::from_reason(reason);
    match str_at(v, "/choices/0/message/content") {
        Some(t) => Ok((t.to_string(), finish)),
        // Neither text nor a reason: not a chat completion at all.
        None if reason.is_none() && finish != Finish::MaxTokens => Err(unexpected("OpenAI", v)),
        None => answer(String::new(), finish, "finish_reason", reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_choice() {
        let v = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Verdict: APPROVED"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
        });
        assert_eq!(
            text(&v).unwrap(),
            ("Verdict: APPROVED".to_string(), Finish::Complete)
        );
        let cut = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "## Pre-Flight"},
                                       "finish_reason": "length"}]});
        assert_eq!(text(&cut).unwrap().1, Finish::MaxTokens);
        let filtered = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": null},
                                            "finish_reason": "content_filter"}]});
        assert!(text(&filtered)
            .unwrap_err()
            .to_string()
            .contains("content_filter"));
        assert!(text(&json!({"object": "list"})).is_err());
    }
}

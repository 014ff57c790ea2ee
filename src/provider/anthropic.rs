//! Anthropic's Messages API (`x-api-key`, `anthropic-version`).

use serde_json::{json, Value};

use super::secret::Secret;
use super::wire::{answer, key_header, unexpected, Settings};
use super::{Finish, ProviderError};

/// The API version parwf speaks.
pub const VERSION: &str = "2023-06-01";

/// What `max_tokens = 0` sends, since this API requires a value.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

/// The `max_tokens` a request sends for the configured one (0: not set). The pre-flight
/// budget and the admission cost count this figure too.
pub fn max_tokens(configured: u32) -> u32 {
    if configured > 0 {
        configured
    } else {
        DEFAULT_MAX_TOKENS
    }
}

/// `POST {base_url}/v1/messages`.
pub fn request(
    client: &reqwest::Client,
    s: &Settings,
    prompt: &str,
    key: &Secret,
) -> reqwest::RequestBuilder {
    let mut body = json!({
        "model": s.model,
        "max_tokens": max_tokens(s.max_tokens),
        "messages": [{"role": "user", "content": prompt}],
    });
    if s.temperature >= 0.0 {
        body["temperature"] = json!(s.temperature);
    }
    let mut req = client
        .post(format!("{}/v1/messages", s.base_url))
        .header("anthropic-version", VERSION);
    if !key.expose().is_empty() {
        req = req.header("x-api-key", key_header(key));
    }
    req.json(&body)
}

/// The `text` blocks of `content`, joined, and how the answer ended (`stop_reason`).
pub fn text(v: &Value) -> Result<(String, Finish), ProviderError> {
    let Some(blocks) = v.get("content").and_then(Value::as_array) else {
        return Err(unexpected("Anthropic", v));
    };
    let text: String = blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    let reason = v.get("stop_reason").and_then(Value::as_str);
    answer(text, Finish::from_reason(reason), "stop_reason", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_text_blocks() {
        let v = json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "## Verdict\n"}, {"type": "text", "text": "[x] **APPROVED**"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 12, "output_tokens": 6}
        });
        assert_eq!(
            text(&v).unwrap(),
            ("## Verdict\n[x] **APPROVED**".to_string(), Finish::Complete)
        );
        let cut = json!({"type": "message", "content": [{"type": "text", "text": "## Pre"}],
                         "stop_reason": "max_tokens"});
        assert_eq!(text(&cut).unwrap().1, Finish::MaxTokens);
        let refused = json!({"type": "message", "content": [], "stop_reason": "refusal"});
        assert!(text(&refused).unwrap_err().to_string().contains("refusal"));
    }

    #[test]
    fn max_tokens_unset_sends_the_default() {
        assert_eq!(max_tokens(0), 8192);
        assert_eq!(max_tokens(1024), 1024);
    }
}

//! Anthropic's Messages API (`x-api-key`, `anthropic-version`).

use serde_json::{json, Value};

use super::secret::Secret;
use super::wire::{key_header, unexpected, Settings};
use super::ProviderError;

/// `max_tokens` sent when none is configured: the API requires one.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

/// The API version parwf speaks.
pub const VERSION: &str = "2023-06-01";

/// `POST {base_url}/v1/messages`.
pub fn request(
    client: &reqwest::Client,
    s: &Settings,
    prompt: &str,
    key: &Secret,
) -> reqwest::RequestBuilder {
    // max_tokens is required by this API.
    let max_tokens = if s.max_tokens > 0 {
        s.max_tokens
    } else {
        DEFAULT_MAX_TOKENS
    };
    let mut body = json!({
        "model": s.model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": prompt}],
    });
    if s.temperature >= 0.0 {
        body["temperature"] = json!(s.temperature);
    }
    client
        .post(format!("{}/v1/messages", s.base_url))
        .header("x-api-key", key_header(key))
        .header("anthropic-version", VERSION)
        .json(&body)
}

/// The `text` blocks of `content`, joined.
pub fn text(v: &Value) -> Result<String, ProviderError> {
    let Some(blocks) = v.get("content").and_then(Value::as_array) else {
        return Err(unexpected("Anthropic", v));
    };
    let text: String = blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    if text.is_empty() {
        let reason = v
            .get("stop_reason")
            .and_then(Value::as_str)
            .unwrap_or("none");
        return Err(ProviderError::Fatal(format!(
            "the model returned no text (stop_reason: {reason})"
        )));
    }
    Ok(text)
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
        assert_eq!(text(&v).unwrap(), "## Verdict\n[x] **APPROVED**");
        let refused = json!({"type": "message", "content": [], "stop_reason": "refusal"});
        assert!(text(&refused).unwrap_err().to_string().contains("refusal"));
    }
}

//! Google's Gemini `generateContent` (key in `x-goog-api-key`, never in the URL).

use serde_json::{json, Value};

use super::secret::Secret;
use super::wire::{answer, key_header, unexpected, Settings};
use super::{Finish, ProviderError};

/// `POST {base_url}/models/{model}:generateContent`.
pub fn request(
    client: &reqwest::Client,
    s: &Settings,
    prompt: &str,
    key: &Secret,
) -> reqwest::RequestBuilder {
    let mut config = json!({});
    if s.temperature >= 0.0 {
        config["temperature"] = json!(s.temperature);
    }
    if s.max_tokens > 0 {
        config["maxOutputTokens"] = json!(s.max_tokens);
    }
    let body = json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": config,
    });
    let mut req = client.post(format!(
        "{}/models/{}:generateContent",
        s.base_url,
        s.model.trim_start_matches("models/")
    ));
    if !key.expose().is_empty() {
        req = req.header("x-goog-api-key", key_header(key));
    }
    req.json(&body)
}

/// The text parts of the first candidate, joined, and how it ended (`finishReason`); a
/// blocked prompt is a fatal error.
pub fn text(v: &Value) -> Result<(String, Finish), ProviderError> {
    if let Some(reason) = v
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
    {
        return Err(ProviderError::Fatal(format!(
            "Gemini blocked the prompt ({reason})"
        )));
    }
    let Some(candidate) = v.pointer("/candidates/0") else {
        return Err(unexpected("Gemini", v));
    };
    let text: String = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    let reason = candidate.get("finishReason").and_then(Value::as_str);
    answer(text, Finish::from_reason(reason), "finishReason", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parts_and_refuses_blocked_prompts() {
        let v = json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "thinking…", "thought": true}, {"text": "Verdict: "}, {"text": "REVISE"}]},
                "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2, "totalTokenCount": 12},
            "modelVersion": "gemini-2.5-pro"
        });
        assert_eq!(
            text(&v).unwrap(),
            ("Verdict: REVISE".to_string(), Finish::Complete)
        );
        let blocked = json!({"promptFeedback": {"blockReason": "SAFETY"}});
        assert!(text(&blocked).unwrap_err().to_string().contains("SAFETY"));
        // All of max_tokens spent thinking: an empty answer, cut.
        let empty = json!({"candidates": [{"finishReason": "MAX_TOKENS", "index": 0}]});
        assert_eq!(text(&empty).unwrap(), (String::new(), Finish::MaxTokens));
        let unsafe_ = json!({"candidates": [{"finishReason": "SAFETY", "index": 0}]});
        assert!(text(&unsafe_).unwrap_err().to_string().contains("SAFETY"));
    }
}

//! What every HTTP provider shares below the client: which API a request speaks, the model
//! settings sent with it, and small helpers to build requests and read responses.

use std::time::Duration;

use serde_json::Value;

use super::secret::Secret;
use super::{Finish, ProviderError};

/// Which wire format a response is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    Gemini,
}

/// Model settings sent with every request.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model: String,
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// Negative: not sent (for models that only accept their default).
    pub temperature: f64,
    /// 0: not sent (Anthropic requires one and gets 8192).
    pub max_tokens: u32,
    pub timeout: Duration,
}

/// The base URL each API uses when `base_url` is empty.
pub fn default_base_url(api: Api) -> &'static str {
    match api {
        Api::OpenAi => "https://api.openai.com/v1",
        Api::Anthropic => "https://api.anthropic.com",
        Api::Gemini => "https://generativelanguage.googleapis.com/v1beta",
    }
}

/// A key as a header value marked sensitive (kept out of debug output). Key references
/// refuse keys with whitespace or control characters, so the fallback is never sent.
pub fn key_header(key: &Secret) -> reqwest::header::HeaderValue {
    let mut v = reqwest::header::HeaderValue::from_str(key.expose())
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("invalid-key-text"));
    v.set_sensitive(true);
    v
}

/// The string at a JSON pointer, for response parsers.
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// A response that parsed but held no text where the API puts it.
pub fn unexpected(api: &str, v: &Value) -> ProviderError {
    let mut shape = v.to_string();
    if let Some((i, _)) = shape.char_indices().nth(200) {
        shape.truncate(i);
        shape.push('…');
    }
    ProviderError::Fatal(format!("unexpected {api} response: {shape}"))
}

/// The parsed text and how it ended, unless there is no text: an empty answer cut at
/// max_tokens (a reasoning model spent them thinking) is an answer, any other reason to end
/// with no text is an error naming that reason as the API's `field` gave it.
pub fn answer(
    text: String,
    finish: Finish,
    field: &str,
    reason: Option<&str>,
) -> Result<(String, Finish), ProviderError> {
    if text.is_empty() && finish != Finish::MaxTokens {
        return Err(ProviderError::Fatal(format!(
            "the model returned no text ({field}: {})",
            reason.unwrap_or("none")
        )));
    }
    Ok((text, finish))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{anthropic, gemini, openai};
    use super::*;

    #[test]
    fn no_text_is_an_error_naming_each_apis_reason_unless_cut() {
        let error = |r: Result<(String, Finish), ProviderError>| r.unwrap_err().to_string();
        for (got, want) in [
            (
                anthropic::text(&json!({"content": [], "stop_reason": "refusal"})),
                "the model returned no text (stop_reason: refusal)",
            ),
            (
                anthropic::text(&json!({"content": []})),
                "the model returned no text (stop_reason: none)",
            ),
            (
                gemini::text(&json!({"candidates": [{"finishReason": "SAFETY"}]})),
                "the model returned no text (finishReason: SAFETY)",
            ),
            (
                gemini::text(&json!({"candidates": [{}]})),
                "the model returned no text (finishReason: none)",
            ),
            (
                openai::text(&json!({"choices": [{"message": {"content": null},
                                                  "finish_reason": "content_filter"}]})),
                "the model returned no text (finish_reason: content_filter)",
            ),
        ] {
            assert_eq!(error(got), want);
        }
        let no_reason = openai::text(&json!({"choices": [{"message": {"content": null}}]}));
        assert!(error(no_reason).starts_with("unexpected OpenAI response: "));
        let cut = (String::new(), Finish::MaxTokens);
        assert_eq!(
            anthropic::text(&json!({"content": [], "stop_reason": "max_tokens"})).unwrap(),
            cut
        );
        assert_eq!(
            gemini::text(&json!({"candidates": [{"finishReason": "MAX_TOKENS"}]})).unwrap(),
            cut
        );
        assert_eq!(
            openai::text(&json!({"choices": [{"message": {}, "finish_reason": "length"}]}))
                .unwrap(),
            cut
        );
    }
}

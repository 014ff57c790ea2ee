//! What every HTTP provider shares below the client: which API a request speaks, the model
//! settings sent with it, and small helpers to build requests and read responses.

use std::time::Duration;

use serde_json::Value;

use super::secret::Secret;
use super::ProviderError;

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

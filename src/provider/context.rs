//! What a model can take and give: how an answer ended (its finish/stop reason), the requests a
//! provider refuses for good (too long, unknown model, malformed), and the pre-flight check of
//! a prompt against the model's context.

pub use crate::model::Finish;

/// Why a provider refuses a request for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The prompt plus max_tokens is more than the model's context; `limit` when known.
    ContextLength { limit: Option<u64> },
    /// The server does not serve the configured model.
    UnknownModel,
    /// Anything else the provider calls malformed (400, 404, 413, 422).
    BadRequest,
    /// Not sent: the pre-flight estimate of the prompt plus max_tokens exceeds the context.
    WouldNotFit {
        context: u32,
        prompt: u64,
        max_tokens: u32,
    },
}

impl Refusal {
    /// What the user can change so that the request is accepted.
    pub fn hint(&self) -> String {
        match self {
            Refusal::ContextLength { limit } => {
                let (of, eq) = match limit {
                    Some(n) => (format!(" of {n} tokens"), format!(" = {n}")),
                    None => (String::new(), String::new()),
                };
                format!(
                    "the prompt (instructions + document) plus max_tokens must fit the model's context{of}: shorten or split the document, lower max_tokens, or use a model with a longer context; with [provider] context_tokens{eq} parwf refuses such documents before sending them"
                )
            }
            Refusal::UnknownModel => "the server does not serve this model: check `model` in [provider] (and [drafter]) against the models the server lists, and `base_url`".into(),
            Refusal::WouldNotFit {
                context,
                prompt,
                max_tokens,
            } => {
                let room = u64::from(*context).saturating_sub(*prompt);
                format!(
                    "a prompt of about {prompt} tokens leaves room for {room} tokens of answer in a context of {context}, and max_tokens is {max_tokens}: lower max_tokens ([provider] for reviews, [drafter] for drafts), shorten or split the document, or set context_tokens to the model's real context if it is larger"
                )
            }
            Refusal::BadRequest => "the provider refuses the request as parwf sends it: check model, base_url, max_tokens and temperature in [provider] / [drafter] (a negative temperature sends none, for models that take only their default)".into(),
        }
    }

    /// The refusal a 400/404/413/422 body describes (`message` is the provider's own words,
    /// `code` its error code or type).
    pub fn classify(status: u16, message: &str, code: Option<&str>) -> Refusal {
        let m = message.to_ascii_lowercase();
        let code = code.unwrap_or("").to_ascii_lowercase();
        const CONTEXT: [&str; 8] = [
            "context length",
            "context window",
            "context size",
            "maximum context",
            "prompt is too long",
            "input token count",
            "too many tokens",
            "exceeds the maximum number of tokens",
        ];
        if status == 413
            || code.contains("context_length")
            || code.contains("context_size")
            || CONTEXT.iter().any(|p| m.contains(p))
        {
            return Refusal::ContextLength {
                limit: context_limit(&m),
            };
        }
        let missing = [
            "not found",
            "does not exist",
            "no such model",
            "unknown model",
        ]
        .iter()
        .any(|p| m.contains(p))
            || m.contains("not supported for generatecontent");
        if code == "model_not_found" || (m.contains("model") && missing) {
            return Refusal::UnknownModel;
        }
        Refusal::BadRequest
    }
}

/// The context size a context-length message states: OpenAI's and vLLM's "maximum context
/// length is 8192 tokens", llama-cpp-python's "exceed context window of 8192", Anthropic's
/// "215000 tokens > 200000 maximum", Gemini's "maximum number of tokens allowed (1048576)".
fn context_limit(m: &str) -> Option<u64> {
    let number_after = |anchor: &str| -> Option<u64> {
        let rest = &m[m.find(anchor)? + anchor.len()..];
        let digits: String = rest
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    };
    [
        "maximum context length is",
        "context window of",
        " > ",
        "tokens allowed",
    ]
    .iter()
    .find_map(|a| number_after(a))
}

/// The model's context and the answer's budget, for the pre-flight check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenBudget {
    /// Tokens the model takes in all (prompt + answer); 0 = unknown, nothing is checked.
    pub context: u32,
    /// The answer's limit as sent (`max_tokens`); 0 = not sent.
    pub max_tokens: u32,
}

/// Bytes per token in the pre-flight estimate. English prose and Markdown run at 3 to 4.5
/// bytes per token in current tokenizers; 4 errs towards letting a document through, so the
/// check never refuses one that fits by much, and the server has the last word on the rest.
pub const BYTES_PER_TOKEN: usize = 4;

/// Tokens `text` is estimated to take: its bytes / [`BYTES_PER_TOKEN`], rounded up. Also what
/// a request is charged at admission (`limits::Cost`): OpenAI's own admission estimate is from
/// the characters (about four a token); bytes, not characters, are never less for other scripts.
pub fn estimate_tokens(text: &str) -> u64 {
    text.len().div_ceil(BYTES_PER_TOKEN) as u64
}

impl TokenBudget {
    /// Refuses a prompt whose estimate plus max_tokens exceeds a known context.
    pub fn check(&self, prompt: &str) -> Result<(), super::ProviderError> {
        if self.context == 0 {
            return Ok(());
        }
        let tokens = estimate_tokens(prompt);
        let need = tokens + u64::from(self.max_tokens);
        if need <= u64::from(self.context) {
            return Ok(());
        }
        let with = if self.max_tokens > 0 {
            format!(" + max_tokens {}", self.max_tokens)
        } else {
            String::new()
        };
        Err(super::ProviderError::Refused {
            msg: format!(
                "not sent: the prompt is about {tokens} tokens (bytes / {BYTES_PER_TOKEN}){with}, more than the model's context of {} tokens",
                self.context
            ),
            why: Refusal::WouldNotFit {
                context: self.context,
                prompt: tokens,
                max_tokens: self.max_tokens,
            },
        })
    }
}

/// Context sizes of a few hosted models whose size has been stable across their versions, for
/// when `context_tokens` is 0. A name that merely starts the same way through a proxy or a
/// local server is assumed to be the same model; set `context_tokens` to say otherwise.
const KNOWN: [(&str, u32); 4] = [
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-3.5-turbo", 16_385),
    ("claude-", 200_000),
];

/// The known context of `model`, if any.
pub fn known_context(model: &str) -> Option<u32> {
    let m = model.trim().to_ascii_lowercase();
    KNOWN
        .iter()
        .find(|(prefix, _)| m.starts_with(prefix))
        .map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_of_every_api() {
        for r in ["length", "max_tokens", "MAX_TOKENS"] {
            assert_eq!(Finish::from_reason(Some(r)), Finish::MaxTokens, "{r}");
        }
        for r in [
            "stop",
            "end_turn",
            "STOP",
            "stop_sequence",
            "eos",
            "",
            "tool_calls",
        ] {
            assert!(Finish::from_reason(Some(r)).is_complete(), "{r}");
        }
        assert!(Finish::from_reason(None).is_complete());
        let filtered = Finish::from_reason(Some("content_filter"));
        assert_eq!(filtered, Finish::Stopped("content_filter".into()));
        for f in [Finish::Complete, Finish::MaxTokens, filtered] {
            assert_eq!(Finish::from_stored(f.stored().as_deref()), f);
        }
    }

    #[test]
    fn refusals_from_real_messages() {
        let vllm = "This model's maximum context length is 8192 tokens. However, you requested 20475 tokens (12283 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.";
        assert_eq!(
            Refusal::classify(400, vllm, Some("BadRequestError")),
            Refusal::ContextLength { limit: Some(8192) }
        );
        let llama = "Requested tokens (20475) exceed context window of 8192";
        assert_eq!(
            Refusal::classify(400, llama, None),
            Refusal::ContextLength { limit: Some(8192) }
        );
        let claude = "prompt is too long: 215000 tokens > 200000 maximum";
        assert_eq!(
            Refusal::classify(400, claude, Some("invalid_request_error")),
            Refusal::ContextLength {
                limit: Some(200000)
            }
        );
        let gpt = "The model `gpt-9` does not exist or you do not have access to it.";
        assert_eq!(
            Refusal::classify(404, gpt, Some("model_not_found")),
            Refusal::UnknownModel
        );
        let ollama = "model \"llama9\" not found, try pulling it first";
        assert_eq!(Refusal::classify(404, ollama, None), Refusal::UnknownModel);
        assert_eq!(
            Refusal::classify(400, "temperature: unsupported value", None),
            Refusal::BadRequest
        );
        assert!(Refusal::ContextLength { limit: Some(8192) }
            .hint()
            .contains("context_tokens = 8192"));
    }

    #[test]
    fn the_budget_refuses_only_what_cannot_fit() {
        let b = TokenBudget {
            context: 1000,
            max_tokens: 600,
        };
        assert!(b.check(&"x".repeat(1600)).is_ok(), "400 + 600 fits");
        let e = b.check(&"x".repeat(1604)).unwrap_err();
        assert!(e.to_string().contains("about 401 tokens"), "{e}");
        let hint = e.hint().unwrap_or_default();
        assert!(
            hint.starts_with("a prompt of about 401 tokens leaves room for 599 tokens of answer in a context of 1000, and max_tokens is 600: lower max_tokens"),
            "{hint}"
        );
        assert!(TokenBudget::default()
            .check(&"x".repeat(10_000_000))
            .is_ok());
        assert_eq!(known_context("gpt-4o-mini"), Some(128_000));
        assert_eq!(known_context("llama3"), None);
    }
}

//! LLM providers: one request in, one text out, errors classified for the coordinator.

pub mod anthropic;
pub mod command;
pub mod context;
pub mod gemini;
mod headers;
pub mod http;
pub mod keyref;
pub mod limits;
pub mod openai;
pub mod ratelimit;
pub mod secret;
pub mod sim;
pub mod wire;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::model::WorkflowKind;
pub use context::{Finish, Refusal, TokenBudget};
use limits::{Cost, Reading};
use secret::Secret;

/// The most of an answer parwf reads from any provider (an HTTP body, a command's stdout). A
/// review is tens of kilobytes; past this it is not an answer (a runaway model, a wrong
/// endpoint) and is never held in memory whole.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// What a request asks for; the sim provider decides its answer from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Review(WorkflowKind),
    Draft(WorkflowKind),
}

impl Task {
    /// `review-lld`, `draft-issue`: told to `command` providers in `PARWF_TASK`.
    pub fn name(&self) -> String {
        match self {
            Task::Review(k) => format!("review-{}", k.name()),
            Task::Draft(k) => format!("draft-{}", k.name()),
        }
    }
}

/// One LLM call.
#[derive(Debug, Clone)]
pub struct Request {
    pub task: Task,
    /// The full prompt sent to a real model.
    pub prompt: String,
    /// The document under review (the sim provider reads it instead of the prompt).
    pub document: String,
    /// What the drafter must address (drafts only): the review's findings, or the review.
    pub findings: Vec<String>,
    /// The document's ID and repo-relative path (a `command` provider is told them).
    pub doc_id: String,
    pub doc_path: String,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// The response said this key has no requests (or tokens) left until then: rest it so
    /// the next request does not earn a 429.
    pub rest: Option<Duration>,
    /// Whether the model ended its answer, or was cut (max_tokens, a filter).
    pub finish: Finish,
}

impl Reply {
    /// A complete reply with no pacing hint.
    pub fn text(text: String) -> Reply {
        Reply {
            text,
            rest: None,
            finish: Finish::Complete,
        }
    }
}

/// Why the providers could not be set up: something missing in the configuration or a key
/// reference that gives no key (usage errors), or no HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No `[provider] kind`; `ci`: the run is in CI, where the config is the base revision's.
    #[error("no provider configured")]
    NoProvider { ci: bool },
    #[error("{msg}")]
    Config { msg: String, hint: String },
    #[error(transparent)]
    Invalid(#[from] crate::config::ConfigError),
    #[error("cannot create the HTTP client: {0}")]
    HttpClient(reqwest::Error),
}

impl SetupError {
    /// A configuration problem with what to do about it.
    pub fn config(msg: impl Into<String>, hint: impl Into<String>) -> SetupError {
        SetupError::Config {
            msg: msg.into(),
            hint: hint.into(),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SetupError::NoProvider { ci: false } => Some("set [provider] kind in .parwf.toml (gemini, openai, anthropic, command; `parwf init --provider openai` writes one), or pass --provider sim to try the offline simulator".into()),
            SetupError::NoProvider { ci: true } => Some("in CI the configuration is the .parwf.toml committed on the base revision (not the branch under review): commit the [provider] settings to the base branch first, or set them in CI's environment (PARWF_PROVIDER__KIND, PARWF_PROVIDER__MODEL, PARWF_PROVIDER__KEYS)".into()),
            SetupError::Config { hint, .. } => Some(hint.clone()),
            SetupError::Invalid(e) => e.hint(),
            SetupError::HttpClient(_) => None,
        }
    }

    /// A configuration problem (the user's to fix), not a failure of the machine.
    pub fn is_usage(&self) -> bool {
        !matches!(self, SetupError::HttpClient(_))
    }
}

/// How a provider call failed, in the terms the coordinator acts on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// A rate limit that clears soon; `retry_after` when the provider said when.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The key's quota is spent: until `for_` from now (a daily quota), or for the rest of the
    /// run when `None` (billing: nobody knows when it is topped up).
    #[error("quota exhausted for this key")]
    QuotaExhausted { for_: Option<Duration> },
    /// The key was refused (401/403, Gemini's API_KEY_INVALID).
    #[error("key refused by the provider (HTTP {status})")]
    InvalidKey { status: u16 },
    /// Worth retrying with backoff: 5xx, timeout, connection error.
    #[error("{0}")]
    Transient(String),
    /// Not worth retrying.
    #[error("{0}")]
    Fatal(String),
    /// The provider refuses this request as it is (too long for the model's context, an
    /// unknown model, a malformed request): a rerun fails the same way until `why`'s hint is
    /// followed. Also what the pre-flight size check returns, before any request is sent.
    #[error("{msg}")]
    Refused { msg: String, why: Refusal },
}

impl ProviderError {
    /// What to change, for errors that a rerun would meet again.
    pub fn hint(&self) -> Option<String> {
        match self {
            ProviderError::Refused { why, .. } => Some(why.hint()),
            _ => None,
        }
    }
}

/// The shortest part of a key that is redacted on its own.
const PART: usize = 8;

/// Every [`PART`]-byte run of the keys, looked up at each byte of a text. Built once: the
/// keys are fixed for the run. Its Debug shows only how many there are, never their bytes.
#[derive(Clone, Default)]
struct Parts(Arc<HashSet<[u8; PART]>>);

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Parts({})", self.0.len())
    }
}

/// Replaces the text of every key in the run with its label, so that a provider echoing a key
/// in an error (or anywhere) cannot carry it out of the provider layer.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a key that contains another is replaced whole.
    keys: Arc<Vec<Secret>>,
    parts: Parts,
}

impl Redactor {
    /// A redactor for these keys (empty key texts are ignored).
    pub fn new(keys: impl IntoIterator<Item = Secret>) -> Redactor {
        let mut keys: Vec<Secret> = keys
            .into_iter()
            .filter(|k| !k.expose().is_empty())
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.expose().len()));
        let parts = keys
            .iter()
            .flat_map(|k| k.expose().as_bytes().windows(PART))
            .filter_map(|w| <[u8; PART]>::try_from(w).ok())
            .collect();
        Redactor {
            keys: Arc::new(keys),
            parts: Parts(Arc::new(parts)),
        }
    }

    /// `text` with every key replaced by `[key-N]`, and every run of 8 or more consecutive
    /// characters of a key too (a provider echoing `sk-proj-…abcd1234` still shows part of it).
    pub fn clean(&self, text: String) -> String {
        let mut out = text;
        for k in self.keys.iter() {
            if out.contains(k.expose()) {
                out = out.replace(k.expose(), &format!("[{}]", k.label()));
            }
        }
        self.clean_parts(out)
    }

    /// Replaces the longest runs of at least [`PART`] bytes that occur in a key.
    fn clean_parts(&self, text: String) -> String {
        // Only keys of at least PART bytes have parts.
        if self.parts.0.is_empty() || text.len() < PART {
            return text;
        }
        let bytes = text.as_bytes();
        let is_part = |i: usize| {
            <[u8; PART]>::try_from(&bytes[i..i + PART]).is_ok_and(|w| self.parts.0.contains(&w))
        };
        let mut out = String::with_capacity(text.len());
        let (mut i, mut copied) = (0, 0);
        while i + PART <= bytes.len() {
            if !text.is_char_boundary(i) || !is_part(i) {
                i += 1;
                continue;
            }
            // Extend the match as far as one key still contains it.
            let (mut best, mut label) = (0, "");
            for k in self.keys.iter().filter(|k| k.expose().len() >= PART) {
                let mut end = i + PART;
                let key = k.expose();
                if !key.contains(&text[i..end]) {
                    continue;
                }
                while end < bytes.len()
                    && text.is_char_boundary(end + 1)
                    && key.contains(&text[i..end + 1])
                {
                    end += 1;
                }
                if end - i > best {
                    (best, label) = (end - i, k.label());
                }
            }
            if best == 0 {
                i += 1;
                continue;
            }
            out.push_str(&text[copied..i]);
            out.push_str(&format!("[{label}]"));
            i += best;
            copied = i;
        }
        out.push_str(&text[copied..]);
        out
    }

    fn clean_error(&self, e: ProviderError) -> ProviderError {
        match e {
            ProviderError::Transient(m) => ProviderError::Transient(self.clean(m)),
            ProviderError::Fatal(m) => ProviderError::Fatal(self.clean(m)),
            ProviderError::Refused { msg, why } => ProviderError::Refused {
                msg: self.clean(msg),
                why,
            },
            other => other,
        }
    }
}

/// How a provider answers: the built-in simulator, an HTTP API, or a local command.
#[derive(Debug)]
pub enum Backend {
    Sim(Arc<sim::Sim>),
    Http(http::Http),
    Command(command::CommandProvider),
}

/// A configured provider: how to call it and which key pool of the coordinator it draws from.
#[derive(Debug)]
pub struct Provider {
    backend: Backend,
    pool: usize,
    redactor: Redactor,
    budget: TokenBudget,
}

impl Provider {
    /// A provider calling `backend` with keys from the coordinator's pool `pool`; `redactor`
    /// removes every key of the run from what comes back.
    pub fn new(backend: Backend, pool: usize, redactor: Redactor) -> Provider {
        Provider {
            backend,
            pool,
            redactor,
            budget: TokenBudget::default(),
        }
    }

    /// The same provider, checking each prompt against `budget` before it is sent.
    pub fn with_budget(mut self, budget: TokenBudget) -> Provider {
        self.budget = budget;
        self
    }

    /// The model's context and the answer's max_tokens, as configured.
    pub fn budget(&self) -> TokenBudget {
        self.budget
    }

    /// Refuses a prompt that cannot fit the model's context (when it is known), before a key
    /// or a request is spent on it.
    pub fn preflight(&self, prompt: &str) -> Result<(), ProviderError> {
        self.budget.check(prompt)
    }

    /// The offline sim provider on key pool 0.
    pub fn sim(sim: Arc<sim::Sim>) -> Provider {
        Provider {
            backend: Backend::Sim(sim),
            pool: 0,
            redactor: Redactor::default(),
            budget: TokenBudget::default(),
        }
    }

    /// Short name for reports: `sim`, `openai/gpt-4o-mini`, `command`.
    pub fn label(&self) -> String {
        match &self.backend {
            Backend::Sim(_) => "sim".to_string(),
            Backend::Http(h) => h.label(),
            Backend::Command(_) => "command".to_string(),
        }
    }

    /// The coordinator's key pool this provider's requests lease from.
    pub fn pool(&self) -> usize {
        self.pool
    }

    /// What `req` costs against a key's limits when the provider admits it: its prompt and
    /// the max_tokens actually sent (the budget's, where Anthropic's default is counted).
    pub fn cost(&self, req: &Request) -> Cost {
        Cost::of(&req.prompt, u64::from(self.budget.max_tokens))
    }

    /// Sends one request with one key: the result, and the limits the response reported for
    /// the key. Key text never leaves in the result: replies and error messages are redacted.
    pub async fn attempt(&self, req: &Request, key: &Secret) -> Attempt {
        let (result, limits) = match &self.backend {
            Backend::Sim(s) => (s.complete(req, key).await.map(Reply::text), Vec::new()),
            Backend::Http(h) => h.attempt(&req.prompt, key).await,
            Backend::Command(c) => (c.complete(req, key).await, Vec::new()),
        };
        let result = match result {
            Ok(mut reply) => {
                reply.text = self.redactor.clean(reply.text);
                Ok(reply)
            }
            Err(e) => Err(self.redactor.clean_error(e)),
        };
        Attempt { result, limits }
    }
}

/// One request's outcome and what its response said about the key's limits.
#[derive(Debug)]
pub struct Attempt {
    pub result: Result<Reply, ProviderError>,
    pub limits: Vec<Reading>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_replaces_every_key_and_ignores_empty_ones() {
        let r = Redactor::new([
            Secret::new("key-1", "sk-abc"),
            Secret::new("key-2", "sk-abcdef"),
            Secret::new("command", ""),
        ]);
        assert_eq!(
            r.clean("bad key sk-abcdef and sk-abc!".into()),
            "bad key [key-2] and [key-1]!"
        );
        let e = r.clean_error(ProviderError::Fatal("HTTP 400: key sk-abc".into()));
        assert_eq!(e.to_string(), "HTTP 400: key [key-1]");
    }

    #[test]
    fn the_admission_cost_reserves_the_max_tokens_the_budget_sends() {
        let cfg = crate::config::load(&crate::config::ConfigInputs::default())
            .expect("the defaults load")
            .config;
        let req = Request {
            task: Task::Review(WorkflowKind::Lld),
            prompt: "x".repeat(400),
            document: String::new(),
            findings: Vec::new(),
            doc_id: "LLD-1".into(),
            doc_path: "docs/a.md".into(),
        };
        let p = Provider::sim(Arc::new(sim::Sim::new(&cfg.sim)));
        assert_eq!(p.cost(&req), Cost::of(&req.prompt, 0));
        // Anthropic with max_tokens unset sends 8192, and is charged them at admission.
        let p = p.with_budget(TokenBudget {
            context: 0,
            max_tokens: anthropic::max_tokens(0),
        });
        assert_eq!(p.cost(&req).max_tokens, 8192);
        assert_eq!(
            p.cost(&req).units(limits::Dim::OutputTokens),
            u64::from(anthropic::DEFAULT_MAX_TOKENS)
        );
    }

    #[test]
    fn any_eight_characters_of_a_key_are_redacted_too() {
        let r = Redactor::new([Secret::new("key-1", "sk-proj-0123456789abcdefXYZ")]);
        for (echo, want) in [
            (
                "Incorrect API key provided: sk-proj-****89abcdefXYZ.",
                "Incorrect API key provided: [key-1]****[key-1].",
            ),
            ("tail 9abcdefX here", "tail [key-1] here"),
            ("seven 0123456 stays", "seven 0123456 stays"),
            ("é0123456789é", "é[key-1]é"),
        ] {
            assert_eq!(r.clean(echo.into()), want, "{echo}");
        }
        // Short keys are only ever replaced whole.
        let r = Redactor::new([Secret::new("key-1", "abc")]);
        assert_eq!(r.clean("abcd abc".into()), "[key-1]d [key-1]");
    }

    #[test]
    fn a_redactors_debug_shows_labels_and_a_count_never_key_bytes() {
        // Runs of 8: key-1 has 5, key-2 has 2, one of them the same as key-1's.
        let r = Redactor::new([
            Secret::new("key-1", "abcdefghijkl"),
            Secret::new("key-2", "zabcdefgh"),
        ]);
        assert_eq!(
            format!("{r:?}"),
            "Redactor { keys: [Secret(key-1), Secret(key-2)], parts: Parts(6) }"
        );
    }
}

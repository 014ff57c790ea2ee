//! LLM providers: one request in, one text out, errors classified for the coordinator.

pub mod anthropic;
pub mod command;
pub mod gemini;
pub mod http;
pub mod keyref;
pub mod local_server;
pub mod openai;
pub mod ratelimit;
pub mod secret;
pub mod sim;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use crate::model::WorkflowKind;
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
    /// Blocking findings the drafter must address (drafts only).
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
}

impl Reply {
    /// A reply with no pacing hint.
    pub fn text(text: String) -> Reply {
        Reply { text, rest: None }
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
}

/// Replaces the text of every key in the run with its label, so that a provider echoing a key
/// in an error (or anywhere) cannot carry it out of the provider layer.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a key that contains another is replaced whole.
    keys: Arc<Vec<Secret>>,
}

impl Redactor {
    /// A redactor for these keys (empty key texts are ignored).
    pub fn new(keys: impl IntoIterator<Item = Secret>) -> Redactor {
        let mut keys: Vec<Secret> = keys
            .into_iter()
            .filter(|k| !k.expose().is_empty())
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.expose().len()));
        Redactor {
            keys: Arc::new(keys),
        }
    }

    /// `text` with every key replaced by `[key-N]`.
    pub fn clean(&self, text: String) -> String {
        let mut out = text;
        for k in self.keys.iter() {
            if out.contains(k.expose()) {
                out = out.replace(k.expose(), &format!("[{}]", k.label()));
            }
        }
        out
    }

    fn clean_error(&self, e: ProviderError) -> ProviderError {
        match e {
            ProviderError::Transient(m) => ProviderError::Transient(self.clean(m)),
            ProviderError::Fatal(m) => ProviderError::Fatal(self.clean(m)),
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
}

impl Provider {
    /// A provider calling `backend` with keys from the coordinator's pool `pool`; `redactor`
    /// removes every key of the run from what comes back.
    pub fn new(backend: Backend, pool: usize, redactor: Redactor) -> Provider {
        Provider {
            backend,
            pool,
            redactor,
        }
    }

    /// The offline sim provider on key pool 0.
    pub fn sim(sim: Arc<sim::Sim>) -> Provider {
        Provider {
            backend: Backend::Sim(sim),
            pool: 0,
            redactor: Redactor::default(),
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

    /// Sends one request with one key. Key text never leaves in the result: replies and error
    /// messages are redacted.
    pub async fn complete(&self, req: &Request, key: &Secret) -> Result<Reply, ProviderError> {
        let result = match &self.backend {
            Backend::Sim(s) => s.complete(req, key).await.map(Reply::text),
            Backend::Http(h) => h.complete(&req.prompt, key).await,
            Backend::Command(c) => c.complete(req, key).await,
        };
        match result {
            Ok(mut reply) => {
                reply.text = self.redactor.clean(reply.text);
                Ok(reply)
            }
            Err(e) => Err(self.redactor.clean_error(e)),
        }
    }
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
}

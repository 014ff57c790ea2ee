//! LLM providers: one request in, one text out, errors classified for the coordinator.

pub mod sim;

use std::time::Duration;

use crate::coordinator::secret::Secret;
use crate::discover::WorkflowKind;

/// What a request asks for; the sim provider decides its answer from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Review(WorkflowKind),
    Draft(WorkflowKind),
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
}

/// How a provider call failed, in the terms the coordinator acts on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// A rate limit that clears soon; `retry_after` when the provider said when.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The key's quota is spent until `for_` from now (daily quota, billing).
    #[error("quota exhausted for this key")]
    QuotaExhausted { for_: Duration },
    /// The key was refused (401/403).
    #[error("key refused by the provider")]
    InvalidKey,
    /// Worth retrying with backoff: 5xx, timeout, connection error.
    #[error("{0}")]
    Transient(String),
    /// Not worth retrying.
    #[error("{0}")]
    Fatal(String),
}

/// The configured provider.
#[derive(Debug)]
pub enum Provider {
    Sim(sim::Sim),
}

impl Provider {
    /// Short name for reports: `sim`, `openai/gpt-4o-mini`.
    pub fn label(&self) -> String {
        match self {
            Provider::Sim(_) => "sim".to_string(),
        }
    }

    /// Sends one request with one key.
    pub async fn complete(&self, req: &Request, key: &Secret) -> Result<String, ProviderError> {
        match self {
            Provider::Sim(s) => s.complete(req, key).await,
        }
    }
}

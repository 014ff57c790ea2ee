//! The throughput benchmark's view of the test kit's local HTTP server: requests as their
//! bearer key and JSON body, answers decided at arrival and built when they leave.

use std::time::Duration;

use parwf_testkit::http::LocalServer;
pub use parwf_testkit::http::{HttpResponse as Response, Planned};

/// A request as read: its bearer key and JSON body.
pub struct Request {
    pub key: String,
    pub body: serde_json::Value,
}

/// A running server; stops when dropped.
pub struct Server(LocalServer);

impl Server {
    /// Serves `handler` on a free port, on its own thread and runtime.
    pub fn start(handler: impl Fn(Request) -> Planned + Send + Sync + 'static) -> Server {
        let server = LocalServer::start_planned(move |req| {
            let auth = req.header("authorization").unwrap_or_default();
            handler(Request {
                key: auth.trim_start_matches("Bearer ").to_string(),
                body: req.json(),
            })
        });
        Server(server.expect("bind 127.0.0.1"))
    }

    /// The OpenAI-compatible base URL.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.0.url())
    }
}

/// A review in the reviewer format, as an OpenAI chat completion.
pub fn completion() -> String {
    const REVIEW: &str = "## Pre-Flight Gate\nPASSED\n\n## Review Summary\nBenchmark answer.\n\n## Verdict\n[x] **APPROVED** - Ready to implement\n[ ] **REVISE** - Fix Tier 1 issues first\n";
    serde_json::json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "model": "bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": REVIEW},
                     "finish_reason": "stop"}]
    })
    .to_string()
}

/// A duration as OpenAI writes its resets, to the millisecond: `0.021s`, `4.600s`.
pub fn go_secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

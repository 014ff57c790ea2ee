//! A fake OpenAI / Anthropic / Gemini endpoint on 127.0.0.1 that answers in each API's real
//! format, reviews with the sim reviewer's rules, and logs what it was sent.

use std::collections::HashMap;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use parwf::model::WorkflowKind;
use parwf::provider::sim;
use parwf_testkit::http::{HttpRequest, HttpResponse, LocalServer};
use serde_json::json;

use super::docs::GOOD_LLD;
use super::Repo;

/// Three key texts, distinctive enough to grep for.
pub const KEYS: [&str; 3] = [
    "sk-parwf-test-one-5f1c9a77e2",
    "sk-parwf-test-two-83be27d410",
    "sk-parwf-test-three-d04a6ec953",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    Gemini,
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Index into [`KEYS`] (3 for an unknown key).
    pub key: usize,
    pub status: u16,
    pub at: Instant,
    pub req: HttpRequest,
}

/// What the handler is told about a request.
pub struct Call {
    /// Index into [`KEYS`].
    pub key: usize,
    /// 1 for the first request with this key.
    pub nth: usize,
    /// The document under review, cut out of the prompt.
    pub document: String,
    /// The whole prompt (a review's or the drafter's).
    pub prompt: String,
}

pub struct Fake {
    pub server: LocalServer,
    pub api: Api,
    log: Arc<Mutex<Vec<Seen>>>,
}

fn key_of(req: &HttpRequest) -> usize {
    let text = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .or_else(|| req.header("x-api-key"))
        .or_else(|| req.header("x-goog-api-key"))
        .unwrap_or("");
    KEYS.iter().position(|k| *k == text).unwrap_or(3)
}

/// The prompt, wherever this API puts it.
pub fn prompt_of(api: Api, req: &HttpRequest) -> String {
    let v = req.json();
    let p = match api {
        Api::OpenAi | Api::Anthropic => &v["messages"][0]["content"],
        Api::Gemini => &v["contents"][0]["parts"][0]["text"],
    };
    p.as_str().unwrap_or_default().to_string()
}

/// The document in a built-in prompt: between the `<<<DOCUMENT <boundary>` and
/// `DOCUMENT <boundary>>>>` lines after `Document path: …` (in a prompt a test wrote
/// without them, everything after the path's blank line).
pub fn document_of(prompt: &str) -> String {
    let Some((_, rest)) = prompt.split_once("Document path: ") else {
        return String::new();
    };
    let Some((_, fenced)) = rest.split_once("\n<<<DOCUMENT ") else {
        return rest
            .split_once("\n\n")
            .map(|(_, doc)| doc.to_string())
            .unwrap_or_default();
    };
    let Some((boundary, body)) = fenced.split_once('\n') else {
        return String::new();
    };
    let end = format!("DOCUMENT {boundary}>>>");
    body.rsplit_once(&end)
        .map(|(doc, _)| doc.to_string())
        .unwrap_or_default()
}

/// A 200 in the API's real response shape.
pub fn ok(api: Api, text: &str) -> HttpResponse {
    let body = match api {
        Api::OpenAi => json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1767225600,
            "model": "m-test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}
        }),
        Api::Anthropic => json!({
            "id": "msg_test", "type": "message", "role": "assistant", "model": "m-test",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 50}
        }),
        Api::Gemini => json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50,
                              "totalTokenCount": 150},
            "modelVersion": "m-test"
        }),
    };
    HttpResponse::json(200, body.to_string())
}

/// The sim reviewer's review of the document in the call, as a 200.
pub fn review(api: Api, call: &Call) -> HttpResponse {
    ok(api, &sim::review(WorkflowKind::Lld, &call.document))
}

impl Fake {
    /// A server for `api`; `handler` answers each request (use [`review`] for a normal one).
    pub fn start(
        api: Api,
        handler: impl Fn(&Call) -> HttpResponse + Send + Sync + 'static,
    ) -> Fake {
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let counts: Mutex<HashMap<usize, usize>> = Mutex::default();
        let l = log.clone();
        let server = LocalServer::start(move |req| {
            let key = key_of(req);
            let nth = {
                let mut c = counts.lock().unwrap();
                let n = c.entry(key).or_insert(0);
                *n += 1;
                *n
            };
            let prompt = prompt_of(api, req);
            let call = Call {
                key,
                nth,
                document: document_of(&prompt),
                prompt,
            };
            let resp = handler(&call);
            l.lock().unwrap().push(Seen {
                key,
                status: resp.status,
                at: Instant::now(),
                req: req.clone(),
            });
            resp
        })
        .expect("start the fake API");
        Fake { server, api, log }
    }

    /// Everything seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// Requests made with key `i`.
    pub fn requests_with(&self, i: usize) -> usize {
        self.seen().iter().filter(|s| s.key == i).count()
    }

    /// Environment for the real binary: this API at this server, keys `env:K1…` for the first
    /// `n` keys.
    pub fn env(&self, n: usize) -> Vec<(String, String)> {
        let (kind, base) = match self.api {
            Api::OpenAi => ("openai", format!("{}/v1", self.server.url())),
            Api::Anthropic => ("anthropic", self.server.url()),
            Api::Gemini => ("gemini", format!("{}/v1beta", self.server.url())),
        };
        let refs: Vec<String> = (1..=n).map(|i| format!("env:K{i}")).collect();
        let mut env = vec![
            ("PARWF_PROVIDER__KIND".into(), kind.into()),
            ("PARWF_PROVIDER__MODEL".into(), "m-test".into()),
            ("PARWF_PROVIDER__BASE_URL".into(), base),
            ("PARWF_PROVIDER__KEYS".into(), refs.join(",")),
            ("PARWF_PROVIDER__TIMEOUT_S".into(), "5".into()),
            ("NO_PROXY".into(), "127.0.0.1,localhost".into()),
        ];
        for (i, k) in KEYS.iter().enumerate().take(n) {
            env.push((format!("K{}", i + 1), k.to_string()));
        }
        env
    }
}

/// A repo with a README on main and `n` good LLDs on branch `feature` (checked out), each
/// distinct (the same content is reviewed once per run).
pub fn repo_with_llds(n: usize) -> Repo {
    let docs: Vec<(String, String)> = (1..=n)
        .map(|i| {
            let text = format!(
                "{GOOD_LLD}
Document {i}.
"
            );
            (format!("docs/lld/LLD-{i}-doc.md"), text)
        })
        .collect();
    super::repo_with_branch(&docs)
}

/// `parwf --since main --format json -j J` with `env` (plus `extra`).
pub fn run(repo: &Repo, jobs: usize, env: &[(String, String)], extra: &[(&str, &str)]) -> Output {
    let j = jobs.to_string();
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    repo.parwf_in(
        repo.path(),
        &["--since", "main", "--format", "json", "-j", &j],
        &all,
    )
}

/// Asserts every item is done with `verdict`.
pub fn all_done(v: &serde_json::Value, n: usize, verdict: &str) {
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), n, "{v}");
    for item in items {
        assert_eq!(item["state"], "done", "{item}");
        assert_eq!(item["verdict"], verdict, "{item}");
    }
}

/// The `[COORDINATOR] key-N rate limited: cooling X` line for a key.
pub fn cooling_line(err: &str, label: &str) -> String {
    let want = format!("[COORDINATOR] {label} ");
    err.lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no coordinator line for {label}:\n{err}"))
        .to_string()
}

/// Seconds in a `cooling 12.3s` / `cooling 6m00s` / `out for 7h12m` duration.
pub fn seconds_in(line: &str) -> f64 {
    let d = line
        .rsplit(' ')
        .find(|w| w.ends_with('s') || w.ends_with('m'))
        .unwrap_or("");
    let d = d.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if let Some((h, m)) = d.split_once('h') {
        return h.parse::<f64>().unwrap() * 3600.0
            + m.trim_end_matches('m').parse::<f64>().unwrap() * 60.0;
    }
    if let Some((m, s)) = d.split_once('m') {
        return m.parse::<f64>().unwrap() * 60.0 + s.trim_end_matches('s').parse::<f64>().unwrap();
    }
    d.trim_end_matches('s')
        .parse()
        .unwrap_or_else(|_| panic!("no duration in {line:?}"))
}

/// A Gemini 429 as the API sends it: a `QuotaFailure` violation and a `RetryInfo`.
pub fn gemini_429(quota_id: &str, retry_delay: &str) -> String {
    json!({"error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
             "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                             "quotaId": quota_id,
                             "quotaDimensions": {"location": "global", "model": "m-test"},
                             "quotaValue": "50"}]},
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        ]
    }})
    .to_string()
}

//! The HTTP providers' shared path: one reqwest client (rustls), a per-request timeout,
//! transport errors as transient, non-2xx responses classified from their real format.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::limits::{readings, Reading};
use super::ratelimit::{self, Headers};
use super::secret::Secret;
use super::wire::{default_base_url, Api, Settings};
use super::{anthropic, gemini, openai, ProviderError, Reply, MAX_ANSWER_BYTES};

/// An OpenAI-compatible, Anthropic or Gemini endpoint.
#[derive(Debug)]
pub struct Http {
    api: Api,
    settings: Settings,
    client: reqwest::Client,
}

impl Http {
    /// A client for `api`; fails only if TLS cannot be initialised.
    pub fn new(api: Api, mut settings: Settings) -> Result<Http, reqwest::Error> {
        if settings.base_url.is_empty() {
            settings.base_url = default_base_url(api).to_string();
        }
        settings.base_url = settings.base_url.trim_end_matches('/').to_string();
        let client = reqwest::Client::builder()
            .user_agent(concat!("parwf/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the key headers (reqwest strips only Authorization) and
            // the prompt to a host nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout.min(Duration::from_secs(30)))
            .build()?;
        Ok(Http {
            api,
            settings,
            client,
        })
    }

    /// `openai/gpt-4o-mini`.
    pub fn label(&self) -> String {
        let name = match self.api {
            Api::OpenAi => "openai",
            Api::Anthropic => "anthropic",
            Api::Gemini => "gemini",
        };
        format!("{name}/{}", self.settings.model)
    }

    /// One request with one key, and the limits its response reported (success or not).
    pub async fn attempt(
        &self,
        prompt: &str,
        key: &Secret,
    ) -> (Result<Reply, ProviderError>, Vec<Reading>) {
        let mut limits = Vec::new();
        let result = self.send(prompt, key, &mut limits).await;
        (result, limits)
    }

    async fn send(
        &self,
        prompt: &str,
        key: &Secret,
        limits: &mut Vec<Reading>,
    ) -> Result<Reply, ProviderError> {
        let s = &self.settings;
        let builder = match self.api {
            Api::OpenAi => openai::request(&self.client, s, prompt, key),
            Api::Anthropic => anthropic::request(&self.client, s, prompt, key),
            Api::Gemini => gemini::request(&self.client, s, prompt, key),
        };
        let mut resp = builder
            .timeout(s.timeout)
            .send()
            .await
            .map_err(|e| transport(&e, s.timeout))?;
        let status = resp.status().as_u16();
        let headers = Headers(
            resp.headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
        );
        // One moment for everything read from this response: its limits and the waits
        // they and a 429 name.
        let now = SystemTime::now();
        *limits = readings(&headers, now);
        if (300..400).contains(&status) {
            return Err(redirect(status, &headers, &s.base_url));
        }
        let ok = (200..300).contains(&status);
        let too_big = || {
            ProviderError::Fatal(format!(
                "HTTP {status} with a body larger than {} MiB: not read (parwf reads at most that much of an answer)",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ))
        };
        if ok && resp.content_length().unwrap_or(0) > MAX_ANSWER_BYTES as u64 {
            return Err(too_big());
        }
        let (body, complete) = read_capped(&mut resp).await.map_err(|e| {
            if e.is_timeout() {
                return transport(&e, s.timeout);
            }
            ProviderError::Transient(format!(
                "the answer was cut short (HTTP {status}, connection closed mid-body): {}",
                root_cause(&e)
            ))
        })?;
        if !ok {
            // The start of an oversized error page still tells what it is.
            return Err(ratelimit::classify(
                self.api, status, &headers, limits, &body, now,
            ));
        }
        if !complete {
            return Err(too_big());
        }
        if body.trim().is_empty() {
            return Err(ProviderError::Fatal(format!(
                "HTTP {status} with an empty body"
            )));
        }
        let json: Value = serde_json::from_str(&body).map_err(|_| {
            ProviderError::Fatal(format!(
                "HTTP {status} but the body is not JSON: {}",
                ratelimit::error_message(&body)
            ))
        })?;
        let (text, finish) = match self.api {
            Api::OpenAi => openai::text(&json),
            Api::Anthropic => anthropic::text(&json),
            Api::Gemini => gemini::text(&json),
        }?;
        // An empty answer cut at max_tokens is an answer (the workflow says why it is no
        // use); an empty answer the model chose to end is an error.
        if text.trim().is_empty() && finish.is_complete() {
            return Err(ProviderError::Fatal(
                "the model returned an empty answer".into(),
            ));
        }
        Ok(Reply {
            text,
            rest: ratelimit::exhausted_for(&headers, now),
            finish,
        })
    }
}

/// The body, up to [`MAX_ANSWER_BYTES`] (decoded lossily); false when there was more, which
/// is left unread.
async fn read_capped(resp: &mut reqwest::Response) -> Result<(String, bool), reqwest::Error> {
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_ANSWER_BYTES - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok((String::from_utf8_lossy(&bytes).into_owned(), false));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((String::from_utf8_lossy(&bytes).into_owned(), true))
}

/// A 3xx answer: never followed, the item fails naming where it pointed.
fn redirect(status: u16, headers: &Headers, base_url: &str) -> ProviderError {
    let target = headers
        .get("location")
        .map(
            |loc| match reqwest::Url::parse(base_url).and_then(|b| b.join(loc)) {
                Ok(url) => {
                    let host = url.host_str().unwrap_or("?").to_string();
                    match url.port() {
                        Some(p) => format!("{host}:{p}"),
                        None => host,
                    }
                }
                Err(_) => "an unreadable location".to_string(),
            },
        )
        .unwrap_or_else(|| "no location".to_string());
    ProviderError::Fatal(format!(
        "HTTP {status} redirect to {target}: not followed (it would carry the key and the document to a host nobody configured); set base_url to the address that answers"
    ))
}

/// A timeout, refused connection, reset: worth retrying.
fn transport(e: &reqwest::Error, timeout: Duration) -> ProviderError {
    if e.is_timeout() {
        return ProviderError::Transient(format!(
            "no answer within {}s (timeout_s)",
            timeout.as_secs()
        ));
    }
    let mut msg = if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    if let Some(host) = e.url().and_then(|u| u.host_str()) {
        msg.push_str(&format!(" to {host}"));
    }
    if std::error::Error::source(e).is_some() {
        msg.push_str(&format!(": {}", root_cause(e)));
    }
    ProviderError::Transient(msg)
}

/// The innermost cause of an error, which says what actually happened.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use parwf_testkit::http::{HttpResponse, LocalServer};

    fn http(api: Api, base_url: String, timeout_ms: u64) -> Http {
        Http::new(
            api,
            Settings {
                model: "m-test".into(),
                base_url,
                temperature: 0.2,
                max_tokens: 0,
                timeout: Duration::from_millis(timeout_ms),
            },
        )
        .unwrap()
    }

    #[tokio::test]
    async fn success_carries_the_rest_hint_and_timeouts_are_transient() {
        let server = LocalServer::start(|req| {
            if req.json()["messages"][0]["content"] == "slow" {
                return HttpResponse::json(200, "{}").delay(Duration::from_millis(800));
            }
            HttpResponse::json(
                200,
                r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#,
            )
            .header("x-ratelimit-remaining-requests", "0")
            .header("x-ratelimit-reset-requests", "1.5s")
        })
        .unwrap();
        let h = http(Api::OpenAi, format!("{}/v1/", server.url()), 300);
        let key = Secret::new("key-1", "k");
        let r = h.attempt("hi", &key).await.0.unwrap();
        assert_eq!(r.text, "ok");
        assert_eq!(r.rest, Some(Duration::from_millis(1500)));
        let e = h.attempt("slow", &key).await.0.unwrap_err();
        assert!(
            matches!(&e, ProviderError::Transient(m) if m.contains("no answer within")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_body_of_exactly_the_cap_is_read_and_one_byte_more_is_not() {
        // An OpenAI answer padded to `len` bytes.
        let answer = |len: usize| {
            let shell = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#;
            let pad = " ".repeat(len - shell.len());
            format!("{shell}{pad}")
        };
        let server = LocalServer::start(move |req| {
            let extra = usize::from(req.json()["messages"][0]["content"] == "more");
            HttpResponse::json(200, answer(MAX_ANSWER_BYTES + extra))
        })
        .unwrap();
        let h = http(Api::OpenAi, format!("{}/v1", server.url()), 5000);
        let key = Secret::new("key-1", "k");
        assert_eq!(h.attempt("exact", &key).await.0.unwrap().text, "ok");
        let e = h.attempt("more", &key).await.0.unwrap_err();
        assert!(
            matches!(&e, ProviderError::Fatal(m) if m.contains("larger than 4 MiB")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed_and_names_its_target() {
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = hits.clone();
        let other = LocalServer::start(move |_| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            HttpResponse::json(200, "{}")
        })
        .unwrap();
        let target = format!("{}/v1/chat/completions", other.url());
        let server =
            LocalServer::start(move |_| HttpResponse::json(307, "").header("location", &target))
                .unwrap();
        let h = http(Api::OpenAi, format!("{}/v1", server.url()), 2000);
        let e = h
            .attempt("hi", &Secret::new("key-1", "k"))
            .await
            .0
            .unwrap_err();
        let port = other
            .url()
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            matches!(&e, ProviderError::Fatal(m) if m.starts_with(&format!("HTTP 307 redirect to 127.0.0.1:{port}: not followed"))),
            "{e:?}"
        );
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn refused_connections_are_transient() {
        // Bind then drop: nothing listens on this port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let h = http(Api::Gemini, format!("http://127.0.0.1:{port}"), 2000);
        let e = h
            .attempt("hi", &Secret::new("key-1", "k"))
            .await
            .0
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Transient(m) if m.starts_with("cannot connect to 127.0.0.1")),
            "{e:?}"
        );
    }
}

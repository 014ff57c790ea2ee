//! A tiny HTTP/1.1 server on 127.0.0.1 for the throughput benchmark: real sockets, keep-alive,
//! a handler that decides at arrival (admission) and builds the answer when it leaves (after
//! the simulated latency), as real servers compute their rate-limit headers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A request as read: its bearer key and JSON body.
pub struct Request {
    pub key: String,
    pub body: serde_json::Value,
}

/// An answer.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// What the handler decided at arrival: wait `after`, then build the answer.
pub struct Planned {
    pub after: Duration,
    pub build: Box<dyn FnOnce() -> Response + Send>,
}

impl Planned {
    /// `response` at once.
    pub fn now(response: Response) -> Planned {
        Planned {
            after: Duration::ZERO,
            build: Box::new(move || response),
        }
    }
}

type Handler = Arc<dyn Fn(Request) -> Planned + Send + Sync>;

/// A running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `handler` on a free port, on its own thread and runtime.
    pub fn start(handler: impl Fn(Request) -> Planned + Send + Sync + 'static) -> Server {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let handler: Handler = Arc::new(handler);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                let accept = async {
                    loop {
                        if let Ok((sock, _)) = listener.accept().await {
                            let _ = sock.set_nodelay(true);
                            tokio::spawn(serve(sock, handler.clone()));
                        }
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stopped => {}
                }
            });
        });
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The OpenAI-compatible base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(sock: TcpStream, handler: Handler) {
    let (read, mut write) = sock.into_split();
    let mut reader = BufReader::new(read);
    while let Some((key, body)) = read_request(&mut reader).await {
        let planned = handler(Request {
            key,
            body: serde_json::from_slice(&body).unwrap_or_default(),
        });
        if !planned.after.is_zero() {
            tokio::time::sleep(planned.after).await;
        }
        let resp = (planned.build)();
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\n",
            resp.status
        );
        for (k, v) in &resp.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", resp.body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(resp.body.as_bytes());
        if write.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// The bearer key and body of one request; `None` at the end of the connection.
async fn read_request<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    if r.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let (mut len, mut key) = (0usize, String::new());
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).await.ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().ok()?,
            "authorization" => key = v.trim().trim_start_matches("Bearer ").to_string(),
            _ => {}
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await.ok()?;
    Some((key, body))
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

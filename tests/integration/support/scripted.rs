//! A scripted HTTP server on 127.0.0.1 for provider answers a well-behaved server never
//! sends: it can lie about a body's length, close mid-body, stream without a length, and it
//! counts the body bytes the client took.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

/// The key the scripted server's clients are given.
pub const KEY: &str = "sk-parwf-hardening-3c9e1f0a7b";

/// How a body is framed on the wire.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    /// `content-length` of the whole body.
    Length,
    /// `content-length: N`, more than is sent: the connection closes mid-body.
    Claims(usize),
    /// No length: the body runs until the server closes the connection.
    UntilClose,
}

/// One scripted answer: `chunk` sent `times` times.
pub struct Answer {
    status: u16,
    content_type: &'static str,
    chunk: Vec<u8>,
    times: usize,
    framing: Framing,
}

impl Answer {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            content_type,
            chunk: body.into(),
            times: 1,
            framing: Framing::Length,
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer::new(status, "application/json", body)
    }

    pub fn times(mut self, n: usize) -> Answer {
        self.times = n;
        self
    }

    pub fn framing(mut self, f: Framing) -> Answer {
        self.framing = f;
        self
    }
}

/// An OpenAI chat completion carrying `text`, as the API sends it.
pub fn completion(text: &str, finish_reason: &str) -> String {
    json!({
        "id": "chatcmpl-hardening", "object": "chat.completion", "created": 1767225600,
        "model": "m-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}
    })
    .to_string()
}

type Handler = Arc<dyn Fn(&str) -> Answer + Send + Sync>;

/// The scripted server: each request's prompt goes to the handler, whose answer is sent as
/// scripted. Counts the body bytes the client accepted.
pub struct Scripted {
    addr: SocketAddr,
    written: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Scripted {
    pub fn start(handler: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handler: Handler = Arc::new(handler);
        let written = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s) = (written.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(conn) = conn {
                    let (h, w) = (handler.clone(), w.clone());
                    std::thread::spawn(move || serve(conn, &h, &w));
                }
            }
        });
        Scripted {
            addr,
            written,
            stop,
            accept: Some(accept),
        }
    }

    pub fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    /// The environment pointing the real binary's `openai` provider here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PARWF_PROVIDER__KIND", "openai".into()),
            ("PARWF_PROVIDER__MODEL", "m-test".into()),
            (
                "PARWF_PROVIDER__BASE_URL",
                format!("http://{}/v1", self.addr),
            ),
            ("PARWF_PROVIDER__KEYS", "env:K1".into()),
            ("PARWF_PROVIDER__TIMEOUT_S", "10".into()),
            // A retry would only repeat the same answer here; formats.rs covers retrying.
            ("PARWF_PROVIDER__RETRIES", "0".into()),
            ("K1", KEY.into()),
            ("NO_PROXY", "127.0.0.1,localhost".into()),
        ]
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Serves one connection: requests in a row until the client closes or an answer ends it.
fn serve(conn: TcpStream, handler: &Handler, written: &AtomicUsize) {
    let Ok(read) = conn.try_clone() else { return };
    let mut reader = BufReader::new(read);
    let mut conn = conn;
    while let Some(body) = read_request(&mut reader) {
        let prompt = serde_json::from_str::<Value>(&body).unwrap_or_default()["messages"][0]
            ["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let a = handler(&prompt);
        let mut head = format!(
            "HTTP/1.1 {} Scripted\r\ncontent-type: {}\r\n",
            a.status, a.content_type
        );
        match a.framing {
            Framing::Length => {
                head.push_str(&format!("content-length: {}\r\n", a.chunk.len() * a.times))
            }
            Framing::Claims(n) => head.push_str(&format!("content-length: {n}\r\n")),
            Framing::UntilClose => head.push_str("connection: close\r\n"),
        }
        head.push_str("\r\n");
        if conn.write_all(head.as_bytes()).is_err() {
            return;
        }
        for _ in 0..a.times {
            if conn.write_all(&a.chunk).is_err() {
                return;
            }
            written.fetch_add(a.chunk.len(), Ordering::SeqCst);
        }
        if !matches!(a.framing, Framing::Length) {
            let _ = conn.flush();
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Reads one request; its body, or `None` when the client closed.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<String> {
    let mut len = 0usize;
    let mut first = true;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() && !first {
            break;
        }
        first = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

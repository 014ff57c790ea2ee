//! Provider answers that are empty, cut short, HTML error pages or enormous, from a scripted
//! HTTP server on 127.0.0.1 that can also lie about a body's length, close mid-body, and count
//! what the client took. Each item fails alone with one clear line, or gets a verdict that
//! fails the gate; nothing is APPROVED that was not, and nothing is read past the cap.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{stderr, Repo};

const KEY: &str = "sk-parwf-hardening-3c9e1f0a7b";
const GOOD_LLD: &str =
    "# Cache\n\n## Context\nWhy.\n\n## Design\nHow.\n\n## Test Plan\nTests.\n\n## Risks\nSome.\n";
const APPROVED: &str = "## Pre-Flight Gate\nPASSED\n\n## Review Summary\nReady.\n\n## Verdict\n[x] **APPROVED** - Ready to implement\n";
const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n";
const PORTAL: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to Hotel-WiFi</title><style>body{font:14px sans-serif}</style><script>window.location='/login'</script></head><body><form>…</form></body></html>";
const MIB: usize = 1024 * 1024;

/// How a body is framed on the wire.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// `content-length` of the whole body.
    Length,
    /// `content-length: N`, more than is sent: the connection closes mid-body.
    Claims(usize),
    /// No length: the body runs until the server closes the connection.
    UntilClose,
}

/// One scripted answer: `chunk` sent `times` times.
struct Answer {
    status: u16,
    content_type: &'static str,
    chunk: Vec<u8>,
    times: usize,
    framing: Framing,
}

impl Answer {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            content_type,
            chunk: body.into(),
            times: 1,
            framing: Framing::Length,
        }
    }

    fn json(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer::new(status, "application/json", body)
    }

    fn times(mut self, n: usize) -> Answer {
        self.times = n;
        self
    }

    fn framing(mut self, f: Framing) -> Answer {
        self.framing = f;
        self
    }
}

/// An OpenAI chat completion carrying `text`, as the API sends it.
fn completion(text: &str, finish_reason: &str) -> String {
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
struct Scripted {
    addr: SocketAddr,
    written: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Scripted {
    fn start(handler: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Scripted {
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

    fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    /// The environment pointing the real binary's `openai` provider here.
    fn env(&self) -> Vec<(&'static str, String)> {
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

/// A repo with `README.md` on main and, on branch `feature`, one LLD per case, each saying
/// `CASE:<name>` so the handler knows which answer to give.
fn repo_with_cases(cases: &[&str]) -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "demo\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    for (i, case) in cases.iter().enumerate() {
        repo.write(
            &format!("docs/lld/LLD-{}-{case}.md", i + 1),
            &format!("{GOOD_LLD}\nCASE:{case}\n"),
        );
    }
    repo.commit_all("docs");
    repo
}

/// The case named in a prompt.
fn case_of(prompt: &str) -> &str {
    prompt
        .split_once("CASE:")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or("")
}

fn run(repo: &Repo, server: &Scripted) -> (Output, Value) {
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--format", "json", "-j", "1"],
        &env,
    );
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stderr(&out)));
    (out, v)
}

/// The item whose path names `case`.
fn item<'a>(v: &'a Value, case: &str) -> &'a Value {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| {
            i["path"]
                .as_str()
                .is_some_and(|p| p.ends_with(&format!("-{case}.md")))
        })
        .unwrap_or_else(|| panic!("no item for {case}: {v}"))
}

/// The item failed, with one line of error; returned for more checks.
fn failed_with<'a>(v: &'a Value, case: &str) -> &'a str {
    let i = item(v, case);
    assert_eq!(i["state"], "failed", "{case}: {i}");
    assert!(i["verdict"].is_null(), "{case} got a verdict: {i}");
    let e = i["error"].as_str().unwrap_or_default();
    assert!(
        !e.is_empty() && !e.contains('\n') && e.len() < 400,
        "{case}: {e:?}"
    );
    e
}

fn notes(repo: &Repo) -> usize {
    repo.git(&["notes", "--ref=parwf", "list"]).lines().count()
}

#[test]
fn empty_cut_and_html_answers_each_fail_their_item_with_one_clear_line() {
    let cases = [
        "good", "empty", "empty502", "jsoncut", "closed", "html200", "html502",
    ];
    let server = Scripted::start(|prompt| {
        let full = completion(APPROVED, "stop");
        match case_of(prompt) {
            "empty" => Answer::json(200, ""),
            "empty502" => Answer::new(502, "text/plain", ""),
            "jsoncut" => Answer::json(200, &full.as_bytes()[..full.len() / 2]),
            "closed" => Answer::json(200, &full.as_bytes()[..full.len() / 2])
                .framing(Framing::Claims(full.len())),
            "html200" => Answer::new(200, "text/html; charset=utf-8", PORTAL),
            "html502" => Answer::new(502, "text/html", NGINX_502),
            _ => Answer::json(200, full),
        }
    });
    let repo = repo_with_cases(&cases);
    let (out, v) = run(&repo, &server);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(item(&v, "good")["verdict"], "APPROVED", "{v}");
    assert_eq!(failed_with(&v, "empty"), "HTTP 200 with an empty body");
    assert_eq!(
        failed_with(&v, "empty502"),
        "HTTP 502: (empty body) (gave up after 0 retries)"
    );
    let e = failed_with(&v, "jsoncut");
    assert!(
        e.starts_with("HTTP 200 but the body is not JSON: {\"choices\":[{"),
        "{e}"
    );
    let e = failed_with(&v, "closed");
    assert!(
        e.starts_with("the answer was cut short (HTTP 200, connection closed mid-body): "),
        "{e}"
    );
    assert_eq!(
        failed_with(&v, "html200"),
        "HTTP 200 but the body is not JSON: an HTML page titled \"Sign in to Hotel-WiFi\""
    );
    assert_eq!(
        failed_with(&v, "html502"),
        "HTTP 502: an HTML page titled \"502 Bad Gateway\" (gave up after 0 retries)"
    );
    // Only the real review left a verdict note.
    assert_eq!(notes(&repo), 1);
}

#[test]
fn a_review_cut_short_is_unknown_and_fails_the_gate() {
    let cases = ["before", "inside"];
    let server = Scripted::start(|prompt| {
        let verdict_at = APPROVED.find("## Verdict").expect("verdict");
        let text = match case_of(prompt) {
            // The answer ran out of tokens before the verdict, or in the middle of it.
            "before" => &APPROVED[..verdict_at],
            _ => &APPROVED[..APPROVED.find("APPROVED").expect("word") + 5],
        };
        Answer::json(200, completion(text, "length"))
    });
    let repo = repo_with_cases(&cases);
    let (out, v) = run(&repo, &server);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    for case in cases {
        let i = item(&v, case);
        assert_eq!(i["state"], "done", "{case}: {i}");
        assert_eq!(i["verdict"], "UNKNOWN", "{case}: {i}");
    }
}

#[test]
fn an_enormous_answer_is_refused_at_the_cap_without_being_read() {
    // 50 MB each: once with its length announced, once running until the connection closes.
    let cases = ["announced", "streamed"];
    let server = Scripted::start(|prompt| {
        let framing = match case_of(prompt) {
            "announced" => Framing::Length,
            _ => Framing::UntilClose,
        };
        Answer::json(200, vec![b'x'; MIB])
            .times(50)
            .framing(framing)
    });
    let repo = repo_with_cases(&cases);
    let started = Instant::now();
    let (out, v) = run(&repo, &server);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for case in cases {
        assert_eq!(
            failed_with(&v, case),
            "HTTP 200 with a body larger than 4 MiB: not read (parwf reads at most that much of an answer)"
        );
    }
    // The client stopped taking bytes near the cap: of 100 MB offered, what the socket
    // buffers and the 4 MiB read hold, not the rest.
    let taken = server.written();
    assert!(taken < 40 * MIB, "the client took {} MiB", taken / MIB);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn an_enormous_command_answer_fails_its_item_at_the_cap() {
    let repo = repo_with_cases(&["flood"]);
    let env = [
        ("PARWF_PROVIDER__KIND", "command"),
        (
            "PARWF_PROVIDER__COMMAND",
            "cat >/dev/null; head -c 50000000 /dev/zero | tr '\\0' x",
        ),
        ("PARWF_PROVIDER__RETRIES", "0"),
    ];
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--format", "json"], &env);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        failed_with(&v, "flood"),
        "provider.command printed more than 4 MiB on stdout: not read (parwf reads at most that much of an answer)"
    );
}

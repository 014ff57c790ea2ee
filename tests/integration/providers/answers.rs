//! Provider answers that are empty, cut short, HTML error pages or enormous, from a scripted
//! HTTP server on 127.0.0.1 that can also lie about a body's length, close mid-body, and count
//! what the client took. Each item fails alone with one clear line, or gets a verdict that
//! fails the gate; nothing is APPROVED that was not, and nothing is read past the cap.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::docs::{APPROVED_REVIEW as APPROVED, GOOD_LLD};
use crate::support::exit::{self, assert_exit};
use crate::support::scripted::{completion, Answer, Framing, Scripted};
use crate::support::{json, stderr, Repo};

const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n";
const PORTAL: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to Hotel-WiFi</title><style>body{font:14px sans-serif}</style><script>window.location='/login'</script></head><body><form>…</form></body></html>";
const MIB: usize = 1024 * 1024;

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
    let v = json(&out);
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
    assert_exit(&out, exit::WORKFLOW_ERROR);
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
    assert_exit(&out, exit::GATE_FAILED);
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
    assert_exit(&out, exit::WORKFLOW_ERROR);
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
    assert_exit(&out, exit::WORKFLOW_ERROR);
    let v = json(&out);
    assert_eq!(
        failed_with(&v, "flood"),
        "provider.command printed more than 4 MiB on stdout: not read (parwf reads at most that much of an answer)"
    );
}

//! `parwf demo`: the whole job on a temporary repo from the built-in fixtures, offline.

use std::path::Path;

use crate::support::docs::SIM;
use crate::support::exit::{self, assert_exit};
use crate::support::snap::redact_timings;
use crate::support::{json, stderr, stdout, Repo};

/// The repo `demo --keep` left, from its last line.
fn kept(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("demo repo kept at "))
        .expect("kept path")
        .to_string()
}

#[test]
fn demo_runs_offline_and_exits_zero() {
    let repo = Repo::new();
    let out = repo.parwf_in(repo.path(), &["demo", "--latency-ms", "10", "--keep"], &[]);
    assert_exit(&out, exit::OK);
    let text = stdout(&out);
    let dir = kept(&text);
    assert!(Path::new(&dir).join(".git").exists());
    let _ = std::fs::remove_dir_all(&dir);
    // Every document on the branch, none from main (LLD-7), and the gate's verdict.
    let mut s = redact_timings(&repo);
    s.add_filter(r"/\S*parwf-demo-[^/\s]+", "[DIR]");
    // How eleven requests spread over three keys depends on which worker is free first.
    s.add_filter(
        r"(?m)^coordinator overhead .*$",
        "coordinator overhead [FIGURES]",
    );
    s.add_filter(r"(?m)^  key-\d+: .*$", "  [KEY FIGURES]");
    s.bind(|| insta::assert_snapshot!("summary", text));
    assert!(stderr(&out).contains("shares LLD-101"), "{}", stderr(&out));
}

#[test]
fn demo_documents_get_the_verdicts_the_fixtures_expect() {
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/demo/EXPECTED.tsv"
    ))
    .expect("EXPECTED.tsv");
    let repo = Repo::new();
    let out = repo.parwf_in(repo.path(), &["demo", "--latency-ms", "1", "--keep"], &[]);
    let dir = kept(&stdout(&out));
    let out = repo.parwf_in(
        Path::new(&dir),
        &["--since", "main", "--format", "json"],
        SIM,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let v = json(&out);
    for line in expected.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let item = v["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["path"] == cols[0]))
            .unwrap_or_else(|| panic!("{} not reviewed", cols[0]));
        assert_eq!(item["verdict"], cols[1], "{}", cols[0]);
        assert_eq!(item["blocking"].to_string(), cols[2], "{}", cols[0]);
    }
}

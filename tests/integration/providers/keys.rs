//! Key references resolved by the real binary, and the drafter's own provider and key pool.

use std::sync::Arc;

use parwf::config::{self, ConfigInputs};
use parwf::coordinator::Coordinator;
use parwf::coordinator::Silent;
use parwf::model::WorkflowKind;
use parwf::provider::{Request, Task};
use parwf::run::setup;
use tokio_util::sync::CancellationToken;

use crate::support::api::{self, all_done, review, run, Api, Fake, KEYS};
use crate::support::docs::GOOD_LLD;
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::snap::redact;
use crate::support::{json, stderr, stdout};

#[test]
fn a_keys_file_gives_one_label_per_key_in_pool_order() {
    let fake = Fake::start(Api::OpenAi, |c| review(Api::OpenAi, c));
    let repo = api::repo_with_llds(6);
    let keys_file = repo.home().join("keys.txt");
    std::fs::write(
        &keys_file,
        format!(
            "# team keys\n{}\n\n{}\n# retired: sk-old\n{}\n",
            KEYS[0], KEYS[1], KEYS[2]
        ),
    )
    .unwrap();
    let mut env = fake.env(0);
    env.retain(|(k, _)| k != "PARWF_PROVIDER__KEYS");
    env.push(("PARWF_PROVIDER__KEYS".into(), "file:~/keys.txt".into()));
    let out = run(&repo, 3, &env, &[]);
    assert_exit(&out, exit::OK);
    let v = json(&out);
    all_done(&v, 6, "APPROVED");
    let labels: Vec<&str> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(labels, ["key-1", "key-2", "key-3"]);
    // Three workers, one request in flight per key: every key from the file was used.
    let per_key: Vec<usize> = (0..3).map(|i| fake.requests_with(i)).collect();
    assert!(per_key.iter().all(|n| *n >= 1), "{per_key:?}");
    assert_eq!(per_key.iter().sum::<usize>(), 6);
}

#[test]
fn unresolvable_references_exit_2_with_a_hint_and_no_key_text() {
    let repo = api::repo_with_llds(1);
    let base = [
        ("PARWF_PROVIDER__KIND", "openai"),
        ("PARWF_PROVIDER__MODEL", "m-test"),
        ("PARWF_PROVIDER__BASE_URL", "http://127.0.0.1:9/v1"),
    ];
    let mut said = String::new();
    for refs in [
        "env:K1,env:MISSING_KEY",
        "file:nope/keys.txt",
        "cmd:echo $K1; exit 3",
    ] {
        let mut env = base.to_vec();
        env.extend([("PARWF_PROVIDER__KEYS", refs), ("K1", KEYS[0])]);
        let out = repo.parwf_in(repo.path(), &["--since", "main"], &env);
        assert_exit_for(refs, &out, exit::USAGE);
        let err = stderr(&out);
        assert!(
            !err.contains(KEYS[0]) && !stdout(&out).contains(KEYS[0]),
            "{err}"
        );
        said.push_str(&format!("keys = {refs}\n{err}"));
    }
    redact(&repo).bind(|| insta::assert_snapshot!("unresolvable", said));
    // --dry-run resolves nothing: the same broken reference is fine there.
    let mut env = base.to_vec();
    env.push(("PARWF_PROVIDER__KEYS", "env:MISSING_KEY"));
    let out = repo.parwf_in(repo.path(), &["--since", "main", "--dry-run"], &env);
    assert_exit(&out, exit::OK);
    // A key pasted into [drafter] is refused like one in [provider].
    repo.write(
        ".parwf.toml",
        &format!("[drafter]\nkeys = [\"{}\"]\n", KEYS[1]),
    );
    let out = repo.parwf(&["config", "show"]);
    assert_exit(&out, exit::USAGE);
    let err = stderr(&out);
    assert!(!err.contains(KEYS[1]), "{err}");
    redact(&repo).bind(|| insta::assert_snapshot!("literal_drafter_key", err));
}

#[test]
fn the_drafter_calls_its_own_provider_with_its_own_keys() {
    let reviewer = Fake::start(Api::OpenAi, |c| review(Api::OpenAi, c));
    let drafter = Fake::start(Api::Anthropic, |_| {
        api::ok(Api::Anthropic, "# Revised\n\n## Context\nNow complete.\n")
    });
    let env: Vec<(String, String)> = vec![
        ("PARWF_PROVIDER__KIND".into(), "openai".into()),
        ("PARWF_PROVIDER__MODEL".into(), "m-review".into()),
        (
            "PARWF_PROVIDER__BASE_URL".into(),
            format!("{}/v1", reviewer.server.url()),
        ),
        ("PARWF_PROVIDER__KEYS".into(), "env:K1".into()),
        ("PARWF_DRAFTER__KIND".into(), "anthropic".into()),
        ("PARWF_DRAFTER__MODEL".into(), "m-draft".into()),
        ("PARWF_DRAFTER__BASE_URL".into(), drafter.server.url()),
        ("PARWF_DRAFTER__KEYS".into(), "env:K2".into()),
    ];
    let cfg = config::load(&ConfigInputs {
        env,
        ..ConfigInputs::default()
    })
    .expect("config")
    .config;
    let lookup = |n: &str| match n {
        "K1" => Some(KEYS[0].to_string()),
        "K2" => Some(KEYS[1].to_string()),
        _ => None,
    };
    let dir = tempfile::tempdir().unwrap();
    let s = setup::build(&cfg, dir.path(), 2, false, &lookup).expect("setup");
    assert_eq!(s.drafter.label(), "anthropic/m-draft");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let c = Coordinator::new(s.pools, 2, Arc::new(Silent), CancellationToken::new(), None);
    let req = |task| Request {
        task,
        prompt: format!("Document path: docs/lld/LLD-1.md\n\n{}", GOOD_LLD),
        document: GOOD_LLD.into(),
        findings: Vec::new(),
        doc_id: "LLD-1".into(),
        doc_path: "docs/lld/LLD-1.md".into(),
    };
    let (text, label) = runtime
        .block_on(c.call(&s.drafter, &req(Task::Draft(WorkflowKind::Lld))))
        .expect("draft");
    assert_eq!(
        (text.as_str(), label.as_str()),
        ("# Revised\n\n## Context\nNow complete.\n", "drafter-key-1")
    );
    let (text, label) = runtime
        .block_on(c.call(&s.reviewer, &req(Task::Review(WorkflowKind::Lld))))
        .expect("review");
    assert!(text.contains("[x] **APPROVED**"));
    assert_eq!(label, "key-1");
    // Each provider got only its own key and its own model.
    assert_eq!((drafter.requests_with(1), drafter.seen().len()), (1, 1));
    assert_eq!((reviewer.requests_with(0), reviewer.seen().len()), (1, 1));
    assert_eq!(drafter.seen()[0].req.json()["model"], "m-draft");
    assert_eq!(reviewer.seen()[0].req.json()["model"], "m-review");
}

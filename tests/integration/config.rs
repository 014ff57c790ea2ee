//! `parwf config show` and the configuration loader: where each value came from, errors that
//! name the key and the place, the example file, and loader properties.

use parwf::config::{load, ConfigInputs};
use proptest::prelude::*;

use crate::support::exit::{self, assert_exit};
use crate::support::snap::redact;
use crate::support::{stderr, stdout, Repo};

#[test]
fn config_show_names_the_source_of_every_value() {
    let repo = Repo::new();
    repo.write(
        ".parwf.toml",
        "# repo config\nparallel = 5\n\n[sim]\njitter_ms = 7\nbogus = 1\n",
    );
    let user_dir = repo.home().join(".config/parwf");
    std::fs::create_dir_all(&user_dir).expect("mkdir");
    std::fs::write(
        user_dir.join("config.toml"),
        "parallel = 4\nmax_parallel = 20\n",
    )
    .expect("write");
    let out = repo.parwf_in(
        repo.path(),
        &["config", "show"],
        &[("PARWF_SIM__LATENCY_MS", "42")],
    );
    assert_exit(&out, exit::OK);
    // The user file is below the repo file: its max_parallel shows, its parallel does not.
    redact(&repo).bind(|| {
        insta::assert_snapshot!("show", stdout(&out));
        insta::assert_snapshot!("show_warnings", stderr(&out));
    });
}

#[test]
fn config_errors_name_the_key_and_where_it_was_set() {
    let repo = Repo::new();
    repo.write(".parwf.toml", "parallel = \"many\"\n");
    let out = repo.parwf(&["config", "show"]);
    assert_exit(&out, exit::USAGE);
    redact(&repo).bind(|| insta::assert_snapshot!("wrong_type", stderr(&out)));
    repo.write(
        ".parwf.toml",
        "[provider]\nkeys = [\"sk-live-abcdef123456\"]\n",
    );
    let out = repo.parwf(&["config", "show"]);
    assert_exit(&out, exit::USAGE);
    let err = stderr(&out);
    assert!(
        !err.contains("sk-live"),
        "the literal key was echoed: {err}"
    );
    redact(&repo).bind(|| insta::assert_snapshot!("literal_key", err));
}

#[test]
fn the_example_config_documents_every_key() {
    fn leaves(prefix: &str, t: &toml::Table, out: &mut Vec<String>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(inner) => leaves(&key, inner, out),
                _ => out.push(key),
            }
        }
    }
    let example_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.parwf.toml.example"))
            .expect("example");
    let example: toml::Table = example_text.parse().expect("example parses");
    let defaults: toml::Table = parwf::config::DEFAULT_CONFIG.parse().expect("defaults");
    let (mut documented, mut known) = (Vec::new(), Vec::new());
    leaves("", &example, &mut documented);
    leaves("", &defaults, &mut known);
    for key in &known {
        assert!(
            documented.contains(key),
            "{key} is not in .parwf.toml.example"
        );
    }
    // Used as a repo's config, the example raises no warning.
    let repo = Repo::new();
    repo.write(".parwf.toml", &example_text);
    let out = repo.parwf(&["config", "show"]);
    assert_exit(&out, exit::OK);
    assert_eq!(stderr(&out), "");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn config_files_never_panic_the_loader(text in "[a-z_\\[\\]=\"., 0-9\\n-]{0,200}") {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".parwf.toml");
        std::fs::write(&path, &text).expect("write");
        let inputs = ConfigInputs { repo_file: Some(path), ..ConfigInputs::default() };
        let _ = load(&inputs);
    }

    #[test]
    fn env_values_never_panic_the_loader(key in "PARWF_[A-Z_]{1,20}", value in "\\PC{0,20}") {
        let inputs = ConfigInputs { env: vec![(key, value)], ..ConfigInputs::default() };
        let _ = load(&inputs);
    }
}

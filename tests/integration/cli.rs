//! Commands other than `run`: config show, verdict, man, help.

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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key} missing:\n{text}"))
            .to_string()
    };
    let cfg = repo.path().join(".parwf.toml");
    assert!(
        line("max_iterations").contains("= 3  # default"),
        "{}",
        line("max_iterations")
    );
    // The user file is below the repo file: its max_parallel shows, its parallel does not.
    let user = user_dir.join("config.toml");
    assert!(
        line("max_parallel").contains(&format!("= 20  # {}:2", user.display())),
        "{}",
        line("max_parallel")
    );
    assert!(
        line("parallel").contains(&format!("= 5  # {}:2", cfg.display())),
        "{}",
        line("parallel")
    );
    assert!(line("sim.jitter_ms").contains(&format!("# {}:5", cfg.display())));
    assert!(line("sim.latency_ms").contains("= 42  # env PARWF_SIM__LATENCY_MS"));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("unknown key `sim.bogus` in {}:6", cfg.display())),
        "{err}"
    );
}

#[test]
fn config_errors_name_the_key_and_where_it_was_set() {
    let repo = Repo::new();
    repo.write(".parwf.toml", "parallel = \"many\"\n");
    let out = repo.parwf(&["config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`parallel`") && stderr(&out).contains(".parwf.toml:1"),
        "{}",
        stderr(&out)
    );
    repo.write(
        ".parwf.toml",
        "[provider]\nkeys = [\"sk-live-abcdef123456\"]\n",
    );
    let out = repo.parwf(&["config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("not a key reference") && err.contains("env:NAME"),
        "{err}"
    );
    assert!(
        !err.contains("sk-live"),
        "the literal key was echoed: {err}"
    );
}

#[test]
fn verdict_command_prints_json() {
    let repo = Repo::new();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reviews/two-ticked.UNKNOWN.md"
    );
    let out = repo.parwf(&["verdict", file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["verdict"], "UNKNOWN");
    for key in ["blocking", "findings", "preflight", "form"] {
        assert!(v.get(key).is_some(), "{key}: {v}");
    }
    let out = repo.parwf(&["verdict", "/nonexistent/review.md"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_pages_are_generated_for_both_names() {
    let repo = Repo::new();
    let dir = repo.path().join("man");
    let out = repo.parwf(&["man", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(dir.join("git-parwf.1")).expect("git-parwf.1");
    assert!(page.contains(".TH git-parwf"), "{page}");
    assert!(page.contains("since"));
    assert!(dir.join("parwf.1").exists());
}

#[test]
fn help_explains_and_unknown_flags_exit_2() {
    let repo = Repo::new();
    let out = repo.parwf(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("--since") && stdout(&out).contains("Exit codes"));
    let out = repo.parwf(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

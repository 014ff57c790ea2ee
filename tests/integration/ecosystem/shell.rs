//! What a person meets in a shell: `parwf init`, completions loaded into a real bash, the man
//! page through the real `man` (and `git parwf --help`, which runs it), `--color`, `-q`/`-v`
//! and `--version`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::tools;
use crate::support::docs::{GOOD_LLD, SIM};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{hermetic_env, repo_with_branch, stderr, stdout, Repo};

fn parwf_bin() -> &'static str {
    env!("CARGO_BIN_EXE_parwf")
}

#[test]
fn init_writes_globs_for_the_folders_it_finds_and_never_overwrites() {
    let repo = Repo::new();
    for path in [
        "docs/lld/active/LLD-101-cache.md",
        "docs/lld/drafts/spec-0102-queue.md",
        "ideas/active/0007-search.md",
        "ideas/done/0003-old.md",
        "docs/guide/setup.md",
    ] {
        repo.write(path, GOOD_LLD);
    }
    let out = repo.parwf(&["init"]);
    assert_exit(&out, exit::OK);
    let text = std::fs::read_to_string(repo.path().join(".parwf.toml")).unwrap();
    assert!(text.contains("paths = [\"docs/lld/**/*.md\"]"), "{text}");
    assert!(text.contains("paths = [\"ideas/active/*.md\"]"), "{text}");
    assert!(text.contains("not included: ideas/done/"), "{text}");
    assert!(
        stdout(&out).contains("left out: ideas/done/"),
        "{}",
        stdout(&out)
    );

    // The file is one parwf reads without a warning, and its globs take exactly those
    // documents.
    let shown = repo.parwf(&["config", "show"]);
    assert_exit(&shown, exit::OK);
    assert!(!stderr(&shown).contains("warning"), "{}", stderr(&shown));
    repo.commit_all("docs");
    let listed = repo.parwf(&["--all", "--dry-run", "--provider", "sim"]);
    let listing = stdout(&listed);
    assert!(
        listing.contains("docs/lld/drafts/spec-0102-queue.md"),
        "{listing}"
    );
    assert!(listing.contains("ideas/active/0007-search.md"), "{listing}");
    assert!(
        !listing.contains("ideas/done") && !listing.contains("guide"),
        "{listing}"
    );

    std::fs::write(repo.path().join(".parwf.toml"), "parallel = 2\n").unwrap();
    let again = repo.parwf(&["init", "--provider", "openai"]);
    assert_exit(&again, exit::USAGE);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("hint:"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".parwf.toml")).unwrap(),
        "parallel = 2\n"
    );
}

#[test]
fn init_fills_in_the_provider_asked_for() {
    let repo = Repo::new();
    let out = repo.parwf(&["init", "--provider", "sim"]);
    assert_exit(&out, exit::OK);
    let shown = stdout(&repo.parwf(&["config", "show"]));
    let kind = shown
        .lines()
        .find(|l| l.starts_with("provider.kind"))
        .unwrap_or_default();
    assert!(
        kind.contains("\"sim\"") && kind.contains(".parwf.toml"),
        "{shown}"
    );
    // No folder found: the defaults are written, and said to be.
    let text = std::fs::read_to_string(repo.path().join(".parwf.toml")).unwrap();
    assert!(text.contains("paths = [\"docs/lld/**/*.md\"]"), "{text}");
    // The user chose the reviewer by running init: the file is trusted as written, so a run
    // starts; an edit needs `parwf trust` again.
    assert!(
        stdout(&out).contains("trusted as written"),
        "{}",
        stdout(&out)
    );
    repo.write("docs/lld/LLD-1-a.md", GOOD_LLD);
    repo.commit_all("a design");
    let run = repo.parwf(&["--all", "--write", "none"]);
    assert_exit(&run, exit::OK);
    std::fs::write(
        repo.path().join(".parwf.toml"),
        format!("{text}\n# edited\n"),
    )
    .unwrap();
    let run = repo.parwf(&["--all", "--write", "none"]);
    assert_exit(&run, exit::USAGE);
    assert!(stderr(&run).contains("is not trusted"), "{}", stderr(&run));
}

/// Runs `script` in a real bash with the completion loaded; returns stdout.
fn bash(script: &str) -> Option<String> {
    let bash = tools::find("bash")?;
    let out = Command::new(bash)
        .args(["--norc", "--noprofile", "-c"])
        .arg(format!(
            "source <(\"$PARWF\" completions bash) || exit 9\n{script}"
        ))
        .env("PARWF", parwf_bin())
        .output()
        .expect("run bash");
    assert!(out.status.success(), "bash: {}", stderr(&out));
    Some(stdout(&out))
}

/// Completes the command line `words` (the last one being completed) through the loaded
/// function, as bash does on TAB.
fn complete(words: &[&str]) -> Option<Vec<String>> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let script = format!(
        "COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n\
         _parwf parwf '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = quoted.join(" "),
        line = words.join(" "),
        cur = words[cword],
    );
    bash(&script).map(|s| s.lines().map(str::to_string).collect())
}

#[test]
fn bash_completion_loads_and_completes_commands_flags_and_values() {
    let Some(registered) = bash("complete -p parwf") else {
        return tools::skip("bash_completion_loads…", "bash is not available");
    };
    assert!(registered.contains("-F _parwf"), "{registered}");
    let commands = complete(&["parwf", "comp"]).unwrap();
    assert_eq!(commands, ["completions"]);
    let flags = complete(&["parwf", "--for"]).unwrap();
    assert_eq!(flags, ["--format"]);
    let mut formats = complete(&["parwf", "--format", ""]).unwrap();
    formats.sort();
    assert_eq!(
        formats,
        ["github", "human", "json", "junit", "markdown", "sarif"]
    );
    let shells = complete(&["parwf", "completions", "f"]).unwrap();
    assert_eq!(shells, ["fish"]);
    // `git parwf <TAB>`: git's completion calls _git_parwf with its own words.
    let via_git = bash(
        "words=(git parwf init --prov); cword=3\n_git_parwf\nprintf '%s\\n' \"${COMPREPLY[@]}\"",
    )
    .unwrap();
    assert_eq!(via_git.trim(), "--provider");
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker, value) in [
        ("zsh", "#compdef parwf", "sarif"),
        ("fish", "complete -c parwf", "sarif"),
        ("powershell", "Register-ArgumentCompleter", "--format"),
    ] {
        let out = Command::new(parwf_bin())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_exit_for(shell, &out, exit::OK);
        assert!(stdout(&out).contains(marker), "{shell}: {}", stdout(&out));
        assert!(stdout(&out).contains(value), "{shell}");
    }
}

/// An install as `cargo install --root ROOT` leaves it: ROOT/bin/{parwf,git-parwf}.
fn installed_copy() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["parwf", "git-parwf"] {
        let built = Path::new(parwf_bin()).with_file_name(name);
        std::fs::copy(built, bin.join(name)).unwrap();
    }
    (root, bin)
}

/// `man ARGS` (or any program) with a clean man environment and `bin` first on PATH.
fn with_bin(program: &str, args: &[&str], bin: &Path, home: &Path, dir: &Path) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    hermetic_env(&mut cmd, home);
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    cmd.env("PATH", path)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .env_remove("MANPATH")
        .env_remove("MANOPT")
        .env_remove("GIT_PAGER");
    cmd.output().expect("spawn")
}

#[test]
fn man_install_puts_the_page_where_git_parwf_help_finds_it() {
    let Some(man) = tools::find("man") else {
        return tools::skip(
            "man_install_puts_the_page_where_git_parwf_help_finds_it",
            "man (Debian man-db) is not installed",
        );
    };
    let man = man.display().to_string();
    let repo = Repo::new();
    let (root, bin) = installed_copy();
    let parwf = bin.join("parwf").display().to_string();

    // Before the install man knows no such page, so git cannot show it either.
    let before = with_bin(&man, &["-w", "git-parwf"], &bin, &repo.home(), repo.path());
    assert!(!before.status.success(), "{}", stdout(&before));

    let out = with_bin(
        &parwf,
        &["man", "--install"],
        &bin,
        &repo.home(),
        repo.path(),
    );
    assert_exit(&out, exit::OK);
    let dir = root.path().join("share/man/man1");
    assert!(dir.join("git-parwf.1").is_file() && dir.join("parwf.1").is_file());
    assert!(
        stderr(&out).contains(&dir.display().to_string()),
        "says where: {}",
        stderr(&out)
    );

    let found = with_bin(&man, &["-w", "git-parwf"], &bin, &repo.home(), repo.path());
    assert_eq!(
        stdout(&found).trim(),
        dir.join("git-parwf.1").display().to_string()
    );
    // git runs `man git-parwf` for `git parwf --help`.
    let help = with_bin("git", &["parwf", "--help"], &bin, &repo.home(), repo.path());
    let page = stdout(&help);
    assert!(help.status.success(), "{}", stderr(&help));
    assert!(
        page.contains("git-parwf - Run LLM governance reviews"),
        "{page}"
    );
    assert!(
        page.contains("git parwf hook pre-push REMOTE [URL]"),
        "{page}"
    );
}

#[test]
fn the_man_page_has_value_names_and_only_real_references() {
    let out = Command::new(parwf_bin()).arg("man").output().unwrap();
    assert_exit(&out, exit::OK);
    let roff = stdout(&out);
    assert!(roff.starts_with(".ie") || roff.contains(".TH"), "{roff}");
    let Some(man) = tools::find("man") else {
        return tools::skip(
            "the_man_page_has_value_names_and_only_real_references (rendering)",
            "man (Debian man-db) is not installed",
        );
    };
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("parwf.1");
    std::fs::write(&file, &roff).unwrap();
    let bin = Path::new(parwf_bin()).parent().unwrap();
    let shown = with_bin(
        &man.display().to_string(),
        &["--warnings", "-l", &file.display().to_string()],
        bin,
        home.path(),
        home.path(),
    );
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert_eq!(stderr(&shown).trim(), "", "groff warnings");
    let page = stdout(&shown);
    let synopsis: String = page
        .split("DESCRIPTION")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for part in [
        "[-C DIR]",
        "[--since REV]",
        "[-j|--parallel N]",
        "[--format FORMAT]",
        "[PATHS...]",
    ] {
        assert!(synopsis.contains(part), "{part} not in: {synopsis}");
    }
    // Every page it names exists: its sibling, and git's pages, which man finds here.
    let refs: Vec<String> = regex::Regex::new(r"\b([a-z][a-z0-9-]*)\((\d)\)")
        .unwrap()
        .captures_iter(&page)
        .map(|c| format!("{}({})", &c[1], &c[2]))
        .collect();
    assert!(
        refs.iter()
            .all(|r| !r.starts_with("git-parwf-") && !r.starts_with("parwf-")),
        "{refs:?}"
    );
    for r in &refs {
        let (name, section) = r.trim_end_matches(')').split_once('(').unwrap();
        if name == "parwf" || name == "git-parwf" {
            continue;
        }
        let found = Command::new(&man)
            .args(["-w", section, name])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "the page refers to {r}, which man cannot find"
        );
    }
}

#[test]
fn color_follows_the_flag_then_no_color_then_clicolor_force() {
    let repo = repo_with_branch(&[("docs/lld/LLD-001-good.md", GOOD_LLD)]);
    let run = |args: &[&str], env: &[(&str, &str)]| -> String {
        let mut all = vec!["--since", "main", "--write", "none"];
        all.extend_from_slice(args);
        let mut env_all = SIM.to_vec();
        env_all.extend_from_slice(env);
        stdout(&repo.parwf_in(repo.path(), &all, &env_all))
    };
    let green = "\x1b[32mAPPROVED";
    assert!(!run(&[], &[]).contains('\x1b'), "not a terminal: no colour");
    assert!(run(&["--color", "always"], &[]).contains(green));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]).contains(green));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\x1b'));
    assert!(run(&["--color=always"], &[("NO_COLOR", "1")]).contains(green));
    assert!(!run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains('\x1b'));
    // Errors too: the `error:` prefix.
    let out = repo.parwf_in(repo.path(), &["-j", "0", "--color", "always"], &[]);
    assert!(
        stderr(&out).contains("\x1b[1;31merror:\x1b[0m"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn quiet_and_verbose_change_what_goes_to_stderr() {
    // A document on main, renamed on the branch: discovery logs the rename at debug level.
    let repo = Repo::new();
    repo.write("docs/lld/LLD-001-good.md", GOOD_LLD);
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.git(&[
        "mv",
        "docs/lld/LLD-001-good.md",
        "docs/lld/LLD-001-cache.md",
    ]);
    repo.write(
        "docs/lld/LLD-001-cache.md",
        &format!("{GOOD_LLD}\nOne more line.\n"),
    );
    repo.commit_all("rename");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--since", "main", "--write", "none"];
        all.extend_from_slice(args);
        let mut env_all = SIM.to_vec();
        env_all.extend_from_slice(env);
        repo.parwf_in(repo.path(), &all, &env_all)
    };
    let normal = run(&[], &[]);
    assert!(stderr(&normal).contains("[LLD-1]"), "{}", stderr(&normal));
    assert!(!stderr(&normal).contains("DEBUG"), "{}", stderr(&normal));
    let quiet = run(&["-q"], &[]);
    assert_exit(&quiet, exit::OK);
    assert_eq!(stderr(&quiet), "", "-q: no progress lines");
    assert!(stdout(&quiet).contains("APPROVED"), "results still print");
    // -vv: parwf's debug events; PARWF_LOG wins over the flags.
    let debug = run(&["-vv"], &[]);
    assert!(
        stderr(&debug).contains("DEBUG") && stderr(&debug).contains("document renamed"),
        "{}",
        stderr(&debug)
    );
    let info = run(&["-v"], &[]);
    assert!(!stderr(&info).contains("DEBUG"), "{}", stderr(&info));
    let overridden = run(&["-vv"], &[("PARWF_LOG", "error")]);
    assert!(
        !stderr(&overridden).contains("DEBUG"),
        "{}",
        stderr(&overridden)
    );
    let conflict = run(&["-q", "-v"], &[]);
    assert_exit(&conflict, exit::USAGE);
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = Command::new(parwf_bin()).arg("--version").output().unwrap();
    let line = stdout(&out);
    assert!(
        line.starts_with(&format!("parwf {} (", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output();
    match head {
        Ok(h) if h.status.success() => {
            let commit = stdout(&h).trim().to_string();
            assert!(line.contains(&commit), "{line} does not name {commit}");
        }
        _ => assert!(line.contains("commit unknown"), "{line}"),
    }
}

#[test]
fn global_flags_work_before_a_command_and_run_options_do_not() {
    let repo = repo_with_branch(&[("docs/lld/LLD-001-good.md", GOOD_LLD)]);
    let sub = repo.path().join("docs");
    for args in [
        vec!["-q", "status"],
        vec!["--color", "never", "status"],
        vec!["-v", "status"],
        vec!["status", "-q"],
    ] {
        let out = repo.parwf(&args);
        assert_exit_for(&format!("{args:?}"), &out, exit::OK);
    }
    let out = repo.parwf_in(&sub, &["-C", "..", "status", "--format", "json"], &[]);
    assert_exit(&out, exit::OK);
    let out = repo.parwf(&["--since", "main", "status"]);
    assert_exit(&out, exit::USAGE);
    assert!(
        stderr(&out).contains("cannot be used with a command"),
        "{}",
        stderr(&out)
    );
}

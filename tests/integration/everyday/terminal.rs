//! Progress on a real terminal (a pty made by `script`): the cursor hidden while the bars
//! redraw and given back, plain lines for `TERM=dumb`, no colour with `NO_COLOR`.

use super::*;
use crate::support::repo_with_branch;

/// Runs parwf in a pseudo-terminal; returns everything the terminal received. `None` when
/// `script` (util-linux) is not installed.
fn in_pty(repo: &Repo, args: &str, env: &[(&str, &str)]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed, so there is no pty to test in");
        return None;
    }
    let bin = env!("CARGO_BIN_EXE_parwf");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("'{bin}' {args}"), "/dev/null"])
        .current_dir(repo.path())
        .stdin(Stdio::null());
    hermetic_env(&mut cmd, &repo.home());
    // A person at a terminal: not CI.
    cmd.env_remove("CI").env("COLUMNS", "80").env("LINES", "24");
    for (k, v) in FAST.iter().chain(env) {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("spawn script");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn repo() -> Repo {
    let docs: Vec<(String, &str)> = (1..=4)
        .map(|i| (format!("docs/lld/LLD-{i}-cache.md"), GOOD_LLD))
        .collect();
    repo_with_branch(&docs)
}

const HIDE: &str = "\x1b[?25l";
const SHOW: &str = "\x1b[?25h";

#[test]
fn bars_hide_the_cursor_while_they_redraw_and_give_it_back() {
    let repo = repo();
    let Some(tty) = in_pty(&repo, "--since main -j 2", &[("TERM", "xterm-256color")]) else {
        return;
    };
    let hidden = tty
        .find(HIDE)
        .unwrap_or_else(|| panic!("cursor never hidden: {tty:?}"));
    let shown = tty
        .rfind(SHOW)
        .unwrap_or_else(|| panic!("cursor never shown again: {tty:?}"));
    assert!(hidden < shown && tty.rfind(HIDE) < Some(shown), "{tty:?}");
    // No bar line reaches the terminal's edge: a Ctrl+C echoed as `^C` after one would wrap,
    // and the next redraw would leave a frozen bar behind.
    let escapes = regex::Regex::new("\x1b\\[[0-9;?]*[A-Za-z]").expect("regex");
    let plain = escapes.replace_all(&tty[..shown], "\n");
    for line in plain.split(['\r', '\n']) {
        if line.contains("workflows complete") || line.contains("reviewing") {
            assert!(
                line.chars().count() <= 64,
                "{} columns: {line:?}",
                line.chars().count()
            );
        }
    }
    // The results come after the bars are gone, and verdicts are in colour.
    assert!(tty[shown..].contains("4 documents: 4 approved"), "{tty:?}");
    assert!(tty.contains("\x1b[32mAPPROVED"), "{tty:?}");
}

#[test]
fn a_dumb_terminal_gets_plain_lines_without_escapes() {
    let repo = repo();
    let Some(tty) = in_pty(&repo, "--since main -j 2", &[("TERM", "dumb")]) else {
        return;
    };
    assert!(
        !tty.contains('\x1b'),
        "escape sequences on a dumb terminal: {tty:?}"
    );
    assert!(tty.contains("[LLD-1] APPROVED"), "{tty:?}");
}

#[test]
fn no_color_means_no_colour_on_a_terminal() {
    let repo = repo();
    let Some(tty) = in_pty(
        &repo,
        "--since main -j 2",
        &[("TERM", "xterm-256color"), ("NO_COLOR", "1")],
    ) else {
        return;
    };
    // Cursor movement is fine; SGR (colour, bold) sequences are not.
    let sgr = regex::Regex::new("\x1b\\[[0-9;]*m").expect("regex");
    assert!(!sgr.is_match(&tty), "colour despite NO_COLOR: {tty:?}");
    assert!(tty.contains(HIDE), "bars still drawn: {tty:?}");
}

#[test]
fn one_long_id_does_not_push_every_row_past_80_columns() {
    let long = "ideas/active/an-idea-whose-name-has-no-number-and-goes-on-and-on.md";
    let repo = repo_with_branch(&[("docs/lld/LLD-1-cache.md", GOOD_LLD), (long, GOOD_LLD)]);
    let out = repo.parwf_in(repo.path(), &["--since", "main"], FAST);
    let text = crate::support::stdout(&out);
    let row = text
        .lines()
        .find(|l| l.starts_with("LLD-1 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.chars().count() <= 80,
        "{} columns: {row}",
        row.chars().count()
    );
    let id = "ISSUE-an-idea-whose-name-has-no-number-and-goes-on-and-on";
    assert!(
        text.lines().any(|l| l == id),
        "the long ID on a line of its own:\n{text}"
    );
    assert!(text.contains(long), "a pipe gets the whole path:\n{text}");
}

//! The real third-party tools the ecosystem tests drive, found on PATH or where `.ci/run`
//! installs them (`$PARWF_CI_TOOLS`, default `target/ci-tools`). A test whose tool is missing
//! prints one line saying so and passes, so `cargo test` on a bare machine still runs.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `.ci/run` installs the tools.
pub fn ci_tools() -> PathBuf {
    std::env::var_os("PARWF_CI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-tools"))
}

/// An executable named `name`: first on PATH, then in the CI tool folders.
pub fn find(name: &str) -> Option<PathBuf> {
    let tools = ci_tools();
    let extra = [tools.join("venv/bin"), tools.join("node_modules/.bin")];
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(extra)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file() && is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// A file the CI tools ship (e.g. an npm package's schema), if installed.
pub fn file(rel: &str) -> Option<PathBuf> {
    let p = ci_tools().join(rel);
    p.is_file().then_some(p)
}

/// Says on the terminal (not the captured test output) that a test skipped, and why.
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why} (.ci/run installs it)"
    );
}

/// The first line a tool prints for `--version` (or `args`), for the record.
pub fn version(tool: &Path, args: &[&str]) -> String {
    Command::new(tool)
        .args(args)
        .output()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default()
}

/// A fenced block of the README: the one whose first line is `first_line` (a `# file`
/// comment), without that line's fence.
pub fn readme_block(first_line: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("```") {
            let mut block = Vec::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                block.push(l);
            }
            if block.first().is_some_and(|l| l.trim() == first_line) {
                return block.join("\n") + "\n";
            }
        }
    }
    panic!("README.md has no fenced block starting with `{first_line}`");
}

/// A Python that can import `module`: the CI tools' virtualenv first, then PATH.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let venv = ci_tools().join("venv/bin/python3");
    [Some(venv), find("python3")]
        .into_iter()
        .flatten()
        .find(|p| {
            p.is_file()
                && Command::new(p)
                    .args(["-c", &format!("import {module}")])
                    .output()
                    .is_ok_and(|o| o.status.success())
        })
}

//! Embeds `fixtures/demo/{main,branch}` into the binary for `parwf demo`, and sets
//! `PARWF_VERSION` (`0.1.0 (1a2b3c4d5e6f 2026-01-31)`) from the git commit it is built from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((
                rel,
                p.canonicalize().unwrap_or(p.clone()).display().to_string(),
            ));
        }
    }
}

/// `git ARGS` in the source tree, when git is there and succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

/// The commit (12 hex digits) and its date, or None outside a git checkout (a crate
/// tarball) or without git: the version then says so instead of failing the build.
/// `PARWF_BUILD_COMMIT` set at build time wins (for packagers building from a tarball).
fn commit(dir: &Path) -> Option<String> {
    println!("cargo:rerun-if-env-changed=PARWF_BUILD_COMMIT");
    if let Ok(c) = std::env::var("PARWF_BUILD_COMMIT") {
        return (!c.trim().is_empty()).then(|| c.trim().to_string());
    }
    // Only a repository whose top is this crate: a crate unpacked inside some other
    // repository (cargo's registry cache, a vendored tree) must not take that one's commit.
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if !same(Path::new(&top), dir) {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself, the branch it names, packed refs. Only paths that
    // exist: cargo reruns the script on every build for one that does not.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(dir, &["symbolic-ref", "-q", "HEAD"]));
    for rel in watched {
        if let Some(p) = git(dir, &["rev-parse", "--git-path", &rel]) {
            let p = dir.join(p);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    let hash = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    let date = git(dir, &["log", "-1", "--format=%cs", "HEAD"]).unwrap_or_default();
    Some(format!("{hash} {date}").trim().to_string())
}

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    let full = match commit(&manifest) {
        Some(c) => format!("{version} ({c})"),
        None => format!("{version} (commit unknown: not built from a git checkout)"),
    };
    println!("cargo:rustc-env=PARWF_VERSION={full}");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    println!("cargo:rerun-if-changed={}", base.display());
    let mut code = String::from("/// (tree, repo-relative path, text) of every demo fixture.\npub const DEMO_FILES: &[(&str, &str, &str)] = &[\n");
    for tree in ["main", "branch"] {
        let mut files = Vec::new();
        walk(&base.join(tree), &base.join(tree), &mut files);
        for (rel, abs) in files {
            let _ = writeln!(code, "    ({tree:?}, {rel:?}, include_str!({abs:?})),");
        }
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("demo_files.rs");
    std::fs::write(out, code).expect("write demo_files.rs");
}

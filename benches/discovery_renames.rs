//! Discovery on a history whose range renames and adds thousands of files outside the
//! document folders, as real repositories do (a code reorganisation on a feature branch):
//! `parwf --since main --dry-run` against `git diff --name-only -M main...HEAD` limited to the
//! document globs' roots. Prints figures, never fails on them (the machine may be noisy).
//!
//! `cargo bench --bench discovery_renames` (add `-- --quick` for a smaller history).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

mod common;

use common::{ms, paired_medians};

/// The roots of the built-in globs (`docs/lld/**/*.md`, `docs/issues/**/*.md`,
/// `ideas/active/*.md`): the pathspec a user would give git for the same question.
const DOC_ROOTS: [&str; 3] = ["docs/lld", "docs/issues", "ideas/active"];

/// The history's size.
struct Shape {
    /// Code files on `main`; the branch renames every one of them.
    code: usize,
    /// Code files the branch adds.
    added: usize,
    /// Documents on `main`.
    docs: usize,
    /// Small code commits on each side of the branch point.
    commits: usize,
    /// Alternating runs of each command.
    runs: usize,
}

/// Why the bench could not measure.
#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("parwf's JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A command exited non-zero; its stderr.
    #[error("{command} failed: {stderr}")]
    Failed { command: String, stderr: String },
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let shape = if quick {
        Shape {
            code: 1_000,
            added: 600,
            docs: 100,
            commits: 100,
            runs: 11,
        }
    } else {
        Shape {
            code: 5_000,
            added: 3_000,
            docs: 500,
            commits: 800,
            runs: 31,
        }
    };
    if let Err(e) = bench(&shape) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn bench(shape: &Shape) -> Result<(), BenchError> {
    let dir = tempfile::Builder::new()
        .prefix("parwf-bench-renames-")
        .tempdir()?;
    let home = tempfile::tempdir()?;
    let t0 = Instant::now();
    let mut expected = generate(dir.path(), home.path(), shape)?;
    expected.sort();
    let gen = t0.elapsed();

    let parwf = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_parwf"));
        cmd.args(["--since", "main", "--dry-run", "--format", "json"]);
        hermetic(&mut cmd, dir.path(), home.path());
        cmd.stdin(Stdio::null()).output()
    };
    let git = || {
        let mut cmd = Command::new("git");
        cmd.args(["diff", "--name-only", "-M", "main...HEAD", "--"])
            .args(DOC_ROOTS);
        hermetic(&mut cmd, dir.path(), home.path());
        cmd.stdin(Stdio::null()).output()
    };

    // Both must give the right answer before their times mean anything.
    let out = succeeded("parwf", parwf()?)?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut ours: Vec<String> = json["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["path"].as_str().map(str::to_string))
        .collect();
    let out = succeeded("git diff", git()?)?;
    let mut theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    ours.sort();
    theirs.sort();

    println!(
        "discovery with renames: main has {} code files and {} documents; the branch ({} commits on each side of the merge-base) renames all {} code files (half of them edited), adds {} more, and changes {} documents (3 edited, 1 added, 1 renamed, 1 moved in from a code folder); generated in {:.1}s",
        shape.code,
        shape.docs + 20,
        shape.commits,
        shape.code,
        shape.added,
        expected.len(),
        gen.as_secs_f64()
    );
    let verdict = |got: &[String]| if got == expected { "right" } else { "WRONG" };
    println!(
        "    selected: parwf {} documents ({}), git {} paths ({})",
        ours.len(),
        verdict(&ours),
        theirs.len(),
        verdict(&theirs),
    );
    let (a, b) = paired_medians(shape.runs, || parwf().map(drop), || git().map(drop))?;
    println!(
        "    parwf --since main --dry-run {:.1} ms, git diff --name-only -M main...HEAD -- {} {:.1} ms (medians of {} alternating runs): ratio {:.2}x (target ≤ 1.5x)",
        ms(a),
        DOC_ROOTS.join(" "),
        ms(b),
        shape.runs,
        a.as_secs_f64() / b.as_secs_f64().max(1e-9)
    );
    Ok(())
}

/// `out` if its command exited 0.
fn succeeded(command: &str, out: Output) -> Result<Output, BenchError> {
    if out.status.success() {
        return Ok(out);
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let command = command.to_string();
    Err(BenchError::Failed { command, stderr })
}

/// Keeps git and parwf away from the user's config, keys and `PARWF_*` settings.
fn hermetic(cmd: &mut Command, dir: &Path, home: &Path) {
    for (k, _) in std::env::vars() {
        if k.starts_with("PARWF_") || k.starts_with("GIT_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("CI", "true");
}

fn code_path(dir: &str, i: usize) -> String {
    format!("{dir}/m{:03}/f{i:05}.rs", i / 100)
}

fn code_text(i: usize) -> String {
    let mut s = format!("// module {i}\n");
    for line in 0..20 {
        let _ = writeln!(
            s,
            "pub fn f{i}_{line}(x: u32) -> u32 {{ x * {line} + {i} }}"
        );
    }
    s
}

fn doc_path(i: usize) -> String {
    format!("docs/lld/d{:02}/LLD-{:04}-gen.md", i / 100, i + 1)
}

fn doc_text(i: usize) -> String {
    format!("# LLD {}\n\n## Context\nGenerated document {i}.\n", i + 1)
}

/// A `git fast-import` stream of linear commits.
#[derive(Default)]
struct Stream {
    text: String,
    marks: usize,
}

impl Stream {
    /// A commit on `branch` after the previous one, with `body`'s file commands.
    fn commit(&mut self, branch: &str, body: &str) {
        self.marks += 1;
        let mark = self.marks;
        let _ = write!(
            self.text,
            "commit refs/heads/{branch}\nmark :{mark}\n\
             committer Bench <bench@parwf.invalid> {} +0000\ndata 6\nbench\n",
            1_700_000_000 + mark
        );
        if mark > 1 {
            let _ = writeln!(self.text, "from :{}", mark - 1);
        }
        self.text.push_str(body);
        self.text.push('\n');
    }

    /// A commit on `branch` editing one code file under `dir`.
    fn small(&mut self, branch: &str, dir: &str, shape: &Shape, c: usize) {
        let mut body = String::new();
        let i = (c * 7919) % shape.code;
        let text = format!("{}// edit {c}\n", code_text(i));
        inline(&mut body, &code_path(dir, i), &text);
        self.commit(branch, &body);
    }
}

/// A file command with its content inline.
fn inline(body: &mut String, path: &str, text: &str) {
    let _ = write!(
        body,
        "M 100644 inline {path}\ndata {}\n{text}\n",
        text.len()
    );
}

/// Builds the history with `git fast-import` and checks out `feature`; returns the paths of
/// the documents the branch changes (what both commands should list).
fn generate(dir: &Path, home: &Path, shape: &Shape) -> Result<Vec<String>, BenchError> {
    let run_git = |args: &[&str], input: &str| -> Result<(), BenchError> {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        hermetic(&mut cmd, dir, home);
        let mut child = cmd.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes())?;
        }
        succeeded(
            &format!("git {}", args.join(" ")),
            child.wait_with_output()?,
        )
        .map(drop)
    };
    run_git(&["init", "-q", "-b", "main"], "")?;

    let mut s = Stream::default();
    let mut base = String::new();
    for i in 0..shape.code {
        inline(&mut base, &code_path("src", i), &code_text(i));
    }
    for i in 0..shape.docs {
        inline(&mut base, &doc_path(i), &doc_text(i));
    }
    for i in 1..=20 {
        inline(
            &mut base,
            &format!("docs/issues/ISSUE-{i}.md"),
            &format!("# Issue {i}\n"),
        );
    }
    inline(
        &mut base,
        "notes/draft.md",
        "# A draft\n\nNot yet a document.\n",
    );
    s.commit("main", &base);
    for c in 0..shape.commits {
        s.small("main", "src", shape, c);
    }

    // The branch: the reorganisation first, then documents, then ordinary work.
    let mut body = String::new();
    for i in 0..shape.code {
        let _ = writeln!(body, "D {}", code_path("src", i));
        let mut text = code_text(i);
        if i % 2 == 1 {
            text.push_str("// moved\n");
        }
        inline(&mut body, &code_path("lib", i), &text);
    }
    for i in 0..shape.added {
        inline(&mut body, &code_path("gen", i), &code_text(shape.code + i));
    }
    s.commit("feature", &body);
    let mut body = String::new();
    let mut changed = Vec::new();
    for i in [1, 2, 3] {
        let text = format!("{}\nRevised.\n", doc_text(i));
        inline(&mut body, &doc_path(i), &text);
        changed.push(doc_path(i));
    }
    let new = "docs/lld/new/LLD-9001-new.md";
    inline(&mut body, new, "# LLD 9001\n\nNew.\n");
    let archived = "docs/lld/archive/LLD-0005-gen.md";
    let _ = writeln!(body, "R {} {archived}", doc_path(4));
    let promoted = "docs/issues/ISSUE-9002-draft.md";
    let _ = writeln!(body, "R notes/draft.md {promoted}");
    changed.extend([new, archived, promoted].map(str::to_string));
    s.commit("feature", &body);
    for c in 0..shape.commits {
        s.small("feature", "lib", shape, shape.commits + c);
    }

    run_git(&["fast-import", "--quiet"], &s.text)?;
    run_git(&["checkout", "-q", "feature"], "")?;
    Ok(changed)
}

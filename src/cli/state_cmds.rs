//! `parwf status`, `parwf show`, `parwf clean`: what is kept under `.git/parwf`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::args::{CleanArgs, Format, ShowArgs, StatusArgs};
use crate::checkpoint::store::peek;
use crate::checkpoint::{Layout, RunLock};
use crate::coordinator::cooldowns::CooldownStore;
use crate::error::{exit, Error};

/// The layout of the repo around `cwd` (the common git dir, shared by worktrees).
fn layout(cwd: &Path) -> Result<(Layout, PathBuf), Error> {
    let repo = git2::Repository::discover(cwd).map_err(|_| {
        Error::usage(
            format!("not inside a git repository ({})", cwd.display()),
            "run parwf inside a git work tree",
        )
    })?;
    let workdir = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    Ok((Layout::new(repo.commondir()), workdir))
}

/// Run directories, newest first.
fn runs(layout: &Layout) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(layout.runs())
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.reverse();
    dirs
}

/// One row of `parwf status`.
#[derive(Debug, serde::Serialize)]
struct Row {
    id: String,
    workflow: String,
    path: String,
    /// done, failed, resumable.
    state: String,
    verdict: Option<String>,
    detail: Option<String>,
}

fn collect_rows(layout: &Layout) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let checkpoints: Vec<PathBuf> = std::fs::read_dir(layout.checkpoints())
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "db"))
                .collect()
        })
        .unwrap_or_default();
    for path in checkpoints {
        if let Some(p) = peek(&path) {
            let state = if p.state == "failed" {
                "failed"
            } else {
                "resumable"
            };
            rows.push(Row {
                id: p.header.id,
                workflow: p.header.workflow,
                path: p.header.path,
                state: state.into(),
                verdict: None,
                detail: Some(match p.error {
                    Some(e) => format!("{} step(s) done; {e}", p.steps),
                    None => format!("{} step(s) done", p.steps),
                }),
            });
        }
    }
    // The latest finished verdict of every other item, newest run first.
    for dir in runs(layout) {
        let Ok(text) = std::fs::read_to_string(dir.join("summary.json")) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        for item in v["items"].as_array().into_iter().flatten() {
            let id = item["id"].as_str().unwrap_or_default();
            if id.is_empty() || rows.iter().any(|r| r.id == id) || item["state"] != "done" {
                continue;
            }
            rows.push(Row {
                id: id.into(),
                workflow: item["workflow"].as_str().unwrap_or_default().into(),
                path: item["path"].as_str().unwrap_or_default().into(),
                state: "done".into(),
                verdict: item["verdict"].as_str().map(String::from),
                detail: dir
                    .file_name()
                    .map(|n| format!("run {}", n.to_string_lossy())),
            });
        }
    }
    rows.sort_by(|a, b| (&a.workflow, &a.id).cmp(&(&b.workflow, &b.id)));
    rows
}

/// `parwf status`.
pub fn status(args: &StatusArgs, cwd: &Path) -> Result<i32, Error> {
    let (layout, _) = layout(cwd)?;
    let rows = collect_rows(&layout);
    if args.format == Format::Json {
        let doc = serde_json::json!({ "schema_version": 1, "items": rows });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(exit::OK);
    }
    let cooldowns = CooldownStore::at(&layout.root.join("state.db"))
        .active(SystemTime::now())
        .unwrap_or_default();
    for (fingerprint, until, reason) in &cooldowns {
        println!(
            "key {fingerprint} (fingerprint) out until {} ({reason})",
            crate::timefmt::iso(*until)
        );
    }
    if rows.is_empty() {
        println!("No reviews recorded in this repository yet (run `git parwf`).");
        return Ok(exit::OK);
    }
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    println!(
        "{:w$}  {:8}  {:9}  {:8}  PATH",
        "ID", "WORKFLOW", "STATE", "VERDICT"
    );
    for r in &rows {
        println!(
            "{:w$}  {:8}  {:9}  {:8}  {}{}",
            r.id,
            r.workflow,
            r.state,
            r.verdict.as_deref().unwrap_or("-"),
            r.path,
            r.detail
                .as_ref()
                .map(|d| format!("  ({d})"))
                .unwrap_or_default()
        );
    }
    Ok(exit::OK)
}

/// `parwf show ID|PATH`: the latest stored review of a document.
pub fn show(args: &ShowArgs, cwd: &Path) -> Result<i32, Error> {
    let (layout, workdir) = layout(cwd)?;
    // A path is matched repo-relative, from wherever the user stands.
    let as_path = cwd.join(&args.target).canonicalize().ok().and_then(|p| {
        let root = workdir.canonicalize().ok()?;
        p.strip_prefix(root)
            .ok()
            .map(|r| r.to_string_lossy().replace('\\', "/"))
    });
    for dir in runs(&layout) {
        let Ok(text) = std::fs::read_to_string(dir.join("summary.json")) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let found = v["items"].as_array().into_iter().flatten().find(|i| {
            i["id"] == args.target.as_str() || as_path.as_deref().is_some_and(|p| i["path"] == p)
        });
        let Some(item) = found else { continue };
        let id = item["id"].as_str().unwrap_or_default();
        if let Ok(review) = std::fs::read_to_string(dir.join(format!("{id}.review.md"))) {
            println!(
                "# {id} ({}) {}: {}\n",
                item["path"].as_str().unwrap_or_default(),
                dir.file_name().unwrap_or_default().to_string_lossy(),
                item["verdict"].as_str().unwrap_or("no verdict")
            );
            print!("{review}");
            return Ok(exit::OK);
        }
    }
    // Run logs may be cleaned; the verdict note on the committed document stays.
    if let Some(path) = &as_path {
        if let Some(note) = committed_note(&workdir, path) {
            print!("{}", note.render());
            return Ok(exit::OK);
        }
    }
    Err(Error::usage(
        format!("no stored review for `{}`", args.target),
        "pass a document ID (e.g. LLD-42) or path that parwf has reviewed; `parwf status` lists them",
    ))
}

/// The verdict note on the blob `path` has in HEAD, if any.
fn committed_note(workdir: &Path, path: &str) -> Option<crate::writeback::notes::Note> {
    let repo = git2::Repository::open(workdir).ok()?;
    let blob = repo
        .head()
        .ok()?
        .peel_to_tree()
        .ok()?
        .get_path(Path::new(path))
        .ok()?
        .id();
    crate::writeback::notes::lookup(&repo, blob).ok().flatten()
}

fn older_than(path: &Path, cutoff: SystemTime) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t <= cutoff)
}

/// `parwf clean [--older-than DAYS]`: removes run logs and checkpoints; never during a run.
pub fn clean(args: &CleanArgs, cwd: &Path) -> Result<i32, Error> {
    let (layout, _) = layout(cwd)?;
    if !layout.root.exists() {
        println!("Nothing to clean.");
        return Ok(exit::OK);
    }
    let _lock = RunLock::acquire(&layout.lock())?;
    let cutoff = SystemTime::now() - Duration::from_secs(args.older_than * 86_400);
    let (mut runs_removed, mut checkpoints_removed) = (0, 0);
    for dir in runs(&layout) {
        if older_than(&dir, cutoff) && std::fs::remove_dir_all(&dir).is_ok() {
            runs_removed += 1;
        }
    }
    for entry in std::fs::read_dir(layout.checkpoints())
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = entry.path();
        if older_than(&p, cutoff) && std::fs::remove_file(&p).is_ok() {
            checkpoints_removed += 1;
        }
    }
    println!(
        "Removed {runs_removed} run log(s) and {checkpoints_removed} checkpoint file(s){}.",
        if args.older_than > 0 {
            format!(" older than {} day(s)", args.older_than)
        } else {
            String::new()
        }
    );
    Ok(exit::OK)
}

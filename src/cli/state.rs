//! `parwf status`, `parwf show`, `parwf clean`: what parwf has recorded, printed.

use std::path::Path;
use std::time::SystemTime;

use super::args::{CleanArgs, Format, ShowArgs, StatusArgs};
use super::out;
use crate::checkpoint::cooldowns::CooldownStore;
use crate::error::Error;
use crate::exit::Exit;
use crate::records::{self, CleanScope, StoredReview};
use crate::report::table::{self, Col, Row};
use crate::workspace::Workspace;

/// `parwf status`.
pub fn status(args: &StatusArgs, ws: &Workspace) -> Result<Exit, Error> {
    let layout = ws.layout();
    let rows = records::rows(layout);
    if args.format == Format::Json {
        let doc = serde_json::json!({ "schema_version": 1, "items": rows });
        out::println(&serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        return Ok(Exit::Ok);
    }
    let cooldowns = CooldownStore::at(&layout.state_db())
        .active(SystemTime::now())
        .unwrap_or_default();
    for (fingerprint, until, reason) in &cooldowns {
        out::println(&format!(
            "key {fingerprint} (fingerprint) out until {} ({reason})",
            crate::timefmt::iso(*until)
        ))?;
    }
    if rows.is_empty() {
        out::println("No reviews recorded in this repository yet (run `git parwf`).")?;
        return Ok(Exit::Ok);
    }
    let cols = [
        Col::left("ID", 2),
        Col::left("WORKFLOW", 8),
        Col::left("STATE", 9),
        Col::left("VERDICT", 8),
        Col::left("PATH", 0),
    ];
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|r| {
            let detail = r.detail.map(|d| format!("  ({d})")).unwrap_or_default();
            Row::new(vec![
                r.id,
                r.workflow,
                r.state,
                r.verdict.unwrap_or_else(|| "-".into()),
                format!("{}{detail}", r.path),
            ])
        })
        .collect();
    out::print(&table::render(&cols, &rows))?;
    Ok(Exit::Ok)
}

/// `parwf show ID|PATH`: the latest stored review of a document.
pub fn show(args: &ShowArgs, ws: &Workspace, cwd: &Path) -> Result<Exit, Error> {
    match records::find_review(ws, cwd, &args.target)? {
        Some(StoredReview::Logged {
            id,
            path,
            run,
            verdict,
            review,
        }) => {
            out::println(&format!(
                "# {id} ({path}) {run}: {}\n",
                verdict.as_deref().unwrap_or("no verdict")
            ))?;
            out::print(&review)?;
            Ok(Exit::Ok)
        }
        Some(StoredReview::Note(note)) => {
            out::print(&note.render())?;
            Ok(Exit::Ok)
        }
        None => Err(Error::usage(
            format!("no stored review for `{}`", args.target),
            "pass a document ID (e.g. LLD-42) or path that parwf has reviewed; `parwf status` lists them",
        )),
    }
}

/// `parwf clean [--older-than DAYS | --all] [--dry-run]`.
pub fn clean(args: &CleanArgs, ws: &Workspace) -> Result<Exit, Error> {
    let scope = if args.all {
        CleanScope::All
    } else {
        CleanScope::OlderThan(args.older_than)
    };
    let Some(cleaned) = records::clean(ws.layout(), scope, args.dry_run)? else {
        out::println("Nothing to clean: parwf has recorded nothing in this repository.")?;
        return Ok(Exit::Ok);
    };
    let root = &ws.layout().root;
    if args.dry_run {
        for p in cleaned.runs.iter().chain(&cleaned.checkpoints) {
            let shown = p.strip_prefix(root).unwrap_or(p);
            out::println(&format!("would remove {}", shown.display()))?;
        }
    }
    let which = match scope {
        CleanScope::All => String::new(),
        CleanScope::OlderThan(days) => format!(" older than {days} day(s)"),
    };
    let verb = if args.dry_run {
        "Would remove"
    } else {
        "Removed"
    };
    let mut line = format!(
        "{verb} {} run log(s) and {} checkpoint file(s){which}",
        cleaned.runs.len(),
        cleaned.checkpoints.len()
    );
    if cleaned.kept > 0 {
        line.push_str(&format!(
            "; kept {} newer (--older-than DAYS, or --all to remove everything)",
            cleaned.kept
        ));
    }
    out::println(&format!("{line}."))?;
    Ok(Exit::Ok)
}

//! `parwf status`, `parwf show`, `parwf clean`: what parwf has recorded, printed.

use std::path::Path;
use std::time::SystemTime;

use super::args::{CleanArgs, Format, ShowArgs, StatusArgs};
use super::out;
use crate::checkpoint::cooldowns::CooldownStore;
use crate::error::Error;
use crate::exit::Exit;
use crate::records::{self, StoredReview};
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

/// `parwf clean [--older-than DAYS]`.
pub fn clean(args: &CleanArgs, ws: &Workspace) -> Result<Exit, Error> {
    let Some(cleaned) = records::clean(ws.layout(), args.older_than)? else {
        out::println("Nothing to clean.")?;
        return Ok(Exit::Ok);
    };
    out::println(&format!(
        "Removed {} run log(s) and {} checkpoint file(s){}.",
        cleaned.runs,
        cleaned.checkpoints,
        if args.older_than > 0 {
            format!(" older than {} day(s)", args.older_than)
        } else {
            String::new()
        }
    ))?;
    Ok(Exit::Ok)
}

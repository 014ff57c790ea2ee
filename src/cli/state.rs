//! `parwf status`, `parwf show`, `parwf clean`: what parwf has recorded (`records`), printed
//! as `report::status` words it.

use std::path::Path;
use std::time::SystemTime;

use super::args::{CleanArgs, Format, ShowArgs, StatusArgs};
use super::out;
use crate::checkpoint::cooldowns::CooldownStore;
use crate::config::{self, ConfigInputs};
use crate::error::Error;
use crate::exit::Exit;
use crate::records::{self, CleanScope, StoredReview};
use crate::report::status;
use crate::report::style::Style;
use crate::workspace::Workspace;

/// `parwf status`: every document with the latest that is known of it, and key cooldowns.
pub fn status(
    args: &StatusArgs,
    ws: &Workspace,
    inputs: ConfigInputs,
    style: &Style,
) -> Result<Exit, Error> {
    let config = config::load(&inputs)?.config;
    let rows = records::status(ws, config.kinds())?;
    let cooldowns = CooldownStore::at(&ws.layout().state_db())
        .active(SystemTime::now())
        .unwrap_or_default();
    match args.format {
        Format::Json => out::println(&status::json(&rows, &cooldowns))?,
        _ => out::print(&status::human(&rows, &cooldowns, style))?,
    }
    Ok(Exit::Ok)
}

/// `parwf show ID|PATH`: the stored review of a document's current content.
pub fn show(
    args: &ShowArgs,
    ws: &Workspace,
    cwd: &Path,
    inputs: ConfigInputs,
) -> Result<Exit, Error> {
    let config = config::load(&inputs)?.config;
    let found = records::find_review(ws, cwd, config.kinds(), &args.target)?;
    match found.review(&args.target)? {
        StoredReview::Logged {
            id,
            path,
            run,
            verdict,
            review,
        } => {
            let header = status::logged_review_header(&id, &path, &run, verdict.as_deref());
            out::println(&format!("{header}\n"))?;
            out::print(&review)?;
        }
        StoredReview::Note { note, current } => {
            if !current {
                out::eprintln(&status::stale_review(&note.header.path, &note.header.date));
            }
            out::print(&note.render())?;
        }
    }
    Ok(Exit::Ok)
}

/// `parwf clean [--older-than DAYS | --all] [--dry-run]`.
pub fn clean(args: &CleanArgs, ws: &Workspace) -> Result<Exit, Error> {
    // None: every record (--all).
    let older_than = (!args.all).then_some(args.older_than);
    let scope = older_than.map_or(CleanScope::All, CleanScope::OlderThan);
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
    let (runs, checkpoints) = (cleaned.runs.len(), cleaned.checkpoints.len());
    let line = status::cleaned(runs, checkpoints, cleaned.kept, older_than, args.dry_run);
    out::println(&line)?;
    Ok(Exit::Ok)
}

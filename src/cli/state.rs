//! `parwf status`, `parwf show`, `parwf clean`: what parwf has recorded, printed.

use std::path::Path;
use std::time::SystemTime;

use super::args::{CleanArgs, Format, ShowArgs, StatusArgs};
use super::out;
use crate::checkpoint::cooldowns::CooldownStore;
use crate::config::{self, ConfigInputs};
use crate::error::Error;
use crate::exit::Exit;
use crate::records::{self, CleanScope, DocState, Found, StoredReview};
use crate::report::style::Style;
use crate::report::summary::ID_COLUMN_MAX;
use crate::report::table::{self, Col, Row};
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
    if args.format == Format::Json {
        let cooldowns: Vec<serde_json::Value> = cooldowns
            .iter()
            .map(|(fingerprint, until, reason)| {
                serde_json::json!({
                    "fingerprint": fingerprint,
                    "until": crate::timefmt::iso(*until),
                    "reason": reason,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "schema_version": STATUS_SCHEMA_VERSION,
            "items": rows,
            "cooldowns": cooldowns,
        });
        out::println(&serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        return Ok(Exit::Ok);
    }
    for (fingerprint, until, reason) in &cooldowns {
        out::println(&format!(
            "key {fingerprint} (fingerprint) out until {} ({reason})",
            crate::timefmt::iso(*until)
        ))?;
    }
    if rows.is_empty() {
        out::println(
            "No documents: nothing in HEAD matches the [workflows.*] paths, and parwf has no records here.",
        )?;
        return Ok(Exit::Ok);
    }
    let cols = [
        Col::left("ID", 2).max(ID_COLUMN_MAX),
        Col::left("STATE", 10),
        Col::left("VERDICT", 8),
        Col::left("PATH", 0),
    ];
    let table: Vec<Row> = rows
        .iter()
        .map(|r| {
            let verdict = match r.verdict {
                Some(v) if r.blocking > 0 => format!("{} ({})", style.verdict(v), r.blocking),
                Some(v) => style.verdict(v),
                None => "-".into(),
            };
            let mut row = Row::new(vec![
                r.id.clone(),
                r.state.name().to_string(),
                verdict,
                r.path.clone(),
            ]);
            row.note = r.detail.clone();
            row
        })
        .collect();
    out::print(&table::render_within(&cols, &table, style.width))?;
    let count = |s: DocState| rows.iter().filter(|r| r.state == s).count();
    let mut parts = Vec::new();
    for (state, words) in [
        (DocState::Reviewed, "reviewed"),
        (DocState::Changed, "changed since their review"),
        (DocState::Resumable, "resumable"),
        (DocState::Failed, "failed"),
        (DocState::Unreviewed, "not reviewed"),
    ] {
        let n = count(state);
        if n > 0 {
            parts.push(format!("{n} {words}"));
        }
    }
    out::println(&format!(
        "\n{} document{}: {}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        parts.join(", ")
    ))?;
    Ok(Exit::Ok)
}

/// The version of `status --format json`: `items` (one per document: id, kind, workflow,
/// path, blob, state, verdict, blocking, date, model, origin, detail) and `cooldowns`.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

/// `parwf show ID|PATH`: the stored review of a document's current content.
pub fn show(
    args: &ShowArgs,
    ws: &Workspace,
    cwd: &Path,
    inputs: ConfigInputs,
) -> Result<Exit, Error> {
    let config = config::load(&inputs)?.config;
    match records::find_review(ws, cwd, config.kinds(), &args.target)? {
        Found::Review(StoredReview::Logged {
            id,
            path,
            run,
            verdict,
            review,
        }) => {
            out::println(&format!(
                "# {id} ({path}) run {run}: {}\n",
                verdict.as_deref().unwrap_or("no verdict")
            ))?;
            out::print(&review)?;
            Ok(Exit::Ok)
        }
        Found::Review(StoredReview::Note { note, current }) => {
            if !current {
                out::eprintln(&format!(
                    "parwf: {} changed since this review ({}); review it again: git parwf {}",
                    note.header.path, note.header.date, note.header.path
                ));
            }
            out::print(&note.render())?;
            Ok(Exit::Ok)
        }
        Found::Ambiguous(candidates) => {
            let list: Vec<String> = candidates
                .iter()
                .map(|(id, path)| format!("{id} ({path})"))
                .collect();
            Err(Error::usage(
                format!(
                    "`{}` names {} documents: {}",
                    args.target,
                    candidates.len(),
                    list.join(", ")
                ),
                "pass one of these IDs, or the document's path",
            ))
        }
        Found::NoReview(what) => Err(Error::usage(
            format!("no review stored for {what}"),
            "review it with `git parwf PATH`; after a teammate's review, fetch their notes: git fetch origin refs/notes/parwf:refs/notes/parwf",
        )),
        Found::Unknown => Err(Error::usage(
            format!("no document `{}`", args.target),
            "pass a document ID (e.g. LLD-42) or path; `parwf status` lists them",
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

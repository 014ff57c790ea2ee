//! What `status`, `show` and `clean` print: the documents as a table with a count line (or as
//! the `--format json` document), the keys cooling down, the header of a stored review, and
//! what was cleaned.

use std::time::SystemTime;

use super::style::Style;
use super::summary::ID_COLUMN_MAX;
use super::table::{self, Col, Row};
use crate::model::{DocState, DocStatus};
use crate::timefmt;

/// The version of `status --format json`: `items` (one per document: id, kind, workflow,
/// path, blob, state, verdict, blocking, date, model, origin, detail) and `cooldowns`.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

/// A key cooling down: its fingerprint, until when, and why.
pub type Cooldown = (String, SystemTime, String);

/// `status --format json`: the documents and the key cooldowns, pretty-printed (no newline
/// at the end).
pub fn json(rows: &[DocStatus], cooldowns: &[Cooldown]) -> String {
    let cooldowns: Vec<serde_json::Value> = cooldowns
        .iter()
        .map(|(fingerprint, until, reason)| {
            serde_json::json!({
                "fingerprint": fingerprint,
                "until": timefmt::iso(*until),
                "reason": reason,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema_version": STATUS_SCHEMA_VERSION,
        "items": rows,
        "cooldowns": cooldowns,
    });
    // Strings, numbers and enums: it always serializes.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// `status` for people: a line per key cooling down, then the documents as a table and a
/// line counting them by state (or a line saying there are none).
pub fn human(rows: &[DocStatus], cooldowns: &[Cooldown], style: &Style) -> String {
    let mut out = String::new();
    for (fingerprint, until, reason) in cooldowns {
        out.push_str(&format!(
            "key {fingerprint} (fingerprint) out until {} ({reason})\n",
            timefmt::iso(*until)
        ));
    }
    if rows.is_empty() {
        out.push_str(
            "No documents: nothing in HEAD matches the [workflows.*] paths, and parwf has no records here.\n",
        );
        return out;
    }
    out.push_str(&table(rows, style));
    out.push_str(&counts(rows));
    out
}

/// One row per document: ID, state, verdict (with its blocking findings), path, and the
/// detail as the row's note.
fn table(rows: &[DocStatus], style: &Style) -> String {
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
    table::render_within(&cols, &table, style.width)
}

/// `\n3 documents: 2 reviewed, 1 not reviewed\n`: the states that occur, in a fixed order.
fn counts(rows: &[DocStatus]) -> String {
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
    format!(
        "\n{} document{}: {}\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// The line above a review read from a run's logs: `# LLD-42 (docs/x.md) run <id>: APPROVED`.
pub fn logged_review_header(id: &str, path: &str, run: &str, verdict: Option<&str>) -> String {
    format!(
        "# {id} ({path}) run {run}: {}",
        verdict.unwrap_or("no verdict")
    )
}

/// The warning before a note written for an earlier version of the document at `path`.
pub fn stale_review(path: &str, date: &str) -> String {
    format!("parwf: {path} changed since this review ({date}); review it again: git parwf {path}")
}

/// The line after `clean`: the run logs and checkpoint files removed (for a `dry_run`, that
/// would be), of those `older_than` days (`None`: all of them), and the newer ones `kept`.
pub fn cleaned(
    runs: usize,
    checkpoints: usize,
    kept: usize,
    older_than: Option<u64>,
    dry_run: bool,
) -> String {
    let which = older_than
        .map(|days| format!(" older than {days} day(s)"))
        .unwrap_or_default();
    let verb = if dry_run { "Would remove" } else { "Removed" };
    let mut line = format!("{verb} {runs} run log(s) and {checkpoints} checkpoint file(s){which}");
    if kept > 0 {
        line.push_str(&format!(
            "; kept {kept} newer (--older-than DAYS, or --all to remove everything)"
        ));
    }
    format!("{line}.")
}

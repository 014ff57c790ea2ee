//! `--dry-run`: what would run, with each item's state, as a table or JSON.

use super::summary::NOTHING_TO_REVIEW;
use super::table::{self, Col, Row};
use crate::model::{Item, PlannedState};

/// The listing as JSON (schema v1).
pub fn json(items: &[(Item, PlannedState)]) -> String {
    #[derive(serde::Serialize)]
    struct Planned<'a> {
        id: &'a str,
        kind: &'a str,
        workflow: &'a str,
        path: &'a str,
        blob: &'a str,
        state: PlannedState,
    }
    #[derive(serde::Serialize)]
    struct Listing<'a> {
        schema_version: u32,
        dry_run: bool,
        items: Vec<Planned<'a>>,
    }
    let doc = Listing {
        schema_version: 1,
        dry_run: true,
        items: items
            .iter()
            .map(|(i, state)| Planned {
                id: &i.id,
                kind: &i.kind,
                workflow: i.workflow.name(),
                path: &i.path,
                blob: &i.blob,
                state: *state,
            })
            .collect(),
    };
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// The listing as a table and a count, fitted to a terminal `width` columns wide if any.
pub fn human(items: &[(Item, PlannedState)], width: Option<usize>) -> String {
    if items.is_empty() {
        return format!("{NOTHING_TO_REVIEW}\n");
    }
    let cols = [
        Col::left("ID", 2).max(super::summary::ID_COLUMN_MAX),
        Col::left("KIND", 5),
        Col::left("STATE", 9),
        Col::left("PATH", 0),
    ];
    let rows: Vec<Row> = items
        .iter()
        .map(|(i, state)| {
            Row::new(vec![
                i.id.clone(),
                i.kind.clone(),
                state.name().to_string(),
                i.path.clone(),
            ])
        })
        .collect();
    let mut out = table::render_within(&cols, &rows, width);
    let cached = items
        .iter()
        .filter(|(_, s)| *s == PlannedState::Cached)
        .count();
    out.push_str(&format!(
        "{} document(s) would be reviewed{}\n",
        items.len() - cached,
        if cached > 0 {
            format!(", {cached} cached (verdict notes for the same content)")
        } else {
            String::new()
        }
    ));
    out
}

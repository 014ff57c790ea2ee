//! `--dry-run`: what would run, with each item's state, as a table or JSON.

use std::path::PathBuf;

use super::args::Format;
use crate::checkpoint::store::peek;
use crate::checkpoint::Layout;
use crate::discover::Discovery;

/// Indexes of the items with a checkpoint for their current blob and these prompts. The
/// checkpoint directory is listed once: most items have none.
pub(super) fn resumable_items(
    found: &Discovery,
    layout: &Layout,
    prompt_hash: &str,
) -> std::collections::HashSet<usize> {
    let existing: std::collections::HashSet<PathBuf> = std::fs::read_dir(layout.checkpoints())
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    if existing.is_empty() {
        return Default::default();
    }
    found
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            let path = layout.checkpoint(item.workflow.name(), &item.id);
            existing.contains(&path)
                && peek(&path).is_some_and(|p| p.header.mismatch(&item.blob, prompt_hash).is_none())
        })
        .map(|(n, _)| n)
        .collect()
}

pub(super) fn dry_run_listing(
    found: &Discovery,
    format: Format,
    state: impl Fn(usize) -> &'static str,
) -> String {
    match format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Planned<'a> {
                id: &'a str,
                workflow: &'a str,
                path: &'a str,
                blob: &'a str,
                state: &'static str,
            }
            #[derive(serde::Serialize)]
            struct Listing<'a> {
                schema_version: u32,
                dry_run: bool,
                items: Vec<Planned<'a>>,
            }
            let items = found
                .items
                .iter()
                .enumerate()
                .map(|(n, i)| Planned {
                    id: &i.id,
                    workflow: i.workflow.name(),
                    path: &i.path,
                    blob: &i.blob,
                    state: state(n),
                })
                .collect();
            let doc = Listing {
                schema_version: 1,
                dry_run: true,
                items,
            };
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        Format::Human | Format::Github | Format::Markdown | Format::Junit | Format::Sarif => {
            if found.items.is_empty() {
                return "Nothing to review: no changed documents match the workflow globs.\n"
                    .into();
            }
            let w = found
                .items
                .iter()
                .map(|i| i.id.len())
                .max()
                .unwrap_or(2)
                .max(2);
            let mut out = format!("{:w$}  {:8}  {:9}  PATH\n", "ID", "WORKFLOW", "STATE");
            for (n, i) in found.items.iter().enumerate() {
                out.push_str(&format!(
                    "{:w$}  {:8}  {:9}  {}\n",
                    i.id,
                    i.workflow.name(),
                    state(n),
                    i.path
                ));
            }
            let cached = (0..found.items.len())
                .filter(|&n| state(n) == "cached")
                .count();
            out.push_str(&format!(
                "{} document(s) would be reviewed{}\n",
                found.items.len() - cached,
                if cached > 0 {
                    format!(", {cached} cached (verdict notes for the same content)")
                } else {
                    String::new()
                }
            ));
            out
        }
    }
}

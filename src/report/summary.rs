//! The results of a run: per item and overall, as human text or a stable JSON schema.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::style::{Style, ERROR_COLOR};
use super::table::{self, Col, Row};
use crate::coordinator::KeyStats;
use crate::exit::Exit;
use crate::model::{ItemResult, ItemState, Verdict};

/// The whole run (JSON schema v1).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub provider: String,
    pub parallel: usize,
    pub items: Vec<ItemResult>,
    pub wall_ms: u64,
    /// Sum of item durations.
    pub item_ms_total: u64,
    /// item_ms_total / wall_ms: how much faster than one at a time.
    pub speedup: f64,
    /// item_ms_total / (parallel × wall_ms).
    pub efficiency: f64,
    pub coordinator_overhead_pct: f64,
    pub rate_limit_wait_ms: u64,
    pub keys: Vec<KeyStats>,
    pub exit_code: Exit,
    /// Why the run stopped before every item finished, if it did (`"stopped by SIGTERM"`).
    #[serde(rename = "stopped", serialize_with = "as_text")]
    pub stop: Option<crate::exit::StopReason>,
    /// The last review text per item ID, for the PR formats (not part of the JSON).
    #[serde(skip)]
    pub reviews: BTreeMap<String, String>,
}

/// IDs longer than this get a line of their own in the table, so the rows fit 80 columns.
pub const ID_COLUMN_MAX: usize = 16;

/// What every output says when no document was selected.
pub const NOTHING_TO_REVIEW: &str =
    "Nothing to review: no changed documents match the workflow globs.";

/// Run-wide measurements the summary is computed from.
#[derive(Debug, Clone, Default)]
pub struct RunFigures {
    pub wall_ms: u64,
    pub overhead_ms: f64,
    pub rate_limit_wait_ms: u64,
    pub keys: Vec<KeyStats>,
}

impl Summary {
    /// Fills in the derived figures.
    pub fn new(
        provider: String,
        parallel: usize,
        items: Vec<ItemResult>,
        figures: RunFigures,
    ) -> Summary {
        let RunFigures {
            wall_ms,
            overhead_ms,
            rate_limit_wait_ms,
            keys,
        } = figures;
        let item_ms_total: u64 = items.iter().map(|i| i.duration_ms).sum();
        let wall = wall_ms.max(1) as f64;
        let workers = parallel.min(items.len()).max(1) as f64;
        Summary {
            schema_version: 1,
            provider,
            parallel,
            wall_ms,
            item_ms_total,
            speedup: round2(item_ms_total as f64 / wall),
            efficiency: round2(item_ms_total as f64 / (workers * wall)),
            coordinator_overhead_pct: round2(overhead_ms * 100.0 / wall),
            rate_limit_wait_ms,
            keys,
            exit_code: Exit::Ok,
            stop: None,
            items,
            reviews: BTreeMap::new(),
        }
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The human table and totals, for a file or a pipe.
    pub fn to_human(&self) -> String {
        self.to_human_styled(&Style::plain())
    }

    /// The human table and totals, coloured and fitted to a terminal as `style` says.
    pub fn to_human_styled(&self, style: &Style) -> String {
        let mut out = String::new();
        if self.items.is_empty() {
            out.push_str(NOTHING_TO_REVIEW);
            out.push('\n');
            return out;
        }
        let cols = [
            Col::left("ID", 2).max(ID_COLUMN_MAX),
            Col::left("VERDICT", 8),
            Col::right("BLOCKING", 8),
            Col::right("TIME", 7),
            Col::left("PATH", 0),
        ];
        let rows: Vec<Row> = self
            .items
            .iter()
            .map(|i| {
                let verdict = match (i.verdict, i.state) {
                    (Some(v), _) => style.verdict(v),
                    (None, ItemState::Failed) => style.paint(ERROR_COLOR, "ERROR"),
                    (None, ItemState::Interrupted) => "STOPPED".into(),
                    (None, ItemState::NotStarted) => "-".into(),
                    (None, ItemState::Done | ItemState::Cached) => "?".into(),
                };
                let time = match i.state {
                    ItemState::Cached => "cached".to_string(),
                    _ => format!("{:.1}s", i.duration_ms as f64 / 1000.0),
                };
                let mut row = Row::new(vec![
                    i.id.clone(),
                    verdict,
                    i.blocking.to_string(),
                    time,
                    i.path.clone(),
                ]);
                row.note = match (&i.error, i.verdict) {
                    (Some(e), _) => Some(format!("error: {e}")),
                    // An UNKNOWN fails the gate: its row says why.
                    (None, Some(Verdict::Unknown)) => i.rule.as_ref().map(|r| format!("why: {r}")),
                    _ => None,
                };
                row
            })
            .collect();
        out.push_str(&table::render_within(&cols, &rows, style.width));
        let count = |v: Verdict| self.items.iter().filter(|i| i.verdict == Some(v)).count();
        let failed = self
            .items
            .iter()
            .filter(|i| i.state == ItemState::Failed)
            .count();
        let cached = self
            .items
            .iter()
            .filter(|i| i.state == ItemState::Cached)
            .count();
        let state = |s: ItemState| self.items.iter().filter(|i| i.state == s).count();
        let mut unfinished = String::new();
        for (n, words) in [
            (state(ItemState::Interrupted), "interrupted"),
            (state(ItemState::NotStarted), "not started"),
        ] {
            if n > 0 {
                unfinished.push_str(&format!(", {n} {words}"));
            }
        }
        if let Some(stop) = &self.stop {
            let _ = write!(out, "\n{}", capitalized(&stop.to_string()));
            out.push_str("; not every document was reviewed.");
        }
        let _ = writeln!(
            out,
            "\n{} document{}: {} approved, {} revise, {} discuss, {} blocked, {} unknown, {} errored{unfinished}{}",
            self.items.len(),
            if self.items.len() == 1 { "" } else { "s" },
            count(Verdict::Approved),
            count(Verdict::Revise),
            count(Verdict::Discuss),
            count(Verdict::Blocked),
            count(Verdict::Unknown),
            failed,
            if cached > 0 {
                format!(" ({cached} cached, not reviewed again)")
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "wall {:.1}s, sum of item times {:.1}s, speed-up {:.2}x at --parallel {} (efficiency {:.0}%)",
            self.wall_ms as f64 / 1000.0,
            self.item_ms_total as f64 / 1000.0,
            self.speedup,
            self.parallel,
            self.efficiency * 100.0
        );
        let _ = write!(
            out,
            "coordinator overhead {:.2}%, waiting on rate limits {:.1}s",
            self.coordinator_overhead_pct,
            self.rate_limit_wait_ms as f64 / 1000.0
        );
        for k in &self.keys {
            let _ = write!(
                out,
                "; {} {} req/{} 429/{:.1}s cooling",
                k.key,
                k.requests,
                k.rate_limited,
                k.cooling_ms as f64 / 1000.0
            );
            if k.invalid {
                out.push_str(" (invalid)");
            } else if k.quota_exhausted {
                out.push_str(" (out of quota)");
            }
        }
        out.push('\n');
        out
    }
}

/// `text` with its first letter in capitals.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A stop reason as the sentence it displays as.
fn as_text<S: serde::Serializer>(
    stop: &Option<crate::exit::StopReason>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match stop {
        Some(reason) => s.serialize_str(&reason.to_string()),
        None => s.serialize_none(),
    }
}

fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}

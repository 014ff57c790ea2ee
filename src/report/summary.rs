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
    /// Sum of item durations (waits for a key included).
    pub item_ms_total: u64,
    /// Sum of item review times: durations less the waits for a key.
    pub review_ms_total: u64,
    /// Sum of the items' waits for a key.
    pub wait_ms_total: u64,
    /// review_ms_total / wall_ms: how much faster than one at a time. (Before waits were told
    /// apart this was item_ms_total / wall_ms, which counted waiting as work.)
    pub speedup: f64,
    /// speedup / concurrency_available.
    pub efficiency: f64,
    /// The LLM calls the run could have had at once: --parallel, capped by the items reviewed
    /// and by keys × max_in_flight when that is fixed.
    pub concurrency_available: usize,
    /// The most LLM calls in flight at once.
    pub calls_peak: usize,
    /// Every verdict came from the cache: nothing was reviewed (speed-up figures are 0).
    pub all_cached: bool,
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
    /// The most LLM calls in flight at once.
    pub calls_peak: usize,
    /// The most the key pools allow at once with this run's workers.
    pub capacity: usize,
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
            calls_peak,
            capacity,
        } = figures;
        let item_ms_total: u64 = items.iter().map(|i| i.duration_ms).sum();
        let review_ms_total: u64 = items.iter().map(ItemResult::review_ms).sum();
        let wait_ms_total: u64 = items.iter().map(|i| i.wait_ms).sum();
        // Items that were reviewed in this run (not cached, not sharing another's review).
        let reviewed = items
            .iter()
            .filter(|i| i.state != ItemState::Cached && i.same_blob_as.is_none())
            .count();
        let all_cached = !items.is_empty() && items.iter().all(|i| i.state == ItemState::Cached);
        let capacity = if capacity == 0 { parallel } else { capacity };
        let available = parallel.min(reviewed).min(capacity).max(1);
        let wall = wall_ms.max(1) as f64;
        let speedup = if all_cached {
            0.0
        } else {
            review_ms_total as f64 / wall
        };
        Summary {
            schema_version: 1,
            provider,
            parallel,
            wall_ms,
            item_ms_total,
            review_ms_total,
            wait_ms_total,
            speedup: round2(speedup),
            efficiency: round2(speedup / available as f64),
            concurrency_available: available,
            calls_peak,
            all_cached,
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
                let time = match (i.state, &i.same_blob_as) {
                    (ItemState::Cached, _) => "cached".to_string(),
                    (_, Some(_)) => "shared".to_string(),
                    _ => format!("{:.1}s", i.review_ms() as f64 / 1000.0),
                };
                let mut row = Row::new(vec![
                    i.id.clone(),
                    verdict,
                    i.blocking.to_string(),
                    time,
                    i.path.clone(),
                ]);
                row.note = note(i);
                row
            })
            .collect();
        out.push_str(&table::render_within(&cols, &rows, style.width));
        let count = |v: Verdict| self.items.iter().filter(|i| i.verdict == Some(v)).count();
        let state = |s: ItemState| self.items.iter().filter(|i| i.state == s).count();
        let failed = state(ItemState::Failed);
        let cached = state(ItemState::Cached);
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
        let shared = self
            .items
            .iter()
            .filter(|i| i.same_blob_as.is_some())
            .count();
        if shared > 0 {
            let _ = writeln!(
                out,
                "{shared} document{} with the same content as another: reviewed once",
                if shared == 1 { "" } else { "s" }
            );
        }
        if self.all_cached {
            out.push_str(
                "all cached: every verdict is in git notes for this content, nothing was reviewed
",
            );
            return out;
        }
        let waiting = match self.wait_ms_total {
            0 => String::new(),
            w => format!(" (+{:.1}s waiting for a key)", w as f64 / 1000.0),
        };
        let _ = writeln!(
            out,
            "wall {:.1}s, review time {:.1}s{waiting}, speed-up {:.2}x at --parallel {} (peak {} LLM call{} at once; efficiency {:.0}% of {} available)",
            self.wall_ms as f64 / 1000.0,
            self.review_ms_total as f64 / 1000.0,
            self.speedup,
            self.parallel,
            self.calls_peak,
            if self.calls_peak == 1 { "" } else { "s" },
            self.efficiency * 100.0,
            self.concurrency_available,
        );
        let _ = write!(
            out,
            "coordinator overhead {:.2}%, waiting on rate limits {:.1}s",
            self.coordinator_overhead_pct,
            self.rate_limit_wait_ms as f64 / 1000.0
        );
        // One line per key: the figures of several keys on one line wrap on any terminal.
        for k in &self.keys {
            let _ = write!(
                out,
                "\n  {}: {} request{}, {} rate limited, {:.1}s cooling, peak {} at once (cap {})",
                k.key,
                k.requests,
                if k.requests == 1 { "" } else { "s" },
                k.rate_limited,
                k.cooling_ms as f64 / 1000.0,
                k.peak_in_flight,
                k.concurrency,
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

/// What the table says under an item: its error, why its verdict is UNKNOWN, or how the
/// revise loop ended; and the hint, when there is one.
/// The `--format json` document of a run that could not run: `{"schema_version": 1,
/// "error": {"message", "hint", "exit_code"}}`.
pub fn json_error(message: &str, hint: Option<&str>, exit_code: i32) -> String {
    let doc = serde_json::json!({
        "schema_version": 1,
        "error": {
            "message": message,
            "hint": hint,
            "exit_code": exit_code,
        },
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn note(i: &ItemResult) -> Option<String> {
    let rule = i
        .rule
        .as_deref()
        .filter(|r| i.state != ItemState::Cached && *r != crate::model::REVIEWERS_VERDICT);
    let mut note = match (&i.error, rule) {
        (Some(e), _) => format!("error: {e}"),
        // An UNKNOWN fails the gate: its row says why.
        (None, Some(rule)) if i.verdict == Some(Verdict::Unknown) => format!("why: {rule}"),
        (None, Some(rule)) => rule.to_string(),
        (None, None) => return None,
    };
    if let Some(h) = &i.hint {
        note.push_str(&format!("\nhint: {h}"));
    }
    Some(note)
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

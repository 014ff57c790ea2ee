//! What the pre-push hook tells the user on stderr: a refused push (which documents, their
//! verdicts, the commands to run, the way around the check), an approved one, and what became
//! of the verdict notes. The gate (`run::hook`) fills in [`Refusal`]; this only words it.

use std::fmt::Display;
use std::time::Duration;

use crate::discover::push::PushRange;
use crate::model::{Item, Verdict};

/// What a push without the check takes.
pub const SKIP: &str = "push without the check: PARWF_SKIP=1 git push …  (or git push --no-verify)";

/// Said when `PARWF_SKIP=1` skips the check.
pub const SKIPPED: &str = "[PARWF] PARWF_SKIP=1: the pre-push review check is skipped";

/// What the hook knows about one changed document.
#[derive(Debug, Clone)]
pub struct Checked {
    pub item: Item,
    /// The verdict of the note on its blob (or of this hook's review), if any.
    pub verdict: Option<Verdict>,
    pub blocking: usize,
    /// Index of the push range that changed it.
    pub range: usize,
    /// Why it cannot be reviewed at all (a file name that gives no ID).
    pub problem: Option<String>,
}

/// Why a push is refused, with what the refusal message needs.
#[derive(Debug)]
pub struct Refusal {
    pub failing: Vec<Checked>,
    /// Changed documents in all.
    pub total: usize,
    pub ranges: Vec<PushRange>,
    /// HEAD's commit, to tell whether a range is the checked-out branch.
    pub head: Option<String>,
    /// `mode = "review"` ran out of time.
    pub unfinished: Option<Duration>,
    /// No provider is configured, so no note can match one.
    pub no_provider: bool,
}

/// The refusal: which documents, their verdicts, the commands to run, and the way around.
pub fn refusal(r: &Refusal) -> String {
    let total = r.total;
    let mut out = format!(
        "parwf pre-push: push refused: {} of {total} changed document{} without a passing review\n",
        r.failing.len(),
        if total == 1 { "" } else { "s" }
    );
    let w = r.failing.iter().map(|c| c.item.id.len()).max().unwrap_or(2);
    for c in &r.failing {
        let state = match (c.verdict, &c.problem) {
            (_, Some(_)) => "cannot be reviewed".to_string(),
            (Some(v), None) => format!("{v} ({} blocking)", c.blocking),
            (None, None) => "no review".to_string(),
        };
        out.push_str(&format!(
            "  {:w$}  {state:20}  {}\n",
            c.item.id,
            c.item.path.escape_debug()
        ));
        if let Some(problem) = &c.problem {
            out.push_str(&format!("  {:w$}  {problem}\n", ""));
        }
    }
    if r.no_provider {
        out.push_str("  no provider is configured: a verdict note counts only for the configured [provider] kind and model\n");
    }
    if let Some(c) = r.failing.iter().find(|c| c.verdict.is_some()) {
        out.push_str(&format!("  read a review: git parwf show {}\n", c.item.id));
        out.push_str("  fix what the reviews ask for and commit, then review again:\n");
    } else {
        out.push_str("  review them:\n");
    }
    for cmd in commands(r) {
        out.push_str(&format!("    {cmd}\n"));
    }
    out.push_str(&format!("  {SKIP}\n"));
    if let Some(limit) = r.unfinished {
        out.push_str(&format!(
            "  the reviews did not finish within hook.timeout_s ({}s); run the command above, or raise [hook] timeout_s\n",
            limit.as_secs()
        ));
    }
    out
}

/// The commands that review the failing documents, once each: `git parwf --since BASE`, after
/// `git switch BRANCH` for a range that is not the checked-out branch.
fn commands(r: &Refusal) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    for c in &r.failing {
        let range = &r.ranges[c.range];
        let since = match (&range.base_label, &range.base) {
            (Some(label), _) => format!("git parwf --since {label}"),
            (None, Some(base)) => format!("git parwf --since {}", &base[..12.min(base.len())]),
            (None, None) => "git parwf --all".to_string(),
        };
        let cmd = if r.head.as_deref() == Some(range.head.as_str()) {
            since
        } else {
            let branch = range.remote_ref.trim_start_matches("refs/heads/");
            format!("git switch {branch} && {since}")
        };
        if !commands.contains(&cmd) {
            commands.push(cmd);
        }
    }
    commands
}

/// A push refused because the check itself could not run (a broken config, an unreadable
/// repository): the error, its hint, and the way around.
pub fn check_failed(error: &dyn Display, hint: Option<&str>) -> String {
    let mut out = format!("parwf pre-push: push refused: {error}\n");
    if let Some(h) = hint {
        out.push_str(&format!("  hint: {h}\n"));
    }
    out.push_str(&format!("  {SKIP}\n"));
    out
}

/// Every changed document has a passing review (their IDs).
pub fn approved(ids: &[String]) -> String {
    format!(
        "[PARWF] pre-push: {} changed document{} approved ({})",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        ids.join(", ")
    )
}

/// After an approved push without `[hook] push_notes`: how to send the verdicts (`notes_ref`).
pub fn share_notes_hint(remote: &str, notes_ref: &str) -> String {
    format!(
        "[PARWF] share the verdicts with the team: git push {remote} {notes_ref}  (or set [hook] push_notes = true)"
    )
}

/// After an approved push with `[hook] push_notes`: the notes went along.
pub fn notes_pushed(remote: &str, notes_ref: &str) -> String {
    format!("[PARWF] pushed the verdict notes ({notes_ref}) to {remote}")
}

//! The domain's words, shared by every layer: the kinds of document, the items a run reviews,
//! verdicts, per-item results, the gate that decides which verdicts fail, and where each
//! document stands (`status`).

use serde::{Deserialize, Serialize};

/// The two kinds of document parwf reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowKind {
    Lld,
    Issue,
}

impl WorkflowKind {
    /// Every kind, in display order.
    pub const ALL: [WorkflowKind; 2] = [WorkflowKind::Lld, WorkflowKind::Issue];

    /// The config/CLI name: `lld` or `issue`.
    pub fn name(self) -> &'static str {
        match self {
            WorkflowKind::Lld => "lld",
            WorkflowKind::Issue => "issue",
        }
    }

    /// The ID prefix: `LLD` or `ISSUE`.
    pub fn id_prefix(self) -> &'static str {
        match self {
            WorkflowKind::Lld => "LLD",
            WorkflowKind::Issue => "ISSUE",
        }
    }

    /// Parses `lld` / `issue`.
    pub fn parse(s: &str) -> Option<Self> {
        WorkflowKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl std::fmt::Display for WorkflowKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A kind of document, as configured under `[workflows.<name>]`: which files are of this kind
/// (`paths` globs less `exclude` globs), which workflow reviews them, and how their IDs start.
/// The built-in kinds are `lld` (`LLD-42`) and `issue` (`ISSUE-17`); a team may add its own,
/// e.g. `[workflows.spec] paths = [...], workflow = "lld", id_prefix = "SPEC"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocKind {
    pub name: String,
    pub workflow: WorkflowKind,
    /// `LLD` in `LLD-42`; empty for IDs that are the bare number or stem.
    pub id_prefix: String,
    pub paths: Vec<String>,
    pub exclude: Vec<String>,
}

impl DocKind {
    /// The built-in kind of `workflow` (`lld` → IDs `LLD-…`) over `paths`, excluding nothing.
    pub fn builtin(workflow: WorkflowKind, paths: Vec<String>) -> DocKind {
        DocKind {
            name: workflow.name().to_string(),
            workflow,
            id_prefix: workflow.id_prefix().to_string(),
            paths,
            exclude: Vec::new(),
        }
    }
}

/// Where a document's text is read from when its workflow runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentSource {
    /// The blob committed in HEAD (`Item::blob`).
    Head,
    /// The file in the work tree (explicit paths, `--include-worktree`).
    Worktree,
}

/// One document to review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `LLD-42`, `ISSUE-17`, or a sanitized stem; unique within one discovery.
    pub id: String,
    /// The configured document kind (`lld`, `issue`, or a team's own, e.g. `spec`).
    pub kind: String,
    pub workflow: WorkflowKind,
    /// Repo-relative path with `/` separators.
    pub path: String,
    /// Blob OID (hex) of the content that will be reviewed.
    pub blob: String,
    pub source: ContentSource,
}

/// The reviewer's decision. `Unknown` fails closed: it never counts as approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Approved,
    Revise,
    Discuss,
    Blocked,
    Unknown,
}

impl Verdict {
    /// Every verdict, in the order summaries count them.
    pub const ALL: [Verdict; 5] = [
        Verdict::Approved,
        Verdict::Revise,
        Verdict::Discuss,
        Verdict::Blocked,
        Verdict::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "APPROVED",
            Verdict::Revise => "REVISE",
            Verdict::Discuss => "DISCUSS",
            Verdict::Blocked => "BLOCKED",
            Verdict::Unknown => "UNKNOWN",
        }
    }

    /// One verdict word, case-insensitive, surrounding Markdown emphasis and
    /// punctuation ignored. `BLOCK`/`REJECT`/`REJECTED` mean `Blocked`;
    /// `UNKNOWN` is accepted so stored verdicts round-trip.
    pub fn parse_word(s: &str) -> Option<Verdict> {
        let w = s.trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, '*' | '_' | '`' | '.' | '!' | ':' | ',' | ';' | '"')
        });
        match w.to_ascii_uppercase().as_str() {
            "APPROVED" | "APPROVE" => Some(Verdict::Approved),
            "REVISE" => Some(Verdict::Revise),
            "DISCUSS" => Some(Verdict::Discuss),
            "BLOCKED" | "BLOCK" | "REJECT" | "REJECTED" => Some(Verdict::Blocked),
            "UNKNOWN" => Some(Verdict::Unknown),
            _ => None,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an answer ended, read from the provider's finish/stop reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its answer (or the provider did not say otherwise).
    #[default]
    Complete,
    /// Cut at max_tokens: OpenAI `length`, Anthropic `max_tokens`, Gemini `MAX_TOKENS`.
    MaxTokens,
    /// Stopped by the provider for another reason (a content filter, a refusal, safety): the
    /// text is not the whole answer. Holds the provider's word.
    Stopped(String),
}

impl Finish {
    /// The finish of an answer whose provider gave `reason` (any API's spelling). Reasons
    /// parwf does not know count as complete: servers invent their own words for "done"
    /// (`eos`, `eos_token`, `end_turn`), and the ones that mean "cut" are few and documented.
    pub fn from_reason(reason: Option<&str>) -> Finish {
        let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
            return Finish::Complete;
        };
        match r.to_ascii_lowercase().as_str() {
            "length" | "max_tokens" | "model_context_window_exceeded" => Finish::MaxTokens,
            "content_filter" | "refusal" | "safety" | "recitation" | "blocklist"
            | "prohibited_content" | "spii" | "image_safety" | "abort" => {
                Finish::Stopped(r.to_string())
            }
            _ => Finish::Complete,
        }
    }

    /// Whether the text is the model's whole answer.
    pub fn is_complete(&self) -> bool {
        *self == Finish::Complete
    }

    /// How a checkpoint stores it: `None` for complete.
    pub fn stored(&self) -> Option<String> {
        match self {
            Finish::Complete => None,
            Finish::MaxTokens => Some("max_tokens".into()),
            Finish::Stopped(r) => Some(format!("stopped:{r}")),
        }
    }

    /// The inverse of [`Finish::stored`].
    pub fn from_stored(s: Option<&str>) -> Finish {
        match s {
            None => Finish::Complete,
            Some("max_tokens") => Finish::MaxTokens,
            Some(other) => {
                Finish::Stopped(other.strip_prefix("stopped:").unwrap_or(other).to_string())
            }
        }
    }

    /// A few words for the user: `cut at max_tokens`.
    pub fn describe(&self) -> String {
        match self {
            Finish::Complete => "complete".into(),
            Finish::MaxTokens => "cut at max_tokens".into(),
            Finish::Stopped(r) => format!("stopped by the provider ({r})"),
        }
    }
}

/// Which verdicts fail the gate (`fail_on`). A missing verdict always fails: no review, or a
/// review that ended without one, never lets a document through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    fail_on: Vec<Verdict>,
}

impl Gate {
    pub fn new(fail_on: &[Verdict]) -> Gate {
        Gate {
            fail_on: fail_on.to_vec(),
        }
    }

    /// Whether `verdict` fails the gate.
    pub fn fails(&self, verdict: Verdict) -> bool {
        self.fail_on.contains(&verdict)
    }

    /// Whether a document with this verdict (or none) may pass.
    pub fn passes(&self, verdict: Option<Verdict>) -> bool {
        verdict.is_some_and(|v| !self.fails(v))
    }
}

/// What `--dry-run` shows for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlannedState {
    /// Would be reviewed.
    Pending,
    /// A checkpoint for its current content would be resumed.
    Resumable,
    /// A verdict note for the same content, prompts and model exists.
    Cached,
    /// Cannot be reviewed: its file name gives no valid ID.
    Invalid,
}

impl PlannedState {
    pub fn name(self) -> &'static str {
        match self {
            PlannedState::Pending => "pending",
            PlannedState::Resumable => "resumable",
            PlannedState::Cached => "cached",
            PlannedState::Invalid => "invalid",
        }
    }
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemState {
    /// The workflow ran to a verdict.
    Done,
    /// The workflow errored (provider, unreadable document, parse).
    Failed,
    /// Stopped by Ctrl+C or a key-pool pause; resumable.
    Interrupted,
    /// Never started (the run stopped first).
    NotStarted,
    /// Not run: a verdict note for the same blob, workflow, prompts and model exists.
    Cached,
}

impl ItemState {
    /// The item has its verdict (reviewed now, or earlier for the same content).
    pub fn is_finished(self) -> bool {
        matches!(self, ItemState::Done | ItemState::Cached)
    }
}

/// The `rule` of a verdict taken as the reviewer gave it.
pub const REVIEWERS_VERDICT: &str = "the reviewer's verdict";

/// One item's result (JSON schema v1: field names are stable).
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub id: String,
    /// The document kind (`lld`, `issue`, or one the config names).
    pub kind: String,
    pub workflow: WorkflowKind,
    pub path: String,
    pub blob: String,
    pub state: ItemState,
    /// Absent when no verdict was reached.
    pub verdict: Option<Verdict>,
    /// Number of Tier 1 (blocking) findings in the last review.
    pub blocking: usize,
    /// Which rule decided the verdict (e.g. "the reviewer's verdict", "approve_without_blockers").
    pub rule: Option<String>,
    /// Whether the verdict fails the gate (`fail_on`).
    pub gate_failed: bool,
    pub error: Option<String>,
    /// What to change so that the error (or the UNKNOWN verdict) does not happen again.
    pub hint: Option<String>,
    /// The provider refused the item's request as it is (too long for the model, an unknown
    /// model, a malformed request): running the same command again fails the same way.
    pub permanent: bool,
    /// The worker's time on the item, waits for a key included.
    pub duration_ms: u64,
    /// LLM calls made for this item in this run.
    pub llm_calls: u32,
    /// Of `duration_ms`, the time its requests waited for a key (every key busy, cooling or
    /// paced); the rest is review time.
    pub wait_ms: u64,
    /// Another document with the same content (blob) and workflow whose review this item
    /// shares: one LLM call per distinct blob per run.
    pub same_blob_as: Option<String>,
}

impl ItemResult {
    /// The result of `item` in `state`, before anything is known of its review.
    pub fn new(item: &Item, state: ItemState) -> ItemResult {
        ItemResult {
            id: item.id.clone(),
            kind: item.kind.clone(),
            workflow: item.workflow,
            path: item.path.clone(),
            blob: item.blob.clone(),
            state,
            verdict: None,
            blocking: 0,
            rule: None,
            gate_failed: false,
            error: None,
            hint: None,
            permanent: false,
            duration_ms: 0,
            llm_calls: 0,
            wait_ms: 0,
            same_blob_as: None,
        }
    }

    /// The time spent on the item besides waiting for a key.
    pub fn review_ms(&self) -> u64 {
        self.duration_ms.saturating_sub(self.wait_ms)
    }

    /// Records a verdict and whether it fails `gate`.
    pub fn set_verdict(&mut self, verdict: Verdict, gate: &Gate) {
        self.verdict = Some(verdict);
        self.gate_failed = gate.fails(verdict);
    }
}

/// Where a document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocState {
    /// A verdict for its current content.
    Reviewed,
    /// Reviewed before, but its content changed since: the verdict is of an earlier version.
    Changed,
    /// A run stopped part-way: `git parwf` resumes it.
    Resumable,
    /// Its last run failed (the checkpoint is kept).
    Failed,
    /// Never reviewed.
    Unreviewed,
}

impl DocState {
    /// The word `status` shows.
    pub fn name(self) -> &'static str {
        match self {
            DocState::Reviewed => "reviewed",
            DocState::Changed => "changed",
            DocState::Resumable => "resumable",
            DocState::Failed => "failed",
            DocState::Unreviewed => "unreviewed",
        }
    }
}

/// Where a row's verdict was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A verdict note on `refs/notes/parwf`.
    Note,
    /// A run's logs under `.git/parwf/runs` (`--write none`, or not yet written back).
    RunLog,
    /// A checkpoint under `.git/parwf/checkpoints`.
    Checkpoint,
}

/// One document and the latest that is known of it (`status --format json`, schema v1).
#[derive(Debug, Clone, Serialize)]
pub struct DocStatus {
    pub id: String,
    pub kind: String,
    pub workflow: String,
    pub path: String,
    /// The blob of the content the state is about (HEAD's, for committed documents).
    pub blob: String,
    pub state: DocState,
    pub verdict: Option<Verdict>,
    pub blocking: usize,
    /// When the verdict was written (UTC), if known.
    pub date: Option<String>,
    pub model: Option<String>,
    pub origin: Option<Origin>,
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_verdict_never_passes_the_gate() {
        let gate = Gate::new(&[Verdict::Revise, Verdict::Unknown]);
        assert!(gate.passes(Some(Verdict::Approved)));
        assert!(gate.passes(Some(Verdict::Blocked)));
        assert!(!gate.passes(Some(Verdict::Revise)));
        assert!(!gate.passes(None));
    }

    #[test]
    fn verdicts_serialize_as_upper_case_words() {
        let json = serde_json::to_string(&[Verdict::Approved, Verdict::Unknown]).unwrap();
        assert_eq!(json, r#"["APPROVED","UNKNOWN"]"#);
        let kinds: Vec<WorkflowKind> = serde_json::from_str(r#"["lld","issue"]"#).unwrap();
        assert_eq!(kinds, WorkflowKind::ALL);
    }
}

//! The drafter's side of the revise loop: what it is told to fix, how its answer is tidied,
//! and the check that a draft is still the same document before a reviewer ever sees it.
//!
//! "The same document" (documented in the README, "The revise loop"): a draft must
//! - keep the document's title: its first heading (outside code fences) starts with the
//!   original's text;
//! - keep at least [`KEEP_PERCENT`]% of the document's non-blank lines;
//! - keep at least [`KEEP_PERCENT`]% of its `##` section titles.
//!
//! The bound is loose enough for a real revision (sections renamed, merged or rewritten more
//! tightly) and tight enough for what models do when they go wrong: an answer cut at a few
//! lines, a summary in place of the document, a review returned as the "revision".

use crate::verdict::Review;

/// The share of the original's lines and `##` sections a draft must keep, in percent.
pub const KEEP_PERCENT: usize = 60;

/// A review with fewer words than this outside headings and verdict lines asks for nothing a
/// drafter could act on.
const MIN_FEEDBACK_WORDS: usize = 5;

/// What the drafter is asked to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    /// The review's findings (Tier 1; Tier 2 when it has no Tier 1).
    Findings(Vec<String>),
    /// A review that lists no findings but says what is wrong in prose: all of it.
    Review(String),
    /// A REVISE with nothing to act on: the drafter is not called.
    Nothing,
}

impl Feedback {
    /// What the review of `text` asks the drafter to fix.
    pub fn of(review: &Review, text: &str) -> Feedback {
        // Real reviewers often answer REVISE with everything in Tier 2: give the drafter those.
        let worst = if review.blocking > 0 { 1 } else { 2 };
        let findings: Vec<String> = review
            .findings
            .iter()
            .filter(|f| f.tier <= worst)
            .map(|f| f.text.clone())
            .collect();
        if !findings.is_empty() {
            Feedback::Findings(findings)
        } else if substance(text) >= MIN_FEEDBACK_WORDS {
            Feedback::Review(text.trim().to_string())
        } else {
            Feedback::Nothing
        }
    }

    /// The text that fills the drafter prompt's `{findings}`.
    pub fn prompt_text(&self) -> String {
        match self {
            Feedback::Findings(list) => list.iter().map(|f| format!("- {f}\n")).collect(),
            Feedback::Review(text) => format!("{text}\n"),
            Feedback::Nothing => String::new(),
        }
    }

    /// As a list, for the request (the sim and command providers see it).
    pub fn items(&self) -> Vec<String> {
        match self {
            Feedback::Findings(list) => list.clone(),
            Feedback::Review(text) => vec![text.clone()],
            Feedback::Nothing => Vec::new(),
        }
    }
}

/// Words in the review's lines that are not headings, verdict options or statements,
/// pre-flight results or "no issues" placeholders.
fn substance(text: &str) -> usize {
    text.lines()
        .map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix(['-', '+'])
                .or_else(|| l.strip_prefix("* "))
                .unwrap_or(l)
                .trim_start();
            // A checkbox: `[ ]`, `[x]`.
            match l.as_bytes() {
                [b'[', _, b']', ..] => l[3..].trim_start(),
                _ => l,
            }
        })
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            let first = lower
                .trim_start_matches(['*', '_', ' '])
                .split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or("");
            let placeholder = lower.starts_with("no ") && lower.contains("found");
            let verdict_word = matches!(
                first,
                "approved" | "revise" | "discuss" | "blocked" | "passed" | "failed"
            );
            !(lower.contains("verdict") || verdict_word || placeholder)
        })
        .map(|l| l.split_whitespace().count())
        .sum()
}

/// A heading outside code fences: (level, title).
fn headings(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence: Option<char> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            let ch = t.chars().next().unwrap_or('`');
            fence = match fence {
                Some(c) if c == ch => None,
                None => Some(ch),
                other => other,
            };
            continue;
        }
        if fence.is_some() || line.len() - t.len() > 3 {
            continue;
        }
        let level = t.chars().take_while(|c| *c == '#').count();
        let rest = &t[level..];
        if (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t'])) {
            out.push((level, normalize(rest)));
        }
    }
    out
}

/// A heading's text for comparison: emphasis and trailing colons gone, spaces collapsed,
/// lower case.
fn normalize(title: &str) -> String {
    title
        .replace(['*', '_', '`'], "")
        .trim_end_matches('#')
        .trim()
        .trim_end_matches(':')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn non_blank(text: &str) -> usize {
    text.lines().filter(|l| !l.trim().is_empty()).count()
}

/// The drafter's answer as a document: a fence around the whole answer taken off, and talk
/// before the title ("Here is the revised document:") dropped when the original starts with
/// its title. Ends with a newline.
pub fn clean_draft(original: &str, draft: &str) -> String {
    // The prompt's marker lines around the document, echoed back with it.
    let marker = |l: &str| {
        let t = l.trim();
        t.strip_prefix("<<<DOCUMENT ")
            .or_else(|| {
                t.strip_prefix("DOCUMENT ")
                    .and_then(|b| b.strip_suffix(">>>"))
            })
            .is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_hexdigit()))
    };
    let mut lines: Vec<&str> = draft.trim().lines().filter(|l| !marker(l)).collect();
    let is_fence = |l: &str| {
        let t = l.trim();
        t.starts_with("```") || t.starts_with("~~~")
    };
    // The whole document in one fence, perhaps after a line of talk.
    let opener = lines.iter().position(|l| is_fence(l));
    if let Some(f) = opener {
        let info = lines[f].trim().trim_start_matches(['`', '~']).trim();
        let talk_before = lines[..f].iter().all(|l| !l.trim_start().starts_with('#'));
        let closed = lines.len() >= f + 2 && lines.last().is_some_and(|l| is_fence(l));
        if talk_before && closed && matches!(info, "" | "markdown" | "md") {
            lines = lines[f + 1..lines.len() - 1].to_vec();
        }
    }
    let starts_with_title = original
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('#'));
    if starts_with_title {
        if let Some(first) = lines.iter().position(|l| {
            let t = l.trim_start();
            t.starts_with("# ") || t.starts_with("## ") || t == "#"
        }) {
            lines.drain(..first);
        }
    }
    let mut out = lines.join("\n").trim_end().to_string();
    out.push('\n');
    out
}

/// Why a draft is not the same document any more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    #[error("the draft is empty")]
    Empty,
    #[error("the title \"{want}\" is gone (the draft's first heading is {found})")]
    TitleLost { want: String, found: String },
    #[error(
        "{kept} of the document's {of} non-blank lines remain (at least {KEEP_PERCENT}% must)"
    )]
    Shrunk { kept: usize, of: usize },
    #[error("{kept} of the document's {of} `##` sections remain (at least {KEEP_PERCENT}% must)")]
    SectionsLost { kept: usize, of: usize },
}

/// Checks that `draft` is still `original`, within the bound described at the top of this file.
pub fn same_document(original: &str, draft: &str) -> Result<(), Damage> {
    if draft.trim().is_empty() {
        return Err(Damage::Empty);
    }
    let before = headings(original);
    let after = headings(draft);
    if let Some((_, want)) = before.first() {
        let found = after.first().map(|(_, t)| t.as_str());
        // Starts with: "LLD-42: Cache (revised)" keeps the title, "Review: LLD-42: Cache" does not.
        if !found.is_some_and(|f| f.starts_with(want.as_str())) {
            return Err(Damage::TitleLost {
                want: want.clone(),
                found: found.map_or("missing".into(), |f| format!("\"{f}\"")),
            });
        }
    }
    let enough = |kept: usize, of: usize| kept * 100 >= of * KEEP_PERCENT;
    let (kept, of) = (non_blank(draft), non_blank(original));
    if !enough(kept, of) {
        return Err(Damage::Shrunk { kept, of });
    }
    let sections = |h: &[(usize, String)]| -> Vec<String> {
        h.iter()
            .filter(|(l, _)| *l == 2)
            .map(|(_, t)| t.clone())
            .collect()
    };
    let (was, now) = (sections(&before), sections(&after));
    // A section renamed to a longer title ("Risks" → "Risks and mitigations") still counts.
    let kept = was
        .iter()
        .filter(|t| now.iter().any(|n| n.contains(t.as_str())))
        .count();
    if !enough(kept, was.len()) {
        return Err(Damage::SectionsLost {
            kept,
            of: was.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::parse;

    const DOC: &str = "# LLD-7: Cache\n\n## Context\nWhy we cache.\n\n## Design\nAn LRU in front of the store.\nEvictions are logged.\n\n## Test Plan\nUnit tests.\n\n## Risks\nStale reads: TBD.\n";

    #[test]
    fn a_faithful_revision_passes_and_damage_is_named() {
        let revised = DOC.replace("TBD", "bounded by a 30 s TTL");
        assert_eq!(same_document(DOC, &revised), Ok(()));
        let renamed = revised.replace("## Risks", "## Risks and mitigations");
        assert_eq!(same_document(DOC, &renamed), Ok(()));
        let review = "# Review: lld-7\n\n## Verdict\n[x] **REVISE**\n";
        assert!(matches!(
            same_document(DOC, review),
            Err(Damage::TitleLost { .. })
        ));
        let cut = "# LLD-7: Cache\n\n## Context\nWhy we";
        assert_eq!(
            same_document(DOC, cut),
            Err(Damage::Shrunk { kept: 3, of: 10 })
        );
        let gutted = "# LLD-7: Cache\nWhy we cache.\nAn LRU in front of the store.\nEvictions are logged.\nUnit tests.\nStale reads.\n## Design\n";
        assert_eq!(
            same_document(DOC, gutted),
            Err(Damage::SectionsLost { kept: 1, of: 4 })
        );
        assert_eq!(same_document(DOC, " \n"), Err(Damage::Empty));
    }

    #[test]
    fn a_fenced_answer_and_a_preamble_are_taken_off() {
        let answer = format!("Here is the revised document:\n\n```markdown\n{DOC}```\n");
        assert_eq!(clean_draft(DOC, &answer), DOC);
        // A document that does not start with a heading keeps everything.
        assert_eq!(clean_draft("intro\n# T\n", "intro\n# T"), "intro\n# T\n");
        // The prompt's marker lines, echoed around the document, are not part of it.
        let echoed = format!("<<<DOCUMENT 0a1b2c\n{DOC}DOCUMENT 0a1b2c>>>\n");
        assert_eq!(clean_draft(DOC, &echoed), DOC);
    }

    #[test]
    fn feedback_is_the_findings_else_the_review_else_nothing() {
        let with = "## Tier 1: BLOCKING Issues\n- [ ] **Retry:** unbounded.\n\n## Verdict\n[x] **REVISE**\n";
        assert_eq!(
            Feedback::of(&parse(with), with),
            Feedback::Findings(vec!["Retry: unbounded.".into()])
        );
        let prose =
            "The rollback plan is missing and the error budget is vague.\n\nVerdict: REVISE\n";
        assert!(matches!(
            Feedback::of(&parse(prose), prose),
            Feedback::Review(_)
        ));
        let empty = "## Tier 1: BLOCKING Issues\n- [ ] No blocking issues found.\n\n## Verdict\n[x] **REVISE** - Fix Tier 1 issues first\n";
        assert_eq!(Feedback::of(&parse(empty), empty), Feedback::Nothing);
    }
}

//! Why a review has no verdict, in a few words for the user. Computed beside the parser from
//! its result, the answer's text and how the answer ended, so the parser itself stays as it is.

use super::{Form, Review, Verdict};
use crate::model::Finish;

/// Why a review's verdict is UNKNOWN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownReason {
    /// The answer was cut at max_tokens: whatever it said is not the whole review.
    CutAtMaxTokens,
    /// The provider stopped the answer (a content filter, a refusal); its word.
    Stopped(String),
    /// The answer repeats the prompt's instructions instead of reviewing (weak models do).
    PromptEchoed,
    /// The review states more than one verdict.
    Conflict,
    /// Nothing in the review states a verdict.
    NoVerdict,
}

impl UnknownReason {
    /// A few words: `cut at max_tokens`, `no verdict found`.
    pub fn words(&self) -> String {
        match self {
            UnknownReason::CutAtMaxTokens => "review cut at max_tokens".into(),
            UnknownReason::Stopped(r) => format!("review stopped by the provider ({r})"),
            UnknownReason::PromptEchoed => "prompt echoed back".into(),
            UnknownReason::Conflict => "verdicts conflict".into(),
            UnknownReason::NoVerdict => "no verdict found".into(),
        }
    }

    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            UnknownReason::CutAtMaxTokens => {
                Some("raise max_tokens in [provider] (reasoning models spend part of it thinking)")
            }
            UnknownReason::PromptEchoed | UnknownReason::NoVerdict => {
                Some("the model did not answer in the review format: try a stronger model")
            }
            UnknownReason::Stopped(_) | UnknownReason::Conflict => None,
        }
    }
}

/// Why `review` (parsed from `text`, whose answer ended as `finish`) has no verdict; `None` when
/// it has one, the answer is whole and is not an echo of the prompt (which is UNKNOWN whatever
/// verdict words the echo holds). `instructions` are lines of the prompt's own text
/// (not the document), for telling an echo.
pub fn unknown_reason(
    text: &str,
    review: &Review,
    finish: &Finish,
    instructions: &[&str],
) -> Option<UnknownReason> {
    match finish {
        Finish::MaxTokens => return Some(UnknownReason::CutAtMaxTokens),
        Finish::Stopped(r) => return Some(UnknownReason::Stopped(r.clone())),
        Finish::Complete => {}
    }
    // Before the verdict: an echoed prompt holds the prompt's own verdict words (the option
    // boxes, "APPROVED only when Tier 1 is empty"), which are no reviewer's decision.
    if echoes(text, instructions) {
        return Some(UnknownReason::PromptEchoed);
    }
    if review.verdict != Verdict::Unknown {
        return None;
    }
    Some(match review.form {
        Form::None => UnknownReason::NoVerdict,
        _ => UnknownReason::Conflict,
    })
}

/// At least three of the instruction lines, and half of them, appear as whole lines of `text`.
fn echoes(text: &str, instructions: &[&str]) -> bool {
    let lines: std::collections::HashSet<&str> = text.lines().map(str::trim).collect();
    let found = instructions
        .iter()
        .filter(|l| lines.contains(l.trim()))
        .count();
    found >= 3 && found * 2 >= instructions.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::parse;

    const INSTRUCTIONS: [&str; 4] = [
        "Answer in Markdown with exactly these sections, in this order:",
        "Two to four sentences.",
        "Same form, for problems that should be fixed but do not block.",
        "APPROVED only when Tier 1 is empty. Do not put example verdicts anywhere else.",
    ];

    fn reason(text: &str, finish: Finish) -> Option<UnknownReason> {
        unknown_reason(text, &parse(text), &finish, &INSTRUCTIONS)
    }

    #[test]
    fn each_reason_from_a_real_shape() {
        let approved = "## Verdict\n[x] **APPROVED** - Ready\n";
        assert_eq!(reason(approved, Finish::Complete), None);
        assert_eq!(
            reason(approved, Finish::MaxTokens),
            Some(UnknownReason::CutAtMaxTokens)
        );
        assert_eq!(
            reason("The design looks fine to me.", Finish::Complete),
            Some(UnknownReason::NoVerdict)
        );
        let both = "## Verdict\n[x] **APPROVED** - Ready\n[x] **REVISE** - Fix\n";
        assert_eq!(
            reason(both, Finish::Complete),
            Some(UnknownReason::Conflict)
        );
        // The prompt's own "APPROVED only when…" line reads as a verdict; an echo is none.
        let echo = format!(
            "Sure.\n{}\n## Verdict\n[ ] **APPROVED**\n[ ] **REVISE**\n\n{}\n",
            INSTRUCTIONS[..3].join("\n\n"),
            INSTRUCTIONS[3]
        );
        assert_eq!(parse(&echo).verdict, Verdict::Approved);
        assert_eq!(
            reason(&echo, Finish::Complete),
            Some(UnknownReason::PromptEchoed)
        );
        assert_eq!(
            reason(approved, Finish::Stopped("content_filter".into())).map(|r| r.words()),
            Some("review stopped by the provider (content_filter)".into())
        );
    }
}

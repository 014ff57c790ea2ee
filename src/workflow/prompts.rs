//! The prompt texts: built in, or overridden per repo from `prompts_dir`; hashed into every result.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::model::WorkflowKind;

const LLD_REVIEW: &str = include_str!("../prompts/lld-review.md");
const ISSUE_REVIEW: &str = include_str!("../prompts/issue-review.md");
const DRAFTER: &str = include_str!("../prompts/drafter.md");

/// The prompts in use and their combined hash.
#[derive(Debug, Clone)]
pub struct Prompts {
    pub lld_review: String,
    pub issue_review: String,
    pub drafter: String,
    /// First 12 hex chars of SHA-256 over all three texts.
    pub hash: String,
}

/// File names looked up in `prompts_dir`.
pub const FILES: [&str; 3] = ["lld-review.md", "issue-review.md", "drafter.md"];

impl Prompts {
    /// The built-in prompts.
    pub fn builtin() -> Prompts {
        Prompts::from_texts(LLD_REVIEW.into(), ISSUE_REVIEW.into(), DRAFTER.into())
    }

    /// Built-in prompts, each replaced by the same-named file in `dir` when it exists.
    pub fn load(dir: Option<&Path>) -> std::io::Result<Prompts> {
        let builtin = [LLD_REVIEW, ISSUE_REVIEW, DRAFTER];
        let mut texts = builtin.map(String::from);
        if let Some(dir) = dir {
            for (text, name) in texts.iter_mut().zip(FILES) {
                match std::fs::read_to_string(dir.join(name)) {
                    Ok(t) => *text = t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let [a, b, c] = texts;
        Ok(Prompts::from_texts(a, b, c))
    }

    fn from_texts(lld_review: String, issue_review: String, drafter: String) -> Prompts {
        let mut h = Sha256::new();
        for t in [&lld_review, &issue_review, &drafter] {
            h.update((t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
        }
        let hash = h
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        Prompts {
            lld_review,
            issue_review,
            drafter,
            hash,
        }
    }

    /// The review prompt for a document.
    pub fn review(&self, kind: WorkflowKind, path: &str, document: &str) -> String {
        let template = match kind {
            WorkflowKind::Lld => &self.lld_review,
            WorkflowKind::Issue => &self.issue_review,
        };
        fill(template, path, document, "")
    }

    /// The drafter prompt for a document and what the reviewer asked for (findings as a
    /// list, or a review's own text).
    pub fn draft(&self, path: &str, document: &str, feedback: &str) -> String {
        fill(&self.drafter, path, document, feedback)
    }

    /// The review prompt's own lines (long enough to be telling, no placeholders): a weak
    /// model that answers with them has echoed the prompt instead of reviewing.
    pub fn review_instructions(&self, kind: WorkflowKind) -> Vec<&str> {
        let template = match kind {
            WorkflowKind::Lld => &self.lld_review,
            WorkflowKind::Issue => &self.issue_review,
        };
        template
            .lines()
            .map(str::trim)
            .filter(|l| l.len() >= 24 && !l.contains('{'))
            .collect()
    }
}

/// Substitutes placeholders in one pass, so text inside the document is never re-expanded.
fn fill(template: &str, path: &str, document: &str, findings: &str) -> String {
    let mut out = String::with_capacity(template.len() + document.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let (value, len) = [
            ("{path}", path),
            ("{document}", document),
            ("{findings}", findings),
        ]
        .iter()
        .find(|(k, _)| after.starts_with(k))
        .map(|(k, v)| (*v, k.len()))
        .unwrap_or(("{", 1));
        out.push_str(value);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_does_not_expand_placeholders_inside_the_document() {
        let p = Prompts::builtin();
        let text = p.review(WorkflowKind::Lld, "a.md", "body with {path} and {document}");
        assert!(text.contains("body with {path} and {document}"));
        assert!(text.contains("Document path: a.md"));
        assert_eq!(p.hash.len(), 12);
    }
}

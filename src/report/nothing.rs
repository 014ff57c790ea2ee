//! "Nothing to review", said with what was looked at: the range and its base, the globs, and
//! the uncommitted work a user may have expected to be reviewed.

use crate::discover::Scope;

/// What a run looked at when it found nothing to review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NothingFound {
    pub scope: Scope,
    /// Every document in HEAD was asked for (`--all`).
    pub all: bool,
    /// Documents were selected, but `--partition` left none to this shard.
    pub other_shards: usize,
    /// Documents with uncommitted changes that the selection left out.
    pub uncommitted: Vec<String>,
}

/// How many uncommitted documents are named before they are counted.
const SHOWN: usize = 3;

impl NothingFound {
    /// The explanation, one line per point, each ending in a newline.
    pub fn human(&self) -> String {
        let mut out = String::from("Nothing to review: ");
        if self.other_shards > 0 {
            out.push_str(&format!(
                "the {} selected document(s) belong to other --partition shards.\n",
                self.other_shards
            ));
            return out;
        }
        let globs = if self.scope.globs.is_empty() {
            "no [workflows.*] paths are configured".to_string()
        } else {
            format!("the globs {}", self.scope.globs.join(", "))
        };
        match (&self.scope.compared, self.all) {
            (Some(c), _) => out.push_str(&format!("no document changed in {c} matches {globs}.\n")),
            (None, true) => out.push_str(&format!("no document in HEAD matches {globs}.\n")),
            (None, false) => out.push_str(&format!("no changed document matches {globs}.\n")),
        }
        if !self.uncommitted.is_empty() {
            let n = self.uncommitted.len();
            let mut names = self.uncommitted[..n.min(SHOWN)].join(", ");
            if n > SHOWN {
                names.push_str(&format!(" and {} more", n - SHOWN));
            }
            out.push_str(&format!(
                "{n} document(s) have uncommitted changes ({names}): commit them, or add --include-worktree to review the work tree's text.\n"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Compared;

    #[test]
    fn says_the_range_the_globs_and_the_uncommitted_work() {
        let n = NothingFound {
            scope: Scope {
                compared: Some(Compared {
                    with: "origin/main".into(),
                    base: "1a2b3c4d5e6f7a8b".into(),
                    fallback: true,
                }),
                globs: vec!["docs/lld/**/*.md".into()],
            },
            uncommitted: (1..=5).map(|n| format!("docs/lld/LLD-{n}.md")).collect(),
            ..NothingFound::default()
        };
        let text = n.human();
        assert!(text.starts_with("Nothing to review: no document changed in origin/main..HEAD (merge-base 1a2b3c4d5e6f; no upstream, so the remote's default branch) matches the globs docs/lld/**/*.md.\n"), "{text}");
        assert!(text.contains("5 document(s) have uncommitted changes (docs/lld/LLD-1.md, docs/lld/LLD-2.md, docs/lld/LLD-3.md and 2 more)"), "{text}");
        assert!(text.contains("--include-worktree"), "{text}");
    }
}

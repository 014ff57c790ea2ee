//! What `init` and `trust` print: the document folders `init` found and what to do next, and
//! the settings of a repository's config that `trust` is about to trust.

use std::path::Path;

use crate::config::policy::Setting;
use crate::config::starter::{plural, Layout};

/// After `init` wrote `path`: the globs it chose per workflow with their documents, the
/// folders it left out, and the next commands (`provider_chosen`: `--provider` was given).
pub fn init_written(path: &Path, layout: &Layout, provider_chosen: bool) -> String {
    let mut out = format!("wrote {}\n", path.display());
    for (kind, globs) in [("lld", &layout.lld), ("issue", &layout.issue)] {
        for (glob, found) in globs {
            let n: usize = found.folders.values().sum();
            out.push_str(&format!(
                "  {kind:5}  {glob}  ({n} document{})\n",
                plural(n)
            ));
        }
    }
    if layout.lld.is_empty() && layout.issue.is_empty() {
        out.push_str(
            "  no document folders found: the default globs are written; edit [workflows.*] paths\n",
        );
    }
    for (folder, n) in &layout.left_out {
        out.push_str(&format!(
            "  left out: {folder}/ ({n} document{}); add it to a workflow's paths to review it\n",
            plural(*n)
        ));
    }
    if provider_chosen {
        // The user chose the reviewer by running init: the file is theirs as written.
        out.push_str("  trusted as written ([provider] chooses what runs and where keys go): after you edit it, run `parwf trust` (it shows what it trusts)\n");
    }
    out.push_str("next:\n");
    if !provider_chosen {
        out.push_str("  choose a reviewer in [provider] (kind, model, keys), then `parwf trust`; or try: git parwf --provider sim --all --dry-run\n");
    }
    out.push_str("  git parwf --all --dry-run     # what would be reviewed\n");
    out.push_str("  parwf install-hook            # gate pushes on a passing review\n");
    out
}

/// Before `trust` records `file` (its content's `hash`): the settings in it that need trust.
pub fn trust_settings(file: &Path, hash: &str, settings: &[Setting]) -> String {
    let mut out = format!(
        "parwf trust: {} (sha256 {})\n",
        file.display(),
        &hash[..16.min(hash.len())]
    );
    if settings.is_empty() {
        out.push_str("  it sets nothing that needs trust: it is used as it is\n");
    } else {
        out.push_str(
            "  these settings run commands, read files or choose where requests and keys go:\n",
        );
        let w = settings.iter().map(|s| s.key.len()).max().unwrap_or(0);
        for s in settings {
            out.push_str(&format!(
                "    {:w$} = {}  # line {}\n",
                s.key, s.value, s.line
            ));
        }
    }
    out
}

//! A starting `.parwf.toml` for a repository (`parwf init`): the document folders found in
//! its work tree sorted into workflow globs, and every setting written out with a comment.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ProviderKind;

/// Folders never searched for documents: tooling and dependencies, not a team's writing.
const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "vendor", "venv", "dist", "build"];
/// How deep the search goes below the repo root.
const MAX_DEPTH: usize = 8;

/// The documents found for one glob.
#[derive(Debug, Default)]
pub struct Found {
    /// Folder (repo-relative) → number of Markdown files directly in it.
    pub folders: BTreeMap<String, usize>,
}

/// What the search found: globs per workflow, and folders it saw but left out.
#[derive(Debug, Default)]
pub struct Layout {
    pub lld: BTreeMap<String, Found>,
    pub issue: BTreeMap<String, Found>,
    pub left_out: BTreeMap<String, usize>,
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Walks the work tree for folders holding Markdown and sorts them into workflows.
pub fn detect(root: &Path) -> Layout {
    let mut layout = Layout::default();
    let mut stack: Vec<(PathBuf, usize)> = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut markdown = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if depth < MAX_DEPTH
                    && !name.starts_with('.')
                    && !SKIPPED_DIRS.contains(&name.as_str())
                {
                    stack.push((entry.path(), depth + 1));
                }
            } else if kind.is_file() && name.to_ascii_lowercase().ends_with(".md") {
                markdown += 1;
            }
        }
        if markdown == 0 || dir == root {
            continue;
        }
        let Ok(rel) = dir.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        classify(&mut layout, &parts, markdown);
    }
    layout
}

/// Puts a folder (its path components) with `n` Markdown files under a workflow's glob.
fn classify(layout: &mut Layout, parts: &[String], n: usize) {
    let folder = parts.join("/");
    let lower: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
    let at = |names: &[&str]| lower.iter().position(|p| names.contains(&p.as_str()));
    let add = |map: &mut BTreeMap<String, Found>, glob: String| {
        *map.entry(glob)
            .or_default()
            .folders
            .entry(folder.clone())
            .or_default() += n;
    };
    if let Some(i) = at(&["lld", "llds", "low-level-design", "low-level-designs"]) {
        add(
            &mut layout.lld,
            format!("{}/**/*.md", parts[..=i].join("/")),
        );
    } else if let Some(i) = at(&["issues", "issue-briefs", "briefs"]) {
        add(
            &mut layout.issue,
            format!("{}/**/*.md", parts[..=i].join("/")),
        );
    } else if let Some(i) = at(&["ideas"]) {
        // Only the active ideas are briefs under review; done or archived ones are history.
        match lower.get(i + 1).map(String::as_str) {
            Some("active") if lower.len() == i + 2 => add(
                &mut layout.issue,
                format!("{}/*.md", parts[..=i + 1].join("/")),
            ),
            None => add(&mut layout.issue, format!("{}/*.md", parts[..=i].join("/"))),
            _ => *layout.left_out.entry(folder.clone()).or_default() += n,
        }
    }
}

/// The file's text: every setting commented, the detected globs filled in.
pub fn render(layout: &Layout, provider: Option<ProviderKind>) -> String {
    let mut out = String::from(
        "# .parwf.toml: how parwf reviews this repository's design documents.\n\
         # Written by `parwf init`; keep what you change. Layers, later wins: built-in defaults <\n\
         # ~/.config/parwf/config.toml < this file < PARWF_* environment (PARWF_PARALLEL=5,\n\
         # PARWF_PROVIDER__KIND=sim) < flags. `parwf config show` prints every value in effect and\n\
         # where it came from.\n\n\
         # Reviews run at once (-j/--parallel); more than max_parallel is refused.\n\
         parallel = 3\n\
         max_parallel = 10\n\
         # Verdicts that fail the gate (exit 1): the pre-push hook and CI refuse them.\n\
         fail_on = [\"REVISE\", \"BLOCKED\", \"DISCUSS\", \"UNKNOWN\"]\n\
         # Where verdicts go: notes (a git note per reviewed document on refs/notes/parwf, also\n\
         # the cache), commit (notes, plus revised documents with --revise), none.\n\
         write = \"notes\"\n\n\
         # Which documents each workflow reviews: globs on repo-relative paths ('*' stays in one\n\
         # folder, '**' crosses folders).\n",
    );
    for (name, globs, default) in [
        ("lld", &layout.lld, "\"docs/lld/**/*.md\""),
        (
            "issue",
            &layout.issue,
            "\"docs/issues/**/*.md\", \"ideas/active/*.md\"",
        ),
    ] {
        let _ = writeln!(out, "[workflows.{name}]");
        if globs.is_empty() {
            let _ = writeln!(out, "# no folder found for this workflow; the default:");
            let _ = writeln!(out, "paths = [{default}]\n");
            continue;
        }
        for (glob, found) in globs {
            let folders: Vec<String> = found
                .folders
                .iter()
                .map(|(f, n)| format!("{f}/ ({n})"))
                .collect();
            let _ = writeln!(out, "# {glob}: found {}", folders.join(", "));
        }
        let quoted: Vec<String> = globs.keys().map(|g| format!("{g:?}")).collect();
        let _ = writeln!(out, "paths = [{}]\n", quoted.join(", "));
    }
    for (folder, n) in &layout.left_out {
        let _ = writeln!(
            out,
            "# not included: {folder}/ ({n} document{}); add it to a workflow's paths to review it",
            plural(*n)
        );
    }
    if !layout.left_out.is_empty() {
        out.push('\n');
    }
    out.push_str(&provider_section(provider));
    out.push_str(
        "\n# The pre-push hook (`parwf install-hook`): check = each changed document needs a passing\n\
         # verdict note (no network); review = run the missing reviews first, within timeout_s;\n\
         # off = let every push through.\n\
         [hook]\n\
         mode = \"check\"\n\
         timeout_s = 120\n",
    );
    out
}

fn provider_section(provider: Option<ProviderKind>) -> String {
    let head = "# The reviewer. kind: openai (any OpenAI-compatible server: OpenAI, a LiteLLM proxy,\n\
                # vLLM, Ollama), anthropic, gemini, command (any CLI reading the prompt on stdin), sim\n\
                # (built in, offline: for trying parwf). keys holds references, never keys: env:NAME,\n\
                # file:PATH, cmd:COMMAND.\n[provider]\n";
    let body = match provider {
        None => "# kind = \"openai\"\n# model = \"gpt-4o-mini\"\n# keys = [\"env:OPENAI_API_KEY\"]\n",
        Some(ProviderKind::Openai) => {
            "kind = \"openai\"\nmodel = \"gpt-4o-mini\"\nkeys = [\"env:OPENAI_API_KEY\"]\n"
        }
        Some(ProviderKind::Anthropic) => {
            "kind = \"anthropic\"\nmodel = \"claude-sonnet-4-5\"\nkeys = [\"env:ANTHROPIC_API_KEY\"]\n"
        }
        Some(ProviderKind::Gemini) => {
            "kind = \"gemini\"\nmodel = \"gemini-2.5-flash\"\nkeys = [\"env:GEMINI_API_KEY\"]\n"
        }
        Some(ProviderKind::Command) => {
            "kind = \"command\"\n# sh -c in the repo root: the prompt on stdin, the review on stdout.\ncommand = \"your-llm-cli --model some-model\"\n"
        }
        Some(ProviderKind::Sim) => "kind = \"sim\"\n",
    };
    format!("{head}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(str::to_string).collect()
    }

    #[test]
    fn folders_map_to_workflow_globs() {
        let mut l = Layout::default();
        classify(&mut l, &parts("docs/lld/active"), 3);
        classify(&mut l, &parts("docs/lld/drafts"), 2);
        classify(&mut l, &parts("ideas/active"), 1);
        classify(&mut l, &parts("ideas/done"), 4);
        classify(&mut l, &parts("docs/guide"), 9);
        assert_eq!(l.lld.keys().collect::<Vec<_>>(), ["docs/lld/**/*.md"]);
        assert_eq!(l.lld["docs/lld/**/*.md"].folders.values().sum::<usize>(), 5);
        assert_eq!(l.issue.keys().collect::<Vec<_>>(), ["ideas/active/*.md"]);
        assert_eq!(l.left_out.keys().collect::<Vec<_>>(), ["ideas/done"]);
    }

    #[test]
    fn the_written_file_is_valid_toml() {
        let mut l = Layout::default();
        classify(&mut l, &parts("design/LLDs"), 2);
        for p in [
            None,
            Some(ProviderKind::Openai),
            Some(ProviderKind::Command),
        ] {
            let text = render(&l, p);
            let v: toml::Value = toml::from_str(&text).expect("valid TOML");
            assert_eq!(
                v["workflows"]["lld"]["paths"][0].as_str(),
                Some("design/LLDs/**/*.md")
            );
        }
    }
}

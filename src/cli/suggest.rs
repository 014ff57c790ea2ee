//! "Did you mean": the run command takes paths, so `parwf stauts` would otherwise be read as a
//! document named `stauts`. The rule: a first path that does not exist, has no directory part
//! and is close to a command's name is a mistyped command (a usage error, in clap's own words
//! and style); a file of that name is still reviewed (`./stauts` always is).

use std::path::Path;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// clap's "unrecognized subcommand" error for `first`, when it looks like a mistyped command of
/// `cmd` rather than a path (relative to `cwd`).
pub fn mistyped_command(cmd: &clap::Command, first: &Path, cwd: &Path) -> Option<clap::Error> {
    let word = first.to_str()?;
    if word.contains(['/', '\\']) || word.starts_with('.') || cwd.join(first).exists() {
        return None;
    }
    let names: Vec<&str> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .flat_map(|s| std::iter::once(s.get_name()).chain(s.get_visible_aliases()))
        .chain(["help"])
        .collect();
    let mut close: Vec<(usize, &str)> = names
        .iter()
        .filter_map(|name| similar(word, name).map(|d| (d, *name)))
        .collect();
    close.sort();
    let (_, best) = *close.first()?;
    let mut cmd = cmd.clone();
    let usage = cmd.render_usage();
    let mut err = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(&cmd);
    err.insert(
        ContextKind::InvalidSubcommand,
        ContextValue::String(word.to_string()),
    );
    err.insert(
        ContextKind::SuggestedSubcommand,
        ContextValue::Strings(vec![best.to_string()]),
    );
    err.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![format!(
            "to review a document named '{word}', pass its path: './{word}'"
        )
        .into()]),
    );
    err.insert(ContextKind::Usage, ContextValue::StyledStr(usage));
    Some(err)
}

/// How far `word` is from the command `name`, when it is close enough to be a typo of it: one
/// edit (two for longer names), or a prefix of at least three letters.
fn similar(word: &str, name: &str) -> Option<usize> {
    let word = word.to_ascii_lowercase();
    if word.len() >= 3 && name.starts_with(&word) {
        return Some(0);
    }
    let d = edit_distance(&word, name);
    let allowed = if name.len() >= 5 { 2 } else { 1 };
    (d <= allowed).then_some(d)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours (`stauts` → `status` is one edit) each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_of_command_names_are_close_and_document_names_are_not() {
        assert_eq!(edit_distance("stauts", "status"), 1);
        assert_eq!(similar("stauts", "status"), Some(1));
        assert_eq!(similar("shwo", "show"), Some(1));
        assert_eq!(similar("install-hooks", "install-hook"), Some(1));
        assert_eq!(similar("stat", "status"), Some(0));
        assert_eq!(similar("Status", "status"), Some(0));
        assert_eq!(similar("cache", "clean"), None);
        assert_eq!(similar("LLD-042-cache.md", "clean"), None);
        assert_eq!(similar("ru", "run"), Some(1));
        assert_eq!(similar("x", "run"), None);
    }
}

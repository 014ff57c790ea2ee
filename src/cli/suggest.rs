//! "Did you mean": the run command takes paths, so `parwf stauts` would otherwise be read as a
//! document named `stauts`. The rule: a first path that does not exist, has no directory part
//! and is close to a command's name (`crate::typo`) is a mistyped command (a usage error, in
//! clap's own words and style); a file of that name is still reviewed (`./stauts` always is).

use std::path::Path;

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::typo;

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
        .filter_map(|name| typo::distance(word, name).map(|d| (d, *name)))
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

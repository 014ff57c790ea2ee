//! `parwf completions SHELL`: the completion script for bash, zsh, fish or PowerShell,
//! generated from the same clap definitions as `--help`, so it never lists a flag that is gone.

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::{Cli, CompletionsArgs, ShellArg};
use crate::error::Error;
use crate::exit::Exit;

/// For bash, `git parwf <TAB>` too: git's completion calls `_git_parwf` with its own `words`
/// and `cword` (starting at `git`), which are handed to parwf's function as if `parwf` had
/// been typed.
const GIT_BASH_SHIM: &str = r#"
# `git parwf <TAB>`: git's bash completion calls _git_parwf; complete as for `parwf`.
_git_parwf() {
    local COMP_WORDS=(parwf "${words[@]:2}")
    local COMP_CWORD=$((cword - 1))
    _parwf parwf "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}
"#;

/// Prints the script on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<Exit, Error> {
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "parwf", &mut out);
    if shell == Shell::Bash {
        out.extend_from_slice(GIT_BASH_SHIM.as_bytes());
    }
    super::out::print_bytes(&out)?;
    Ok(Exit::Ok)
}

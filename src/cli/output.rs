//! The PR formats on stdout (`--format github|markdown`), and what a run takes from the
//! process environment (read here, in the CLI layer, and passed down in the plan).

use std::path::PathBuf;

use super::args::Format;
use super::run::RunPlan;
use crate::report::{github, junit, markdown, sarif, summary::Summary};
use crate::writeback::Identity;

/// Fills the plan's environment-derived parts: `$GITHUB_STEP_SUMMARY` and the committer
/// identity git would use (`GIT_COMMITTER_*`, else `GIT_AUTHOR_*`).
pub fn from_environment(plan: &mut RunPlan) {
    plan.step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    plan.write.identity = identity(|k| std::env::var(k).ok());
}

/// The identity from git's variables, when both a name and an email are set.
fn identity(var: impl Fn(&str) -> Option<String>) -> Option<Identity> {
    for who in ["COMMITTER", "AUTHOR"] {
        let name = var(&format!("GIT_{who}_NAME")).filter(|s| !s.trim().is_empty());
        let email = var(&format!("GIT_{who}_EMAIL")).filter(|s| !s.trim().is_empty());
        if let (Some(name), Some(email)) = (name, email) {
            return Some(Identity { name, email });
        }
    }
    None
}

/// Prints a summary as `--format github` (annotations; the job summary is appended to
/// `$GITHUB_STEP_SUMMARY`), `--format markdown` (a PR comment body), `--format junit` or
/// `--format sarif` (reports for CI systems and code scanning).
pub fn print_pr(plan: &RunPlan, summary: &Summary) {
    match plan.format {
        Format::Github => {
            print!("{}", github::annotations(summary));
            if let Some(path) = &plan.step_summary {
                if let Err(e) = github::append_step_summary(path, summary) {
                    eprintln!(
                        "warning: cannot append the job summary to {}: {e}",
                        path.display()
                    );
                }
            }
        }
        Format::Junit => print!("{}", junit::report(summary)),
        Format::Sarif => print!("{}", sarif::report(summary)),
        _ => print!("{}", markdown::body(summary)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_needs_a_name_and_an_email() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(identity(env(&[("GIT_AUTHOR_NAME", "A")])), None);
        let id = identity(env(&[
            ("GIT_AUTHOR_NAME", "A"),
            ("GIT_AUTHOR_EMAIL", "a@x"),
            ("GIT_COMMITTER_NAME", "C"),
            ("GIT_COMMITTER_EMAIL", "c@x"),
        ]));
        assert_eq!(id.map(|i| i.name), Some("C".to_string()));
    }
}

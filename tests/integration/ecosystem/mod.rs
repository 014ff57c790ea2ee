//! The ecosystem around parwf, each part driven through the real tool where a registry ships
//! it: report formats and their consumers, hook managers, CI linters, shells, man.

mod ci_lint;
mod ci_run;
mod hook_managers;
mod reports;
mod shell;
pub mod tools;

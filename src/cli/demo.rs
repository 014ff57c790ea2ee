//! `parwf demo`: a temporary repo from the built-in fixtures, reviewed on the sim provider.

use super::args::{DemoArgs, Format};
use crate::demo::{branch_documents, build_repo, run_options, DEMO_BRANCH};
use crate::error::Error;
use crate::exit::Exit;
use crate::report::color;
use crate::report::progress::Mode;
use crate::run::{self, Plan};
use crate::workspace::Workspace;

/// Runs the demo; exits 0 when it ran, whatever the gate says (the gate is shown, not returned).
pub fn demo(args: &DemoArgs, mode: Mode) -> Result<Exit, Error> {
    let dir = tempfile::Builder::new()
        .prefix("parwf-demo-")
        .tempdir()
        .map_err(|e| Error::file("create", std::env::temp_dir(), e))?;
    build_repo(dir.path())?;
    super::out::eprintln(&format!(
        "parwf demo: a repo with {} documents added on branch `{DEMO_BRANCH}`; running\n  parwf --since main --parallel {} --provider sim   (simulated latency {} ms per LLM call)\n",
        branch_documents().count(),
        args.parallel,
        args.latency_ms
    ));
    let ws = Workspace::discover(dir.path())?;
    let (mut opts, inputs) = run_options(dir.path(), args.parallel, args.latency_ms);
    opts.color = color::stderr();
    let plan = Plan::new(opts, inputs)?;
    let outcome = run::execute(&ws, &plan, mode)?;
    let style = super::run::stdout_style();
    super::run::print(&outcome, Format::Human, plan.parallel(), None, &style)?;
    let gate = match outcome.exit() {
        Exit::Ok => "passed: every document is approved".to_string(),
        Exit::GateFailed => "failed (exit code 1 in a real run): some documents need revision, discussion, or are blocked".to_string(),
        other => format!("exit code {} in a real run", other.code()),
    };
    super::out::println(&format!("\ngate {gate}"))?;
    if args.keep {
        let path = dir.keep();
        super::out::println(&format!(
            "demo repo kept at {}\n  try: cd {} && parwf --since main --dry-run",
            path.display(),
            path.display()
        ))?;
    }
    Ok(Exit::Ok)
}

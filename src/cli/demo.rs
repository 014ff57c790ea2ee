//! `parwf demo`: a temporary repo from the built-in fixtures, reviewed on the sim provider.

use super::args::{DemoArgs, Format};
use super::out;
use crate::demo::{self, build_repo, run_options};
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
    out::eprintln(&demo::intro(args.parallel, args.latency_ms));
    let ws = Workspace::discover(dir.path())?;
    let (mut opts, inputs) = run_options(dir.path(), args.parallel, args.latency_ms);
    opts.color = color::stderr();
    let plan = Plan::new(opts, inputs)?;
    let outcome = run::execute(&ws, &plan, mode)?;
    let style = super::run::stdout_style();
    super::run::print(&outcome, Format::Human, plan.parallel(), None, &style)?;
    out::println(&demo::gate(outcome.exit()))?;
    if args.keep {
        out::println(&demo::kept(&dir.keep()))?;
    }
    Ok(Exit::Ok)
}

//! `parwf [run]`: args → validated plan → discovery → worker pool → summary → exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::args::{Format, RunArgs, WorkflowArg};
use crate::config::{self, Config, ConfigInputs};
use crate::coordinator::cooldowns::CooldownStore;
use crate::coordinator::dispatch::run_pool;
use crate::coordinator::keys::{CallError, Coordinator};
use crate::discover::{self, DiscoverOptions, Discovery, Selection, WorkflowKind};
use crate::error::{exit, Error};
use crate::provider::setup::{self, Setup};
use crate::report::progress::{Mode, Reporter};
use crate::report::summary::{ItemResult, ItemState, RunFigures, Summary};
use crate::workflow::{self, prompts::Prompts, Ctx, Outcome};

/// The validated form of a run's arguments and configuration.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub config: Config,
    pub discover: DiscoverOptions,
    pub parallel: usize,
    pub dry_run: bool,
    pub format: Format,
    pub warnings: Vec<String>,
}

impl RunPlan {
    /// Lowers clap args plus config inputs into a plan, refusing anything out of range.
    pub fn new(args: &RunArgs, cwd: &Path, mut inputs: ConfigInputs) -> Result<RunPlan, Error> {
        if let Some(kind) = &args.provider {
            inputs.flags.push((
                "provider.kind".into(),
                toml::Value::String(kind.clone()),
                "--provider".into(),
            ));
        }
        let loaded = config::load(&inputs)?;
        let config = loaded.config;
        let max = config.max_parallel;
        let parallel = args.parallel.unwrap_or(config.parallel as i64);
        if parallel < 1 || parallel as u64 > max as u64 {
            let from = if args.parallel.is_some() {
                "--parallel"
            } else {
                "config `parallel`"
            };
            return Err(Error::usage(
                format!("{from} must be between 1 and {max} (max_parallel), got {parallel}"),
                "use -j N with 1 ≤ N ≤ max_parallel, or raise max_parallel in .parwf.toml",
            ));
        }
        let selection = if !args.paths.is_empty() {
            Selection::Paths(args.paths.clone())
        } else if args.all {
            Selection::All
        } else if let Some(rev) = &args.since {
            Selection::Since(rev.clone())
        } else {
            Selection::Upstream
        };
        let only = args.workflow.map(|w| match w {
            WorkflowArg::Lld => WorkflowKind::Lld,
            WorkflowArg::Issue => WorkflowKind::Issue,
        });
        Ok(RunPlan {
            discover: DiscoverOptions {
                selection,
                include_worktree: args.include_worktree,
                globs: config.globs(),
                only,
                cwd: cwd.to_path_buf(),
            },
            parallel: parallel as usize,
            dry_run: args.dry_run,
            format: args.format,
            warnings: loaded.warnings,
            config,
        })
    }
}

/// Runs the `run` command.
pub fn run(args: &RunArgs, cwd: &Path, inputs: ConfigInputs, mode: Mode) -> Result<i32, Error> {
    let plan = RunPlan::new(args, cwd, inputs)?;
    execute(&plan, mode)
}

/// What a run produced.
pub enum RunOutput {
    /// `--dry-run`: the listing, already rendered.
    Listing(String),
    /// Nothing matched.
    Nothing,
    /// The results of the reviews.
    Reviewed(Summary),
}

/// Executes a plan and prints its output; returns the exit code.
pub fn execute(plan: &RunPlan, mode: Mode) -> Result<i32, Error> {
    match collect(plan, mode)? {
        RunOutput::Listing(text) => {
            print!("{text}");
            Ok(exit::OK)
        }
        RunOutput::Nothing => {
            match plan.format {
                Format::Json => println!("{}", empty_summary(plan).to_json()),
                Format::Human => {
                    println!("Nothing to review: no changed documents match the workflow globs.")
                }
            }
            Ok(exit::OK)
        }
        RunOutput::Reviewed(summary) => {
            match plan.format {
                Format::Human => print!("{}", summary.to_human()),
                Format::Json => println!("{}", summary.to_json()),
            }
            Ok(summary.exit_code)
        }
    }
}

/// Executes a plan: discovery, then the pool (unless dry run).
pub fn collect(plan: &RunPlan, mode: Mode) -> Result<RunOutput, Error> {
    let found = discover::discover(&plan.discover)?;
    let startup = Reporter::new(
        if mode == Mode::Quiet {
            Mode::Quiet
        } else {
            Mode::Plain
        },
        0,
    );
    for w in plan.warnings.iter().chain(&found.warnings) {
        startup.print(&format!("warning: {w}"));
    }
    if plan.dry_run {
        return Ok(RunOutput::Listing(dry_run_listing(&found, plan.format)));
    }
    if found.items.is_empty() {
        return Ok(RunOutput::Nothing);
    }
    // Keys are resolved here, after --dry-run has returned: a dry run reads no secret.
    let setup = setup::build(&plan.config, &found.workdir, plan.parallel, &|name| {
        std::env::var(name).ok()
    })?;
    for w in &setup.warnings {
        startup.print(&format!("warning: {w}"));
    }
    let prompts_dir =
        (!plan.config.prompts_dir.is_empty()).then(|| found.workdir.join(&plan.config.prompts_dir));
    let prompts = Prompts::load(prompts_dir.as_deref()).map_err(|e| {
        Error::usage(
            format!("cannot read prompts_dir: {e}"),
            "prompts_dir holds lld-review.md, issue-review.md and drafter.md; unset it to use the built-in prompts",
        )
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the runtime: {e}")))?;
    let summary = runtime.block_on(run_items(plan, found, setup, prompts, mode));
    Ok(RunOutput::Reviewed(summary))
}

async fn run_items(
    plan: &RunPlan,
    found: Discovery,
    setup: Setup,
    prompts: Prompts,
    mode: Mode,
) -> Summary {
    let cfg = &plan.config;
    let total = found.items.len();
    let reporter = Arc::new(Reporter::new(mode, total));
    let cancel = CancellationToken::new();
    let signals = tokio::spawn(watch_signals(cancel.clone(), reporter.clone()));
    reporter.log(
        "PARWF",
        &format!(
            "{total} document(s) to review with {} at --parallel {}",
            setup.reviewer.label(),
            plan.parallel
        ),
    );
    let provider_label = setup.reviewer.label();
    let store = CooldownStore::at(&found.common_dir.join("parwf").join("state.db"));
    let ctx = Arc::new(Ctx {
        coordinator: Coordinator::new(
            setup.pools,
            plan.parallel,
            reporter.clone(),
            cancel.clone(),
            Some(store),
        ),
        reviewer: setup.reviewer,
        drafter: setup.drafter,
        reporter: reporter.clone(),
        prompts,
        workdir: found.workdir.clone(),
        revise: false,
        max_iterations: cfg.max_iterations,
        approve_without_blockers: cfg.approve_without_blockers,
        fail_on: cfg.fail_on.clone(),
    });
    let started = Instant::now();
    let items = found.items.clone();
    let fatal_cancel = cancel.clone();
    let outcomes = run_pool(items, plan.parallel, &cancel, |item| {
        let ctx = ctx.clone();
        let cancel = fatal_cancel.clone();
        async move {
            let out = workflow::run_item(item, ctx).await;
            if out.fatal.is_some() {
                // The key pool cannot serve anyone: stop the run, keep what is done.
                cancel.cancel();
            }
            out
        }
    })
    .await;
    let wall = started.elapsed();
    signals.abort();
    reporter.finish();
    let interrupted = cancel.is_cancelled();
    let mut fatal: Option<CallError> = None;
    let results: Vec<ItemResult> = found
        .items
        .iter()
        .zip(outcomes)
        .map(|(item, out)| match out {
            Some(Ok(Outcome {
                result, fatal: f, ..
            })) => {
                if fatal.is_none() {
                    fatal = f;
                }
                result
            }
            Some(Err(msg)) => placeholder(item, ItemState::Failed, Some(msg)),
            None => placeholder(item, ItemState::NotStarted, None),
        })
        .collect();
    if let Some(f) = &fatal {
        reporter.print(&format!("error: {f}"));
        if let Some(h) = f.hint() {
            reporter.print(&format!("  hint: {h}"));
        }
    }
    let code = exit_code(&results, interrupted, fatal.as_ref());
    let (limit_wait, overhead) = ctx.coordinator.times();
    Summary::new(
        provider_label,
        plan.parallel,
        results,
        RunFigures {
            wall_ms: wall.as_millis() as u64,
            overhead_ms: overhead.as_secs_f64() * 1000.0,
            rate_limit_wait_ms: limit_wait.as_millis() as u64,
            keys: ctx.coordinator.key_stats(),
        },
        code,
    )
}

fn placeholder(item: &discover::Item, state: ItemState, error: Option<String>) -> ItemResult {
    ItemResult {
        id: item.id.clone(),
        workflow: item.workflow.name().to_string(),
        path: item.path.clone(),
        blob: item.blob.clone(),
        state,
        verdict: None,
        blocking: 0,
        rule: None,
        gate_failed: false,
        error,
        duration_ms: 0,
        llm_calls: 0,
    }
}

/// 130 interrupted > 75 keys exhausted > 2 every key invalid > 3 errors > 1 gate > 0.
fn exit_code(results: &[ItemResult], interrupted: bool, fatal: Option<&CallError>) -> i32 {
    match fatal {
        Some(CallError::Exhausted(_)) => return exit::KEYS_EXHAUSTED,
        Some(CallError::AllInvalid(_)) => return exit::USAGE,
        _ => {}
    }
    if interrupted {
        exit::INTERRUPTED
    } else if results.iter().any(|r| r.state != ItemState::Done) {
        exit::WORKFLOW_ERROR
    } else if results.iter().any(|r| r.gate_failed) {
        exit::GATE_FAILED
    } else {
        exit::OK
    }
}

/// First Ctrl+C/SIGTERM: stop dispatching and cancel in-flight calls. Second: exit at once.
async fn watch_signals(cancel: CancellationToken, reporter: Arc<Reporter>) {
    let mut count = 0;
    loop {
        wait_for_signal().await;
        count += 1;
        if count > 1 {
            reporter.finish();
            eprintln!("[PARWF] interrupted again: exiting now");
            std::process::exit(exit::INTERRUPTED);
        }
        reporter.log(
            "PARWF",
            "interrupted: stopping (press Ctrl+C again to exit at once)",
        );
        cancel.cancel();
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    match term {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

fn dry_run_listing(found: &Discovery, format: Format) -> String {
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = found
                .items
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "id": i.id, "workflow": i.workflow.name(), "path": i.path,
                        "blob": i.blob, "state": "pending",
                    })
                })
                .collect();
            let doc = serde_json::json!({"schema_version": 1, "dry_run": true, "items": items});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        Format::Human => {
            if found.items.is_empty() {
                return "Nothing to review: no changed documents match the workflow globs.\n"
                    .into();
            }
            let w = found
                .items
                .iter()
                .map(|i| i.id.len())
                .max()
                .unwrap_or(2)
                .max(2);
            let mut out = format!("{:w$}  {:8}  {:9}  PATH\n", "ID", "WORKFLOW", "STATE");
            for i in &found.items {
                out.push_str(&format!(
                    "{:w$}  {:8}  {:9}  {}\n",
                    i.id,
                    i.workflow.name(),
                    "pending",
                    i.path
                ));
            }
            out.push_str(&format!(
                "{} document(s) would be reviewed\n",
                found.items.len()
            ));
            out
        }
    }
}

fn empty_summary(plan: &RunPlan) -> Summary {
    Summary::new(
        String::new(),
        plan.parallel,
        Vec::new(),
        RunFigures::default(),
        exit::OK,
    )
}

/// The repo root for a cwd, if any (used by callers that need `.parwf.toml`).
pub fn repo_root(cwd: &Path) -> Option<PathBuf> {
    git2::Repository::discover(cwd)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
}

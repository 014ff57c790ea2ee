//! `parwf [run]`: args → validated plan → discovery → worker pool → summary → exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::args::{Format, RunArgs, WorkflowArg, WriteArg};
use super::listing::{dry_run_listing, resumable_items};
use super::run_git::{merge_results, GitSide};
use crate::checkpoint::runlog::{new_run_id, RunLog};
use crate::checkpoint::store::remove as remove_checkpoint;
use crate::checkpoint::{Layout, RunLock};
use crate::config::{self, Config, ConfigInputs};
use crate::coordinator::cooldowns::CooldownStore;
use crate::coordinator::dispatch::run_pool;
use crate::coordinator::keys::{CallError, Coordinator};
use crate::coordinator::signals;
use crate::discover::{
    self, partition::Partition, DiscoverOptions, Discovery, Selection, WorkflowKind,
};
use crate::error::{exit, Error};
use crate::provider::setup::{self, Setup};
use crate::report::progress::{Mode, Reporter};
use crate::report::summary::{ItemResult, ItemState, RunFigures, Summary};
use crate::workflow::{self, prompts::Prompts, Ctx, Outcome};
use crate::writeback::{WriteMode, WriteOptions};

/// The validated form of a run's arguments and configuration.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub config: Config,
    pub discover: DiscoverOptions,
    pub parallel: usize,
    pub dry_run: bool,
    pub format: Format,
    /// Drafter/reviewer loop instead of one review.
    pub revise: bool,
    /// Ignore checkpoints and cached verdicts (`--fresh`).
    pub fresh: bool,
    /// Keep checkpoints and run logs under `.git/parwf` (off only for benchmarks).
    pub keep_state: bool,
    pub warnings: Vec<String>,
    /// Only this shard of the items (`--partition count:M/N` or `hash:M/N`).
    pub partition: Option<Partition>,
    /// Where results go (`--write`, config `write` and `lineage_dir`).
    pub write: WriteOptions,
    /// `$GITHUB_STEP_SUMMARY`, for `--format github` (the CLI reads the environment).
    pub step_summary: Option<PathBuf>,
    /// Stop the run like an interrupt after this long (the hook's `timeout_s`).
    pub time_limit: Option<Duration>,
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
        if let Some(w) = args.write {
            let name = match w {
                WriteArg::Notes => "notes",
                WriteArg::Commit => "commit",
                WriteArg::None => "none",
            };
            inputs.flags.push((
                "write".into(),
                toml::Value::String(name.into()),
                "--write".into(),
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
        let partition = match &args.partition {
            Some(spec) => Some(Partition::parse(spec).map_err(|e| {
                Error::usage(
                    format!("--partition {e}"),
                    "use --partition count:M/N (or hash:M/N) with 1 ≤ M ≤ N: count:1/4 … count:4/4 in a 4-job matrix",
                )
            })?),
            None => None,
        };
        let write = WriteOptions {
            mode: WriteMode::parse(&config.write).unwrap_or(WriteMode::Notes),
            lineage_dir: config.lineage_dir.clone(),
            in_hook: false,
            identity: None,
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
            revise: args.revise,
            fresh: args.fresh,
            keep_state: true,
            warnings: loaded.warnings,
            config,
            partition,
            write,
            step_summary: None,
            time_limit: None,
        })
    }
}

/// Runs the `run` command.
pub fn run(args: &RunArgs, cwd: &Path, inputs: ConfigInputs, mode: Mode) -> Result<i32, Error> {
    let mut plan = RunPlan::new(args, cwd, inputs)?;
    super::output::from_environment(&mut plan);
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
                Format::Github | Format::Markdown => {
                    super::output::print_pr(plan, &empty_summary(plan))
                }
            }
            Ok(exit::OK)
        }
        RunOutput::Reviewed(summary) => {
            match plan.format {
                Format::Human => print!("{}", summary.to_human()),
                Format::Json => println!("{}", summary.to_json()),
                Format::Github | Format::Markdown => super::output::print_pr(plan, &summary),
            }
            Ok(summary.exit_code)
        }
    }
}

/// Executes a plan: discovery, then the pool (unless dry run).
pub fn collect(plan: &RunPlan, mode: Mode) -> Result<RunOutput, Error> {
    let mut found = discover::discover(&plan.discover)?;
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
    let prompts = load_prompts(plan, &found)?;
    let layout = Layout::new(&found.common_dir);
    let mut git_side = GitSide::before(plan, &mut found, &prompts)?;
    if plan.dry_run {
        let resumable = resumable_items(&found, &layout, &prompts.hash);
        let listing = dry_run_listing(&found, plan.format, |n| match git_side.state(n) {
            "pending" if resumable.contains(&n) => "resumable",
            other => other,
        });
        return Ok(RunOutput::Listing(listing));
    }
    if found.items.is_empty() {
        return Ok(RunOutput::Nothing);
    }
    git_side.preflight(plan, &found)?;
    let (cached, reviews) = git_side.take_cached(&mut found);
    if found.items.is_empty() {
        // Every verdict is cached: no provider, no runtime, no lock.
        let code = exit_code(&cached, false, None);
        let label = crate::writeback::model_label(&plan.config.provider);
        let mut summary = Summary::new(label, plan.parallel, cached, RunFigures::default(), code);
        let _ = git_side.after(plan, &found, &mut summary, reviews, &[], &startup);
        let leftover = |r: &ItemResult| layout.checkpoint(&r.workflow, &r.id).exists();
        if plan.keep_state && summary.items.iter().any(leftover) {
            let _lock = RunLock::acquire(&layout.lock())?;
            drop_written_checkpoints(&layout, &summary.items, &startup);
        }
        return Ok(RunOutput::Reviewed(summary));
    }
    // Keys are resolved here, after --dry-run has returned: a dry run reads no secret.
    let setup = setup::build(&plan.config, &found.workdir, plan.parallel, &|name| {
        std::env::var(name).ok()
    })?;
    for w in &setup.warnings {
        startup.print(&format!("warning: {w}"));
    }
    let (lock, runlog) = if plan.keep_state {
        let lock = RunLock::acquire(&layout.lock())?;
        if let Some(previous) = &lock.stale {
            startup.print(&format!(
                "warning: the previous run ({previous}) did not finish cleanly; its checkpoints are resumed"
            ));
        }
        let runlog = RunLog::create(&layout, &new_run_id())?;
        (Some(lock), Some(Arc::new(runlog)))
    } else {
        (None, None)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the runtime: {e}")))?;
    let state = runlog.as_ref().map(|r| (layout.clone(), r.clone()));
    let (mut summary, outcomes) = runtime.block_on(run_items(
        plan,
        found.clone(),
        setup,
        prompts,
        mode,
        cached,
        state,
    ));
    let written = git_side.after(plan, &found, &mut summary, reviews, &outcomes, &startup);
    if written && runlog.is_some() {
        drop_written_checkpoints(&layout, &summary.items, &startup);
    }
    if let Some(runlog) = &runlog {
        runlog.summary(&summary.to_json())?;
    }
    drop(lock);
    Ok(RunOutput::Reviewed(summary))
}

async fn run_items(
    plan: &RunPlan,
    found: Discovery,
    setup: Setup,
    prompts: Prompts,
    mode: Mode,
    cached: Vec<ItemResult>,
    state: Option<(Layout, Arc<RunLog>)>,
) -> (Summary, Vec<Outcome>) {
    let cfg = &plan.config;
    let total = found.items.len();
    let mut reporter = Reporter::new(mode, total);
    if let Some((_, runlog)) = &state {
        reporter = reporter.with_runlog(runlog.clone());
    }
    let reporter = Arc::new(reporter);
    let cancel = CancellationToken::new();
    let signals = tokio::spawn(signals::watch(cancel.clone(), reporter.clone()));
    if let Some(limit) = plan.time_limit {
        let cancel = cancel.clone();
        let reporter = reporter.clone();
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            reporter.log(
                "PARWF",
                &format!("time limit of {}s reached: stopping", limit.as_secs()),
            );
            cancel.cancel();
        });
    }
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
        revise: plan.revise,
        max_iterations: cfg.max_iterations,
        approve_without_blockers: cfg.approve_without_blockers,
        fail_on: cfg.fail_on.clone(),
        layout: state.as_ref().map(|(l, _)| l.clone()),
        runlog: state.map(|(_, r)| r),
        fresh: plan.fresh,
        max_document_bytes: cfg.max_document_bytes,
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
    let mut finished = Vec::new();
    let mut results: Vec<ItemResult> = found
        .items
        .iter()
        .zip(outcomes)
        .map(|(item, out)| match out {
            Some(Ok(out)) => {
                if fatal.is_none() {
                    fatal = out.fatal.clone();
                }
                let result = out.result.clone();
                finished.push(out);
                result
            }
            Some(Err(msg)) => placeholder(item, ItemState::Failed, Some(msg)),
            None => placeholder(item, ItemState::NotStarted, None),
        })
        .collect();
    merge_results(&mut results, cached);
    if let Some(f) = &fatal {
        reporter.print(&format!("error: {f}"));
        if let Some(h) = f.hint() {
            reporter.print(&format!("  hint: {h}"));
        }
    }
    let code = exit_code(&results, interrupted, fatal.as_ref());
    let kept = results
        .iter()
        .filter(|r| matches!(r.state, ItemState::Interrupted | ItemState::Failed))
        .count();
    if kept > 0 && ctx.layout.is_some() {
        reporter.log(
            "PARWF",
            &format!("{kept} item(s) kept in checkpoints under .git/parwf: run the same command again to resume"),
        );
    }
    let (limit_wait, overhead) = ctx.coordinator.times();
    let summary = Summary::new(
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
    );
    (summary, finished)
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
    } else if results
        .iter()
        .any(|r| !matches!(r.state, ItemState::Done | ItemState::Cached))
    {
        exit::WORKFLOW_ERROR
    } else if results.iter().any(|r| r.gate_failed) {
        exit::GATE_FAILED
    } else {
        exit::OK
    }
}

/// Removes the checkpoints of items whose result is now in git. Finished items keep theirs
/// until then, so a crash in between replays them instead of calling the LLM again; cached
/// items may have one left by a run killed just after writing its notes.
fn drop_written_checkpoints(layout: &Layout, items: &[ItemResult], reporter: &Reporter) {
    for r in items
        .iter()
        .filter(|r| matches!(r.state, ItemState::Done | ItemState::Cached))
    {
        if let Err(e) = remove_checkpoint(&layout.checkpoint(&r.workflow, &r.id)) {
            reporter.print(&format!("warning: {e}"));
        }
    }
}

/// The prompts in use: built in, or from `prompts_dir`.
fn load_prompts(plan: &RunPlan, found: &Discovery) -> Result<Prompts, Error> {
    let dir =
        (!plan.config.prompts_dir.is_empty()).then(|| found.workdir.join(&plan.config.prompts_dir));
    Prompts::load(dir.as_deref()).map_err(|e| {
        Error::usage(
            format!("cannot read prompts_dir: {e}"),
            "prompts_dir holds lld-review.md, issue-review.md and drafter.md; unset it to use the built-in prompts",
        )
    })
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

//! What a run will do, decided once: the caller's options and the layered configuration,
//! validated and lowered into a [`Plan`] that nothing changes afterwards.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{self, Config, ConfigInputs, ProviderKind, WriteMode};
use crate::discover::{partition::Partition, DiscoverOptions, Selection};
use crate::env::Env;
use crate::error::Error;
use crate::model::WorkflowKind;
use crate::writeback::{Identity, WriteOptions};

/// What a caller asks of a run: the CLI fills it from flags and the environment, the hook and
/// the demo build their own.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub selection: Selection,
    /// Also pick up staged and unstaged changes (`--include-worktree`).
    pub include_worktree: bool,
    /// Only this workflow (`--workflow`).
    pub only: Option<WorkflowKind>,
    /// `--parallel`; `None` takes config `parallel`.
    pub parallel: Option<i64>,
    pub dry_run: bool,
    /// Drafter/reviewer loop instead of one review.
    pub revise: bool,
    /// Ignore checkpoints and cached verdicts.
    pub fresh: bool,
    /// `--write`; `None` takes config `write`.
    pub write: Option<WriteMode>,
    /// `--provider`: overrides `provider.kind`.
    pub provider: Option<ProviderKind>,
    /// Only this shard of the items.
    pub partition: Option<Partition>,
    /// Running inside the pre-push hook: commits are refused.
    pub in_hook: bool,
    /// Stop the run after this long (the hook's `timeout_s`).
    pub time_limit: Option<Duration>,
    /// Who commits (`GIT_COMMITTER_*`/`GIT_AUTHOR_*`); `None`: the repo's `user.*`.
    pub identity: Option<Identity>,
    /// Where the command runs (explicit paths are relative to it).
    pub cwd: PathBuf,
    /// The environment `env:` key references are read from.
    pub env: Env,
    /// Run as CI (`CI` set, or `--ci`): cached verdicts count only when signed.
    pub ci: bool,
    /// In CI, the base revision whose committed config (and prompts) the run uses.
    pub config_rev: Option<String>,
    /// Colour the progress lines (stderr is a terminal that wants colour).
    pub color: bool,
}

impl RunOptions {
    /// Options for `selection` from `cwd`, everything else at its default.
    pub fn new(selection: Selection, cwd: PathBuf) -> RunOptions {
        RunOptions {
            selection,
            include_worktree: false,
            only: None,
            parallel: None,
            dry_run: false,
            revise: false,
            fresh: false,
            write: None,
            provider: None,
            partition: None,
            in_hook: false,
            time_limit: None,
            identity: None,
            cwd,
            env: Env::default(),
            ci: false,
            config_rev: None,
            color: false,
        }
    }
}

/// The validated form of a run. Built by [`Plan::new`] only.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) config: Config,
    pub(crate) discover: DiscoverOptions,
    pub(crate) parallel: usize,
    pub(crate) dry_run: bool,
    pub(crate) revise: bool,
    pub(crate) fresh: bool,
    pub(crate) partition: Option<Partition>,
    pub(crate) write: WriteOptions,
    pub(crate) time_limit: Option<Duration>,
    pub(crate) env: Env,
    pub(crate) ci: bool,
    pub(crate) config_rev: Option<String>,
    pub(crate) color: bool,
    /// Configuration warnings (unknown keys …), printed when the run starts.
    pub(crate) warnings: Vec<String>,
}

impl Plan {
    /// Loads the configuration with the options' overrides and refuses anything out of range.
    pub fn new(opts: RunOptions, mut inputs: ConfigInputs) -> Result<Plan, Error> {
        let flag = |key: &str, value: &str, name: &str| {
            (
                key.to_string(),
                toml::Value::String(value.to_string()),
                name.to_string(),
            )
        };
        if let Some(kind) = opts.provider {
            inputs
                .flags
                .push(flag("provider.kind", kind.name(), "--provider"));
        }
        if let Some(w) = opts.write {
            inputs.flags.push(flag("write", w.name(), "--write"));
        }
        let loaded = config::load(&inputs)?;
        // Out of range in a file: say which file and line, as for any other bad value.
        let parallel = loaded.config.parallel;
        if opts.parallel.is_none() && !(1..=loaded.config.max_parallel).contains(&parallel) {
            let origin = loaded.config.provenance.source("parallel");
            return Err(config::ConfigError::Invalid {
                key: "parallel".into(),
                msg: format!(
                    "must be between 1 and {} (max_parallel), got {parallel}",
                    loaded.config.max_parallel
                ),
                origin,
            }
            .into());
        }
        Plan::from_config(opts, loaded.config, loaded.warnings)
    }

    /// A plan over an already loaded configuration (whose flags the options did not change).
    pub fn from_config(
        opts: RunOptions,
        config: Config,
        mut warnings: Vec<String>,
    ) -> Result<Plan, Error> {
        // Nothing runs on settings the user has not trusted; a dry run runs nothing.
        if !opts.dry_run {
            config.check_trusted()?;
        }
        let max = config.max_parallel;
        let parallel = opts.parallel.unwrap_or(config.parallel as i64);
        if parallel < 1 || parallel as u64 > max as u64 {
            let from = if opts.parallel.is_some() {
                "--parallel"
            } else {
                "config `parallel`"
            };
            return Err(Error::usage(
                format!("{from} must be between 1 and {max} (max_parallel), got {parallel}"),
                "use -j N with 1 ≤ N ≤ max_parallel, or raise max_parallel in .parwf.toml",
            ));
        }
        let mut mode = config.write;
        if opts.in_hook && mode == WriteMode::Commit {
            warnings.push("write = commit is refused inside the hook (a commit made during a push is not part of it): writing notes".into());
            mode = WriteMode::Notes;
        }
        let write = WriteOptions {
            mode,
            lineage_dir: config.lineage_dir.clone(),
            in_hook: opts.in_hook,
            identity: opts.identity,
        };
        Ok(Plan {
            discover: DiscoverOptions {
                selection: opts.selection,
                include_worktree: opts.include_worktree,
                kinds: config.kinds().to_vec(),
                only: opts.only,
                cwd: opts.cwd,
            },
            parallel: parallel as usize,
            dry_run: opts.dry_run,
            revise: opts.revise,
            fresh: opts.fresh,
            partition: opts.partition,
            write,
            time_limit: opts.time_limit,
            env: opts.env,
            ci: opts.ci,
            config_rev: opts.config_rev,
            color: opts.color,
            warnings,
            config,
        })
    }

    /// Workflows run at once.
    pub fn parallel(&self) -> usize {
        self.parallel
    }
}

//! The clap definitions: every command, flag and its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run LLM governance reviews of design documents in parallel, from inside git.
///
/// With no command, reviews the LLDs and issue briefs changed on this branch (since the
/// merge-base with its upstream), a few at a time, and prints each verdict.
#[derive(Debug, Parser)]
#[command(
    name = "parwf",
    bin_name = "parwf",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 all approved or nothing to do, 1 the gate failed, 2 usage or \
configuration error, 3 a workflow errored, 75 key pool exhausted (run again later), \
130 interrupted (run again to resume).\n\nTry it offline: parwf demo"
)]
pub struct Cli {
    /// Run as if parwf was started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Review the selected documents (the default command).
    Run(RunArgs),
    /// Make a temporary repo from the built-in fixtures and run the whole job on the offline sim provider.
    Demo(DemoArgs),
    /// Print benchmark figures: parallel speed-up and efficiency on the sim provider, discovery speed, quota use under rate limits.
    Bench(BenchArgs),
    /// Parse one review text and print its verdict, findings and form as JSON.
    Verdict(VerdictArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write the man pages (parwf.1, git-parwf.1) into DIR.
    #[command(hide = true)]
    Man(ManArgs),
}

/// Which documents to review and how.
#[derive(Debug, Args, Default, Clone)]
pub struct RunArgs {
    /// Documents changed in merge-base(REV, HEAD)..HEAD.
    #[arg(long, value_name = "REV", conflicts_with = "all")]
    pub since: Option<String>,

    /// Every document matching the workflow globs in HEAD.
    #[arg(long)]
    pub all: bool,

    /// Also pick up staged and unstaged changes to documents.
    #[arg(long)]
    pub include_worktree: bool,

    /// Only run this workflow.
    #[arg(long, value_enum, value_name = "KIND")]
    pub workflow: Option<WorkflowArg>,

    /// Workflows run at once (default from config `parallel`, 3; capped by `max_parallel`).
    #[arg(short = 'j', long, value_name = "N", allow_negative_numbers = true)]
    pub parallel: Option<i64>,

    /// List what would run (ID, workflow, path, state) and exit: no network, no writes.
    #[arg(long)]
    pub dry_run: bool,

    /// Result format on stdout (progress always goes to stderr).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Provider to use, overriding config `provider.kind` (e.g. `sim` to try offline).
    #[arg(long, value_name = "KIND")]
    pub provider: Option<String>,

    /// Documents to review (paths in the work tree); overrides --since/--all.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

/// `--workflow` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum WorkflowArg {
    Lld,
    Issue,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// `parwf demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Leave the demo repo on disk and print its path.
    #[arg(long)]
    pub keep: bool,
    /// Workflows run at once.
    #[arg(short = 'j', long, default_value_t = 3, value_name = "N")]
    pub parallel: i64,
    /// Simulated mean latency per LLM call, in milliseconds.
    #[arg(long, default_value_t = 800, value_name = "MS")]
    pub latency_ms: u64,
}

/// `parwf bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Smaller sizes (for a quick look; figures are less stable).
    #[arg(long)]
    pub quick: bool,
    /// Only run these parts: speedup, efficiency, discovery, ratelimit.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// `parwf verdict`.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// The review text, or `-` for stdin.
    pub file: PathBuf,
}

/// `parwf config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every effective value and where it came from.
    Show,
}

/// `parwf man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages into.
    pub dir: PathBuf,
}

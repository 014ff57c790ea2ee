//! The clap definitions: every command, flag and its help text.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::config::{ProviderKind, WriteMode};
use crate::model::WorkflowKind;

/// Run LLM governance reviews of design documents in parallel, from inside git.
///
/// With no command, reviews the LLDs and issue briefs changed on this branch (since the
/// merge-base with its upstream), a few at a time, and prints each verdict.
#[derive(Debug, Parser)]
#[command(
    name = "parwf",
    bin_name = "parwf",
    version = env!("PARWF_VERSION"),
    after_help = "Exit codes: 0 all approved or nothing to do, 1 the gate failed, 2 usage or \
configuration error, 3 a workflow errored, 75 key pool exhausted (run again later), \
130 interrupted (run again to resume).\n\nTry it offline: parwf demo"
)]
pub struct Cli {
    /// Run as if parwf was started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Colours: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces them),
    /// always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Less on stderr: no progress lines, only warnings, errors and the results.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More diagnostics on stderr: -v info, -vv debug, -vvv trace (PARWF_LOG, when set, wins).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

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
    /// Parse one review text and print its verdict, findings and form as JSON.
    Verdict(VerdictArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Documents with their latest verdict, resumable and failed items.
    Status(StatusArgs),
    /// Print the stored review of one document.
    Show(ShowArgs),
    /// Remove run logs and checkpoints older than 30 days (--older-than DAYS), or all (--all).
    Clean(CleanArgs),
    /// Trust this repository's .parwf.toml as it is now (prints the settings it trusts).
    Trust(TrustArgs),
    /// Git hook entry points (`parwf hook pre-push REMOTE URL`, called by hooks/pre-push).
    #[command(subcommand)]
    Hook(HookCommand),
    /// Install the pre-push hook where git looks for it, chaining an existing one.
    InstallHook(InstallHookArgs),
    /// Print the man page, or install it where `man git-parwf` and `git parwf --help` find it.
    Man(ManArgs),
    /// Write a commented .parwf.toml for this repository, with globs for the document folders
    /// found in it.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(CompletionsArgs),
}

/// `--color` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

/// Which documents to review and how.
#[derive(Debug, Args, Default, Clone, PartialEq, Eq)]
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

    /// Where results go: verdict notes on the documents' blobs (default, config `write`),
    /// a commit of revised documents and review files (with --revise), or nothing.
    #[arg(long, value_enum, value_name = "WHERE")]
    pub write: Option<WriteArg>,

    /// Only shard M of N of the items (CI matrix), 1 ≤ M ≤ N. count:M/N deals the items,
    /// sorted by ID, out round-robin: balanced, for jobs that all find the same items.
    /// hash:M/N goes by a hash of each ID: uneven, but stable whatever the other items are.
    #[arg(long, value_name = "count:M/N|hash:M/N")]
    pub partition: Option<String>,

    /// Workflows run at once (default from config `parallel`, 3; capped by `max_parallel`).
    #[arg(short = 'j', long, value_name = "N", allow_negative_numbers = true)]
    pub parallel: Option<i64>,

    /// List what would run (ID, workflow, path, state) and exit: no network, no writes.
    #[arg(long)]
    pub dry_run: bool,

    /// Result format on stdout (progress always goes to stderr).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Run the drafter/reviewer loop (up to `max_iterations`) instead of a single review.
    #[arg(long)]
    pub revise: bool,

    /// Ignore checkpoints (and cached verdicts): review everything selected from scratch.
    #[arg(long)]
    pub fresh: bool,

    /// Run as CI (the default when `CI` is set): the config comes from the base revision,
    /// and a cached verdict counts only with a valid signature ([trust] notes_key).
    #[arg(long)]
    pub ci: bool,

    /// Provider to use, overriding config `provider.kind` (e.g. `sim` to try offline).
    #[arg(long, value_enum, value_name = "KIND")]
    pub provider: Option<ProviderArg>,

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

impl From<WorkflowArg> for WorkflowKind {
    fn from(w: WorkflowArg) -> WorkflowKind {
        match w {
            WorkflowArg::Lld => WorkflowKind::Lld,
            WorkflowArg::Issue => WorkflowKind::Issue,
        }
    }
}

/// `--provider` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProviderArg {
    Gemini,
    Openai,
    Anthropic,
    Command,
    Sim,
}

impl From<ProviderArg> for ProviderKind {
    fn from(p: ProviderArg) -> ProviderKind {
        match p {
            ProviderArg::Gemini => ProviderKind::Gemini,
            ProviderArg::Openai => ProviderKind::Openai,
            ProviderArg::Anthropic => ProviderKind::Anthropic,
            ProviderArg::Command => ProviderKind::Command,
            ProviderArg::Sim => ProviderKind::Sim,
        }
    }
}

/// `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    /// `::error` annotations for blocking findings, and a job summary in $GITHUB_STEP_SUMMARY.
    Github,
    /// A PR comment body.
    Markdown,
    /// JUnit XML: one test case per document (GitLab's merge request test report).
    Junit,
    /// SARIF 2.1.0: one result per blocking finding (code scanning).
    Sarif,
}

/// `--write` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum WriteArg {
    Notes,
    Commit,
    None,
}

impl From<WriteArg> for WriteMode {
    fn from(w: WriteArg) -> WriteMode {
        match w {
            WriteArg::Notes => WriteMode::Notes,
            WriteArg::Commit => WriteMode::Commit,
            WriteArg::None => WriteMode::None,
        }
    }
}

/// `parwf status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `parwf show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A document ID (`LLD-42`) or path.
    pub target: String,
}

/// `parwf clean`.
#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Remove run logs and checkpoints last written more than DAYS days ago.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub older_than: u64,
    /// Remove every run log and checkpoint, however recent (resumable work is lost).
    #[arg(long, conflicts_with = "older_than")]
    pub all: bool,
    /// List what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
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

/// `parwf verdict`.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// The review text, or `-` for stdin.
    pub file: PathBuf,
}

/// `parwf hook …`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Check (or review) the documents a push changes; reads git's pre-push lines on stdin.
    PrePush(PrePushArgs),
    /// The same gate for hook managers that pass the push in PRE_COMMIT_* variables instead
    /// of stdin (the pre-commit framework; see .pre-commit-hooks.yaml).
    PrePushEnv,
}

/// `parwf hook pre-push`.
#[derive(Debug, Args)]
pub struct PrePushArgs {
    /// The remote's name (or its URL when pushing to a URL).
    pub remote: String,
    /// The remote's URL.
    pub url: Option<String>,
}

/// `parwf install-hook`.
#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Replace an existing pre-push hook instead of chaining it.
    #[arg(long, conflicts_with = "uninstall")]
    pub force: bool,
    /// Remove parwf's hook and restore the hook it chained, if any.
    #[arg(long)]
    pub uninstall: bool,
    /// Also fetch verdict notes (`+refs/notes/parwf:refs/notes/parwf`) from REMOTE.
    #[arg(long)]
    pub share_notes: bool,
    /// The remote for --share-notes.
    #[arg(long, default_value = "origin", value_name = "REMOTE")]
    pub remote: String,
}

/// `parwf config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every effective value and where it came from.
    Show,
}

/// `parwf trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Forget the trust given to this repository's .parwf.toml.
    #[arg(long)]
    pub revoke: bool,
}

/// `parwf man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write parwf.1 and git-parwf.1 into DIR (with no DIR and no --install: print parwf.1).
    #[arg(id = "folder", value_name = "DIR", conflicts_with = "install")]
    pub folder: Option<PathBuf>,
    /// Install parwf.1 and git-parwf.1 beside the binary, in <bin>/../share/man/man1, where
    /// man looks for the pages of commands on PATH (e.g. ~/.cargo/share/man/man1).
    #[arg(long)]
    pub install: bool,
}

/// `parwf init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Fill in [provider] for this reviewer (otherwise it is left commented).
    #[arg(long, value_enum, value_name = "KIND")]
    pub provider: Option<ProviderArg>,
}

/// `parwf completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

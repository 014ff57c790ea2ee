//! Layered configuration: built-in defaults < user file < repo `.parwf.toml` < `PARWF_*` env < flags.

mod choices;
mod kinds;
mod layer;
pub mod policy;
pub mod starter;
pub mod trust;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

pub use choices::{HookMode, ProviderKind, WriteMode};
pub use kinds::{parse_glob, WorkflowConfig};
pub use layer::ConfigError;
pub use policy::Provenance;

use crate::model::{DocKind, Gate, Verdict};

/// The built-in defaults, also the schema: a key not in here is unknown.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File {
        path: PathBuf,
        line: usize,
    },
    /// `.parwf.toml` as committed on a revision (CI reads the base revision's).
    Committed {
        rev: String,
        line: usize,
    },
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => write!(f, "default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Committed { rev, line } => write!(f, ".parwf.toml at {rev}:{line}"),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// The effective configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub parallel: usize,
    pub max_parallel: usize,
    pub max_iterations: u32,
    pub fail_on: Vec<Verdict>,
    pub approve_without_blockers: bool,
    pub prompts_dir: String,
    pub write: WriteMode,
    pub max_document_bytes: u64,
    /// Repo-relative directory for review files committed by `--write commit`; "" = none.
    pub lineage_dir: String,
    pub workflows: BTreeMap<String, WorkflowConfig>,
    /// The document kinds `workflows` describes, validated when the config loaded.
    #[serde(skip)]
    pub kinds: Vec<DocKind>,
    pub provider: ProviderConfig,
    /// Only the keys set; the rest fall back to `[provider]` (see [`Config::drafter_provider`]).
    pub drafter: Table,
    pub sim: SimConfig,
    pub hook: HookConfig,
    pub trust: TrustConfig,
    /// Where every value came from and what is not trusted (set by [`load`]).
    #[serde(skip)]
    pub provenance: Provenance,
}

/// `[provider]` (and `[drafter]` merged over it).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProviderConfig {
    /// `None`: no provider configured (`kind = ""`).
    #[serde(with = "choices::kind_or_empty")]
    pub kind: Option<ProviderKind>,
    pub model: String,
    pub base_url: String,
    /// Key references (`env:NAME`, `file:PATH`, `cmd:COMMAND`), never key text.
    pub keys: Vec<String>,
    pub command: String,
    pub temperature: f64,
    pub max_tokens: u32,
    /// The model's context in tokens (prompt + answer); 0 = unknown.
    pub context_tokens: u32,
    pub max_in_flight: usize,
    pub requests_per_minute: u32,
    pub timeout_s: u64,
    pub retries: u32,
    pub max_wait_s: u64,
    /// Allow `http://` to a host other than this machine (keys and documents in clear).
    pub allow_insecure_http: bool,
}

/// `[sim]`: the built-in offline provider.
#[derive(Debug, Clone, Deserialize)]
pub struct SimConfig {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub keys: usize,
    pub requests_per_window: u32,
    pub window_s: u64,
}

/// `[hook]`.
#[derive(Debug, Clone, Deserialize)]
pub struct HookConfig {
    pub mode: HookMode,
    pub timeout_s: u64,
    /// Push `refs/notes/parwf` to the remote when a push passes the gate.
    pub push_notes: bool,
}

/// `[trust]`.
#[derive(Debug, Clone, Deserialize)]
pub struct TrustConfig {
    /// A key reference to the secret verdict notes are signed with; "" = none.
    pub notes_key: String,
}

/// The repository config as committed on a revision: what CI reads instead of the work tree.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The revision, as messages show it (a short commit id).
    pub rev: String,
    /// The file's text; `None` when the revision has no `.parwf.toml`.
    pub text: Option<String>,
}

/// Everything config loading reads from the outside world, passed in so tests need no process env.
#[derive(Debug, Clone, Default)]
pub struct ConfigInputs {
    /// `~/.config/parwf/config.toml` (or `$XDG_CONFIG_HOME/parwf/config.toml`), if any.
    pub user_file: Option<PathBuf>,
    /// The repo's `.parwf.toml`, if inside a repo.
    pub repo_file: Option<PathBuf>,
    /// The repository config committed on a trusted revision; replaces `repo_file` (CI).
    pub committed: Option<Committed>,
    /// The user's record of trusted repository files; `None` trusts none.
    pub trust_store: Option<PathBuf>,
    /// All `PARWF_*` variables.
    pub env: Vec<(String, String)>,
    /// Flag overrides: (dotted key, value, flag name).
    pub flags: Vec<(String, Value, String)>,
}

/// A loaded configuration with the source of every value and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration; `config.provenance` holds the source of every value.
    pub config: Config,
    pub values: BTreeMap<String, Value>,
    pub warnings: Vec<String>,
}

/// Environment variables that are not configuration keys.
/// `PARWF_NOTES_KEY` is where the README and the GitHub action keep the notes secret
/// (`[trust] notes_key = "env:PARWF_NOTES_KEY"`).
const NON_CONFIG_ENV: &[&str] = &["PARWF_LOG", "PARWF_SKIP", "PARWF_NOTES_KEY"];

impl ConfigInputs {
    /// The usual places: the user's config under `$XDG_CONFIG_HOME` (or `~/.config`), the
    /// repo's `.parwf.toml`, and the `PARWF_*` variables of `env`.
    pub fn usual(env: &crate::env::Env, repo_root: Option<&Path>) -> ConfigInputs {
        let user_dir = env
            .var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env.var("HOME").map(|h| PathBuf::from(h).join(".config")));
        ConfigInputs {
            user_file: user_dir.map(|d| d.join("parwf").join("config.toml")),
            repo_file: repo_root.map(|r| r.join(".parwf.toml")),
            committed: None,
            trust_store: trust::store_path(env),
            env: env
                .with_prefix("PARWF_")
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            flags: Vec::new(),
        }
    }
}

/// Loads and validates the layered configuration.
pub fn load(inputs: &ConfigInputs) -> Result<Loaded, ConfigError> {
    let defaults: Table = DEFAULT_CONFIG
        .parse()
        .map_err(|e| ConfigError::Internal(format!("built-in defaults: {e}")))?;
    let schema = layer::leaves(&defaults);
    let mut merged = defaults.clone();
    let mut sources: BTreeMap<String, Source> = schema
        .keys()
        .map(|k| (k.clone(), Source::Default))
        .collect();
    let mut warnings = Vec::new();
    // One rule for every layer: check the value against the schema, then take it (its source
    // recorded) or warn that the key is unknown.
    let mut take = |key: String, value: Result<Value, layer::Problem>, source: Source| match value
        .and_then(|v| layer::check(&schema, &key, &v))
    {
        Ok(v) => {
            layer::set(&mut merged, &key, v);
            sources.insert(key, source);
            Ok(())
        }
        Err(layer::Problem::Unknown) => {
            warnings.push(match &source {
                Source::Env(var) => format!("unknown variable {var} (ignored)"),
                _ => format!("unknown key `{key}` in {source} (ignored)"),
            });
            Ok(())
        }
        Err(layer::Problem::Type(want)) => Err(ConfigError::Type {
            key,
            want,
            origin: source,
        }),
        Err(layer::Problem::Choice(msg)) => Err(ConfigError::Invalid {
            key,
            msg,
            origin: source,
        }),
    };

    // The repository's values of trusted-only settings, when its file is not trusted.
    let mut untrusted_file = None;
    let mut candidates = Vec::new();
    let repo_file = inputs
        .repo_file
        .as_ref()
        .filter(|_| inputs.committed.is_none());
    for (path, is_repo) in [(inputs.user_file.as_ref(), false), (repo_file, true)] {
        let Some(path) = path else { continue };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ConfigError::Read(path.clone(), e.to_string())),
        };
        let leaves = layer::file_leaves(&text, path)?;
        let needing_trust = || leaves.iter().filter(|l| policy::trusted_only(&l.key));
        if is_repo && needing_trust().next().is_some() && !trusted(inputs, path, &text) {
            untrusted_file = Some(path.clone());
            candidates.extend(needing_trust().map(|l| l.key.clone()));
        }
        for leaf in leaves {
            let source = Source::File {
                path: path.clone(),
                line: leaf.line,
            };
            take(leaf.key, Ok(leaf.value), source)?;
        }
    }
    if let Some(Committed {
        rev,
        text: Some(text),
    }) = &inputs.committed
    {
        let shown = PathBuf::from(format!(".parwf.toml at {rev}"));
        for leaf in layer::file_leaves(text, &shown)? {
            let source = Source::Committed {
                rev: rev.clone(),
                line: leaf.line,
            };
            take(leaf.key, Ok(leaf.value), source)?;
        }
    }

    let mut env = inputs.env.clone();
    env.sort();
    for (var, raw) in env {
        if NON_CONFIG_ENV.contains(&var.as_str()) {
            continue;
        }
        let Some(rest) = var.strip_prefix("PARWF_") else {
            continue;
        };
        let key = rest.to_ascii_lowercase().replace("__", ".");
        let value = layer::env_value(&schema, &key, &raw);
        take(key, value, Source::Env(var.clone()))?;
    }

    for (key, value, flag) in &inputs.flags {
        if !schema.contains_key(key) {
            return Err(ConfigError::Internal(format!(
                "flag {flag} maps to unknown key {key}"
            )));
        }
        take(key.clone(), Ok(value.clone()), Source::Flag(flag.clone()))?;
    }

    let values = layer::leaves(&merged);
    // Only keys that exist somewhere are reported; `drafter.*` appear once set.
    sources.retain(|k, _| values.contains_key(k));
    let mut config: Config = Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Internal(e.message().to_string()))?;
    // Only values still coming from the untrusted file count: a later layer may override them.
    let untrusted: Vec<String> = candidates
        .into_iter()
        .filter(|k| {
            matches!((sources.get(k), &untrusted_file),
                (Some(Source::File { path, .. }), Some(f)) if path == f)
        })
        .collect();
    config.provenance = Provenance {
        sources,
        repo_file: repo_file.cloned(),
        untrusted_file: untrusted_file.filter(|_| !untrusted.is_empty()),
        untrusted,
    };
    validate::validate(&config, repo_file.and_then(|f| f.parent()))?;
    let prov = &config.provenance;
    config.kinds = kinds::kinds(&config.workflows, &|k| prov.source(k))?;
    Ok(Loaded {
        config,
        values,
        warnings,
    })
}

/// Whether the user trusts the repository file `path` with this content.
fn trusted(inputs: &ConfigInputs, path: &Path, text: &str) -> bool {
    inputs
        .trust_store
        .as_ref()
        .is_some_and(|store| trust::TrustStore::at(store).trusts(path, text))
}

impl Config {
    /// The drafter's provider settings: the keys set in `[drafter]` over `[provider]`.
    pub fn drafter_provider(&self) -> Result<ProviderConfig, ConfigError> {
        let Ok(Value::Table(mut merged)) = Value::try_from(&self.provider) else {
            return Err(ConfigError::Internal("[provider] is not a table".into()));
        };
        for (k, v) in &self.drafter {
            merged.insert(k.clone(), v.clone());
        }
        Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| {
                ConfigError::Internal(format!("[drafter]: {}", e.message()))
            })
    }

    /// The document kinds (`[workflows.<name>]`), in name order.
    pub fn kinds(&self) -> &[DocKind] {
        &self.kinds
    }
}

impl Config {
    /// The gate `fail_on` describes.
    pub fn gate(&self) -> Gate {
        Gate::new(&self.fail_on)
    }
}

impl Loaded {
    /// `key = value  # source` for every key, for `parwf config show`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let width = self.values.keys().map(|k| k.len()).max().unwrap_or(0);
        for (key, value) in &self.values {
            let source = self.config.provenance.source(key);
            let mark = if self.config.provenance.is_untrusted(key) {
                " (untrusted: not used until `parwf trust`)"
            } else {
                ""
            };
            out.push_str(&format!("{key:width$} = {value}  # {source}{mark}\n"));
        }
        out
    }
}

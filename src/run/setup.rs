//! From configuration to providers and key pools, at the start of a run (never for
//! `--dry-run`): resolves key references, checks what each provider kind needs, and decides
//! whether the drafter shares the reviewer's keys.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::coordinator::{KeySet, Limits};
use crate::provider::anthropic;
use crate::provider::command::CommandProvider;
use crate::provider::context::known_context;
use crate::provider::http::Http;
use crate::provider::keyref::{self, Lookup};
use crate::provider::secret::Secret;
use crate::provider::wire::{Api, Settings};
pub use crate::provider::SetupError;
use crate::provider::{sim::Sim, Backend, Provider, Redactor, TokenBudget};
use crate::writeback::cache::Signatures;

/// The providers of a run and the coordinator's key pools.
#[derive(Debug)]
pub struct Setup {
    pub reviewer: Provider,
    /// Same pool as the reviewer unless `[drafter]` names other keys or another provider.
    pub drafter: Provider,
    pub pools: Vec<KeySet>,
    pub warnings: Vec<String>,
}

fn api(kind: ProviderKind) -> Option<Api> {
    match kind {
        ProviderKind::Openai => Some(Api::OpenAi),
        ProviderKind::Anthropic => Some(Api::Anthropic),
        ProviderKind::Gemini => Some(Api::Gemini),
        ProviderKind::Command | ProviderKind::Sim => None,
    }
}

/// The provider's kind, checked for what it needs. `ci`: the run takes its configuration
/// from the base revision, which the hint for a missing provider names.
fn check(p: &ProviderConfig, table: &str, ci: bool) -> Result<ProviderKind, SetupError> {
    let Some(kind) = p.kind else {
        return Err(SetupError::NoProvider { ci });
    };
    match kind {
        ProviderKind::Sim => {}
        ProviderKind::Command if p.command.trim().is_empty() => return Err(SetupError::config(
            format!("{table}.kind is command but {table}.command is empty"),
            format!("set {table}.command to a CLI that reads the prompt on stdin and prints the review, e.g. \"llm -m gpt-4o-mini\""),
        )),
        ProviderKind::Command => {}
        k => {
            if p.model.trim().is_empty() {
                return Err(SetupError::config(
                    format!("{table}.model is empty"),
                    format!("set {table}.model to a model {k} serves (e.g. gpt-4o-mini, claude-sonnet-4-5, gemini-2.5-flash)"),
                ));
            }
            if p.keys.is_empty() && !is_loopback(&p.base_url) {
                return Err(SetupError::config(
                    format!("{table}.keys is empty: {k} needs an API key"),
                    format!("set {table}.keys = [\"env:NAME\"] (or file:PATH, cmd:COMMAND); never the key itself. A server on this machine (base_url on localhost or 127.0.0.1) needs none"),
                ));
            }
        }
    }
    Ok(kind)
}

fn limits(p: &ProviderConfig, max_in_flight: usize) -> Limits {
    Limits {
        max_in_flight,
        retries: p.retries,
        max_wait: Duration::from_secs(p.max_wait_s),
        requests_per_minute: p.requests_per_minute,
    }
}

/// One side of the run (reviewer or drafter): its settings and how its keys are named.
struct Side<'a> {
    p: &'a ProviderConfig,
    kind: ProviderKind,
    /// The config table (`provider`, `drafter`), for messages.
    table: &'a str,
    /// Key labels: `key-1`, `drafter-key-1`…
    prefix: &'a str,
}

/// A pool's keys: simulated for `sim`, one keyless slot for a `command` without keys,
/// else the resolved references.
fn pool(
    cfg: &Config,
    side: Side<'_>,
    workers: usize,
    lookup: &Lookup<'_>,
    warnings: &mut Vec<String>,
) -> Result<KeySet, SetupError> {
    let Side {
        p,
        kind,
        table,
        prefix,
    } = side;
    // 0: adapted per key by the coordinator, up to the worker count.
    let max_in_flight = p.max_in_flight;
    if kind == ProviderKind::Sim {
        let keys = (1..=cfg.sim.keys.max(1))
            .map(|i| Secret::new(format!("{prefix}{i}"), format!("sim-key-{i}")))
            .collect();
        return Ok(KeySet {
            keys,
            limits: limits(p, max_in_flight),
        });
    }
    if kind == ProviderKind::Command && p.keys.is_empty() {
        // No key to share out: the command may run once per worker.
        let label = prefix.trim_end_matches("key-").to_string() + "command";
        return Ok(KeySet {
            keys: vec![Secret::new(label, "")],
            limits: limits(p, max_in_flight.max(workers)),
        });
    }
    if p.keys.is_empty() && is_loopback(&p.base_url) {
        // A local server without auth (llama.cpp, Ollama, vLLM): one keyless slot, and no
        // more requests at once than max_in_flight (1 unless set: such a server has a fixed
        // number of slots, queues the rest, and their timeouts run while they wait).
        let label = prefix.trim_end_matches("key-").to_string() + "local";
        return Ok(KeySet {
            keys: vec![Secret::new(label, "")],
            limits: limits(p, max_in_flight.max(1)),
        });
    }
    let resolved = keyref::resolve(&p.keys, &format!("{table}.keys"), prefix, lookup)
        .map_err(|e| SetupError::config(e.msg, e.hint))?;
    warnings.extend(resolved.warnings);
    Ok(KeySet {
        keys: resolved.keys,
        limits: limits(p, max_in_flight),
    })
}

fn backend(
    cfg: &Config,
    p: &ProviderConfig,
    kind: ProviderKind,
    workdir: &Path,
    sim: &Arc<Sim>,
) -> Result<Backend, SetupError> {
    let timeout = Duration::from_secs(p.timeout_s.max(1));
    if let Some(api) = api(kind) {
        let settings = Settings {
            model: p.model.trim().to_string(),
            base_url: p.base_url.trim().to_string(),
            temperature: p.temperature,
            max_tokens: p.max_tokens,
            timeout,
        };
        return Http::new(api, settings)
            .map(Backend::Http)
            .map_err(SetupError::HttpClient);
    }
    Ok(match kind {
        ProviderKind::Command => Backend::Command(CommandProvider {
            command: p.command.clone(),
            model: p.model.clone(),
            timeout,
            workdir: workdir.to_path_buf(),
            hidden_env: cfg
                .trust
                .notes_key
                .trim()
                .strip_prefix("env:")
                .map(|name| vec![name.to_string()])
                .unwrap_or_default(),
        }),
        _ => Backend::Sim(sim.clone()),
    })
}

/// Whether `base_url` points at this machine (`localhost`, `127.0.0.0/8`, `[::1]`): a server
/// there may run without keys.
pub fn is_loopback(base_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base_url.trim()) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// The token budget a provider's prompts are checked against: `context_tokens`, else the
/// known context of an HTTP provider's model; and the max_tokens actually sent.
fn budget(p: &ProviderConfig, kind: ProviderKind) -> TokenBudget {
    let http = api(kind).is_some();
    let context = match p.context_tokens {
        0 if http => known_context(&p.model).unwrap_or(0),
        n => n,
    };
    let max_tokens = match kind {
        ProviderKind::Anthropic => anthropic::max_tokens(p.max_tokens),
        _ => p.max_tokens,
    };
    TokenBudget {
        context,
        max_tokens,
    }
}

/// Builds the reviewer and drafter providers and their key pools. `env` looks up environment
/// variables for `env:` references; `workdir` is where `file:` and `cmd:` references resolve;
/// `ci`: the configuration came from the base revision (CI), for the hints.
pub fn build(
    cfg: &Config,
    workdir: &Path,
    workers: usize,
    ci: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Setup, SetupError> {
    // Keys go only to the endpoint configured beside them.
    cfg.check_key_binding()?;
    let reviewer_cfg = &cfg.provider;
    let drafter_cfg = cfg.drafter_provider()?;
    let reviewer_kind = check(reviewer_cfg, "provider", ci)?;
    let drafter_kind = check(&drafter_cfg, "drafter", ci)?;
    let lookup = Lookup { env, base: workdir };
    let mut warnings = Vec::new();
    let reviewer_side = Side {
        p: reviewer_cfg,
        kind: reviewer_kind,
        table: "provider",
        prefix: "key-",
    };
    let mut pools = vec![pool(cfg, reviewer_side, workers, &lookup, &mut warnings)?];
    // The same credentials at the same endpoint share one pool, so their limits are counted once.
    let shared = drafter_kind == reviewer_kind
        && (drafter_kind == ProviderKind::Sim
            || (drafter_cfg.keys == reviewer_cfg.keys
                && drafter_cfg.base_url == reviewer_cfg.base_url));
    let drafter_pool = if shared {
        0
    } else {
        let drafter_side = Side {
            p: &drafter_cfg,
            kind: drafter_kind,
            table: "drafter",
            prefix: "drafter-key-",
        };
        pools.push(pool(cfg, drafter_side, workers, &lookup, &mut warnings)?);
        1
    };
    let redactor = Redactor::new(pools.iter().flat_map(|p| p.keys.iter().cloned()));
    let sim = Arc::new(Sim::new(&cfg.sim));
    let reviewer = Provider::new(
        backend(cfg, reviewer_cfg, reviewer_kind, workdir, &sim)?,
        0,
        redactor.clone(),
    )
    .with_budget(budget(reviewer_cfg, reviewer_kind));
    let drafter = Provider::new(
        backend(cfg, &drafter_cfg, drafter_kind, workdir, &sim)?,
        drafter_pool,
        redactor,
    )
    .with_budget(budget(&drafter_cfg, drafter_kind));
    Ok(Setup {
        reviewer,
        drafter,
        pools,
        warnings,
    })
}

/// What a verdict note's signature must show in this run: with `[trust] notes_key`, a valid
/// signature under it (read only when `read_secret`: a dry run reads no secret); without one,
/// nothing locally and, in CI, no note counts at all.
pub fn note_signatures(
    cfg: &Config,
    ci: bool,
    read_secret: bool,
    workdir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Signatures, SetupError> {
    let reference = cfg.trust.notes_key.trim();
    if reference.is_empty() {
        return Ok(if ci {
            Signatures::Refused
        } else {
            Signatures::Unchecked
        });
    }
    if !read_secret {
        return Ok(Signatures::Present);
    }
    let prov = &cfg.provenance;
    if let (true, Some(file)) = (prov.is_untrusted("trust.notes_key"), &prov.untrusted_file) {
        return Err(SetupError::Invalid(crate::config::ConfigError::Untrusted {
            file: file.clone(),
            keys: vec!["trust.notes_key".into()],
        }));
    }
    let lookup = Lookup { env, base: workdir };
    let resolved = keyref::resolve(
        &[reference.to_string()],
        "trust.notes_key",
        "notes-key-",
        &lookup,
    )
    .map_err(|e| SetupError::config(e.msg, e.hint))?;
    match resolved.keys.into_iter().next() {
        Some(key) if !key.expose().is_empty() => Ok(Signatures::Verified(key)),
        _ => Err(SetupError::config(
            "trust.notes_key gives no key",
            "point it at the secret verdict notes are signed with, e.g. \"env:PARWF_NOTES_KEY\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, ConfigInputs};

    fn config(env: &[(&str, &str)]) -> Config {
        let inputs = ConfigInputs {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ConfigInputs::default()
        };
        config::load(&inputs).expect("config").config
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_drafter_shares_the_pool_unless_it_names_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let get = |n: &str| (n == "K1" || n == "K2").then(|| format!("value-of-{n}"));
        let cfg = config(&[
            ("PARWF_PROVIDER__KIND", "openai"),
            ("PARWF_PROVIDER__MODEL", "gpt-4o-mini"),
            ("PARWF_PROVIDER__KEYS", "env:K1"),
            ("PARWF_DRAFTER__MODEL", "gpt-4o"),
        ]);
        let s = build(&cfg, dir.path(), 3, false, &get).unwrap();
        assert_eq!((s.pools.len(), s.drafter.pool()), (1, 0));
        assert_eq!(s.drafter.label(), "openai/gpt-4o");
        assert_eq!(s.reviewer.label(), "openai/gpt-4o-mini");
        let cfg = config(&[
            ("PARWF_PROVIDER__KIND", "openai"),
            ("PARWF_PROVIDER__MODEL", "gpt-4o-mini"),
            ("PARWF_PROVIDER__KEYS", "env:K1"),
            ("PARWF_DRAFTER__KIND", "anthropic"),
            ("PARWF_DRAFTER__MODEL", "claude-sonnet-4-5"),
            ("PARWF_DRAFTER__KEYS", "env:K2"),
        ]);
        let s = build(&cfg, dir.path(), 3, false, &get).unwrap();
        assert_eq!((s.pools.len(), s.drafter.pool()), (2, 1));
        assert_eq!(s.pools[1].keys[0].label(), "drafter-key-1");
        assert_eq!(s.drafter.label(), "anthropic/claude-sonnet-4-5");
    }

    #[test]
    fn missing_pieces_are_usage_errors_with_hints() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("PARWF_PROVIDER__KIND", "openai")],
                "provider.model is empty",
            ),
            (
                &[
                    ("PARWF_PROVIDER__KIND", "gemini"),
                    ("PARWF_PROVIDER__MODEL", "m"),
                ],
                "provider.keys is empty",
            ),
            (
                &[("PARWF_PROVIDER__KIND", "command")],
                "provider.command is empty",
            ),
            (
                &[
                    ("PARWF_PROVIDER__KIND", "anthropic"),
                    ("PARWF_PROVIDER__MODEL", "m"),
                    ("PARWF_PROVIDER__KEYS", "env:UNSET_KEY"),
                ],
                "environment variable UNSET_KEY is not set",
            ),
        ];
        for (env, want) in cases {
            let e = build(&config(env), dir.path(), 3, false, &no_env).unwrap_err();
            assert!(e.to_string().contains(want), "{e} (wanted {want})");
            assert!(e.is_usage());
            assert!(e.hint().is_some());
        }
    }

    #[test]
    fn a_server_on_this_machine_needs_no_key_and_others_do() {
        for url in [
            "http://localhost:11434/v1",
            "http://127.0.0.1:8080/v1",
            "http://127.1.2.3/v1",
            "http://[::1]:8000/v1",
            "http://LOCALHOST./v1",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "",
            "https://api.openai.com/v1",
            "http://localhost.example.com/v1",
            "http://0.0.0.0:8080/v1",
            "http://10.0.0.1/v1",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(&[
            ("PARWF_PROVIDER__KIND", "openai"),
            ("PARWF_PROVIDER__MODEL", "qwen2.5"),
            ("PARWF_PROVIDER__BASE_URL", "http://127.0.0.1:8080/v1"),
        ]);
        let s = build(&cfg, dir.path(), 4, false, &no_env).unwrap();
        assert_eq!(s.pools[0].keys[0].label(), "local");
        assert_eq!(s.pools[0].limits.max_in_flight, 1);
        assert_eq!(s.drafter.pool(), 0, "the drafter shares the local slot");
        // Reviews and drafts get their own answer budgets.
        assert_eq!(s.reviewer.budget().max_tokens, 4096);
        assert_eq!(s.drafter.budget().max_tokens, 8192);
    }

    #[test]
    fn a_keyless_command_runs_once_per_worker() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(&[
            ("PARWF_PROVIDER__KIND", "command"),
            ("PARWF_PROVIDER__COMMAND", "cat"),
        ]);
        let s = build(&cfg, dir.path(), 4, false, &no_env).unwrap();
        assert_eq!(s.pools[0].keys[0].label(), "command");
        assert_eq!(s.pools[0].limits.max_in_flight, 4);
    }
}

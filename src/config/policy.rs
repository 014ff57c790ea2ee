//! Who may decide what: the settings a repository's `.parwf.toml` may set only once the user
//! trusts the file, and the rule that keys go only to the endpoint configured beside them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::layer::schema_key;
use super::{Config, ConfigError, ProviderKind, Source};

/// Settings that run something, read a file outside the repository, or choose where a request
/// (and a key) goes. A repository's `.parwf.toml` sets them only once `parwf trust` recorded
/// its content; user config, environment and flags are the user's own.
pub const TRUSTED_ONLY: &[&str] = &[
    "provider.kind",
    "provider.command",
    "provider.keys",
    "provider.base_url",
    "provider.allow_insecure_http",
    "prompts_dir",
    "trust.notes_key",
];

/// Settings that change how much runs at once, how a run looks or how strict the local gate
/// is, never what runs or where anything is sent. Every schema key is in one of the two lists
/// (a test holds the schema to it), so a new setting has to be classified.
pub const HARMLESS: &[&str] = &[
    "parallel",
    "max_parallel",
    "max_iterations",
    "fail_on",
    "approve_without_blockers",
    "write",
    "max_document_bytes",
    "lineage_dir",
    // Every `[workflows.<kind>]` is governed by `workflows.lld`'s keys.
    "workflows.lld.paths",
    "workflows.lld.exclude",
    "workflows.lld.id_prefix",
    "workflows.lld.workflow",
    "provider.model",
    "provider.temperature",
    "provider.max_tokens",
    "provider.context_tokens",
    "provider.max_in_flight",
    "provider.requests_per_minute",
    "provider.timeout_s",
    "provider.retries",
    "provider.max_wait_s",
    "sim.latency_ms",
    "sim.jitter_ms",
    "sim.keys",
    "sim.requests_per_window",
    "sim.window_s",
    "hook.mode",
    "hook.timeout_s",
    // Pushes this repository's verdict notes to the remote a push already goes to.
    "hook.push_notes",
];

/// Whether `key` (`drafter.command` counts as `provider.command`) needs a trusted layer.
pub fn trusted_only(key: &str) -> bool {
    TRUSTED_ONLY.contains(&schema_key(key).as_str())
}

/// Where each value of a loaded configuration came from, and what of it is not trusted.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The source of every value.
    pub sources: BTreeMap<String, Source>,
    /// The repository layer's file, to tell its values from the user's.
    pub repo_file: Option<PathBuf>,
    /// The repository's config file, when it sets trusted-only settings it is not trusted for.
    pub untrusted_file: Option<PathBuf>,
    /// Those settings (dotted keys, effective values only).
    pub untrusted: Vec<String>,
}

/// Who set a value: nobody (a default), the user (user file, environment, flags), or the
/// repository (its `.parwf.toml`, trusted, or the base revision's committed one in CI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Default,
    User,
    Repo,
}

impl Provenance {
    /// The source of `key`; defaults for keys nobody set.
    pub fn source(&self, key: &str) -> Source {
        self.sources.get(key).cloned().unwrap_or(Source::Default)
    }

    /// Whether `key` took its value from a file that is not trusted for it.
    pub fn is_untrusted(&self, key: &str) -> bool {
        self.untrusted.iter().any(|k| k == key)
    }

    fn owner(&self, source: &Source) -> Owner {
        match source {
            Source::Default => Owner::Default,
            Source::Committed { .. } => Owner::Repo,
            Source::File { path, .. } if Some(path) == self.repo_file.as_ref() => Owner::Repo,
            _ => Owner::User,
        }
    }

    /// `drafter.X` when the drafter sets it, else `provider.X`: the key that decided the
    /// drafter's value.
    pub(super) fn side_key(&self, table: &str, key: &str) -> String {
        let own = format!("{table}.{key}");
        if table == "drafter" && !self.sources.contains_key(&own) {
            return format!("provider.{key}");
        }
        own
    }
}

impl Config {
    /// Refuses to run anything on a configuration that takes trusted-only settings from a
    /// repository file the user has not trusted (as it is now).
    pub fn check_trusted(&self) -> Result<(), ConfigError> {
        match &self.provenance.untrusted_file {
            Some(file) if !self.provenance.untrusted.is_empty() => Err(ConfigError::Untrusted {
                file: file.clone(),
                keys: self.provenance.untrusted.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// A key is sent only to the endpoint set by whoever set the key: `keys` and the
    /// `base_url` (or, when that is empty, the `kind` whose default host it is; for a
    /// `command` provider, the `command`) must come from the same owner, the user or the
    /// repository. Checked for the reviewer and the drafter.
    pub fn check_key_binding(&self) -> Result<(), ConfigError> {
        let drafter = self.drafter_provider()?;
        for (table, p) in [("provider", &self.provider), ("drafter", &drafter)] {
            let (Some(kind), false) = (p.kind, p.keys.is_empty()) else {
                continue;
            };
            let endpoint = match kind {
                ProviderKind::Sim => continue,
                ProviderKind::Command => "command",
                _ if !p.base_url.trim().is_empty() => "base_url",
                _ => "kind",
            };
            let prov = &self.provenance;
            let keys_key = prov.side_key(table, "keys");
            let endpoint_key = prov.side_key(table, endpoint);
            let (keys_origin, endpoint_origin) =
                (prov.source(&keys_key), prov.source(&endpoint_key));
            if prov.owner(&keys_origin) != prov.owner(&endpoint_origin) {
                return Err(ConfigError::KeyBinding {
                    keys: format!("`{keys_key}` ({keys_origin})"),
                    endpoint: format!("`{endpoint_key}` ({endpoint_origin})"),
                });
            }
        }
        Ok(())
    }
}

/// One trusted-only setting a file sets, as `parwf trust` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    /// The value as TOML; entries of key settings that are not references are not shown.
    pub value: String,
    pub line: usize,
}

/// The trusted-only settings the config text of `path` sets.
pub fn settings_needing_trust(path: &Path, text: &str) -> Result<Vec<Setting>, ConfigError> {
    Ok(super::layer::file_leaves(text, path)?
        .into_iter()
        .filter(|l| trusted_only(&l.key))
        .map(|l| Setting {
            line: l.line,
            value: shown(&l.key, l.value),
            key: l.key,
        })
        .collect())
}

/// A value for display; a key pasted where a reference belongs is never echoed.
fn shown(key: &str, value: toml::Value) -> String {
    let hide = |v: toml::Value| match v {
        toml::Value::String(s) if !is_reference(&s) => {
            toml::Value::String("<not a key reference: not shown>".into())
        }
        other => other,
    };
    if !(key.ends_with(".keys") || key.ends_with(".notes_key")) {
        return value.to_string();
    }
    match value {
        toml::Value::Array(items) => {
            toml::Value::Array(items.into_iter().map(hide).collect()).to_string()
        }
        other => hide(other).to_string(),
    }
}

/// Whether a key setting's entry is a reference (`env:`, `file:`, `cmd:`) rather than key text.
pub(super) fn is_reference(k: &str) -> bool {
    ["env:", "file:", "cmd:"].iter().any(|p| k.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_key_is_classified_once() {
        let defaults: toml::Table = super::super::DEFAULT_CONFIG.parse().unwrap();
        for key in super::super::layer::leaves(&defaults).keys() {
            // `[drafter]` defaults are governed by their `[provider]` key.
            let key = schema_key(key);
            let (a, b) = (
                TRUSTED_ONLY.contains(&key.as_str()),
                HARMLESS.contains(&key.as_str()),
            );
            assert!(
                a ^ b,
                "{key}: classify it in config/policy.rs (TRUSTED_ONLY if it runs something, reads a file outside the repo or picks where a request goes; else HARMLESS)"
            );
        }
        assert!(trusted_only("drafter.command") && trusted_only("drafter.base_url"));
        assert!(!trusted_only("drafter.model"));
    }

    #[test]
    fn only_effective_values_from_an_untrusted_file_are_untrusted() {
        use super::super::{load, trust, Committed, ConfigInputs};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".parwf.toml");
        let text = "parallel = 2\n[provider]\nkind = \"command\"\ncommand = \"run-me\"\n";
        std::fs::write(&file, text).unwrap();
        let store = dir.path().join("state/trusted");
        let mut inputs = ConfigInputs {
            repo_file: Some(file.clone()),
            trust_store: Some(store.clone()),
            env: vec![("PARWF_PROVIDER__COMMAND".into(), "mine".into())],
            ..ConfigInputs::default()
        };
        let c = load(&inputs).unwrap().config;
        assert_eq!(c.provenance.untrusted, ["provider.kind"]);
        assert_eq!(c.parallel, 2, "harmless settings apply untrusted");
        assert!(c.check_trusted().is_err());

        trust::TrustStore::at(&store).trust(&file, text).unwrap();
        assert!(load(&inputs).unwrap().config.check_trusted().is_ok());

        // CI: the committed text replaces the work tree's file and needs no trust.
        inputs.trust_store = None;
        inputs.committed = Some(Committed {
            rev: "0123456789ab".into(),
            text: Some("[provider]\nkind = \"sim\"\n".into()),
        });
        let loaded = load(&inputs).unwrap();
        assert!(loaded.config.check_trusted().is_ok());
        assert_eq!(
            loaded.config.parallel, 3,
            "the work tree's file is not read"
        );
        assert_eq!(
            loaded.config.provenance.source("provider.kind").to_string(),
            ".parwf.toml at 0123456789ab:2"
        );
    }

    #[test]
    fn trust_shows_what_it_trusts_but_never_a_pasted_key() {
        let text = "parallel = 2\n[provider]\nkind = \"command\"\ncommand = \"llm\"\nkeys = [\"env:K\", \"sk-live-123\"]\n";
        let got = settings_needing_trust(Path::new(".parwf.toml"), text).unwrap();
        let lines: Vec<String> = got
            .iter()
            .map(|s| format!("{} = {} @{}", s.key, s.value, s.line))
            .collect();
        assert_eq!(
            lines,
            [
                "provider.command = \"llm\" @4",
                "provider.keys = [\"env:K\", \"<not a key reference: not shown>\"] @5",
                "provider.kind = \"command\" @3",
            ]
        );
    }
}

//! Settings whose value is one of a few words: typed here, checked when the config loads (with
//! the value's source), so nothing later compares them as text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Verdict, WorkflowKind};

/// `[provider] kind` (and `[drafter] kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Gemini,
    Openai,
    Anthropic,
    Command,
    Sim,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::Gemini,
        ProviderKind::Openai,
        ProviderKind::Anthropic,
        ProviderKind::Command,
        ProviderKind::Sim,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Gemini => "gemini",
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Command => "command",
            ProviderKind::Sim => "sim",
        }
    }

    /// An HTTP API (as opposed to a local command or the simulator).
    pub fn is_http(self) -> bool {
        matches!(
            self,
            ProviderKind::Gemini | ProviderKind::Openai | ProviderKind::Anthropic
        )
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `kind = ""` (the default) means no provider is configured.
pub(super) mod kind_or_empty {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<ProviderKind>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.map_or("", ProviderKind::name))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ProviderKind>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.name() == text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown provider kind `{text}`")))
    }
}

/// `write` / `--write`: where a run's results go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// A verdict note per reviewed document (the default; also the cache).
    Notes,
    /// Notes, plus revised documents and lineage files in one commit on the current branch.
    Commit,
    /// Nothing but checkpoints.
    None,
}

impl WriteMode {
    pub const ALL: [WriteMode; 3] = [WriteMode::Notes, WriteMode::Commit, WriteMode::None];

    /// The word in the config and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WriteMode::Notes => "notes",
            WriteMode::Commit => "commit",
            WriteMode::None => "none",
        }
    }
}

/// `[hook] mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookMode {
    /// Each changed document needs a passing verdict note (no network).
    Check,
    /// Run the missing reviews first, then check.
    Review,
    /// Let every push through.
    Off,
}

/// The words a choice-valued key accepts, by schema key; `None` for free-form keys.
pub(super) fn words(schema_key: &str) -> Option<Vec<&'static str>> {
    Some(match schema_key {
        "provider.kind" => std::iter::once("")
            .chain(ProviderKind::ALL.map(ProviderKind::name))
            .collect(),
        "write" => WriteMode::ALL.map(WriteMode::name).to_vec(),
        "hook.mode" => vec!["check", "review", "off"],
        "workflows.lld.workflow" => WorkflowKind::ALL.map(WorkflowKind::name).to_vec(),
        "fail_on" => Verdict::ALL.map(Verdict::as_str).to_vec(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_word_deserializes() {
        assert_eq!(words("write").unwrap(), ["notes", "commit", "none"]);
        for w in words("write").unwrap() {
            let v: WriteMode = toml::Value::String(w.into()).try_into().unwrap();
            assert_eq!(toml::Value::try_from(v).unwrap().as_str(), Some(w));
            assert_eq!(v.name(), w);
        }
        for w in words("hook.mode").unwrap() {
            let _: HookMode = toml::Value::String(w.into()).try_into().unwrap();
        }
        for w in words("fail_on").unwrap() {
            let _: Verdict = toml::Value::String(w.into()).try_into().unwrap();
        }
        for w in words("provider.kind").unwrap().into_iter().skip(1) {
            let _: ProviderKind = toml::Value::String(w.into()).try_into().unwrap();
        }
    }
}

//! Config layers as flat `dotted.key → value` maps: schema checks, merging, locating keys in files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::Source;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {1}", path = .0.display())]
    Read(PathBuf, String),
    /// Not TOML: where (1-based line and column) and what, on one line.
    #[error("{path}:{line}:{column}: not valid TOML: {msg}", path = .path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        msg: String,
    },
    #[error("`{key}` ({origin}) must be {want}")]
    Type {
        key: String,
        want: &'static str,
        origin: Source,
    },
    #[error("`{key}` ({origin}): {msg}")]
    Invalid {
        key: String,
        msg: String,
        origin: Source,
    },
    /// A repository file sets trusted-only settings and the user has not trusted it.
    #[error("{path} is not trusted: it sets {keys} (settings that run commands, read files or choose where requests and keys go)", path = .file.display(), keys = .keys.join(", "))]
    Untrusted { file: PathBuf, keys: Vec<String> },
    /// Keys would go to an endpoint someone else configured. Both name a setting and where it
    /// was set: `` `provider.keys` (~/.config/parwf/config.toml:3) ``.
    #[error("{keys} would be sent to the endpoint {endpoint}, set elsewhere: keys go only where the layer that set them says")]
    KeyBinding { keys: String, endpoint: String },
    #[error("internal configuration error: {0}")]
    Internal(String),
}

impl ConfigError {
    pub(super) fn parse(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
        let start = e.span().map_or(0, |s| s.start.min(text.len()));
        // The span's start is a byte offset; step back to a character boundary.
        let start = (0..=start)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        // toml's message can span lines ("invalid table header\nexpected `.`, `]`").
        let msg = e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            msg,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Invalid { key, .. } if key.ends_with(".keys") => Some(
                "keys are references: \"env:NAME\", \"file:PATH\" or \"cmd:COMMAND\"; never put a key in a config file"
                    .into(),
            ),
            ConfigError::Invalid { key, .. } if key == "trust.notes_key" => Some(
                "notes_key is a reference: \"env:NAME\", \"file:PATH\" or \"cmd:COMMAND\"".into(),
            ),
            ConfigError::Untrusted { .. } => Some(
                "read the file, then run `parwf trust` (it shows what it trusts); --dry-run, `parwf config show` and `parwf status` work without it".into(),
            ),
            ConfigError::KeyBinding { .. } => Some(
                "set the keys and their endpoint (base_url, or kind for its own host; command) in the same place: both in your user config or environment, or both in the trusted .parwf.toml".into(),
            ),
            ConfigError::Internal(_) => None,
            // `parwf config show` would fail on the same file: point at the file itself.
            ConfigError::Parse { .. } => Some(
                "fix the file at that line and column: `key = value`, strings in \"quotes\", [table] headers closed; each key once".into(),
            ),
            ConfigError::Read(..) => Some("check that the file exists and is readable".into()),
            ConfigError::Invalid { key, .. } if key == "parallel" => Some(
                "set parallel to at most max_parallel (or raise max_parallel), or pass -j N".into(),
            ),
            _ => Some("`parwf config show` lists every key in effect; `parwf init` writes a commented .parwf.toml (in a repo without one)".into()),
        }
    }
}

/// Why one value was not taken.
pub(super) enum Problem {
    Unknown,
    Type(&'static str),
    /// A word outside the key's choices; the message lists them.
    Choice(String),
}

/// Flattens a table into `dotted.key → leaf value` (arrays are leaves).
pub(super) fn leaves(t: &Table) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, t: &Table, out: &mut BTreeMap<String, Value>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Table(inner) => walk(&key, inner, out),
                leaf => {
                    out.insert(key, leaf.clone());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", t, &mut out);
    out
}

/// One value a config file sets, and the line it is on.
pub(super) struct FileLeaf {
    pub key: String,
    pub value: Value,
    pub line: usize,
}

/// A config file's text flattened ([`leaves`], in key order), each value with its line;
/// `shown` names the file in a parse error.
pub(super) fn file_leaves(text: &str, shown: &Path) -> Result<Vec<FileLeaf>, ConfigError> {
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::parse(shown, text, &e))?;
    Ok(leaves(&table)
        .into_iter()
        .map(|(key, value)| FileLeaf {
            line: line_of(text, &key),
            key,
            value,
        })
        .collect())
}

/// The schema key that governs `key`: `drafter.X` takes `provider.X`'s type, and every
/// document kind `workflows.<name>.X` the built-in `workflows.lld.X`'s.
pub(super) fn schema_key(key: &str) -> String {
    if let Some(rest) = key.strip_prefix("drafter.") {
        return format!("provider.{rest}");
    }
    if let Some((_, field)) = key
        .strip_prefix("workflows.")
        .and_then(|rest| rest.split_once('.'))
    {
        return format!("workflows.lld.{field}");
    }
    key.to_string()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
        Value::Datetime(_) => "a date",
    }
}

/// Checks `value` against the default's type; integers are accepted where numbers are expected.
pub(super) fn check(
    schema: &BTreeMap<String, Value>,
    key: &str,
    value: &Value,
) -> Result<Value, Problem> {
    let schema_key = schema_key(key);
    let Some(want) = schema.get(&schema_key) else {
        return Err(Problem::Unknown);
    };
    let checked = match (want, value) {
        (Value::Float(_), Value::Integer(i)) => Ok(Value::Float(*i as f64)),
        (Value::Integer(_), Value::Integer(i)) if *i < 0 => Err(Problem::Type("zero or more")),
        (Value::Array(_), Value::Array(items)) => {
            if items.iter().all(|i| matches!(i, Value::String(_))) {
                Ok(value.clone())
            } else {
                Err(Problem::Type("a list of strings"))
            }
        }
        (w, v) if std::mem::discriminant(w) == std::mem::discriminant(v) => Ok(v.clone()),
        (w, _) => Err(Problem::Type(type_name(w))),
    }?;
    if let Some(words) = super::choices::words(&schema_key) {
        let strings = match &checked {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect::<Vec<_>>(),
        };
        if let Some(bad) = strings.into_iter().find(|s| !words.contains(s)) {
            let shown: Vec<String> = words
                .iter()
                .map(|w| {
                    if w.is_empty() {
                        "\"\"".to_string()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            return Err(Problem::Choice(format!(
                "`{bad}` is not one of {}",
                shown.join(", ")
            )));
        }
    }
    Ok(checked)
}

/// Parses an environment variable's text by the type the key has in the schema.
pub(super) fn env_value(
    schema: &BTreeMap<String, Value>,
    key: &str,
    raw: &str,
) -> Result<Value, Problem> {
    let Some(want) = schema.get(&schema_key(key)) else {
        return Err(Problem::Unknown);
    };
    let raw = raw.trim();
    Ok(match want {
        Value::Integer(_) => Value::Integer(raw.parse().map_err(|_| Problem::Type("an integer"))?),
        Value::Float(_) => Value::Float(raw.parse().map_err(|_| Problem::Type("a number"))?),
        Value::Boolean(_) => match raw {
            "1" | "true" | "yes" => Value::Boolean(true),
            "0" | "false" | "no" => Value::Boolean(false),
            _ => return Err(Problem::Type("true or false")),
        },
        Value::Array(_) => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        _ => Value::String(raw.to_string()),
    })
}

/// Sets `dotted.key` in a table, creating intermediate tables.
pub(super) fn set(t: &mut Table, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = t;
    for p in parts {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(next) = entry else { return };
        cur = next;
    }
    cur.insert(last.to_string(), value);
}

/// The 1-based line where `dotted.key` is written in a TOML text (0 when not found).
///
/// Tracks `[table]` headers and matches `key =` (bare, quoted or dotted); good enough to point a
/// user at the line, which is all it is used for.
pub(super) fn line_of(text: &str, key: &str) -> usize {
    let mut table = String::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix('[').and_then(|h| h.split(']').next()) {
            table = h.trim_matches(['[', ' ']).replace([' ', '"'], "");
            continue;
        }
        let Some((lhs, _)) = l.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim().replace([' ', '"', '\''], "");
        let full = if table.is_empty() {
            lhs
        } else {
            format!("{table}.{lhs}")
        };
        if full == key {
            return i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_finds_keys_in_tables() {
        let text = "parallel = 2\n\n[provider]\n# c\nkind = \"sim\"\n[workflows.lld]\npaths = []\n";
        assert_eq!(line_of(text, "parallel"), 1);
        assert_eq!(line_of(text, "provider.kind"), 5);
        assert_eq!(line_of(text, "workflows.lld.paths"), 7);
        assert_eq!(line_of(text, "nope"), 0);
    }
}

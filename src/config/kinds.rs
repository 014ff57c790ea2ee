//! `[workflows.<name>]`: the kinds of document, checked when the config loads (globs that
//! parse, a workflow for every kind, ID prefixes that make valid IDs), each error naming the
//! file and line of the value.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ConfigError, Source};
use crate::model::{DocKind, WorkflowKind};

/// `[workflows.<name>]` as written; unset keys take the kind's defaults.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowConfig {
    pub paths: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Unset: the kind's name in capitals (`spec` → `SPEC-12`).
    #[serde(default)]
    pub id_prefix: Option<String>,
    /// Unset: the workflow of the same name (only `lld` and `issue` have one).
    #[serde(default)]
    pub workflow: Option<WorkflowKind>,
}

/// The longest ID prefix: IDs are at most 64 bytes, and the number or name must fit too.
const MAX_PREFIX: usize = 32;

/// The document kinds in `workflows`, in name order, validated; `source` says where a key
/// was set.
pub(super) fn kinds(
    workflows: &BTreeMap<String, WorkflowConfig>,
    source: &dyn Fn(&str) -> Source,
) -> Result<Vec<DocKind>, ConfigError> {
    let mut kinds = Vec::with_capacity(workflows.len());
    for (name, w) in workflows {
        let key = |field: &str| format!("workflows.{name}.{field}");
        let bad = |field: &str, msg: String| ConfigError::Invalid {
            key: key(field),
            msg,
            origin: source(&key(field)),
        };
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(bad(
                "paths",
                format!("`{name}` is not a kind name (ASCII letters, digits, - and _)"),
            ));
        }
        let workflow = match w.workflow.or_else(|| WorkflowKind::parse(name)) {
            Some(wf) => wf,
            None => {
                let mut e = bad(
                    "workflow",
                    "is not set: which review do these documents get, lld or issue?".into(),
                );
                // Point at the kind's paths when its workflow is written nowhere.
                if let ConfigError::Invalid { origin, .. } = &mut e {
                    if *origin == Source::Default {
                        *origin = source(&key("paths"));
                    }
                }
                return Err(e);
            }
        };
        let id_prefix = w.id_prefix.clone().unwrap_or_else(|| name.to_uppercase());
        let prefix_ok = id_prefix.len() <= MAX_PREFIX
            && id_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !prefix_ok {
            return Err(bad(
                "id_prefix",
                format!(
                    "`{id_prefix}` cannot start an ID: use at most {MAX_PREFIX} ASCII letters, digits, - and _"
                ),
            ));
        }
        for (field, globs) in [("paths", &w.paths), ("exclude", &w.exclude)] {
            for glob in globs {
                if let Err(e) = parse_glob(glob) {
                    return Err(bad(field, format!("invalid glob `{glob}`: {}", e.kind())));
                }
            }
        }
        kinds.push(DocKind {
            name: name.clone(),
            workflow,
            id_prefix,
            paths: w.paths.clone(),
            exclude: w.exclude.clone(),
        });
    }
    Ok(kinds)
}

/// A glob as discovery reads it: `*` stays within one directory, `**` crosses them.
/// Errors name the problem (`e.kind()`), not the whole glob, which callers already show.
pub fn parse_glob(glob: &str) -> Result<globset::Glob, globset::Error> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
}

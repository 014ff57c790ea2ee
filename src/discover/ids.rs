//! Document IDs: `LLD-42` from the file name, made unique within a discovery.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use git2::Oid;
use sha2::{Digest, Sha256};

use super::{one_line, DiscoverError, Selected};
use crate::model::{Item, WorkflowKind};

/// True when `id` matches `^[A-Za-z0-9_-]{1,64}$`, the shape every document ID has.
pub fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

const MAX_ID_LEN: usize = 64;
/// Hex digits of SHA-256(path) appended to IDs shared by several documents.
const DUP_SUFFIX_LEN: usize = 6;

/// Derives the ID of a document from its path: `LLD-42` from the first number in the stem,
/// else the sanitized stem. Refuses IDs outside `^[A-Za-z0-9_-]{1,64}$`.
pub fn derive_id(kind: WorkflowKind, path: &str) -> Result<String, DiscoverError> {
    let refuse = |reason: String| {
        Err(DiscoverError::BadId {
            path: one_line(path),
            reason,
        })
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.is_empty() {
        return refuse("the path has no file name".to_string());
    }
    // A newline or NUL in a file name is either an accident or an attack; never guess.
    if name.chars().any(char::is_control) {
        return refuse("the file name contains a control character (NUL, newline, …)".into());
    }
    let prefix = kind.id_prefix();
    let Some(key) = name_key(name) else {
        return refuse(
            "the name has no digits and no ASCII letters to make an ID from".to_string(),
        );
    };
    let id = format!("{prefix}-{key}");
    if id.len() > MAX_ID_LEN {
        return refuse(format!(
            "the ID would be {} bytes long (at most {MAX_ID_LEN})",
            id.len()
        ));
    }
    debug_assert!(is_valid_id(&id), "{id}");
    Ok(id)
}

/// The part of an ID a file name gives, without the workflow prefix: the first number in the
/// stem with leading zeros stripped (`LLD-042-cache.md` → `42`), else the stem with every run
/// of characters outside `[A-Za-z0-9_]` turned into one `-`. `None` when nothing is left.
pub(super) fn name_key(name: &str) -> Option<Cow<'_, str>> {
    let stem = match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    };
    if let Some(start) = stem.find(|c: char| c.is_ascii_digit()) {
        let digits = &stem[start..];
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let number = digits[..end].trim_start_matches('0');
        return Some(Cow::Borrowed(if number.is_empty() { "0" } else { number }));
    }
    let mut clean = String::with_capacity(stem.len());
    for c in stem.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        };
        if !(c == '-' && clean.ends_with('-')) {
            clean.push(c);
        }
    }
    let clean = clean.trim_matches('-');
    (!clean.is_empty()).then(|| Cow::Owned(clean.to_string()))
}

/// Gives every selected document its ID. IDs shared with another selected document or a
/// document in HEAD get a suffix from the path, so they stay distinct and stable.
pub(super) fn assign_ids(
    selected: BTreeMap<String, Selected>,
    in_head: &BTreeMap<String, (WorkflowKind, Oid)>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Item>, DiscoverError> {
    // Base ID of every selected document, then the paths that share one of those base IDs
    // (usually none: most runs allocate nothing more than the IDs themselves).
    let mut items = Vec::with_capacity(selected.len());
    for (path, s) in selected {
        let id = derive_id(s.kind, &path)?;
        items.push(Item {
            id,
            workflow: s.kind,
            blob: s.blob.to_string(),
            source: s.source,
            path,
        });
    }
    let mut groups: HashMap<&str, Vec<&str>> = HashMap::with_capacity(items.len());
    for item in &items {
        groups.entry(&item.id).or_default().push(&item.path);
    }
    let mut others: Vec<(String, &str)> = Vec::new();
    for (path, &(kind, _)) in in_head {
        // `items` is in path order (it came from a BTreeMap).
        if items
            .binary_search_by(|i| i.path.as_str().cmp(path))
            .is_ok()
        {
            continue;
        }
        // An unselected document with an unusable name is not this run's problem.
        if let Ok(id) = derive_id(kind, path) {
            if groups.contains_key(id.as_str()) {
                others.push((id, path));
            }
        }
    }
    for (id, path) in &others {
        if let Some(g) = groups.get_mut(id.as_str()) {
            g.push(path);
        }
    }
    let mut shared: BTreeMap<String, Vec<String>> = groups
        .into_iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(id, paths)| {
            (
                id.to_string(),
                paths.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect();
    if shared.is_empty() {
        return Ok(items);
    }
    for paths in shared.values_mut() {
        paths.sort_unstable();
    }

    // Lengthen the suffix in the (astronomically unlikely) case it collides with another ID.
    let mut len = DUP_SUFFIX_LEN;
    let suffixed = loop {
        let suffixed: HashMap<&str, String> = shared
            .iter()
            .flat_map(|(id, paths)| {
                paths
                    .iter()
                    .map(move |p| (p.as_str(), suffixed_id(id, p, len)))
            })
            .collect();
        let mut all: HashSet<&str> = items
            .iter()
            .filter(|i| !shared.contains_key(&i.id))
            .map(|i| i.id.as_str())
            .collect();
        if suffixed.values().all(|id| all.insert(id)) || len >= 32 {
            break suffixed;
        }
        len += 2;
    };

    for (id, paths) in &shared {
        let list: Vec<String> = paths
            .iter()
            .map(|p| format!("{p} → {}", suffixed[p.as_str()]))
            .collect();
        warnings.push(format!(
            "{} documents share ID {id}: {}",
            paths.len(),
            list.join(", ")
        ));
    }
    for item in &mut items {
        if let Some(id) = suffixed.get(item.path.as_str()) {
            item.id = id.clone();
        }
    }
    Ok(items)
}

/// `BASE-xxxxxx` with the first `len` hex digits of SHA-256(path), cut to fit 64 bytes.
fn suffixed_id(base: &str, path: &str, len: usize) -> String {
    let digest = Sha256::digest(path.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let room = MAX_ID_LEN - 1 - len;
    // IDs are ASCII, so cutting at a byte index is safe.
    let base = if base.len() > room {
        base[..room].trim_end_matches('-')
    } else {
        base
    };
    format!("{base}-{}", &hex[..len])
}

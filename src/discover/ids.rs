//! Document IDs: `LLD-42` from the file name, made unique within a discovery.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use git2::Oid;
use sha2::{Digest, Sha256};

use super::{one_line, DiscoverError, Item, Selected, WorkflowKind};

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
    // Base ID of every selected document, then every path sharing one of those base IDs.
    let mut base: BTreeMap<&str, String> = BTreeMap::new();
    for (path, s) in &selected {
        base.insert(path, derive_id(s.kind, path)?);
    }
    let wanted: HashSet<&str> = base.values().map(String::as_str).collect();
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (path, id) in &base {
        groups.entry(id.clone()).or_default().push(path);
    }
    for (path, &(kind, _)) in in_head {
        if base.contains_key(path.as_str()) {
            continue;
        }
        // An unselected document with an unusable name is not this run's problem.
        if let Ok(id) = derive_id(kind, path) {
            if wanted.contains(id.as_str()) {
                groups.entry(id).or_default().push(path);
            }
        }
    }
    for paths in groups.values_mut() {
        paths.sort_unstable();
    }

    // Lengthen the suffix in the (astronomically unlikely) case it collides with another ID.
    let mut len = DUP_SUFFIX_LEN;
    let ids = loop {
        let mut all: HashSet<String> = HashSet::new();
        let mut unique = true;
        let mut ids: BTreeMap<&str, String> = BTreeMap::new();
        for (id, paths) in &groups {
            for path in paths {
                let final_id = if paths.len() > 1 {
                    suffixed_id(id, path, len)
                } else {
                    id.clone()
                };
                unique &= all.insert(final_id.clone());
                ids.insert(path, final_id);
            }
        }
        if unique || len >= 32 {
            break ids;
        }
        len += 2;
    };

    for (id, paths) in &groups {
        if paths.len() > 1 {
            let list: Vec<String> = paths.iter().map(|p| format!("{p} → {}", ids[p])).collect();
            warnings.push(format!(
                "{} documents share ID {id}: {}",
                paths.len(),
                list.join(", ")
            ));
        }
    }

    let mut ids: BTreeMap<String, String> =
        ids.into_iter().map(|(p, id)| (p.to_string(), id)).collect();
    Ok(selected
        .into_iter()
        .map(|(path, s)| Item {
            id: ids.remove(&path).unwrap_or_default(),
            workflow: s.kind,
            blob: s.blob.to_string(),
            source: s.source,
            path,
        })
        .collect())
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

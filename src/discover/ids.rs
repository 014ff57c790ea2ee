//! Document IDs: `LLD-42` from the file name and the kind's prefix, made unique against every
//! document in HEAD the same way on every run.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use git2::Oid;

use super::paths::Kind;
use super::{one_line, DiscoverError, Selected};
use crate::model::{DocKind, Item, WorkflowKind};

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

/// Derives the ID of a document of a built-in kind from its path: `LLD-42` from the first
/// number in the stem, else the sanitized stem. Refuses IDs outside `^[A-Za-z0-9_-]{1,64}$`.
pub fn derive_id(kind: WorkflowKind, path: &str) -> Result<String, DiscoverError> {
    id_with_prefix(kind.id_prefix(), path)
}

/// The ID of a document whose kind's IDs start with `prefix` (`SPEC` → `SPEC-12`; empty →
/// the bare number or stem). It depends on the path's file name and the prefix only.
pub fn id_with_prefix(prefix: &str, path: &str) -> Result<String, DiscoverError> {
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
    let Some(key) = name_key(name) else {
        return refuse(
            "the name has no digits and no ASCII letters to make an ID from".to_string(),
        );
    };
    let id = if prefix.is_empty() {
        key.into_owned()
    } else {
        format!("{prefix}-{key}")
    };
    if id.len() > MAX_ID_LEN {
        return refuse(format!(
            "the ID would be {} bytes long (at most {MAX_ID_LEN})",
            id.len()
        ));
    }
    debug_assert!(is_valid_id(&id), "{id}");
    Ok(id)
}

/// Whether the file name spells the ID itself (`LLD-088.md`, `lld_88-cache.md` for `LLD-88`)
/// rather than holding its number somewhere (`spec-0088-readiness.md`): such a document keeps
/// the bare ID when others share it.
fn spells_id(prefix: &str, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let rest = if prefix.is_empty() {
        name.as_str()
    } else {
        match name.strip_prefix(&prefix.to_ascii_lowercase()) {
            Some(rest) => rest.strip_prefix(['-', '_']).unwrap_or(rest),
            None => return false,
        }
    };
    rest.starts_with(|c: char| c.is_ascii_digit())
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

/// A selected document whose file name gives no valid ID: it fails alone, under a stand-in
/// ID made from its path, instead of stopping the whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub item: Item,
    /// Why it has no ID (one line, its path escaped), and what to do.
    pub reason: String,
}

/// How many collisions the warning spells out before it counts the rest.
const SHOWN_COLLISIONS: usize = 3;

/// Gives every selected document its ID. A document whose ID another document (selected, or
/// anywhere in HEAD) has too keeps it only if its name spells it (`LLD-088.md`); the others get
/// a suffix from their own path, so every run gives them the same IDs.
pub(super) fn assign_ids(
    selected: BTreeMap<String, Selected>,
    in_head: &BTreeMap<String, (Kind, Oid)>,
    kinds: &[DocKind],
    warnings: &mut Vec<String>,
) -> (Vec<Item>, Vec<Unusable>) {
    let mut items = Vec::with_capacity(selected.len());
    let mut unusable = Vec::new();
    for (path, s) in selected {
        let kind = &kinds[s.kind];
        let make = |id: String, path: String| Item {
            id,
            kind: kind.name.clone(),
            workflow: kind.workflow,
            blob: s.blob.to_string(),
            source: s.source,
            path,
        };
        match id_with_prefix(&kind.id_prefix, &path) {
            Ok(id) => items.push(make(id, path)),
            Err(e) => {
                let base = if kind.id_prefix.is_empty() {
                    "badname".to_string()
                } else {
                    format!("{}-badname", kind.id_prefix)
                };
                let id = suffixed_id(&base, &path, DUP_SUFFIX_LEN);
                let reason = match e.hint() {
                    Some(h) => format!("{e}; {h}"),
                    None => e.to_string(),
                };
                unusable.push(Unusable {
                    item: make(id, path),
                    reason,
                });
            }
        }
    }
    // Paths per ID: every selected document, then the unselected ones in HEAD with one of
    // those IDs (usually none: most runs allocate nothing more than the IDs themselves).
    let mut groups: HashMap<&str, Vec<(&str, &str)>> = HashMap::with_capacity(items.len());
    for item in &items {
        let prefix = kinds
            .iter()
            .find(|k| k.name == item.kind)
            .map_or("", |k| k.id_prefix.as_str());
        groups
            .entry(&item.id)
            .or_default()
            .push((&item.path, prefix));
    }
    let mut others: Vec<(String, &str, &str)> = Vec::new();
    for (path, &(kind, _)) in in_head {
        // `items` is in path order (it came from a BTreeMap).
        if items
            .binary_search_by(|i| i.path.as_str().cmp(path))
            .is_ok()
        {
            continue;
        }
        let prefix = kinds[kind].id_prefix.as_str();
        // An unselected document with an unusable name is not this run's problem.
        if let Ok(id) = id_with_prefix(prefix, path) {
            if groups.contains_key(id.as_str()) {
                others.push((id, path, prefix));
            }
        }
    }
    for (id, path, prefix) in &others {
        if let Some(g) = groups.get_mut(id.as_str()) {
            g.push((path, prefix));
        }
    }
    let mut shared: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    for (id, mut members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
        members.sort_unstable();
        let spelled = members.iter().filter(|(p, x)| spells_id(x, p)).count();
        let members = members
            .iter()
            .map(|(p, x)| (p.to_string(), spelled == 1 && spells_id(x, p)))
            .collect();
        shared.insert(id.to_string(), members);
    }
    if shared.is_empty() {
        return (items, unusable);
    }

    // Lengthen the suffix in the (astronomically unlikely) case it collides with another ID.
    let mut len = DUP_SUFFIX_LEN;
    let suffixed = loop {
        let suffixed: HashMap<&str, String> = shared
            .iter()
            .flat_map(|(id, members)| {
                members
                    .iter()
                    .filter(|(_, keeps)| !keeps)
                    .map(move |(p, _)| (p.as_str(), suffixed_id(id, p, len)))
            })
            .collect();
        let mut all: HashSet<&str> = items
            .iter()
            .filter(|i| !suffixed.contains_key(i.path.as_str()))
            .map(|i| i.id.as_str())
            .collect();
        if suffixed.values().all(|id| all.insert(id)) || len >= 32 {
            break suffixed;
        }
        len += 2;
    };

    // One warning for the run, about the selected documents whose ID changed.
    let mut told = Vec::new();
    for item in &items {
        let Some(new_id) = suffixed.get(item.path.as_str()) else {
            continue;
        };
        let Some(members) = shared.get(&item.id) else {
            continue;
        };
        let mut beside = members.iter().map(|(p, _)| p).filter(|p| **p != item.path);
        let first = beside.next().map(|p| one_line(p)).unwrap_or_default();
        let more = match beside.count() {
            0 => String::new(),
            n => format!(" and {n} other(s)"),
        };
        told.push(format!(
            "{} → {new_id} (shares {} with {first}{more})",
            one_line(&item.path),
            item.id
        ));
    }
    if !told.is_empty() {
        let total = told.len();
        let mut list = told[..total.min(SHOWN_COLLISIONS)].join(", ");
        if total > SHOWN_COLLISIONS {
            list.push_str(&format!(", and {} more", total - SHOWN_COLLISIONS));
        }
        warnings.push(format!(
            "{total} document(s) share an ID with another and get a suffix from their path: {list}; an id_prefix or exclude under [workflows.<kind>] gives them IDs of their own"
        ));
    }
    for item in &mut items {
        if let Some(id) = suffixed.get(item.path.as_str()) {
            item.id = id.clone();
        }
    }
    (items, unusable)
}

/// `BASE-xxxxxx` with the first `len` hex digits of SHA-256(path), cut to fit 64 bytes.
fn suffixed_id(base: &str, path: &str, len: usize) -> String {
    let hex = crate::digest::sha256_hex(path.as_bytes());
    let room = MAX_ID_LEN - 1 - len;
    // IDs are ASCII, so cutting at a byte index is safe.
    let base = if base.len() > room {
        base[..room].trim_end_matches('-')
    } else {
        base
    };
    format!("{base}-{}", &hex[..len])
}

//! What a push sends: git's pre-push input lines, and for each pushed branch the base its
//! changed documents are compared with.

use std::collections::HashSet;
use std::io::{BufRead, Read};

use git2::{ErrorCode, Oid, Repository};

use super::history::git;
use super::DiscoverError;

/// One line of git's pre-push input: `<local ref> <local oid> <remote ref> <remote oid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub local_ref: String,
    pub local_oid: String,
    pub remote_ref: String,
    pub remote_oid: String,
}

fn is_oid(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// The longest pre-push input line accepted: two ref names and two OIDs fit many times over,
/// and a stream that is not git's fails at once instead of filling memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Why git's pre-push input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading stdin failed.
    #[error("cannot read the pre-push input: {0}")]
    Read(#[from] std::io::Error),
    /// A line is not git's; the message quotes its start.
    #[error("{0}")]
    Line(String),
}

/// Reads git's pre-push input line by line, up to the first line that is not git's. Blank
/// lines are skipped and a missing final newline is fine. Ref names that are not UTF-8 are
/// read lossily: the OIDs, which decide what is checked, are ASCII either way.
pub fn read_input(mut input: impl BufRead) -> Result<Vec<RefUpdate>, InputError> {
    let mut updates = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        if input.by_ref().take(limit).read_until(b'\n', &mut line)? == 0 {
            return Ok(updates);
        }
        let text = String::from_utf8_lossy(&line);
        if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            return Err(InputError::Line(format!(
                "a pre-push input line is longer than {MAX_LINE_BYTES} bytes: {}",
                quote(&text)
            )));
        }
        if !text.trim_ascii().is_empty() {
            updates.push(RefUpdate::parse(&text)?);
        }
    }
}

/// The start of an input line, escaped onto one line.
fn quote(line: &str) -> String {
    const SHOWN: usize = 100;
    let line = line.trim_end_matches(['\n', '\r']);
    let start: String = line.chars().take(SHOWN).collect();
    let more = if line.chars().nth(SHOWN).is_some() {
        "…"
    } else {
        ""
    };
    format!("`{}`{more}", start.escape_debug())
}

impl RefUpdate {
    /// Parses one input line; the error quotes (the start of) it.
    pub fn parse(line: &str) -> Result<RefUpdate, InputError> {
        // Git separates the fields with single spaces; a ref name may hold Unicode spaces.
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        match parts.as_slice() {
            [lr, lo, rr, ro] if is_oid(lo) && is_oid(ro) => Ok(RefUpdate {
                local_ref: lr.to_string(),
                local_oid: lo.to_string(),
                remote_ref: rr.to_string(),
                remote_oid: ro.to_string(),
            }),
            _ => Err(InputError::Line(format!(
                "unexpected pre-push input line {}: expected `<local ref> <local oid> <remote ref> <remote oid>`",
                quote(line)
            ))),
        }
    }

    /// The remote branch is deleted (`git push origin :branch`).
    pub fn is_deletion(&self) -> bool {
        is_zero(&self.local_oid)
    }

    /// The remote branch does not exist yet.
    pub fn is_new(&self) -> bool {
        is_zero(&self.remote_oid)
    }

    /// Only branches are checked; tags, notes and other refs pass.
    pub fn is_branch(&self) -> bool {
        self.remote_ref.starts_with("refs/heads/")
    }
}

/// A tree range whose changed documents must be approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRange {
    /// The remote branch being updated (`refs/heads/feature`).
    pub remote_ref: String,
    /// Base commit OID; `None` = the empty tree (every document in `head`).
    pub base: Option<String>,
    /// The pushed commit OID.
    pub head: String,
    /// What the base is, for messages and the suggested `git parwf --since …` (`origin/main`).
    pub base_label: Option<String>,
}

/// The ranges to check for a push to `remote`. A deletion, a tag, or a branch whose commits
/// are all on remote-tracking refs gives none.
pub fn push_ranges(
    repo: &Repository,
    remote: &str,
    updates: &[RefUpdate],
) -> Result<Vec<PushRange>, DiscoverError> {
    let wanted: Vec<&RefUpdate> = updates
        .iter()
        .filter(|u| u.is_branch() && !u.is_deletion())
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    for u in wanted {
        let head = Oid::from_str(&u.local_oid).map_err(git)?;
        let range = |base: Option<Oid>, base_label: Option<String>| PushRange {
            remote_ref: u.remote_ref.clone(),
            base: base.map(|b| b.to_string()),
            head: u.local_oid.clone(),
            base_label,
        };
        // An update: compare with the fork point of what the remote has (a fast-forward's
        // fork point is the old tip; a force push's is where the histories parted).
        if !u.is_new() {
            let old = Oid::from_str(&u.remote_oid).map_err(git)?;
            if repo.find_commit(old).is_ok() {
                if let Some(base) = merge_base(repo, old, head)? {
                    ranges.push(range(Some(base), tracking_name(repo, remote, u, old)));
                    continue;
                }
            }
        }
        // A new branch (or an old tip we do not have): the remote's default branch.
        if let Some((name, tip)) = default_branch(repo, remote) {
            if let Some(base) = merge_base(repo, tip, head)? {
                ranges.push(range(Some(base), Some(name)));
                continue;
            }
        }
        // No default branch: the commits no remote-tracking ref has, against their parents.
        for base in unpublished_boundary(repo, head)? {
            ranges.push(range(base, None));
        }
    }
    Ok(ranges)
}

fn merge_base(repo: &Repository, a: Oid, b: Oid) -> Result<Option<Oid>, DiscoverError> {
    match repo.merge_base(a, b) {
        Ok(base) => Ok(Some(base)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(git(e)),
    }
}

/// `origin/feature` when that remote-tracking ref is at the old tip, else the short OID.
fn tracking_name(repo: &Repository, remote: &str, u: &RefUpdate, old: Oid) -> Option<String> {
    let branch = u.remote_ref.strip_prefix("refs/heads/")?;
    let name = format!("refs/remotes/{remote}/{branch}");
    match repo.refname_to_id(&name) {
        Ok(id) if id == old => Some(format!("{remote}/{branch}")),
        _ => Some(u.remote_oid[..12].to_string()),
    }
}

/// The default branch of the remote a branch without an upstream would most likely go to:
/// `remote.pushDefault`, else `origin`, else the first remote that has one.
pub(super) fn likely_default_branch(repo: &Repository) -> Option<(String, Oid)> {
    let mut remotes: Vec<String> = Vec::new();
    if let Ok(name) = repo
        .config()
        .and_then(|c| c.get_string("remote.pushDefault"))
    {
        remotes.push(name);
    }
    remotes.push("origin".into());
    if let Ok(all) = repo.remotes() {
        remotes.extend(all.iter().flatten().map(String::from));
    }
    remotes.iter().find_map(|r| default_branch(repo, r))
}

/// `refs/remotes/<remote>/HEAD`, else `<remote>/main`, else `<remote>/master`.
fn default_branch(repo: &Repository, remote: &str) -> Option<(String, Oid)> {
    for name in ["HEAD", "main", "master"] {
        let Ok(r) = repo.find_reference(&format!("refs/remotes/{remote}/{name}")) else {
            continue;
        };
        let shown = match r.symbolic_target() {
            Some(t) => t.trim_start_matches("refs/remotes/").to_string(),
            None => format!("{remote}/{name}"),
        };
        if let Ok(c) = r.peel_to_commit() {
            return Some((shown, c.id()));
        }
    }
    None
}

/// The commits reachable from `head` but from no remote-tracking ref, as the bases to diff
/// against: the parents just outside that set (`None` = the empty tree, when the whole
/// history is new). Empty when every commit is already on a remote-tracking ref.
fn unpublished_boundary(repo: &Repository, head: Oid) -> Result<Vec<Option<Oid>>, DiscoverError> {
    let mut walk = repo.revwalk().map_err(git)?;
    walk.push(head).map_err(git)?;
    if repo.references_glob("refs/remotes/*").map_err(git)?.count() > 0 {
        walk.hide_glob("refs/remotes/*").map_err(git)?;
    }
    let mut new = HashSet::new();
    let mut parents = Vec::new();
    for oid in walk {
        let oid = oid.map_err(git)?;
        new.insert(oid);
        let commit = repo.find_commit(oid).map_err(git)?;
        parents.extend(commit.parent_ids());
    }
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut bases: Vec<Option<Oid>> = Vec::new();
    for p in parents {
        if !new.contains(&p) && !bases.contains(&Some(p)) {
            bases.push(Some(p));
        }
    }
    if bases.is_empty() {
        bases.push(None);
    }
    Ok(bases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pre_push_lines() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let u = RefUpdate::parse(&format!("refs/heads/x {a} refs/heads/x {zero}")).unwrap();
        assert!(u.is_new() && u.is_branch() && !u.is_deletion());
        let d = RefUpdate::parse(&format!("(delete) {zero} refs/heads/x {a}")).unwrap();
        assert!(d.is_deletion());
        let t = RefUpdate::parse(&format!("refs/tags/v1 {a} refs/tags/v1 {zero}")).unwrap();
        assert!(!t.is_branch());
        assert!(RefUpdate::parse("refs/heads/x abc refs/heads/x def").is_err());
        assert!(RefUpdate::parse("garbage").is_err());
    }

    #[test]
    fn ref_names_with_unicode_spaces_or_bytes_that_are_not_utf8_are_read() {
        let a = "a".repeat(40);
        let zero = "0".repeat(40);
        // A no-break space is allowed in a ref name; it used to split the line into five fields.
        let line = format!("refs/heads/caf\u{a0}x {a} refs/heads/caf\u{a0}x {zero}\n");
        let u = read_input(line.as_bytes()).unwrap();
        assert_eq!(u[0].remote_ref, "refs/heads/caf\u{a0}x");
        let mut latin1 = b"refs/heads/caf\xe9 ".to_vec();
        latin1.extend_from_slice(format!("{a} ").as_bytes());
        latin1.extend_from_slice(b"refs/heads/caf\xe9 ");
        latin1.extend_from_slice(zero.as_bytes());
        let u = read_input(&latin1[..]).unwrap();
        assert!(u[0].is_branch() && u[0].is_new() && u[0].local_oid == a);
    }

    #[test]
    fn a_bad_line_is_quoted_short_on_one_line() {
        let long = format!("{}\r\n", "x\ty".repeat(1000));
        let Err(InputError::Line(msg)) = read_input(long.as_bytes()) else {
            panic!("accepted");
        };
        assert!(
            msg.starts_with("unexpected pre-push input line `x\\ty"),
            "{msg}"
        );
        assert!(
            !msg.contains(['\n', '\r', '\t']) && msg.len() < 300,
            "{msg}"
        );
    }
}

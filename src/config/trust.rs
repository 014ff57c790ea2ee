//! The user's record of trusted repository config files (as direnv and mise keep one): the
//! path of each `.parwf.toml` the user ran `parwf trust` on (see [`key`]), with the SHA-256 of
//! the content they saw. Any change to the file needs trust again.
//!
//! Stored in `$XDG_STATE_HOME/parwf/trusted` (default `~/.local/state/parwf/trusted`), one
//! `<sha256> <path>` a line, replaced atomically (temporary file and rename).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::env::Env;

/// Why the trust store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the trust store {path}: {1}", path = .0.display())]
    Read(PathBuf, String),
    #[error("cannot write the trust store {path}: {1}", path = .0.display())]
    Write(PathBuf, String),
    #[error("cannot trust {path}: {1}", path = .0.display())]
    File(PathBuf, String),
    #[error("no state directory: neither XDG_STATE_HOME nor HOME is set")]
    NoHome,
}

/// Where the trust store lives for this environment.
pub fn store_path(env: &Env) -> Option<PathBuf> {
    let state = env
        .var("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            env.var("HOME")
                .map(|h| PathBuf::from(h).join(".local/state"))
        })?;
    Some(state.join("parwf").join("trusted"))
}

/// The SHA-256 of a config file's content, as hex.
pub fn content_hash(text: &[u8]) -> String {
    crate::digest::sha256_hex(text)
}

/// The trust store: [`key`] of a file → the hash of its trusted content.
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
}

impl TrustStore {
    /// The store at `path` (which need not exist yet).
    pub fn at(path: impl Into<PathBuf>) -> TrustStore {
        TrustStore { path: path.into() }
    }

    fn read(&self) -> Result<BTreeMap<PathBuf, String>, TrustError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(TrustError::Read(self.path.clone(), e.to_string())),
        };
        Ok(text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(hash, _)| hash.len() == 64)
            .map(|(hash, path)| (PathBuf::from(path), hash.to_string()))
            .collect())
    }

    fn write(&self, entries: &BTreeMap<PathBuf, String>) -> Result<(), TrustError> {
        let err = |e: std::io::Error| TrustError::Write(self.path.clone(), e.to_string());
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
        for (path, hash) in entries {
            writeln!(tmp, "{hash} {}", path.display()).map_err(err)?;
        }
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&self.path).map_err(|e| err(e.error))?;
        Ok(())
    }

    /// Whether the config file `file` is trusted with exactly this `text` (what was read from
    /// it). A store that cannot be read trusts nothing.
    pub fn trusts(&self, file: &Path, text: &str) -> bool {
        let Ok(file) = key(file) else {
            return false;
        };
        let hash = content_hash(text.as_bytes());
        self.read()
            .map(|m| m.get(&file).is_some_and(|h| *h == hash))
            .unwrap_or(false)
    }

    /// Records the config file `file` as trusted with this `text` (what the user was shown).
    pub fn trust(&self, file: &Path, text: &str) -> Result<(), TrustError> {
        let file = key(file)?;
        let shown = file.display().to_string();
        if shown.contains('\n') || shown.contains('\r') {
            return Err(TrustError::File(
                file,
                "its path contains a line break".into(),
            ));
        }
        let mut entries = self.read()?;
        entries.insert(file, content_hash(text.as_bytes()));
        self.write(&entries)
    }

    /// Forgets the config file `file`; returns whether it was trusted.
    pub fn revoke(&self, file: &Path) -> Result<bool, TrustError> {
        let file = key(file)?;
        let mut entries = self.read()?;
        let was = entries.remove(&file).is_some();
        if was {
            self.write(&entries)?;
        }
        Ok(was)
    }
}

/// The store's key for a config file: its directory's canonical path joined with its own
/// name. A `.parwf.toml` that is a symlink is trusted where it is, not where it points: its
/// settings act on the repository it is in (commands run there, relative paths resolve
/// there), so trust given to a file in one repository never carries to another repository
/// linking to it. The file itself need not exist (`parwf trust --revoke` after removing it).
pub fn key(file: &Path) -> Result<PathBuf, TrustError> {
    let err = |why: String| TrustError::File(file.to_path_buf(), why);
    let name = file
        .file_name()
        .ok_or_else(|| err("it is not a file name".into()))?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).map_err(|e| err(e.to_string()))?;
    Ok(dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_per_path_and_content_and_can_be_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore::at(dir.path().join("state/parwf/trusted"));
        let a = dir.path().join("a.toml");
        let t1 = "kind = \"command\"\n";
        assert!(!store.trusts(&a, t1));
        store.trust(&a, t1).unwrap();
        assert!(store.trusts(&a, t1));
        assert!(!store.trusts(&a, "changed"));
        assert!(!store.trusts(&dir.path().join("b.toml"), t1));
        // The same file by another spelling of its directory.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(store.trusts(&dir.path().join("sub/../a.toml"), t1));
        assert!(store.revoke(&a).unwrap());
        assert!(!store.trusts(&a, t1));
        assert!(!store.revoke(&a).unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_trusted_where_it_is_not_where_it_points() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore::at(dir.path().join("state/parwf/trusted"));
        let target = dir.path().join("target.toml");
        let (one, two) = (dir.path().join("one"), dir.path().join("two"));
        for repo in [&one, &two] {
            std::fs::create_dir(repo).unwrap();
            std::os::unix::fs::symlink(&target, repo.join(".parwf.toml")).unwrap();
        }
        let text = "kind = \"command\"\n";
        store.trust(&one.join(".parwf.toml"), text).unwrap();
        assert!(store.trusts(&one.join(".parwf.toml"), text));
        assert!(!store.trusts(&target, text));
        assert!(!store.trusts(&two.join(".parwf.toml"), text));
    }

    #[test]
    fn the_store_follows_xdg_state_home_then_home() {
        let env = Env::of([("XDG_STATE_HOME", "/s"), ("HOME", "/h")]);
        assert_eq!(store_path(&env), Some(PathBuf::from("/s/parwf/trusted")));
        let env = Env::of([("HOME", "/h")]);
        assert_eq!(
            store_path(&env),
            Some(PathBuf::from("/h/.local/state/parwf/trusted"))
        );
        assert_eq!(store_path(&Env::default()), None);
    }
}

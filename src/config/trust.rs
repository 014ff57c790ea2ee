//! The user's record of trusted repository config files (as direnv and mise keep one): the
//! canonical path of each `.parwf.toml` the user ran `parwf trust` on, with the SHA-256 of the
//! content they saw. Any change to the file needs trust again.
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

/// The trust store: canonical path → content hash.
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

    /// Whether `file` (a canonical path) is trusted with exactly this content hash. A store
    /// that cannot be read trusts nothing.
    pub fn trusts(&self, file: &Path, hash: &str) -> bool {
        self.read()
            .map(|m| m.get(file).is_some_and(|h| h == hash))
            .unwrap_or(false)
    }

    /// Records `file` (canonical) as trusted with content `hash`.
    pub fn trust(&self, file: &Path, hash: &str) -> Result<(), TrustError> {
        let shown = file.display().to_string();
        if shown.contains('\n') || shown.contains('\r') {
            return Err(TrustError::File(
                file.to_path_buf(),
                "its path contains a line break".into(),
            ));
        }
        let mut entries = self.read()?;
        entries.insert(file.to_path_buf(), hash.to_string());
        self.write(&entries)
    }

    /// Forgets `file`; returns whether it was trusted.
    pub fn revoke(&self, file: &Path) -> Result<bool, TrustError> {
        let mut entries = self.read()?;
        let was = entries.remove(file).is_some();
        if was {
            self.write(&entries)?;
        }
        Ok(was)
    }
}

/// The canonical path of a config file, the key of the store.
pub fn canonical(file: &Path) -> Result<PathBuf, TrustError> {
    std::fs::canonicalize(file).map_err(|e| TrustError::File(file.to_path_buf(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_per_path_and_content_and_can_be_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore::at(dir.path().join("state/parwf/trusted"));
        let a = dir.path().join("a.toml");
        let h1 = content_hash(b"kind = \"command\"\n");
        assert!(!store.trusts(&a, &h1));
        store.trust(&a, &h1).unwrap();
        assert!(store.trusts(&a, &h1));
        assert!(!store.trusts(&a, &content_hash(b"changed")));
        assert!(!store.trusts(&dir.path().join("b.toml"), &h1));
        assert!(store.revoke(&a).unwrap());
        assert!(!store.trusts(&a, &h1));
        assert!(!store.revoke(&a).unwrap());
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

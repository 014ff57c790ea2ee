//! API keys that cannot leak: Debug and Display print the key's label, never its text.

use std::fmt;

use sha2::{Digest, Sha256};

/// A key and its label (`key-1`, `key-2`, in pool order).
#[derive(Clone)]
pub struct Secret {
    label: String,
    value: String,
}

impl Secret {
    /// Wraps key text under a label.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Secret {
        Secret {
            label: label.into(),
            value: value.into(),
        }
    }

    /// The label used everywhere a key is named.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key text, for the one place that sends it (a request header).
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// A stable hash of the key text (16 hex chars), for persisting per-key state.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(format!("parwf-key:{}", self.value).as_bytes());
        crate::digest::hex(&digest[..8])
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.label)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_key() {
        let s = Secret::new("key-2", "sk-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(key-2)");
        assert_eq!(format!("{s}"), "key-2");
        assert_eq!(format!("{:?}", vec![s.clone()]), "[Secret(key-2)]");
        assert!(!s.fingerprint().contains("secret"));
        assert_eq!(s.fingerprint().len(), 16);
    }
}

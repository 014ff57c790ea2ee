//! Signed verdict notes: an HMAC-SHA256, under a secret CI holds (`[trust] notes_key`), over
//! what a note decides: the blob it is attached to, the workflow, the verdict, the blocking
//! count, the model and the prompt hash. Anyone can write a note; only a holder of the secret
//! can write one that verifies.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::notes::NoteHeader;
use crate::provider::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header line's value starts with this, so the scheme can change later.
const SCHEME: &str = "hmac-sha256:";

/// The signed fields, one per line, in a fixed order.
fn message(blob: &str, h: &NoteHeader) -> String {
    format!(
        "parwf-note-v1\nblob={blob}\nworkflow={}\nverdict={}\nblocking={}\nmodel={}\nprompt-hash={}\n",
        h.workflow.name(),
        h.verdict.as_str(),
        h.blocking,
        h.model,
        h.prompt_hash
    )
}

fn mac(key: &Secret) -> HmacSha256 {
    // HMAC takes a key of any length: this never fails.
    HmacSha256::new_from_slice(key.expose().as_bytes()).expect("HMAC accepts any key length")
}

/// The `parwf-signature` value for a note on `blob`.
pub fn sign(key: &Secret, blob: &str, header: &NoteHeader) -> String {
    let mut m = mac(key);
    m.update(message(blob, header).as_bytes());
    let tag = m.finalize().into_bytes();
    format!("{SCHEME}{}", crate::digest::hex(&tag))
}

/// Whether `header`'s signature is valid for a note on `blob` (compared in constant time).
pub fn verify(key: &Secret, blob: &str, header: &NoteHeader) -> bool {
    let Some(hex) = header
        .signature
        .as_deref()
        .and_then(|s| s.strip_prefix(SCHEME))
    else {
        return false;
    };
    let Some(tag) = unhex(hex) else {
        return false;
    };
    let mut m = mac(key);
    m.update(message(blob, header).as_bytes());
    m.verify_slice(&tag).is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Verdict, WorkflowKind};

    fn header() -> NoteHeader {
        NoteHeader {
            verdict: Verdict::Blocked,
            workflow: WorkflowKind::Lld,
            id: "LLD-7".into(),
            path: "docs/lld/LLD-7.md".into(),
            model: "openai/m".into(),
            prompt_hash: "0123456789ab".into(),
            blocking: 2,
            date: "2026-01-01T00:00:00Z".into(),
            signature: None,
        }
    }

    #[test]
    fn a_signature_covers_what_the_note_decides() {
        let key = Secret::new("notes-key", "team-secret");
        let blob = "a".repeat(40);
        let mut h = header();
        h.signature = Some(sign(&key, &blob, &h));
        assert!(verify(&key, &blob, &h));
        assert!(!verify(&Secret::new("other", "guess"), &blob, &h));
        assert!(!verify(&key, &"b".repeat(40), &h), "moved to another blob");
        let changes: [fn(&mut NoteHeader); 5] = [
            |h| h.verdict = Verdict::Approved,
            |h| h.blocking = 0,
            |h| h.model = "sim".into(),
            |h| h.prompt_hash = "ffffffffffff".into(),
            |h| h.workflow = WorkflowKind::Issue,
        ];
        for change in changes {
            let mut forged = h.clone();
            change(&mut forged);
            assert!(!verify(&key, &blob, &forged));
        }
        // What the note does not decide may change (a rename keeps the review).
        let mut renamed = h.clone();
        renamed.path = "docs/lld/LLD-7-renamed.md".into();
        assert!(verify(&key, &blob, &renamed));
        for bad in ["", "hmac-sha256:", "hmac-sha256:zz", "sha1:00"] {
            let mut b = h.clone();
            b.signature = Some(bad.into());
            assert!(!verify(&key, &blob, &b), "{bad}");
        }
    }
}

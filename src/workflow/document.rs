//! Reading the text a workflow reviews, refusing what no reviewer should be sent.

use crate::model::{ContentSource, Item};
use crate::workspace::RepoPaths;

/// Why a document cannot be reviewed; the item fails with this message.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{path} is {:.1} MB, above max_document_bytes ({:.1} MB): too big to review", *.size as f64 / 1e6, *.max as f64 / 1e6)]
    TooBig { path: String, size: u64, max: u64 },
    #[error("cannot read {path}: {msg}")]
    Unreadable { path: String, msg: String },
    #[error("cannot read {path} from git: {msg}")]
    Git { path: String, msg: String },
    #[error("{0} looks binary (it contains NUL bytes)")]
    Binary(String),
    #[error("{0} is not UTF-8 text")]
    NotUtf8(String),
}

/// The document's text: from the work tree or from its blob, refusing more than `max_bytes`,
/// binary content, and text that is not UTF-8.
pub fn read_document(
    repo: &RepoPaths,
    item: &Item,
    max_bytes: u64,
) -> Result<String, DocumentError> {
    let path = || item.path.clone();
    let too_big = |size: u64| DocumentError::TooBig {
        path: path(),
        size,
        max: max_bytes,
    };
    let bytes = match item.source {
        ContentSource::Worktree => {
            let file = repo.workdir.join(&item.path);
            let unreadable = |e: std::io::Error| DocumentError::Unreadable {
                path: path(),
                msg: e.to_string(),
            };
            let meta = std::fs::metadata(&file).map_err(unreadable)?;
            if meta.len() > max_bytes {
                return Err(too_big(meta.len()));
            }
            std::fs::read(&file).map_err(unreadable)?
        }
        ContentSource::Head => {
            let git = |e: git2::Error| DocumentError::Git {
                path: path(),
                msg: e.message().to_string(),
            };
            let git_repo = repo.open().map_err(git)?;
            let oid = git2::Oid::from_str(&item.blob).map_err(git)?;
            let blob = git_repo.find_blob(oid).map_err(git)?;
            if blob.size() as u64 > max_bytes {
                return Err(too_big(blob.size() as u64));
            }
            blob.content().to_vec()
        }
    };
    if bytes.contains(&0) {
        return Err(DocumentError::Binary(path()));
    }
    String::from_utf8(bytes).map_err(|_| DocumentError::NotUtf8(path()))
}

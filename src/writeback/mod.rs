//! Write-back: results into git. Verdict notes on the documents' blobs (`notes`, also the
//! cache), revised documents and review files in one commit (`commit`), or nothing (`none`).

pub mod cache;
mod commit;
pub mod notes;
pub mod share;
pub mod signature;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use git2::{Oid, Repository, Signature, Time};

use crate::config::ProviderConfig;
pub use crate::config::WriteMode;
use crate::model::{ItemResult, ItemState, Verdict};
use crate::provider::secret::Secret;
use crate::workflow::ItemOutcome;
use crate::workspace::Workspace;
use crate::writeback::notes::NotesStore;
use notes::{Note, NoteHeader};

/// A commit identity, resolved by the CLI (`GIT_AUTHOR_*` or the repo's `user.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

/// How and where a run writes its results.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub mode: WriteMode,
    /// Repo-relative directory for review files in `commit` mode; empty = none.
    pub lineage_dir: String,
    /// Running inside the pre-push hook (commits are refused there).
    pub in_hook: bool,
    /// Who commits; `None` falls back to the repo's `user.name`/`user.email`.
    pub identity: Option<Identity>,
}

/// What the reviews ran with: written into every note, and with the blob and workflow the
/// cache key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    pub model: String,
    pub prompt_hash: String,
}

/// `kind/model` (`openai/gpt-4o-mini`), or the kind alone when no model is set (`sim`).
pub fn model_label(provider: &ProviderConfig) -> String {
    let kind = provider.kind.map_or("", |k| k.name());
    if provider.model.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}/{}", provider.model)
    }
}

/// Why results could not be written; each has a hint.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `--write commit` is not possible here; `hint` says what to do instead.
    #[error("{reason}")]
    Refused { reason: String, hint: String },
    #[error("cannot write results into git: {0}")]
    Git(String),
}

impl WriteError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            WriteError::Refused { hint, .. } => Some(hint.clone()),
            WriteError::Git(_) => Some(
                "check the repository with `git status`; the reviews are kept in the run's checkpoints"
                    .into(),
            ),
        }
    }

    /// A refusal is a usage problem; a git failure is an error of the run.
    pub fn is_refusal(&self) -> bool {
        matches!(self, WriteError::Refused { .. })
    }
}

pub(crate) fn git(e: git2::Error) -> WriteError {
    WriteError::Git(e.message().to_string())
}

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    /// Notes added or replaced on `refs/notes/parwf`.
    pub notes: usize,
    /// The commit made in `commit` mode, and the paths it changed.
    pub commit: Option<(Oid, Vec<String>)>,
    /// Revised documents not committed (`notes` mode): ID and the blob holding the text.
    pub revised: Vec<(String, Oid)>,
    /// `commit` mode found nothing to commit.
    pub nothing_to_commit: bool,
}

impl Written {
    /// One line per fact, for stderr.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.notes > 0 {
            out.push(format!(
                "wrote {} verdict note{} to {} (share them: git push origin {})",
                self.notes,
                if self.notes == 1 { "" } else { "s" },
                notes::NOTES_REF,
                notes::NOTES_REF
            ));
        }
        if let Some((oid, paths)) = &self.commit {
            out.push(format!(
                "committed {} file{} in {}",
                paths.len(),
                if paths.len() == 1 { "" } else { "s" },
                &oid.to_string()[..12]
            ));
        }
        if self.nothing_to_commit {
            out.push(
                "--write commit: nothing committed (no document was approved, or nothing changed)"
                    .into(),
            );
        }
        for (id, blob) in &self.revised {
            out.push(format!(
                "{id}: revised text not committed (--write notes); see it with `git cat-file -p {blob}`, or rerun with --write commit"
            ));
        }
        out
    }
}

/// Checks before a run that `--write commit` can commit: not in the hook, HEAD on a branch,
/// and `paths` (the documents) and `lineage_dir` free of uncommitted changes.
pub fn preflight(ws: &Workspace, opts: &WriteOptions, paths: &[String]) -> Result<(), WriteError> {
    if opts.mode != WriteMode::Commit {
        return Ok(());
    }
    commit::check(ws.repo(), opts, paths)
}

/// Writes the results of a run's finished items: notes (unless `none`, signed with `signer`
/// when there is one), and in `commit` mode one commit of the revised documents and lineage
/// files with `Parwf-Verdict:` trailers.
pub fn apply(
    ws: &Workspace,
    opts: &WriteOptions,
    info: &RunInfo,
    outcomes: &[ItemOutcome],
    now: SystemTime,
    signer: Option<&Secret>,
) -> Result<Written, WriteError> {
    let mut written = Written::default();
    if opts.mode == WriteMode::None {
        return Ok(written);
    }
    let repo = ws.repo();
    let workdir = ws.workdir().map_err(|e| WriteError::Git(e.to_string()))?;
    let date = crate::timefmt::iso(now);
    let rendered = Rendered {
        info,
        date: &date,
        signer,
    };
    let mut notes = Vec::new();
    let mut files: Vec<(String, Oid)> = Vec::new();
    let mut trailers = Vec::new();
    for out in outcomes {
        let r = &out.result;
        let (ItemState::Done, Some(verdict), Some(review)) = (r.state, r.verdict, &out.review)
        else {
            continue;
        };
        // The note belongs to the text the last review read: the revision when there is one.
        let blob = match &out.revised {
            Some(text) => repo.blob(text.as_bytes()).map_err(git)?,
            None => reviewed_blob(repo, workdir, r)?,
        };
        let note = rendered.note(r, blob, verdict, r.blocking, review);
        // Only an approved document goes into a commit: a revision the reviewer did not
        // approve never replaces the document (the workflow drops it), and a review that did
        // not approve is in the notes, not in the branch.
        if opts.mode == WriteMode::Commit && verdict == Verdict::Approved {
            let before = files.len();
            if out.revised.is_some() {
                files.push((r.path.clone(), blob));
            }
            if !opts.lineage_dir.is_empty() {
                let dir = opts.lineage_dir.trim_matches('/');
                let short = &blob.to_string()[..12];
                let path = format!("{dir}/{}/review-{short}.md", r.id);
                files.push((path, repo.blob(note.as_bytes()).map_err(git)?));
            }
            if files.len() > before {
                trailers.push(format!("Parwf-Verdict: {}={verdict}", r.id));
            }
        } else if opts.mode != WriteMode::Commit && out.revised.is_some() {
            written.revised.push((r.id.clone(), blob));
        }
        notes.push((blob, note));
        // The document as it is in git keeps its own verdict, so the next run finds it cached
        // (and the hook refuses it until the revision is committed).
        if let (Some(_), Some(original)) = (&out.revised, &out.original) {
            let blob = reviewed_blob(repo, workdir, r)?;
            let note = rendered.note(r, blob, original.verdict, original.blocking, &original.text);
            notes.push((blob, note));
        }
    }
    let sig = signature(repo, opts.identity.as_ref(), now)
        .or_else(|_| Signature::new("parwf", "parwf@localhost", &git_time(now)))
        .map_err(git)?;
    written.notes = NotesStore::new(ws.repo())
        .write(&notes, &sig)
        .map_err(git)?;
    if opts.mode == WriteMode::Commit {
        if files.is_empty() {
            written.nothing_to_commit = true;
        } else {
            let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
            commit::check(repo, opts, &paths)?;
            let sig =
                signature(repo, opts.identity.as_ref(), now).map_err(|e| WriteError::Refused {
                    reason: format!("--write commit needs a committer identity: {}", e.message()),
                    hint: "set one with `git config user.name …` and `git config user.email …`"
                        .into(),
                })?;
            let message = commit_message(&trailers);
            let oid = commit::commit_files(repo, &files, &message, &sig)?;
            written.commit = oid.map(|o| (o, paths));
            written.nothing_to_commit = written.commit.is_none();
        }
    }
    Ok(written)
}

/// What every note of a run shares.
struct Rendered<'a> {
    info: &'a RunInfo,
    date: &'a str,
    signer: Option<&'a Secret>,
}

impl Rendered<'_> {
    /// The text of the verdict note of item `r` on `blob`: header lines (signed when there is
    /// a key), a blank line, the review.
    fn note(
        &self,
        r: &ItemResult,
        blob: Oid,
        verdict: Verdict,
        blocking: usize,
        review: &str,
    ) -> String {
        let mut header = NoteHeader {
            verdict,
            workflow: r.workflow,
            id: r.id.clone(),
            path: r.path.clone(),
            model: self.info.model.clone(),
            prompt_hash: self.info.prompt_hash.clone(),
            blocking,
            date: self.date.to_string(),
            signature: None,
        };
        header.signature = self
            .signer
            .map(|key| signature::sign(key, &blob.to_string(), &header));
        Note {
            header,
            review: review.to_string(),
        }
        .render()
    }
}

/// The blob a finished item was reviewed from, stored in the object database when it came
/// from the work tree (so the note's object exists and `git notes prune` keeps it).
fn reviewed_blob(repo: &Repository, workdir: &Path, r: &ItemResult) -> Result<Oid, WriteError> {
    let oid = Oid::from_str(&r.blob).map_err(git)?;
    let present = repo.odb().map_err(git)?.exists(oid);
    if !present {
        if let Ok(bytes) = std::fs::read(workdir.join(&r.path)) {
            if Oid::hash_object(git2::ObjectType::Blob, &bytes).ok() == Some(oid) {
                repo.blob(&bytes).map_err(git)?;
            }
        }
    }
    Ok(oid)
}

fn git_time(now: SystemTime) -> Time {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Time::new(secs, 0)
}

fn signature(
    repo: &Repository,
    identity: Option<&Identity>,
    now: SystemTime,
) -> Result<Signature<'static>, git2::Error> {
    match identity {
        Some(id) => Signature::new(&id.name, &id.email, &git_time(now)),
        None => {
            let sig = repo.signature()?;
            let name = sig.name().unwrap_or("parwf").to_string();
            let email = sig.email().unwrap_or("parwf@localhost").to_string();
            Signature::new(&name, &email, &git_time(now))
        }
    }
}

/// `parwf: review results for LLD-42, ISSUE-7`, a blank line, one trailer per document.
fn commit_message(trailers: &[String]) -> String {
    let ids: Vec<&str> = trailers
        .iter()
        .filter_map(|t| t.strip_prefix("Parwf-Verdict: "))
        .filter_map(|t| t.split_once('=').map(|(id, _)| id))
        .collect();
    let subject = if ids.len() <= 3 {
        format!("parwf: review results for {}", ids.join(", "))
    } else {
        format!("parwf: review results for {} documents", ids.len())
    };
    format!("{subject}\n\n{}\n", trailers.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_message_ends_with_one_trailer_per_document() {
        let m = commit_message(&[
            "Parwf-Verdict: LLD-1=APPROVED".into(),
            "Parwf-Verdict: ISSUE-2=REVISE".into(),
        ]);
        assert_eq!(
            m,
            "parwf: review results for LLD-1, ISSUE-2\n\nParwf-Verdict: LLD-1=APPROVED\nParwf-Verdict: ISSUE-2=REVISE\n"
        );
    }

    #[test]
    fn model_label_joins_kind_and_model() {
        let cfg: crate::config::Config = crate::config::load(&Default::default())
            .expect("defaults load")
            .config;
        let mut p = cfg.provider;
        p.kind = Some(crate::config::ProviderKind::Sim);
        assert_eq!(model_label(&p), "sim");
        p.kind = Some(crate::config::ProviderKind::Openai);
        p.model = "gpt-4o-mini".into();
        assert_eq!(model_label(&p), "openai/gpt-4o-mini");
    }
}

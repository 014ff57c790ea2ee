//! One SQLite checkpoint per item: the document it was made for and every completed LLM step,
//! each written in its own transaction so a crash loses at most the request in flight.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags};

use super::sqlite::Schema;
use super::StoreError;

/// Checkpoint files: application id "pwf1" (anything else is foreign) and their migrations.
const SCHEMA: Schema = Schema {
    application_id: 0x7077_6631,
    migrations: &[
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS steps (
             seq INTEGER PRIMARY KEY,
             kind TEXT NOT NULL,
             iteration INTEGER NOT NULL,
             input_hash TEXT NOT NULL,
             output TEXT NOT NULL,
             verdict TEXT,
             key TEXT,
             duration_ms INTEGER NOT NULL,
             at TEXT NOT NULL
         );",
        // How the answer ended when it was not complete (`max_tokens`, `stopped:<reason>`):
        // a replayed step must not pass for a complete answer.
        "ALTER TABLE steps ADD COLUMN finish TEXT;",
    ],
};

/// One completed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub seq: i64,
    /// `review` or `draft`.
    pub kind: String,
    pub iteration: i64,
    /// Hash of the exact input (prompt) the step answered.
    pub input_hash: String,
    pub output: String,
    pub verdict: Option<String>,
    pub key: Option<String>,
    pub duration_ms: i64,
    /// `None` for a complete answer; see [`crate::provider::Finish::stored`].
    pub finish: Option<String>,
}

/// What a checkpoint was made for; a resume needs all of it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: String,
    pub workflow: String,
    pub path: String,
    pub blob: String,
    pub prompt_hash: String,
}

impl Header {
    /// Why this checkpoint cannot resume a review of `blob` with prompts `prompt_hash`.
    pub fn mismatch(&self, blob: &str, prompt_hash: &str) -> Option<&'static str> {
        if self.blob != blob {
            Some("the document changed since its checkpoint")
        } else if self.prompt_hash != prompt_hash {
            Some("the prompts changed since the checkpoint")
        } else {
            None
        }
    }
}

/// An open checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    conn: Connection,
    path: PathBuf,
}

/// The result of opening an item's checkpoint.
#[derive(Debug)]
pub struct Opened {
    pub checkpoint: Checkpoint,
    /// Steps to replay (empty when starting fresh).
    pub steps: Vec<Step>,
    /// Why an existing checkpoint was not resumed, or where a bad one was moved.
    pub note: Option<String>,
}

fn sql(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        msg: e.to_string(),
    }
}

/// What an existing checkpoint file holds, read without changing anything (dry run, status).
#[derive(Debug, Clone)]
pub struct Peek {
    pub header: Header,
    pub steps: usize,
    /// `running`, `done` (not yet written back), `failed` or `interrupted`.
    pub state: String,
    pub error: Option<String>,
}

/// Reads a checkpoint's header and step count; `None` when absent, foreign or unreadable.
pub fn peek(path: &Path) -> Option<Peek> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let conn = match SCHEMA.check(&conn).ok().filter(|&v| v > 0) {
        Some(_) => conn,
        // A step interrupted by a kill leaves a hot journal that only a writer can roll back:
        // that is SQLite's own recovery, and the checkpoint is sound after it.
        None if side_file(path, "-journal").exists() => {
            drop(conn);
            let rw = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
            SCHEMA.check(&rw).ok().filter(|&v| v > 0)?;
            rw
        }
        None => return None,
    };
    let header = read_header(&conn).ok()?;
    let steps: i64 = conn
        .query_row("SELECT count(*) FROM steps", [], |r| r.get(0))
        .ok()?;
    let meta = |k: &str| -> Option<String> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
            .ok()
    };
    Some(Peek {
        header,
        steps: steps as usize,
        state: meta("state").unwrap_or_else(|| "running".into()),
        error: meta("error"),
    })
}

fn read_header(conn: &Connection) -> rusqlite::Result<Header> {
    let get = |k: &str| -> rusqlite::Result<String> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
    };
    Ok(Header {
        id: get("id")?,
        workflow: get("workflow")?,
        path: get("path")?,
        blob: get("blob")?,
        prompt_hash: get("prompt_hash")?,
    })
}

/// A step is committed when its transaction ends: that survives a killed process (the OS
/// has the pages, and the rollback journal undoes a transaction the kill cut short). No fsync
/// is made: fsyncs only matter if the machine loses power, they cost 3–5 ms each (a dozen per
/// item was most of an item's overhead), and a checkpoint torn by a power loss is moved aside
/// and redone (one LLM call again), never trusted.
fn tune(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA synchronous = OFF;")
}

/// Moves a bad checkpoint aside (`<name>.bad-<time>`), returning the new path.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = crate::timefmt::compact(std::time::SystemTime::now());
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".bad-{stamp}"));
    let aside = path.with_file_name(name);
    std::fs::rename(path, &aside).map_err(|e| StoreError::io(path, e))?;
    for ext in ["-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(side_file(path, ext));
    }
    Ok(aside)
}

/// Deletes a checkpoint and whatever a killed writer left beside it (journal, temporary file).
pub fn remove(path: &Path) -> Result<(), StoreError> {
    for side in ["-journal", ".tmp", ".tmp-journal"] {
        remove_file(&side_file(path, side))?;
    }
    remove_file(path)
}

/// `path` with `suffix` appended to its file name.
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_file(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

impl Checkpoint {
    /// Opens (or creates) the checkpoint at `path` for `header`. An existing checkpoint for the
    /// same document blob and prompts is resumed; otherwise it is replaced and `note` says why.
    /// A corrupt or foreign file is moved aside.
    pub fn open(path: &Path, header: &Header, fresh: bool) -> Result<Opened, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let mut note = None;
        if path.exists() {
            if fresh {
                remove_file(path)?;
                note = Some("--fresh: the checkpoint was discarded".to_string());
            } else {
                match Self::resume(path, header) {
                    Ok(opened) => return Ok(opened),
                    Err(Resume::Changed(why)) => {
                        remove_file(path)?;
                        note = Some(format!("{why}: starting fresh"));
                    }
                    Err(Resume::Bad(why)) => {
                        let aside = move_aside(path)?;
                        note = Some(format!(
                            "checkpoint unreadable ({why}); moved to {} and starting fresh",
                            aside.display()
                        ));
                    }
                }
            }
        }
        // Built under a temporary name and renamed into place: a process killed halfway leaves
        // a stray temporary file, never a checkpoint without its schema or header.
        let tmp = side_file(path, ".tmp");
        remove_file(&tmp)?;
        remove_file(&side_file(&tmp, "-journal"))?;
        {
            let mut conn = Connection::open(&tmp).map_err(|e| sql(&tmp, e))?;
            // A temporary file is trusted only once renamed, whole: it needs no journal (each
            // journal is a file created and deleted per transaction) and no fsync.
            conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
                .map_err(|e| sql(&tmp, e))?;
            SCHEMA
                .migrate(&mut conn)
                .map_err(|e| StoreError::io(&tmp, e))?;
            let tx = conn.transaction().map_err(|e| sql(&tmp, e))?;
            for (k, v) in [
                ("id", &header.id),
                ("workflow", &header.workflow),
                ("path", &header.path),
                ("blob", &header.blob),
                ("prompt_hash", &header.prompt_hash),
                ("created", &crate::timefmt::now_iso()),
            ] {
                tx.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                    params![k, v],
                )
                .map_err(|e| sql(&tmp, e))?;
            }
            tx.commit().map_err(|e| sql(&tmp, e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
        let conn = Connection::open(path).map_err(|e| sql(path, e))?;
        tune(&conn).map_err(|e| sql(path, e))?;
        Ok(Opened {
            checkpoint: Checkpoint {
                conn,
                path: path.to_path_buf(),
            },
            steps: Vec::new(),
            note,
        })
    }

    fn resume(path: &Path, header: &Header) -> Result<Opened, Resume> {
        let bad = |e: rusqlite::Error| Resume::Bad(e.to_string());
        let mut conn = Connection::open(path).map_err(bad)?;
        if SCHEMA
            .check(&conn)
            .map_err(|e| Resume::Bad(e.to_string()))?
            == 0
        {
            return Err(Resume::Bad("not a parwf checkpoint".into()));
        }
        tune(&conn).map_err(bad)?;
        SCHEMA
            .migrate(&mut conn)
            .map_err(|e| Resume::Bad(e.to_string()))?;
        let stored = read_header(&conn).map_err(bad)?;
        if let Some(why) = stored.mismatch(&header.blob, &header.prompt_hash) {
            return Err(Resume::Changed(why.into()));
        }
        let steps = {
            let mut stmt = conn
                .prepare(
                    "SELECT seq, kind, iteration, input_hash, output, verdict, key, duration_ms,
                            finish
                     FROM steps ORDER BY seq",
                )
                .map_err(bad)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(Step {
                        seq: r.get(0)?,
                        kind: r.get(1)?,
                        iteration: r.get(2)?,
                        input_hash: r.get(3)?,
                        output: r.get(4)?,
                        verdict: r.get(5)?,
                        key: r.get(6)?,
                        duration_ms: r.get(7)?,
                        finish: r.get(8)?,
                    })
                })
                .map_err(bad)?;
            rows.collect::<rusqlite::Result<Vec<Step>>>().map_err(bad)?
        };
        Ok(Opened {
            checkpoint: Checkpoint {
                conn,
                path: path.to_path_buf(),
            },
            steps,
            note: None,
        })
    }

    /// Stores one completed step, atomically.
    pub fn record(&mut self, step: &Step) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql(&path, e))?;
        tx.execute(
            "INSERT OR REPLACE INTO steps
             (seq, kind, iteration, input_hash, output, verdict, key, duration_ms, at, finish)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                step.seq,
                step.kind,
                step.iteration,
                step.input_hash,
                step.output,
                step.verdict,
                step.key,
                step.duration_ms,
                crate::timefmt::now_iso(),
                step.finish
            ],
        )
        .map_err(|e| sql(&path, e))?;
        // A replayed history that diverged leaves later steps behind: drop them.
        tx.execute("DELETE FROM steps WHERE seq > ?1", [step.seq])
            .map_err(|e| sql(&path, e))?;
        tx.commit().map_err(|e| sql(&path, e))
    }

    /// Marks how the item ended (`failed`, `interrupted`) for `parwf status`.
    pub fn set_state(&mut self, state: &str, error: Option<&str>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql(&path, e))?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('state', ?1)",
            [state],
        )
        .map_err(|e| sql(&path, e))?;
        match error {
            Some(e) => tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('error', ?1)",
                [e],
            ),
            None => tx.execute("DELETE FROM meta WHERE key = 'error'", []),
        }
        .map_err(|e| sql(&path, e))?;
        tx.commit().map_err(|e| sql(&path, e))
    }
}

enum Resume {
    /// The checkpoint is fine but for another version of the document or prompts.
    Changed(String),
    /// The file is corrupt, foreign, or from a newer parwf.
    Bad(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(blob: &str) -> Header {
        Header {
            id: "LLD-1".into(),
            workflow: "lld".into(),
            path: "docs/lld/LLD-1.md".into(),
            blob: blob.into(),
            prompt_hash: "p1".into(),
        }
    }

    fn step(seq: i64) -> Step {
        Step {
            seq,
            kind: "review".into(),
            iteration: 1,
            input_hash: format!("h{seq}"),
            output: format!("out {seq}"),
            verdict: Some("REVISE".into()),
            key: Some("key-1".into()),
            duration_ms: 5,
            finish: (seq == 2).then(|| "max_tokens".to_string()),
        }
    }

    #[test]
    fn steps_survive_reopen_and_a_changed_blob_starts_fresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("checkpoints/lld_LLD-1.db");
        let mut opened = Checkpoint::open(&path, &header("b1"), false).expect("open");
        assert!(opened.steps.is_empty() && opened.note.is_none());
        opened.checkpoint.record(&step(1)).expect("record");
        opened.checkpoint.record(&step(2)).expect("record");
        drop(opened);
        let again = Checkpoint::open(&path, &header("b1"), false).expect("reopen");
        assert_eq!(again.steps, vec![step(1), step(2)]);
        assert_eq!(peek(&path).map(|p| p.steps), Some(2));
        drop(again);
        let changed = Checkpoint::open(&path, &header("b2"), false).expect("changed");
        assert!(changed.steps.is_empty());
        assert!(changed
            .note
            .as_deref()
            .unwrap_or("")
            .contains("document changed"));
    }

    #[test]
    fn a_foreign_file_is_moved_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("lld_LLD-1.db");
        std::fs::write(&path, b"this is not sqlite at all, just text").expect("write");
        let opened = Checkpoint::open(&path, &header("b1"), false).expect("open");
        let note = opened.note.unwrap_or_default();
        assert!(note.contains("moved to"), "{note}");
        let moved: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".bad-"))
            .collect();
        assert_eq!(moved.len(), 1);
    }
}

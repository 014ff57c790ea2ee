//! Daily-quota cooldowns that outlive a run, in `.git/parwf/state.db`, keyed by the key's
//! fingerprint (a hash; the key itself is never stored), so the next run does not spend a
//! request to learn that a key is still out for the day.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use super::sqlite::Schema;
use super::StoreError;

/// `state.db`'s schema (no application id: the first versions were written without one).
const SCHEMA: Schema = Schema {
    application_id: 0,
    migrations: &["CREATE TABLE IF NOT EXISTS key_cooldowns (
        fingerprint TEXT PRIMARY KEY,
        until_ms INTEGER NOT NULL,
        reason TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );"],
};

/// The longest a remembered cooldown can hold a key out: the longest real quota reset (a
/// daily quota, at most a day away). A cooldown further in the future was stored while the
/// clock was wrong (one left a key "out of quota" for 39,485 hours): it is not believed.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(24 * 3600);

/// The store; opened on first use, and created only when there is something to remember.
pub struct CooldownStore {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

fn ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let fail = |e: &dyn std::fmt::Display| StoreError::io(path, e);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    }
    let mut conn = Connection::open(path).map_err(|e| fail(&e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| fail(&e))?;
    SCHEMA.migrate(&mut conn).map_err(|e| fail(&e))?;
    Ok(conn)
}

impl CooldownStore {
    /// The store at `path` (`.git/parwf/state.db`); nothing is touched yet.
    pub fn at(path: &Path) -> CooldownStore {
        CooldownStore {
            path: path.to_path_buf(),
            conn: Mutex::new(None),
        }
    }

    /// Runs `f` on the open connection; `None` when the database does not exist and
    /// `create` is false.
    fn with<T>(
        &self,
        create: bool,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            if !create && !self.path.exists() {
                return Ok(None);
            }
            *guard = Some(open(&self.path)?);
        }
        let Some(conn) = guard.as_mut() else {
            return Ok(None);
        };
        f(conn).map(Some).map_err(|e| StoreError::io(&self.path, e))
    }

    /// The cooldown still running for `fingerprint` at `now`: (until, reason).
    pub fn get(
        &self,
        fingerprint: &str,
        now: SystemTime,
    ) -> Result<Option<(SystemTime, String)>, StoreError> {
        let row: Option<(i64, String)> = self
            .with(false, |c| {
                c.query_row(
                    "SELECT until_ms, reason FROM key_cooldowns
                     WHERE fingerprint = ?1 AND until_ms > ?2 AND until_ms <= ?3",
                    params![fingerprint, ms(now), ms(now + MAX_COOLDOWN)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
            })?
            .flatten();
        Ok(row.map(|(until, reason)| {
            (
                UNIX_EPOCH + Duration::from_millis(until.max(0) as u64),
                reason,
            )
        }))
    }

    /// Every cooldown still running at `now`: (fingerprint, until, reason), soonest first.
    pub fn active(&self, now: SystemTime) -> Result<Vec<(String, SystemTime, String)>, StoreError> {
        let rows = self
            .with(false, |c| {
                let mut stmt = c.prepare(
                    "SELECT fingerprint, until_ms, reason FROM key_cooldowns
                     WHERE until_ms > ?1 AND until_ms <= ?2 ORDER BY until_ms",
                )?;
                let rows = stmt.query_map(params![ms(now), ms(now + MAX_COOLDOWN)], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
                })?;
                rows.collect::<rusqlite::Result<Vec<(String, i64, String)>>>()
            })?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|(f, until, reason)| {
                (
                    f,
                    UNIX_EPOCH + Duration::from_millis(until.max(0) as u64),
                    reason,
                )
            })
            .collect())
    }

    /// Records that `fingerprint` is out until `until` (at most [`MAX_COOLDOWN`] from `now`);
    /// forgets cooldowns already over, and those too far ahead to be true.
    pub fn set(
        &self,
        fingerprint: &str,
        until: SystemTime,
        reason: &str,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let until = until.min(now + MAX_COOLDOWN);
        self.with(true, |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM key_cooldowns WHERE until_ms <= ?1 OR until_ms > ?2",
                params![ms(now), ms(now + MAX_COOLDOWN)],
            )?;
            tx.execute(
                "INSERT INTO key_cooldowns (fingerprint, until_ms, reason, updated_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(fingerprint) DO UPDATE SET until_ms = excluded.until_ms,
                    reason = excluded.reason, updated_ms = excluded.updated_ms",
                params![fingerprint, ms(until), reason, ms(now)],
            )?;
            tx.commit()
        })
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cooldown_stored_while_the_clock_was_wrong_holds_no_key_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parwf/state.db");
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let s = CooldownStore::at(&path);
        // Stored by a run whose clock was 39,485 hours ahead.
        let wrong_now = now + Duration::from_secs(39_485 * 3600);
        s.set(
            "skewed",
            wrong_now + Duration::from_secs(3600),
            "daily quota",
            wrong_now,
        )
        .unwrap();
        assert_eq!(s.get("skewed", now).unwrap(), None);
        assert!(s.active(now).unwrap().is_empty());
        // A provider asking for more than a day gets a day.
        s.set(
            "long",
            now + Duration::from_secs(72 * 3600),
            "daily quota",
            now,
        )
        .unwrap();
        let (until, _) = s.get("long", now).unwrap().expect("cooling");
        assert_eq!(until, now + MAX_COOLDOWN);
        // The next write forgets the entry from the future.
        let rows = s
            .with(false, |c| {
                c.query_row("SELECT count(*) FROM key_cooldowns", [], |r| {
                    r.get::<_, i64>(0)
                })
            })
            .unwrap();
        assert_eq!(rows, Some(1));
    }

    #[test]
    fn cooldowns_survive_reopening_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parwf/state.db");
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let later = now + Duration::from_secs(3600);
        {
            let s = CooldownStore::at(&path);
            assert_eq!(s.get("abcd", now).unwrap(), None);
            assert!(!path.exists(), "reading does not create the database");
            s.set("abcd", later, "daily quota", now).unwrap();
            s.set("old", now - Duration::from_secs(1), "x", now)
                .unwrap();
        }
        let s = CooldownStore::at(&path);
        assert_eq!(
            s.get("abcd", now).unwrap(),
            Some((later, "daily quota".to_string()))
        );
        assert_eq!(s.get("abcd", later).unwrap(), None);
        assert_eq!(s.get("other", now).unwrap(), None);
        let version = s
            .with(false, |c| {
                c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            })
            .unwrap();
        assert_eq!(version, Some(1));
        // A database from a newer parwf is refused, not rewritten.
        s.with(false, |c| c.pragma_update(None, "user_version", 9))
            .unwrap();
        drop(s);
        let e = CooldownStore::at(&path).get("abcd", now).unwrap_err();
        assert!(e.to_string().contains("newer"), "{e}");
    }
}

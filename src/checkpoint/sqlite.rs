//! The one way parwf's SQLite files evolve: an ordered list of migrations, `PRAGMA user_version`
//! counting those applied, and an optional `PRAGMA application_id` that tells our files from
//! foreign ones.

use rusqlite::Connection;

/// A file's schema: what identifies it and how to bring it up to date.
pub(crate) struct Schema {
    /// `PRAGMA application_id` of our files; 0 = not checked.
    pub application_id: i64,
    /// Migration `n` takes a file from version `n` to `n + 1`.
    pub migrations: &'static [&'static str],
}

/// Why a file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SchemaError {
    #[error("not a parwf file")]
    Foreign,
    #[error("written by a newer parwf (schema {found}, this one reads {known})")]
    Newer { found: i64, known: i64 },
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
}

impl Schema {
    /// The current version.
    pub fn version(&self) -> i64 {
        self.migrations.len() as i64
    }

    /// The file's version, after checking it is ours and not from a newer parwf. A new, empty
    /// file is version 0 with no application id.
    pub fn check(&self, conn: &Connection) -> Result<i64, SchemaError> {
        let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let fresh = app == 0 && found == 0;
        if self.application_id != 0 && app != self.application_id && !fresh {
            return Err(SchemaError::Foreign);
        }
        if found > self.version() {
            return Err(SchemaError::Newer {
                found,
                known: self.version(),
            });
        }
        Ok(found)
    }

    /// Applies the migrations the file lacks, in one transaction.
    pub fn migrate(&self, conn: &mut Connection) -> Result<(), SchemaError> {
        let from = self.check(conn)?;
        if from == self.version() {
            return Ok(());
        }
        let tx = conn.transaction()?;
        for sql in &self.migrations[from as usize..] {
            tx.execute_batch(sql)?;
        }
        if self.application_id != 0 {
            tx.pragma_update(None, "application_id", self.application_id)?;
        }
        tx.pragma_update(None, "user_version", self.version())?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema {
        application_id: 0x7465_7374,
        migrations: &[
            "CREATE TABLE a (x INTEGER);",
            "ALTER TABLE a ADD COLUMN y TEXT;",
        ],
    };

    #[test]
    fn migrates_once_and_refuses_foreign_and_newer_files() {
        let mut conn = Connection::open_in_memory().unwrap();
        SCHEMA.migrate(&mut conn).unwrap();
        SCHEMA.migrate(&mut conn).unwrap();
        assert_eq!(SCHEMA.check(&conn).unwrap(), 2);
        conn.execute("INSERT INTO a (x, y) VALUES (1, 'z')", [])
            .unwrap();
        conn.pragma_update(None, "user_version", 7).unwrap();
        assert!(matches!(
            SCHEMA.check(&conn),
            Err(SchemaError::Newer { found: 7, .. })
        ));
        let other = Connection::open_in_memory().unwrap();
        other.pragma_update(None, "application_id", 1).unwrap();
        assert!(matches!(SCHEMA.check(&other), Err(SchemaError::Foreign)));
    }
}

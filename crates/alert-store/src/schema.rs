//! The SQLite schema, versioned with `PRAGMA user_version` (`rusqlite_migration`): each migration runs once, in
//! order, in a transaction; a file from a newer build is refused before anything runs.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{Result, StoreError};

/// Migrations; index + 1 is the version a file has after running it.
const MIGRATIONS: &[M<'static>] = &[
    // 1: events for replay, history rows (each with its read flag), acknowledgements per episode, active alerts, silences, counters.
    M::up(
        "CREATE TABLE events (
         seq INTEGER PRIMARY KEY,
         at_ms INTEGER NOT NULL,
         kind TEXT NOT NULL,
         text TEXT NOT NULL
     );
     CREATE INDEX events_at ON events(at_ms);
     CREATE TABLE alerts (
         seq INTEGER PRIMARY KEY,
         message_id TEXT NOT NULL,
         alert_id TEXT NOT NULL,
         identity TEXT NOT NULL,
         rule TEXT NOT NULL,
         subject TEXT NOT NULL,
         state TEXT NOT NULL,
         severity TEXT NOT NULL,
         at_ms INTEGER NOT NULL,
         silenced INTEGER NOT NULL,
         read INTEGER NOT NULL DEFAULT 0,
         item TEXT NOT NULL
     );
     CREATE INDEX alerts_alert_id ON alerts(alert_id);
     CREATE INDEX alerts_at ON alerts(at_ms);
     CREATE TABLE flags (
         alert_id TEXT PRIMARY KEY,
         ack_by TEXT,
         ack_comment TEXT,
         ack_at_ms INTEGER
     );
     CREATE TABLE active (
         identity TEXT PRIMARY KEY,
         alert_id TEXT NOT NULL,
         data TEXT NOT NULL
     );
     CREATE TABLE silences (
         id TEXT PRIMARY KEY,
         matchers TEXT NOT NULL,
         comment TEXT NOT NULL,
         created_by TEXT NOT NULL,
         created_ms INTEGER NOT NULL,
         ends_ms INTEGER NOT NULL,
         expired_ms INTEGER
     );
     CREATE TABLE meta (
         key TEXT PRIMARY KEY,
         value INTEGER NOT NULL
     );
     INSERT INTO meta (key, value) VALUES ('last_seq', 0);",
    ),
];

/// The version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings a database up to [`VERSION`]; refuses a file from a newer build.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: VERSION,
        });
    }
    Migrations::from_slice(MIGRATIONS)
        .to_latest(conn)
        .map_err(migration_error)?;
    if found < VERSION {
        tracing::info!(from = found, to = VERSION, "alert store schema migrated");
    }
    Ok(())
}

/// A failed migration: SQLite's own error when it is one, else the migration library's words.
fn migration_error(e: rusqlite_migration::Error) -> StoreError {
    match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => StoreError::Db(err),
        other => StoreError::Migration(other.to_string()),
    }
}

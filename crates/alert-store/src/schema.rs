//! The SQLite schema, versioned with `PRAGMA user_version`: each migration runs once, in order, in a transaction.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// Migrations; index + 1 is the version a file has after running it.
const MIGRATIONS: &[&str] = &[
    // 1: events for replay, history rows (each with its read flag), acknowledgements per episode, active alerts, silences, counters.
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
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "alert store schema migrated");
    }
    Ok(())
}

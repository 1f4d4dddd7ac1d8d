//! The SQLite schema, versioned with `PRAGMA user_version` (`rusqlite_migration`): each migration runs once, in
//! order, in a transaction; a file from a newer build is refused before anything runs.
//!
//! Tiers are `WITHOUT ROWID` tables keyed by `(series, t)`, so a series' range read, a minute's rollup and an
//! age cut are all range operations on the primary key — none of them scans a whole table.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{Result, StoreError};

/// Migrations; index + 1 is the version a file has after running it.
const MIGRATIONS: &[M<'static>] = &[
    // 1: series, the three tiers, markers, watermarks.
    M::up(
        "CREATE TABLE series (
         id INTEGER PRIMARY KEY,
         name TEXT UNIQUE NOT NULL,
         kind INTEGER NOT NULL,
         last INTEGER NOT NULL
     );
     CREATE TABLE raw (
         series INTEGER NOT NULL,
         t INTEGER NOT NULL,
         v REAL NOT NULL,
         PRIMARY KEY (series, t)
     ) WITHOUT ROWID;
     CREATE TABLE m1 (
         series INTEGER NOT NULL,
         t INTEGER NOT NULL,
         min REAL NOT NULL,
         max REAL NOT NULL,
         sum REAL NOT NULL,
         n INTEGER NOT NULL,
         PRIMARY KEY (series, t)
     ) WITHOUT ROWID;
     CREATE TABLE h1 (
         series INTEGER NOT NULL,
         t INTEGER NOT NULL,
         min REAL NOT NULL,
         max REAL NOT NULL,
         sum REAL NOT NULL,
         n INTEGER NOT NULL,
         PRIMARY KEY (series, t)
     ) WITHOUT ROWID;
     CREATE TABLE markers (
         id INTEGER PRIMARY KEY,
         t INTEGER NOT NULL,
         kind TEXT NOT NULL,
         label TEXT NOT NULL,
         severity TEXT NOT NULL
     );
     CREATE INDEX markers_t ON markers(t);
     CREATE TABLE meta (
         key TEXT PRIMARY KEY,
         value INTEGER
     );",
    ),
];

/// The version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The tables of version 1; a version-0 file holding any other table belongs to someone else.
const OURS: &[&str] = &["series", "raw", "m1", "h1", "markers", "meta"];

/// The version stored in the file.
pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Whether a version-0 file holds tables that are not ours (another program's database).
pub fn foreign_tables(conn: &Connection) -> Result<bool> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names.iter().any(|n| !OURS.contains(&n.as_str())))
}

/// Brings a database up to [`VERSION`]; refuses a file from a newer build.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found = version(conn)?;
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
        tracing::info!(from = found, to = VERSION, "history store schema migrated");
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

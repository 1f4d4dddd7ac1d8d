//! Opening the file: pragmas, the schema check and migration, the caches — and moving an unreadable file aside
//! so the dashboard starts with an empty history instead of not at all.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use rusqlite::{Connection, ErrorCode};

use super::{Inner, Marks, kind_of, side_file};
use crate::{Result, StoreError, schema};

/// Bytes per page of a new file.
const PAGE_SIZE: i64 = 1024;

/// Why a try to open failed.
enum Failure {
    /// The file is not a readable database of ours: move it aside.
    Unreadable(String),
    /// Anything else (permissions, a newer schema): report it.
    Other(StoreError),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                Failure::Unreadable(e.to_string())
            }
            _ => Failure::Other(StoreError::Db(e)),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(e) => e.into(),
            other => Failure::Other(other),
        }
    }
}

/// Opens the file, moving it aside once if it is unreadable; returns where it went.
pub(super) fn open(path: &Path) -> Result<(Inner, Option<PathBuf>)> {
    match try_open(path) {
        Ok(inner) => Ok((inner, None)),
        Err(Failure::Other(e)) => Err(e),
        Err(Failure::Unreadable(reason)) => {
            let aside = move_aside(path)?;
            tracing::warn!(
                path = %path.display(),
                moved_to = %aside.display(),
                %reason,
                "history store: unreadable database moved aside, starting an empty history"
            );
            match try_open(path) {
                Ok(inner) => Ok((inner, Some(aside))),
                Err(Failure::Other(e)) => Err(e),
                Err(Failure::Unreadable(reason)) => Err(StoreError::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::other(reason),
                }),
            }
        }
    }
}

fn try_open(path: &Path) -> std::result::Result<Inner, Failure> {
    let mut conn = Connection::open(path).map_err(|e| Failure::Other(e.into()))?;
    // Must precede the first table: only then can freed pages be given back without a full VACUUM.
    // Small pages (before anything else touches the new file): a 1 Hz round dirties one leaf page per series,
    // and each goes to the log whole.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Checkpoint rarely (maintenance checkpoints every minute anyway): a leaf page written by many rounds is
    // copied into the file once per checkpoint, not once per round.
    conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    let found = schema::version(&conn)?;
    if found > schema::VERSION {
        return Err(Failure::Other(StoreError::NewerSchema {
            found,
            known: schema::VERSION,
        }));
    }
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(Failure::Unreadable(format!("integrity check: {check}")));
    }
    if found == 0 && schema::foreign_tables(&conn)? {
        return Err(Failure::Unreadable(
            "a database of another program (unknown tables, no schema version)".into(),
        ));
    }
    schema::migrate(&mut conn)?;
    let ids = load_ids(&conn)?;
    let marks = Marks::load(&conn)?;
    Ok(Inner { conn, ids, marks })
}

fn load_ids(conn: &Connection) -> rusqlite::Result<HashMap<String, (i64, crate::SeriesKind)>> {
    let mut stmt = conn.prepare("SELECT id, name, kind FROM series")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(1)?,
            (r.get::<_, i64>(0)?, kind_of(r.get(2)?)),
        ))
    })?;
    rows.collect()
}

/// Renames the file and its `-wal`/`-shm` to `<name>.corrupt-<unix seconds>` (plus a counter if taken).
fn move_aside(path: &Path) -> Result<PathBuf> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut aside = side_file(path, &format!(".corrupt-{secs}"));
    let mut n = 1;
    while aside.exists() {
        aside = side_file(path, &format!(".corrupt-{secs}-{n}"));
        n += 1;
    }
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| StoreError::Io { path, source }
    };
    std::fs::rename(path, &aside).map_err(io(path))?;
    for suffix in ["-wal", "-shm"] {
        let side = side_file(path, suffix);
        if side.exists() {
            std::fs::rename(&side, side_file(&aside, suffix)).map_err(io(&side))?;
        }
    }
    Ok(aside)
}

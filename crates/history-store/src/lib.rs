//! The history store: every chart figure the dashboard samples (KATO's rates and resources, each instance of a
//! fleet, each container, sessions, alerts, knowledge-base sizes) kept on disk in three tiers — raw samples for
//! hours, 1-minute buckets for a month, 1-hour buckets for a year — plus markers (alerts, KATO restarts) for the
//! time axis. Age retention per tier and a disk budget are enforced by [`HistoryStore::maintain`].
//!
//! One SQLite file (`history.sqlite3`), WAL journal, one connection behind a mutex; every method blocks, so
//! async callers use `spawn_blocking`. Depends on no other crate of the dashboard. Times are unix seconds (UTC).

mod model;
mod schema;
mod store;

pub use model::{
    Answer, Maintenance, Marker, Point, Query, Sample, SeriesInfo, SeriesKind, SeriesPoints,
    Settings, Tier, TierUsage, Usage,
};
pub use store::HistoryStore;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed (a full disk is reported as SQLite's "database or disk is full").
    #[error("history store: {0}")]
    Db(#[from] rusqlite::Error),
    /// The data directory or file cannot be used.
    #[error("history store: cannot use {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A schema migration failed for a reason other than SQLite's own.
    #[error("history store: migration: {0}")]
    Migration(String),
    /// The file was written by a newer version of the dashboard.
    #[error("history store: schema version {found} is newer than this build knows ({known})")]
    NewerSchema {
        /// Version in the file.
        found: i64,
        /// Version this build writes.
        known: i64,
    },
    /// A query that cannot be answered as asked (bad range, too many points, no series).
    #[error("{0}")]
    BadQuery(String),
}

impl StoreError {
    /// Whether the disk (or the file's page limit) is full.
    pub fn is_full(&self) -> bool {
        matches!(self, StoreError::Db(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DiskFull)
    }
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

#[cfg(test)]
mod tests;

//! The alert store: every event published on the `system_alerts` topic (for replay after a restart), the alert
//! history with read state and acknowledgements, the alerts firing now (so a restart does not fire them again), and
//! silences. Behind the small [`AlertStore`] trait so another backend can follow; [`SqliteStore`] is the one there
//! is (one SQLite file in WAL mode, one connection behind a mutex — callers in async code use `spawn_blocking`).
//!
//! Depends on no other crate of the dashboard: alerts are stored as their wire JSON plus the few columns the
//! history filters on.

mod model;
mod schema;
mod sqlite;

pub use model::{
    Ack, ActiveChange, ActiveRecord, AlertRecord, AlertRow, HistoryPage, HistoryQuery, Retention,
    Silence, StoredEvent,
};
pub use sqlite::SqliteStore;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("alert store: {0}")]
    Db(#[from] rusqlite::Error),
    /// The data directory cannot be used.
    #[error("alert store: cannot use {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Stored JSON could not be read back, or a value could not be written.
    #[error("alert store: bad stored data: {0}")]
    Data(String),
    /// An event was numbered at or below the newest stored one.
    #[error("alert store: event {given} is not after the newest stored event {last}")]
    OutOfOrder {
        /// The sequence number given.
        given: u64,
        /// The newest stored.
        last: u64,
    },
    /// A schema migration failed for a reason other than SQLite's own.
    #[error("alert store: migration: {0}")]
    Migration(String),
    /// The file was written by a newer version of the dashboard.
    #[error("alert store: schema version {found} is newer than this build knows ({known})")]
    NewerSchema {
        /// Version in the file.
        found: i64,
        /// Version this build writes.
        known: i64,
    },
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A persistent home for alert events, history, read state, acknowledgements, active alerts and silences.
/// Every method is blocking; call it from `spawn_blocking` in async code.
pub trait AlertStore: Send + Sync {
    /// The newest event's sequence number (kept even when retention or clearing removed the event).
    fn last_seq(&self) -> Result<u64>;
    /// Appends one event (its `seq` must be greater than [`AlertStore::last_seq`]), the alert it carries, if
    /// any, and the change to the active alerts — atomically.
    fn append(
        &self,
        event: &StoredEvent,
        alert: Option<&AlertRow>,
        active: &ActiveChange,
    ) -> Result<()>;
    /// Up to `limit` events after `seq`, oldest first.
    fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<StoredEvent>>;
    /// The history, filtered and paged.
    fn history(&self, query: &HistoryQuery) -> Result<HistoryPage>;
    /// The alerts firing now.
    fn active(&self) -> Result<Vec<ActiveRecord>>;
    /// Marks every event of an alert read; false when the alert is unknown.
    fn mark_read(&self, alert_id: &str) -> Result<bool>;
    /// Marks everything read; returns the alert ids that were unread.
    fn mark_all_read(&self) -> Result<Vec<String>>;
    /// Deletes the history (not the active alerts, silences or the replay events); returns the rows removed.
    fn clear(&self) -> Result<u64>;
    /// Records an acknowledgement; false when the alert is unknown.
    fn acknowledge(&self, alert_id: &str, ack: &Ack) -> Result<bool>;
    /// Stores a new silence.
    fn create_silence(&self, silence: &Silence) -> Result<()>;
    /// Silences, newest first; expired ones (ended or expired by hand before `now`) only when asked.
    fn silences(
        &self,
        include_expired: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Silence>>;
    /// Ends a silence now; false when unknown or already over.
    fn expire_silence(&self, id: &str, now: chrono::DateTime<chrono::Utc>) -> Result<bool>;
    /// Deletes history and events older than the retention age or beyond its count; returns the rows removed.
    fn apply_retention(
        &self,
        retention: &Retention,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64>;
}

#[cfg(test)]
mod tests;

//! The values a store keeps and answers with.

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One frame of the `system_alerts` topic, as sent to clients.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Topic sequence number.
    pub seq: u64,
    /// When it was published.
    pub at: DateTime<Utc>,
    /// `system_alert` or `alert_update`.
    pub kind: String,
    /// The JSON text sent.
    pub text: String,
}

/// One alert transition for the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    /// Sequence number of the message that carried it.
    pub seq: u64,
    /// Id of the `system_alert` message.
    pub message_id: String,
    /// Episode id.
    pub alert_id: String,
    /// `rule/subject`.
    pub identity: String,
    /// Alert type (`high_cpu`, …).
    pub rule: String,
    /// Container name, or empty.
    pub subject: String,
    /// `firing`, `repeat`, `resolved`.
    pub state: String,
    /// `warning`, `critical`, `info`.
    pub severity: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Whether a silence matched it (stored, not notified).
    pub silenced: bool,
    /// The item as sent in `alerts[]`.
    pub item: Value,
}

/// Someone acknowledged an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    /// Who.
    pub by: String,
    /// Why, or what is being done.
    pub comment: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A history entry with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// The transition.
    #[serde(flatten)]
    pub row: AlertRow,
    /// Read by someone (per alert episode).
    pub read: bool,
    /// Acknowledgement of the episode.
    pub acknowledged: Option<Ack>,
}

/// An alert firing now, as the engine needs it to continue after a restart (opaque JSON to the store).
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveRecord {
    /// `rule/subject`.
    pub identity: String,
    /// Episode id.
    pub alert_id: String,
    /// Whatever the caller needs to restore it.
    pub data: Value,
}

/// How an append changes the active alerts.
#[derive(Debug, Clone, PartialEq)]
pub enum ActiveChange {
    /// Unchanged.
    Keep,
    /// Firing (new or updated).
    Upsert(ActiveRecord),
    /// Resolved: remove by identity.
    Remove(String),
}

/// Filters and paging of the history. Newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryQuery {
    /// Only this severity.
    pub severity: Option<String>,
    /// Only this alert type.
    pub rule: Option<String>,
    /// Only this state.
    pub state: Option<String>,
    /// Only this episode.
    pub alert_id: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Only events with a greater sequence number.
    pub after_seq: Option<u64>,
    /// Only unread.
    pub unread_only: bool,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// One page of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The rows, newest first.
    pub items: Vec<AlertRecord>,
    /// Rows matching the filters, all pages.
    pub total: u64,
}

/// A silence: alerts whose labels match every matcher are stored but not notified until `ends_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    /// Id.
    pub id: String,
    /// Label → value that must be equal (`type`, `severity`, `container_name`, `alert_id`, `identity`).
    pub matchers: BTreeMap<String, String>,
    /// Why.
    pub comment: String,
    /// Who.
    pub created_by: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When it ends by itself.
    pub ends_at: DateTime<Utc>,
    /// When it was ended by hand.
    pub expired_at: Option<DateTime<Utc>>,
}

impl Silence {
    /// Whether it is in force at `now`.
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        now < self.ends_at && self.expired_at.is_none_or(|e| now < e)
    }

    /// Whether an alert with these labels is silenced by it (in force, and every matcher equal).
    pub fn matches(&self, labels: &BTreeMap<String, String>, now: DateTime<Utc>) -> bool {
        self.active_at(now)
            && self
                .matchers
                .iter()
                .all(|(k, v)| labels.get(k).is_some_and(|l| l == v))
    }
}

/// How much history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Retention {
    /// Oldest kept.
    pub max_age: Option<Duration>,
    /// Most history rows (and replay events) kept.
    pub max_events: Option<usize>,
}

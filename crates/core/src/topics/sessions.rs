//! The `sessions` topic: the live session count and where it comes from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{source::SourceState, time::serde_rfc3339};

/// `data.sessions` (the old dashboard sent only `active_count` and `total_count`; the rest default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionsTopic {
    /// Live sessions: Redis's keys while Redis is readable, else KATO's count, else unknown.
    pub active_count: Option<u64>,
    /// Sessions created since the dashboard started.
    pub total_count: u64,
    /// Where `active_count` comes from.
    pub count_source: CountSource,
    /// KATO's own figure (it drifts on 3.x: kept beside, never instead).
    pub kato_count: Option<u64>,
    /// Sessions in the list.
    pub listed: u64,
    /// Whether the list was cut at its limit.
    pub truncated: bool,
    /// The two sources of session changes.
    pub sources: SessionSources,
    /// When this summary was made.
    #[serde(with = "serde_rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl Default for SessionsTopic {
    fn default() -> Self {
        Self {
            active_count: None,
            total_count: 0,
            count_source: CountSource::Unknown,
            kato_count: None,
            listed: 0,
            truncated: false,
            sources: SessionSources::default(),
            updated_at: DateTime::UNIX_EPOCH,
        }
    }
}

/// Where the active count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CountSource {
    /// Redis's session keys.
    Redis,
    /// KATO's `/metrics`.
    Kato,
    /// Neither could be read.
    #[default]
    #[serde(other)]
    Unknown,
}

/// The state of the session sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSources {
    /// The Redis scan.
    pub redis: SourceState,
    /// KATO's `/ws/events` push.
    pub kato_events: SourceState,
}

impl Default for SessionSources {
    fn default() -> Self {
        let unknown = SourceState::Unavailable {
            reason: "not reported".into(),
            since: DateTime::UNIX_EPOCH,
        };
        Self {
            redis: unknown.clone(),
            kato_events: unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_dashboards_sessions_read() {
        let old: SessionsTopic =
            serde_json::from_str(r#"{"active_count": 0, "total_count": 0}"#).unwrap();
        assert_eq!(old.active_count, Some(0));
        assert_eq!(old.count_source, CountSource::Unknown);
    }
}

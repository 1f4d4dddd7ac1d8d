//! The state of one upstream source (KATO, Docker, Redis, …) as every collector reports it and every message
//! shows it: `ok`, or `unavailable` with the reason and since when. An upstream never fails silently.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a source currently delivers data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SourceState {
    /// Data is flowing.
    Ok,
    /// No data: why, and since when (the first failure of this outage).
    Unavailable {
        /// Human-readable cause, e.g. "connection refused".
        reason: String,
        /// Start of the outage.
        since: DateTime<Utc>,
    },
}

impl SourceState {
    /// Whether data is flowing.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }

    /// The next state after a failure at `now`: keeps the original `since` while the outage lasts.
    pub fn failed(&self, reason: impl Into<String>, now: DateTime<Utc>) -> Self {
        let since = match self {
            Self::Unavailable { since, .. } => *since,
            Self::Ok => now,
        };
        Self::Unavailable {
            reason: reason.into(),
            since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_outage_keeps_its_start() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 5).unwrap();
        let s = SourceState::Ok.failed("refused", t0).failed("timeout", t1);
        assert_eq!(
            s,
            SourceState::Unavailable {
                reason: "timeout".into(),
                since: t0
            }
        );
        assert_eq!(serde_json::to_value(&s).unwrap()["state"], "unavailable");
        assert!(SourceState::Ok.is_ok());
    }
}

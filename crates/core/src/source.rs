//! The state of one upstream source (KATO, Docker, Redis, …) as every collector reports it and every message
//! shows it: `ok`, `unavailable` with the reason and since when, or `off` when the operator switched it off
//! (no data is expected, so nothing about it is an outage). An upstream never fails silently.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a source currently delivers data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", try_from = "SourceWire")]
pub enum SourceState {
    /// Data is flowing.
    Ok,
    /// No data: why, and since when (the first failure of this outage).
    Unavailable {
        /// Human-readable cause, e.g. "connection refused".
        reason: String,
        /// Start of the outage (the epoch when a reader got none).
        since: DateTime<Utc>,
    },
    /// Switched off by the configuration (e.g. `DOCKER_ENABLED=false`): no data, and none expected.
    Off {
        /// What switched it off, in words an operator can act on.
        reason: String,
    },
}

/// The wire form read flat: an internally tagged derive would buffer every value into serde's `Content` first,
/// which costs the web app's WASM several KB for one three-field object.
#[derive(Deserialize)]
struct SourceWire {
    state: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default, deserialize_with = "crate::time::serde_rfc3339::deserialize")]
    since: DateTime<Utc>,
}

impl TryFrom<SourceWire> for SourceState {
    type Error = &'static str;

    fn try_from(w: SourceWire) -> Result<Self, Self::Error> {
        match (w.state.as_str(), w.reason) {
            ("ok", _) => Ok(Self::Ok),
            ("unavailable", Some(reason)) => Ok(Self::Unavailable {
                reason,
                since: w.since,
            }),
            ("off", Some(reason)) => Ok(Self::Off { reason }),
            ("unavailable" | "off", None) => Err("missing field `reason`"),
            _ => Err("unknown variant of `state`, expected `ok`, `unavailable` or `off`"),
        }
    }
}

impl SourceState {
    /// Whether data is flowing.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }

    /// Why there is no data (`None` while data flows).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Ok => None,
            Self::Unavailable { reason, .. } | Self::Off { reason } => Some(reason),
        }
    }

    /// The next state after a failure at `now`: keeps the original `since` while the outage lasts.
    pub fn failed(&self, reason: impl Into<String>, now: DateTime<Utc>) -> Self {
        let since = match self {
            Self::Unavailable { since, .. } => *since,
            Self::Ok | Self::Off { .. } => now,
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
        let off = SourceState::Off {
            reason: "DOCKER_ENABLED=false".into(),
        };
        assert!(!off.is_ok());
        assert_eq!(
            serde_json::to_value(&off).unwrap(),
            serde_json::json!({"state": "off", "reason": "DOCKER_ENABLED=false"})
        );
        for v in [&s, &off, &SourceState::Ok] {
            let text = serde_json::to_string(v).unwrap();
            assert_eq!(&serde_json::from_str::<SourceState>(&text).unwrap(), v);
        }
        let no_since: SourceState =
            serde_json::from_str(r#"{"state":"unavailable","reason":"x"}"#).unwrap();
        assert_eq!(no_since.reason(), Some("x"));
        for bad in [
            r#"{"state":"off"}"#,
            r#"{"state":"gone","reason":"x"}"#,
            "{}",
        ] {
            assert!(serde_json::from_str::<SourceState>(bad).is_err(), "{bad}");
        }
    }
}

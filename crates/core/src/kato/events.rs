//! Frames of KATO's WebSocket `ws://<kato>/ws/events`.
//!
//! * On connect KATO sends `state.snapshot` (its timestamp is naive local time, no offset).
//! * Then `session.created` and `session.destroyed` (explicit DELETEs only: TTL expiry sends
//!   nothing), timestamps with `+00:00`.
//! * With several workers a client sees only its worker's events: treat them as hints.
//! * The client may send the text `ping`; KATO answers the plain text `pong` (not JSON).
//!
//! Unknown `event_type`s (later KATO versions) become [`KatoEvent::Other`], never an error.

use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `event_type` of the snapshot sent on connect.
pub const STATE_SNAPSHOT: &str = "state.snapshot";
/// `event_type` of a created session.
pub const SESSION_CREATED: &str = "session.created";
/// `event_type` of an explicitly deleted session.
pub const SESSION_DESTROYED: &str = "session.destroyed";

/// One `/ws/events` frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEvent", into = "RawEvent")]
pub enum KatoEvent {
    /// `state.snapshot`, sent on connect.
    Snapshot {
        timestamp: Option<DateTime<Utc>>,
        data: SnapshotData,
    },
    /// `session.created`.
    SessionCreated {
        timestamp: Option<DateTime<Utc>>,
        data: SessionCreatedData,
    },
    /// `session.destroyed` (explicit delete).
    SessionDestroyed {
        timestamp: Option<DateTime<Utc>>,
        data: SessionDestroyedData,
    },
    /// Any other `event_type`, kept as is.
    Other {
        event_type: String,
        timestamp: Option<DateTime<Utc>>,
        data: Value,
    },
}

/// `data` of `state.snapshot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotData {
    /// The `/sessions/count` value.
    #[serde(deserialize_with = "lenient::count")]
    pub active_sessions: u64,
    /// Always `"healthy"` (a constant in KATO).
    #[serde(default)]
    pub system_status: Option<String>,
    /// KATO 5.0+: the worker's pid.
    #[serde(
        default,
        deserialize_with = "lenient::opt_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub worker_pid: Option<u64>,
}

/// `data` of `session.created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCreatedData {
    pub session_id: String,
    #[serde(default)]
    pub node_id: Option<String>,
    /// `+00:00` here, while the REST SessionResponse uses `Z`.
    #[serde(default, with = "timestamp::optional")]
    pub created_at: Option<DateTime<Utc>>,
}

/// `data` of `session.destroyed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDestroyedData {
    pub session_id: String,
    #[serde(default, with = "timestamp::optional")]
    pub destroyed_at: Option<DateTime<Utc>>,
    /// `"explicit_delete"`.
    #[serde(default)]
    pub reason: Option<String>,
}

impl KatoEvent {
    /// Parses one text frame.
    pub fn from_frame(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The wire `event_type`.
    pub fn event_type(&self) -> &str {
        match self {
            Self::Snapshot { .. } => STATE_SNAPSHOT,
            Self::SessionCreated { .. } => SESSION_CREATED,
            Self::SessionDestroyed { .. } => SESSION_DESTROYED,
            Self::Other { event_type, .. } => event_type,
        }
    }

    /// The frame's timestamp, in UTC.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Snapshot { timestamp, .. }
            | Self::SessionCreated { timestamp, .. }
            | Self::SessionDestroyed { timestamp, .. }
            | Self::Other { timestamp, .. } => *timestamp,
        }
    }

    /// The session a created/destroyed event is about.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Self::SessionCreated { data, .. } => Some(&data.session_id),
            Self::SessionDestroyed { data, .. } => Some(&data.session_id),
            _ => None,
        }
    }
}

/// The wire shape, converted to and from [`KatoEvent`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawEvent {
    event_type: String,
    #[serde(default)]
    timestamp: Value,
    #[serde(default)]
    data: Value,
}

fn parse_ts(v: &Value) -> Result<Option<DateTime<Utc>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => timestamp::parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| format!("bad event timestamp {s:?}")),
        Value::Number(n) => Ok(n.as_f64().and_then(timestamp::from_epoch_seconds)),
        other => Err(format!("bad event timestamp {other}")),
    }
}

impl TryFrom<RawEvent> for KatoEvent {
    type Error = String;

    fn try_from(raw: RawEvent) -> Result<Self, String> {
        let data_err = |e: serde_json::Error| format!("bad `{}` data: {e}", raw.event_type);
        Ok(match raw.event_type.as_str() {
            STATE_SNAPSHOT => Self::Snapshot {
                timestamp: parse_ts(&raw.timestamp)?,
                data: serde_json::from_value(raw.data.clone()).map_err(data_err)?,
            },
            SESSION_CREATED => Self::SessionCreated {
                timestamp: parse_ts(&raw.timestamp)?,
                data: serde_json::from_value(raw.data.clone()).map_err(data_err)?,
            },
            SESSION_DESTROYED => Self::SessionDestroyed {
                timestamp: parse_ts(&raw.timestamp)?,
                data: serde_json::from_value(raw.data.clone()).map_err(data_err)?,
            },
            _ => Self::Other {
                // Unknown events are kept even when their timestamp is odd.
                timestamp: parse_ts(&raw.timestamp).ok().flatten(),
                event_type: raw.event_type,
                data: raw.data,
            },
        })
    }
}

impl From<KatoEvent> for RawEvent {
    fn from(event: KatoEvent) -> Self {
        let event_type = event.event_type().to_owned();
        let timestamp = event.timestamp().map_or(Value::Null, |t| {
            Value::String(timestamp::format_timestamp(&t))
        });
        let data = match event {
            KatoEvent::Snapshot { data, .. } => serde_json::to_value(data),
            KatoEvent::SessionCreated { data, .. } => serde_json::to_value(data),
            KatoEvent::SessionDestroyed { data, .. } => serde_json::to_value(data),
            KatoEvent::Other { data, .. } => Ok(data),
        }
        .unwrap_or(Value::Null);
        Self {
            event_type,
            timestamp,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn snapshot_with_naive_timestamp() {
        let e = KatoEvent::from_frame(
            r#"{"event_type": "state.snapshot", "timestamp": "2026-11-22T02:51:17.717145",
                "data": {"active_sessions": 0, "system_status": "healthy"}}"#,
        )
        .unwrap();
        let want = Utc.timestamp_opt(1_795_315_877, 717_145_000).unwrap();
        assert_eq!(e.timestamp(), Some(want));
        assert!(matches!(e, KatoEvent::Snapshot { ref data, .. } if data.active_sessions == 0));
    }

    #[test]
    fn created_and_destroyed() {
        let created = KatoEvent::from_frame(
            r#"{"event_type": "session.created", "timestamp": "2026-11-22T02:51:18.533639+00:00",
                "data": {"session_id": "s-1", "node_id": "dash-alice",
                         "created_at": "2026-11-22T02:51:18.531837+00:00"}}"#,
        )
        .unwrap();
        assert_eq!(created.event_type(), SESSION_CREATED);
        assert_eq!(created.session_id(), Some("s-1"));
        let destroyed = KatoEvent::from_frame(
            r#"{"event_type": "session.destroyed", "timestamp": "2026-11-22T02:51:32.128651+00:00",
                "data": {"session_id": "s-1", "destroyed_at": "2026-11-22T02:51:32.128675+00:00",
                         "reason": "explicit_delete"}}"#,
        )
        .unwrap();
        assert!(matches!(destroyed, KatoEvent::SessionDestroyed { .. }));
    }

    #[test]
    fn unknown_event_types_are_kept() {
        let e = KatoEvent::from_frame(
            r#"{"event_type": "system.error", "timestamp": "later", "data": {"x": 1}}"#,
        )
        .unwrap();
        match &e {
            KatoEvent::Other {
                event_type,
                timestamp,
                data,
            } => {
                assert_eq!(event_type, "system.error");
                assert_eq!(*timestamp, None);
                assert_eq!(data["x"], 1);
            }
            other => panic!("expected Other, got {other:?}"),
        }
    }

    #[test]
    fn broken_known_events_and_non_events_fail() {
        for bad in [
            r#"{"event_type": "session.created", "data": {}}"#,
            r#"{"event_type": "state.snapshot", "timestamp": "x", "data": {"active_sessions": 1}}"#,
            r#"{"data": {}}"#,
            "pong",
        ] {
            assert!(KatoEvent::from_frame(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        for frame in [
            r#"{"event_type": "state.snapshot", "timestamp": "2026-11-22T02:51:17.717145", "data": {"active_sessions": 3, "system_status": "healthy"}}"#,
            r#"{"event_type": "session.created", "timestamp": 1795315878.5, "data": {"session_id": "s"}}"#,
            r#"{"event_type": "kato.future", "timestamp": null, "data": [1]}"#,
        ] {
            let e = KatoEvent::from_frame(frame).unwrap();
            let back = KatoEvent::from_frame(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
    }
}

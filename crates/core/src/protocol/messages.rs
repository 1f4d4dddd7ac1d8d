//! Server messages: what the server sends, read by the web app.

use serde::Serialize;
use serde_json::{Map, Value};

use super::client::ErrorCode;
use crate::topics::{AlertItem, KatoEventData, SessionEventData};

/// What the server sends. Used by the server for control frames and by the web app to read every frame.
///
/// Read by [`ServerMsg::from_value`] (`server_read.rs`): a field documented "may be missing" reads as its default
/// when absent, as in the old dashboard's messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// State topics: full values in `data`, and (with deltas) patches in `patch`.
    RealtimeUpdate {
        /// RFC 3339 UTC.
        timestamp: String,
        /// Hub tick number (may be missing).
        tick: u64,
        /// Full values by topic name (may be missing).
        data: Map<String, Value>,
        /// Patches (see [`super::delta`]) by topic name, against the value this client last received (may be
        /// missing).
        #[serde(skip_serializing_if = "Map::is_empty")]
        patch: Map<String, Value>,
    },
    /// A session was created or destroyed.
    SessionEvent {
        /// `session_created` or `session_destroyed`.
        event_type: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `session_events` topic (may be missing).
        seq: u64,
        /// Old fields (`current_count`, `previous_count`, `delta`, `time_since_last_event`) and new ones (may be
        /// missing).
        data: SessionEventData,
    },
    /// Alerts (old shape: `id`, `alerts`) with sequence numbers.
    SystemAlert {
        /// Message id (may be missing).
        id: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `system_alerts` topic (may be missing).
        seq: u64,
        /// The alerts firing now, sent first to every subscriber (`id` `firing`, `seq` 0) (may be missing).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        snapshot: bool,
        /// Alert items (may be missing).
        alerts: Vec<AlertItem>,
    },
    /// Alert bookkeeping shared by every tab: read, acknowledged, silenced, cleared (on the `system_alerts` topic).
    AlertUpdate {
        /// `read`, `read_all`, `acknowledged`, `silence_created`, `silence_expired`, `cleared`.
        action: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `system_alerts` topic (may be missing).
        seq: u64,
        /// What changed (may be missing).
        data: Value,
    },
    /// KATO restarted, became unreachable or came back.
    KatoEvent {
        /// `kato_restarted`, `kato_unreachable`, `kato_reachable`.
        event_type: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `kato_events` topic (may be missing).
        seq: u64,
        /// Details (read by shape, see [`KatoEventData::from_value`]) (may be missing).
        data: KatoEventData,
    },
    /// Reply to `ping`, and unsolicited every 15 s.
    Heartbeat {
        /// RFC 3339 UTC.
        timestamp: String,
    },
    /// Acknowledges `subscribe`/`unsubscribe` with the resulting set.
    Subscribed {
        /// The topics now subscribed.
        subscriptions: Vec<String>,
        /// Names in the request that are not topics (may be missing).
        unknown: Vec<String>,
    },
    /// Acknowledges `features`.
    Features {
        /// Whether deltas are on.
        deltas: bool,
    },
    /// A frame was rejected; the socket stays usable unless the code says otherwise.
    Error {
        /// Machine-readable cause.
        code: ErrorCode,
        /// Human-readable cause.
        message: String,
    },
    /// Events of `topic` were lost to this client (too slow, or asked for more than the server keeps): a fresh
    /// snapshot follows and replay continues from `from_seq`.
    Resync {
        /// The topic.
        topic: String,
        /// `lagged`, `gap`, `server_restarted`.
        reason: String,
        /// The first sequence number the client will get from now on.
        from_seq: u64,
    },
    /// Any message type this build does not know (newer servers).
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_round_trip_and_unknown_types_are_tolerated() {
        let msg = ServerMsg::Subscribed {
            subscriptions: vec!["metrics".into()],
            unknown: vec!["x".into()],
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert!(text.starts_with(r#"{"type":"subscribed""#), "{text}");
        assert_eq!(serde_json::from_str::<ServerMsg>(&text).unwrap(), msg);
        let future: ServerMsg = serde_json::from_str(r#"{"type":"hologram","x":1}"#).unwrap();
        assert_eq!(future, ServerMsg::Unknown);
        let old: ServerMsg = serde_json::from_str(
            r#"{"type": "session_event", "event_type": "session_created", "timestamp": "2025-10-13T10:25:19.219840", "data": {"current_count": 2}}"#,
        )
        .unwrap();
        assert!(matches!(old, ServerMsg::SessionEvent { seq: 0, .. }));
    }
}

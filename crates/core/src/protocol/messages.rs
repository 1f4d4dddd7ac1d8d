//! Server messages: what the server sends, read by the web app.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::ErrorCode;
use crate::topics::{AlertItem, KatoEventData, SessionEventData, from_object};

/// Reads an object payload through `serde_json::Value` and [`from_object`]: the typed payloads are then read by
/// one deserializer wherever they come from (a frame, a REST answer), which keeps the web app's WASM small; and a
/// payload that does not read is reported as this field's error.
fn via_value<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    from_object(&value).map_err(serde::de::Error::custom)
}

/// [`via_value`] for a list of alert items.
fn alert_items<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<AlertItem>, D::Error> {
    Vec::<Value>::deserialize(d)?
        .iter()
        .map(|v| from_object(v).map_err(serde::de::Error::custom))
        .collect()
}

/// What the server sends. Used by the server for control frames and by the web app to read every frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// State topics: full values in `data`, and (with deltas) patches in `patch`.
    RealtimeUpdate {
        /// RFC 3339 UTC.
        timestamp: String,
        /// Hub tick number.
        #[serde(default)]
        tick: u64,
        /// Full values by topic name.
        #[serde(default)]
        data: Map<String, Value>,
        /// Patches (see [`super::delta`]) by topic name, against the value this client last received.
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        patch: Map<String, Value>,
    },
    /// A session was created or destroyed.
    SessionEvent {
        /// `session_created` or `session_destroyed`.
        event_type: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `session_events` topic.
        #[serde(default)]
        seq: u64,
        /// Old fields (`current_count`, `previous_count`, `delta`, `time_since_last_event`) and new ones.
        #[serde(default, deserialize_with = "via_value")]
        data: SessionEventData,
    },
    /// Alerts (old shape: `id`, `alerts`) with sequence numbers.
    SystemAlert {
        /// Message id.
        #[serde(default)]
        id: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `system_alerts` topic.
        #[serde(default)]
        seq: u64,
        /// The alerts firing now, sent first to every subscriber (`id` `firing`, `seq` 0).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        snapshot: bool,
        /// Alert items.
        #[serde(default, deserialize_with = "alert_items")]
        alerts: Vec<AlertItem>,
    },
    /// Alert bookkeeping shared by every tab: read, acknowledged, silenced, cleared (on the `system_alerts` topic).
    AlertUpdate {
        /// `read`, `read_all`, `acknowledged`, `silence_created`, `silence_expired`, `cleared`.
        action: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `system_alerts` topic.
        #[serde(default)]
        seq: u64,
        /// What changed.
        #[serde(default)]
        data: Value,
    },
    /// KATO restarted, became unreachable or came back.
    KatoEvent {
        /// `kato_restarted`, `kato_unreachable`, `kato_reachable`.
        event_type: String,
        /// RFC 3339 UTC.
        timestamp: String,
        /// Sequence number on the `kato_events` topic.
        #[serde(default)]
        seq: u64,
        /// Details (read by shape through `serde_json::Value`, like [`via_value`]).
        #[serde(default)]
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
        /// Names in the request that are not topics.
        #[serde(default)]
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
    #[serde(other)]
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

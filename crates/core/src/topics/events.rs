//! Payloads of the event topics: `session_event.data`, `kato_event.data`, `system_alert.alerts[]`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{docker::ContainerEvent, sessions::ChangeSource};

/// `session_event.data`: the old dashboard's four fields, then which session, where, why and who saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SessionEventData {
    /// Sessions after the change.
    pub current_count: i64,
    /// Sessions before it.
    pub previous_count: i64,
    /// `1` or `-1`.
    pub delta: i64,
    /// Seconds since the previous session event (0 for the first).
    pub time_since_last_event: f64,
    /// The session (empty in the old dashboard's events, which had none).
    pub session_id: String,
    /// Its node, when known.
    pub node_id: Option<String>,
    /// `explicit_delete`, `expired`, `removed` for a destroyed session.
    pub reason: Option<String>,
    /// Who saw it.
    pub source: Option<ChangeSource>,
}

/// `kato_event.data`, by its shape (an unknown shape is kept as it came). Written as the payload itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KatoEventData {
    /// `kato_restarted`.
    Restarted(KatoRestart),
    /// `kato_unreachable`.
    Unreachable(KatoUnreachable),
    /// `container_*`.
    Container(Box<ContainerEvent>),
    /// `kato_reachable` of one instance of a fleet.
    Reachable(KatoReachable),
    /// `kato_reachable` (`{}`) and anything this build does not know.
    Other(Map<String, Value>),
}

impl KatoEventData {
    /// Reads a payload: the first shape that fits, else kept as it came.
    pub fn from_value(v: &Value) -> Self {
        if let Ok(r) = super::from_object::<KatoRestart>(v) {
            KatoEventData::Restarted(r)
        } else if let Ok(u) = super::from_object::<KatoUnreachable>(v) {
            KatoEventData::Unreachable(u)
        } else if let Ok(c) = super::from_object::<ContainerEvent>(v) {
            KatoEventData::Container(Box::new(c))
        } else if let Ok(r) = super::from_object::<KatoReachable>(v) {
            KatoEventData::Reachable(r)
        } else {
            KatoEventData::Other(v.as_object().cloned().unwrap_or_default())
        }
    }
}

impl<'de> Deserialize<'de> for KatoEventData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_value(&Value::deserialize(d)?))
    }
}

impl Default for KatoEventData {
    fn default() -> Self {
        KatoEventData::Other(Map::new())
    }
}

/// `kato_restarted`: the process answering started after the one seen before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KatoRestart {
    /// Uptime of the process seen before.
    pub previous_uptime_seconds: f64,
    /// Uptime of the new one.
    pub uptime_seconds: f64,
    /// Restarts seen since the dashboard started.
    pub restarts: u64,
    /// The instance, in a fleet (left out for a single KATO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// `kato_unreachable`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KatoUnreachable {
    /// Why.
    pub reason: String,
    /// The instance, in a fleet (left out for a single KATO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// `kato_reachable` of one instance of a fleet (a single KATO's is `{}`, read as [`KatoEventData::Other`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KatoReachable {
    /// The instance.
    pub instance: String,
}

impl KatoEventData {
    /// The instance the event is about, in a fleet.
    pub fn instance(&self) -> Option<&str> {
        match self {
            KatoEventData::Restarted(r) => r.instance.as_deref(),
            KatoEventData::Unreachable(u) => u.instance.as_deref(),
            KatoEventData::Reachable(r) => Some(&r.instance),
            KatoEventData::Container(_) | KatoEventData::Other(_) => None,
        }
    }
}

/// One item of `system_alert.alerts`: the old dashboard's `level`, `type`, `message`, `value`, `threshold`,
/// `container_name`, `status`, and this dashboard's identity, state and times (empty in old messages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AlertItem {
    /// `info`, `warning`, `error`.
    pub level: String,
    /// The rule (`high_cpu`, `container_down`, …).
    #[serde(rename = "type")]
    pub rule: String,
    /// What happened, in words.
    pub message: String,
    /// This occurrence (`rule/subject@n`).
    pub alert_id: String,
    /// The rule and subject (`container_down/kato`).
    pub identity: String,
    /// `firing`, `repeat`, `resolved`.
    pub state: String,
    /// `fired`, `escalated`, `de_escalated`, `repeated`, `resolved`.
    pub transition: String,
    /// `warning`, `critical`, …
    pub severity: String,
    /// Sequence number of the `system_alert` it came in.
    pub seq: u64,
    /// `alert-<seq>`.
    pub event_id: String,
    /// When the transition happened (RFC 3339).
    pub timestamp: String,
    /// When the alert started (RFC 3339).
    pub started_at: String,
    /// Whether a silence matched it.
    pub silenced: bool,
    /// The reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The threshold crossed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The container, for container rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The container's status, for container rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// More about the reading, for other rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kato_event_data_reads_by_shape() {
        let read = |s: &str| serde_json::from_str::<KatoEventData>(s).unwrap();
        assert!(matches!(
            read(r#"{"previous_uptime_seconds":12.5,"uptime_seconds":1.0,"restarts":1}"#),
            KatoEventData::Restarted(_)
        ));
        assert!(matches!(
            read(r#"{"reason":"refused"}"#),
            KatoEventData::Unreachable(_)
        ));
        assert!(matches!(read("{}"), KatoEventData::Other(_)));
        let c = read(
            r#"{"name":"kato","id":"ab","kind":"died","status":"exited","health":null,"exit_code":1,"signal":null,"old_name":null,"at":"2026-12-07T06:00:03.250Z"}"#,
        );
        assert!(matches!(c, KatoEventData::Container(_)));
    }

    #[test]
    fn the_old_dashboards_events_read() {
        let old: SessionEventData = serde_json::from_str(
            r#"{"current_count": 2, "previous_count": 1, "delta": 1, "time_since_last_event": 3.031016}"#,
        )
        .unwrap();
        assert_eq!((old.current_count, old.delta), (2, 1));
        let item: AlertItem = serde_json::from_str(
            r#"{"level": "error", "type": "high_error_rate", "message": "High error rate: 20.0%", "value": 0.2, "threshold": 0.05}"#,
        )
        .unwrap();
        assert_eq!(
            (item.rule.as_str(), item.value),
            ("high_error_rate", Some(0.2))
        );
    }
}

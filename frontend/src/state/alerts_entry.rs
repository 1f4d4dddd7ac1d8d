//! One history entry from a `system_alert` item (live, the snapshot of firing alerts, or the REST history).

use serde_json::Value;

use super::AlertEntry;
use crate::format::parse_ts_ms;
use crate::state::json::{num, text};

pub(super) fn alert_entry(
    id: &str,
    ts: &str,
    seq: u64,
    index: usize,
    a: &Value,
    now_ms: f64,
) -> AlertEntry {
    let alert_id = text(a, "alert_id");
    let state = text(a, "state")
        .or_else(|| text(a, "status").filter(|s| matches!(s.as_str(), "firing" | "resolved")))
        .unwrap_or_else(|| "firing".into());
    // The engine names each transition's message (`event_id`), so the same transition has the same key whether
    // it came live, in the snapshot of firing alerts, or from the REST history.
    let message_id = match text(a, "event_id") {
        Some(event_id) => event_id,
        None if id.is_empty() => format!("{seq}@{ts}"),
        None => id.to_owned(),
    };
    let flag = |key: &str| a.get(key).and_then(Value::as_bool).unwrap_or(false);
    let who = alert_id.clone().unwrap_or_else(|| index.to_string());
    AlertEntry {
        key: format!("alert/{message_id}/{who}/{state}"),
        severity: text(a, "severity")
            .or_else(|| text(a, "level"))
            .unwrap_or_else(|| "warning".into())
            .to_lowercase(),
        kind: text(a, "type").unwrap_or_else(|| "alert".into()),
        message: text(a, "message").unwrap_or_default(),
        value: num(a, "value"),
        threshold: num(a, "threshold"),
        container: text(a, "container_name"),
        timestamp_ms: text(a, "timestamp")
            .and_then(|t| parse_ts_ms(&t))
            .or_else(|| parse_ts_ms(ts))
            .unwrap_or(now_ms),
        alert_id,
        state,
        read: flag("read"),
        acknowledged: flag("acknowledged"),
        ack_by: a.get("ack").and_then(|ack| non_empty(ack, "by")),
        ack_comment: a.get("ack").and_then(|ack| non_empty(ack, "comment")),
        silenced: flag("silenced"),
    }
}

/// A string field with something in it besides blanks.
pub(super) fn non_empty(v: &Value, key: &str) -> Option<String> {
    text(v, key).filter(|t| !t.trim().is_empty())
}

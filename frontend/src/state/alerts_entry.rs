//! One history entry from a `system_alert` item (live, the snapshot of firing alerts, or the REST history).

use kato_dashboard_core::topics::AlertItem;
use serde_json::Value;

use super::AlertEntry;
use crate::format::parse_ts_ms;
use crate::state::json::text;

/// `s` unless it is empty (the fields an old server's items lack read as empty).
fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The entry of item `index` of message `id`/`seq` at `ts`. `history` is the REST history's record of the item,
/// which adds the server's `read`, `acknowledged` and `ack` to it.
pub(super) fn alert_entry(
    (id, ts, seq): (&str, &str, u64),
    index: usize,
    a: &AlertItem,
    history: Option<&Value>,
    now_ms: f64,
) -> AlertEntry {
    let alert_id = some(&a.alert_id);
    let state = some(&a.state)
        .or_else(|| {
            a.status
                .clone()
                .filter(|s| matches!(s.as_str(), "firing" | "resolved"))
        })
        .unwrap_or_else(|| "firing".into());
    // The engine names each transition's message (`event_id`), so the same transition has the same key whether
    // it came live, in the snapshot of firing alerts, or from the REST history.
    let message_id = match some(&a.event_id) {
        Some(event_id) => event_id,
        None if id.is_empty() => format!("{seq}@{ts}"),
        None => id.to_owned(),
    };
    let flag = |key: &str| {
        history
            .and_then(|h| h.get(key))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let ack = history.and_then(|h| h.get("ack"));
    let who = alert_id.clone().unwrap_or_else(|| index.to_string());
    AlertEntry {
        key: format!("alert/{message_id}/{who}/{state}"),
        severity: some(&a.severity)
            .or_else(|| some(&a.level))
            .unwrap_or_else(|| "warning".into())
            .to_ascii_lowercase(),
        kind: some(&a.rule).unwrap_or_else(|| "alert".into()),
        message: a.message.clone(),
        value: a.value,
        threshold: a.threshold,
        container: a.container_name.clone(),
        timestamp_ms: parse_ts_ms(&a.timestamp)
            .or_else(|| parse_ts_ms(ts))
            .unwrap_or(now_ms),
        alert_id,
        state,
        read: flag("read"),
        acknowledged: flag("acknowledged"),
        ack_by: ack.and_then(|ack| non_empty(ack, "by")),
        ack_comment: ack.and_then(|ack| non_empty(ack, "comment")),
        silenced: a.silenced,
    }
}

/// A string field with something in it besides blanks.
pub(super) fn non_empty(v: &Value, key: &str) -> Option<String> {
    text(v, key).filter(|t| !t.trim().is_empty())
}

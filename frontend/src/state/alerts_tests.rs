use super::*;
use serde_json::json;

const T0: &str = "2026-11-22T08:00:00.000Z";

fn t0() -> f64 {
    parse_ts_ms(T0).unwrap()
}

fn alert_msg(id: &str, seq: u64, alert_id: &str, state: &str, level: &str) -> ServerMsg {
    serde_json::from_value(json!({
        "type": "system_alert", "id": id, "timestamp": T0, "seq": seq,
        "alerts": [{"level": level, "type": "high_cpu", "message": "CPU 95% on kato", "value": 95.0,
                    "threshold": 80.0, "container_name": "kato", "alert_id": alert_id, "state": state}]
    }))
    .unwrap()
}

fn kato_msg(event_type: &str, ts: &str) -> ServerMsg {
    serde_json::from_value(
        json!({"type": "kato_event", "event_type": event_type, "timestamp": ts, "seq": 1,
        "data": {"reason": "connection refused", "previous_uptime_seconds": 600.0}}),
    )
    .unwrap()
}

#[test]
fn every_alert_item_becomes_one_entry_with_one_toast() {
    let mut s = AlertsState::default();
    assert!(s.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0()));
    assert_eq!(s.entries.len(), 1);
    let e = &s.entries[0];
    assert_eq!(
        (e.severity.as_str(), e.kind.as_str(), e.state.as_str()),
        ("error", "high_cpu", "firing")
    );
    assert_eq!(e.kind_label(), "High CPU");
    assert_eq!(s.toasts.visible.len(), 1);
    assert_eq!(s.toasts.visible[0].tone, Tone::Bad);
    assert_eq!(s.unread(), 1);
    // A replay of the same message (reconnect) changes nothing.
    assert!(!s.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0() + 10.0));
    assert_eq!(s.toasts.visible.len(), 1);
}

#[test]
fn fire_then_resolve_updates_what_is_firing() {
    let mut s = AlertsState::default();
    s.apply(&alert_msg("m1", 1, "a1", "firing", "warning"), t0());
    assert_eq!(s.firing().len(), 1);
    let mut resolved = alert_msg("m2", 2, "a1", "resolved", "warning");
    if let ServerMsg::SystemAlert { timestamp, .. } = &mut resolved {
        *timestamp = "2026-11-22T08:01:00.000Z".into();
    }
    s.apply(&resolved, t0() + 60_000.0);
    assert!(s.firing().is_empty());
    assert_eq!(s.entries[0].state, "resolved", "newest first");
    assert_eq!(s.entries[0].tone(), Tone::Ok);
    assert_eq!(s.toasts.visible.len(), 2, "a toast on fire and on resolve");
}

#[test]
fn old_events_go_to_history_without_a_toast() {
    let mut s = AlertsState::default();
    s.apply(
        &alert_msg("m1", 1, "a1", "firing", "error"),
        t0() + TOAST_MAX_AGE_MS + 1.0,
    );
    assert_eq!(s.entries.len(), 1);
    assert!(s.toasts.visible.is_empty());
}

#[test]
fn shown_toasts_survive_a_reload_server_alerts_come_from_the_server() {
    let mut s = AlertsState::default();
    s.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0());
    let alert = s.entries[0].key.clone();
    s.toasts.dismiss(&alert, t0());
    let stored = serde_json::to_string(&s.persisted()).unwrap();
    let mut reloaded = AlertsState::restore(serde_json::from_str(&stored).unwrap());
    assert!(
        reloaded.entries.is_empty(),
        "server alerts are not stored here"
    );
    // The server's history brings the alert back with its read flag; the replay then changes nothing.
    let item = json!({"level": "error", "type": "high_cpu", "message": "CPU 95% on kato", "alert_id": "a1",
        "state": "firing", "event_id": "m1", "timestamp": T0, "read": true, "acknowledged": true,
        "ack": {"by": "ana", "comment": "known: nightly batch", "at": T0}});
    assert!(reloaded.load_history(std::slice::from_ref(&item), t0() + 6000.0));
    assert!(!reloaded.load_history(&[item], t0() + 6000.0), "idempotent");
    assert!(reloaded.toasts.visible.is_empty(), "history never toasts");
    reloaded.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0() + 6000.0);
    assert_eq!(reloaded.entries.len(), 1);
    assert!(
        reloaded.toasts.visible.is_empty(),
        "a dismissed toast stays dismissed"
    );
    assert_eq!(reloaded.unread(), 0);
    assert_eq!(reloaded.alert_id_of(&alert).as_deref(), Some("a1"));
    assert!(reloaded.entries[0].acknowledged);
    assert_eq!(reloaded.entries[0].ack_by.as_deref(), Some("ana"));
    assert_eq!(
        reloaded.entries[0].ack_comment.as_deref(),
        Some("known: nightly batch")
    );
    reloaded.clear();
    assert!(reloaded.entries.is_empty());
}

#[test]
fn silenced_alerts_are_kept_but_not_toasted() {
    let mut s = AlertsState::default();
    let msg: ServerMsg = serde_json::from_value(json!({
        "type": "system_alert", "id": "alert-3", "timestamp": T0, "seq": 3,
        "alerts": [{"level": "warning", "type": "container_cpu", "message": "hot", "alert_id": "a3",
                    "state": "firing", "event_id": "alert-3", "silenced": true}]
    }))
    .unwrap();
    assert!(s.apply(&msg, t0()));
    assert!(s.entries[0].silenced);
    assert!(s.toasts.visible.is_empty());
    // The snapshot of firing alerts names the same transition: no duplicate.
    let snapshot: ServerMsg = serde_json::from_value(json!({
        "type": "system_alert", "id": "firing", "timestamp": T0, "seq": 0,
        "alerts": [{"level": "warning", "type": "container_cpu", "message": "hot", "alert_id": "a3",
                    "state": "firing", "event_id": "alert-3", "silenced": true}]
    }))
    .unwrap();
    assert!(!s.apply(&snapshot, t0()));
}

#[test]
fn kato_events_are_not_alerts_the_servers_engine_alerts_on_them() {
    let mut s = AlertsState::default();
    for event in ["kato_unreachable", "kato_reachable", "kato_restarted"] {
        assert!(!s.apply(&kato_msg(event, "2026-11-22T08:00:01.000Z"), t0()));
    }
    assert!(s.entries.is_empty() && s.toasts.visible.is_empty());
}

#[test]
fn filters_combine() {
    let mut s = AlertsState::default();
    s.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0());
    let restarted: ServerMsg = serde_json::from_value(json!({
        "type": "system_alert", "id": "m2", "timestamp": "2026-11-22T08:00:04.000Z", "seq": 2,
        "alerts": [{"level": "warning", "type": "kato_restarted", "message": "KATO restarted",
                    "alert_id": "a2", "state": "resolved"}]
    }))
    .unwrap();
    s.apply(&restarted, t0());
    s.filter.severity = Some("error".into());
    assert_eq!(s.filtered().len(), 1);
    s.filter.kind = Some("kato_restarted".into());
    assert!(s.filtered().is_empty());
    s.filter = AlertFilter {
        state: Some("resolved".into()),
        ..AlertFilter::default()
    };
    assert_eq!(s.filtered().len(), 1);
    s.filter = AlertFilter {
        unread_only: true,
        ..AlertFilter::default()
    };
    s.mark_all_read();
    assert!(s.filtered().is_empty());
    assert_eq!(s.distinct(|e| &e.kind), vec!["high_cpu", "kato_restarted"]);
}

#[test]
fn old_shape_alerts_without_ids_still_dedupe() {
    let old: ServerMsg =
        serde_json::from_value(json!({"type": "system_alert", "id": "", "timestamp": T0,
        "alerts": [{"level": "warning", "type": "high_memory", "message": "m", "threshold": 85}]}))
        .unwrap();
    let mut s = AlertsState::default();
    assert!(s.apply(&old, t0()));
    assert!(!s.apply(&old, t0()));
    assert_eq!(s.entries[0].state, "firing");
    assert_eq!(s.firing().len(), 1);
    assert_eq!(kind_label("kato_unreachable"), "KATO Unreachable");
}

#[test]
fn alert_updates_from_other_tabs_mark_read_acknowledge_and_clear() {
    let update = |action: &str, data: serde_json::Value| -> ServerMsg {
        serde_json::from_value(
            json!({"type": "alert_update", "action": action, "timestamp": T0, "seq": 9,
            "data": data}),
        )
        .unwrap()
    };
    let mut s = AlertsState::default();
    s.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0());
    s.apply(&alert_msg("m2", 2, "a2", "firing", "warning"), t0());
    assert!(s.apply(&update("read", json!({"alert_id": "a1"})), t0()));
    assert_eq!(s.unread(), 1);
    let ack = json!({"alert_id": "a2", "by": "ana", "comment": "  "});
    assert!(s.apply(&update("acknowledged", ack.clone()), t0()));
    let a2 = |s: &AlertsState| {
        s.entries
            .iter()
            .find(|e| e.alert_id.as_deref() == Some("a2"))
            .cloned()
            .unwrap()
    };
    assert!(a2(&s).acknowledged);
    assert_eq!(a2(&s).ack_by.as_deref(), Some("ana"));
    assert_eq!(a2(&s).ack_comment, None, "a blank comment is no comment");
    assert!(!s.apply(&update("acknowledged", ack), t0()), "idempotent");
    assert!(s.apply(&update("read_all", json!({})), t0()));
    assert_eq!(s.unread(), 0);
    assert!(s.apply(&update("silence_created", json!({"id": "s1"})), t0()));
    assert_eq!(s.silences_version, 1, "the silences list refetches");
    assert!(!s.apply(&update("something_new", json!({})), t0()));
    assert!(s.apply(&update("cleared", json!({"alert_id": "a1"})), t0()));
    assert_eq!(s.entries.len(), 1);
    assert!(s.apply(&update("cleared", json!({})), t0()));
    assert!(s.entries.is_empty());
}

#[test]
fn reminders_go_to_the_history_without_a_toast() {
    let mut s = AlertsState::default();
    s.apply(&alert_msg("m1", 1, "a1", "firing", "error"), t0());
    s.toasts.dismiss(&s.entries[0].key.clone(), t0());
    assert!(s.apply(
        &alert_msg("m2", 2, "a1", "repeat", "error"),
        t0() + 60_000.0
    ));
    assert_eq!(s.entries.len(), 2);
    assert!(s.toasts.visible.is_empty(), "{:?}", s.toasts.visible);
}

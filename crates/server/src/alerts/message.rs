//! How a [`Transition`] looks on the wire: one item of a `system_alert` in the old dashboard's shape (`level`,
//! `type`, `message`, `value`, `threshold`, `container_name`, `status`) plus `alert_id`, `state`, `severity`,
//! `seq` and a few more; the labels silences match on; the rules as `GET /alerts/rules` shows them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    alerts::{AlertType, RuleSet, Transition, TransitionKind},
    protocol::ServerMsg,
    time::rfc3339,
    topics::AlertItem,
};
use serde_json::{Value, json};

/// The wire `state` of a transition: `firing` (fired, escalated, de-escalated), `repeat`, `resolved`.
pub fn state(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Fired | TransitionKind::Escalated | TransitionKind::DeEscalated => "firing",
        TransitionKind::Repeated => "repeat",
        TransitionKind::Resolved => "resolved",
    }
}

/// The wire name of the transition itself.
pub fn transition(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Fired => "fired",
        TransitionKind::Escalated => "escalated",
        TransitionKind::DeEscalated => "de_escalated",
        TransitionKind::Repeated => "repeated",
        TransitionKind::Resolved => "resolved",
    }
}

/// Whether the subject of a rule is a container.
pub fn about_container(rule: AlertType) -> bool {
    matches!(
        rule,
        AlertType::ContainerDown
            | AlertType::ContainerCpu
            | AlertType::ContainerMemory
            | AlertType::ContainerMissing
    )
}

/// The `id` of the `system_alert` message with sequence number `seq`.
pub fn event_id(seq: u64) -> String {
    format!("alert-{seq}")
}

/// One `alerts[]` item.
pub fn item(t: &Transition, seq: u64, silenced: bool) -> AlertItem {
    let container = about_container(t.rule);
    AlertItem {
        level: t.severity.level().to_owned(),
        rule: t.rule.as_str().to_owned(),
        message: t.message.clone(),
        alert_id: t.alert_id.clone(),
        identity: t.identity.clone(),
        state: state(t.kind).to_owned(),
        transition: transition(t.kind).to_owned(),
        severity: t.severity.as_str().to_owned(),
        seq,
        event_id: event_id(seq),
        timestamp: rfc3339(t.at),
        started_at: rfc3339(t.started_at),
        silenced,
        value: t.value,
        threshold: t.threshold,
        container_name: container.then(|| t.subject.clone()),
        status: t.detail.clone().filter(|_| container),
        detail: t.detail.clone().filter(|d| !container && !d.is_empty()),
    }
}

/// The labels silences match on and webhooks carry.
pub fn labels(t: &Transition) -> BTreeMap<String, String> {
    let mut l = BTreeMap::from([
        ("alertname".to_string(), t.rule.as_str().to_string()),
        ("type".to_string(), t.rule.as_str().to_string()),
        ("severity".to_string(), t.severity.as_str().to_string()),
        ("alert_id".to_string(), t.alert_id.clone()),
        ("identity".to_string(), t.identity.clone()),
    ]);
    if !t.subject.is_empty() {
        l.insert("container_name".into(), t.subject.clone());
        l.insert("container".into(), t.subject.clone());
    }
    l
}

/// The `system_alert` that every subscriber gets first: the items of the alerts firing now, each as last sent.
pub fn firing_snapshot(
    items: impl IntoIterator<Item = AlertItem>,
    now: DateTime<Utc>,
) -> ServerMsg {
    ServerMsg::SystemAlert {
        id: "firing".into(),
        timestamp: rfc3339(now),
        seq: 0,
        snapshot: true,
        alerts: items.into_iter().collect(),
    }
}

/// The effective rules, for `GET /alerts/rules`.
pub fn rules_view(rules: &RuleSet) -> Value {
    let list: Vec<Value> = rules
        .0
        .iter()
        .map(|(rule, c)| {
            json!({
                "type": rule.as_str(),
                "enabled": c.enabled,
                "fire": c.bands.map(|b| b.warning),
                "clear": c.bands.map(|b| b.clear),
                "critical": c.bands.and_then(|b| b.critical),
                "severity": c.bands.map_or(c.severity.as_str(), |_| "warning"),
                "pending_seconds": c.pending.as_secs_f64(),
                "repeat_seconds": c.repeat.as_secs_f64(),
                "auto_resolve_seconds": c.auto_resolve.map(|d| d.as_secs_f64()),
            })
        })
        .collect();
    json!({ "rules": list })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kato_dashboard_core::alerts::Severity;

    /// `container_down` of `kato` fired at `at`, started at `started_at`.
    fn kato_down(at: DateTime<Utc>, started_at: DateTime<Utc>) -> Transition {
        Transition {
            alert_id: "container_down/kato@1".into(),
            identity: "container_down/kato".into(),
            rule: AlertType::ContainerDown,
            subject: "kato".into(),
            kind: TransitionKind::Fired,
            severity: Severity::Critical,
            value: None,
            threshold: None,
            message: "Container 'kato' is exited".into(),
            detail: Some("exited".into()),
            at,
            started_at,
        }
    }

    #[test]
    fn items_keep_the_old_shape() {
        let t = kato_down(Utc::now(), Utc::now());
        let v = serde_json::to_value(item(&t, 7, false)).unwrap();
        assert_eq!(v["level"], "error");
        assert_eq!(v["type"], "container_down");
        assert_eq!(v["container_name"], "kato");
        assert_eq!(v["status"], "exited");
        assert_eq!(v["state"], "firing");
        assert_eq!(v["severity"], "critical");
        assert_eq!(v["seq"], 7);
        assert_eq!(v["event_id"], "alert-7");
        assert!(v.get("value").is_none());
        assert_eq!(labels(&t)["container_name"], "kato");
        assert_eq!(state(TransitionKind::Repeated), "repeat");
    }

    #[test]
    fn items_are_the_recorded_wire() {
        use crate::golden::{at, check};
        let down = kato_down(at(10), at(4));
        let rate = Transition {
            alert_id: "high_error_rate@2".into(),
            identity: "high_error_rate".into(),
            rule: AlertType::HighErrorRate,
            subject: String::new(),
            kind: TransitionKind::Resolved,
            severity: Severity::Warning,
            value: Some(0.0125),
            threshold: Some(0.05),
            message: "Error rate back to 1.2%".into(),
            detail: Some("over 64 requests".into()),
            at: at(11),
            started_at: at(1),
        };
        check(
            "alert_item_container.json",
            &serde_json::to_string(&item(&down, 7, false)).unwrap(),
        );
        check(
            "alert_item_rate.json",
            &serde_json::to_string(&item(&rate, 8, true)).unwrap(),
        );
        check(
            "alert_firing_snapshot.json",
            &serde_json::to_string(&firing_snapshot([item(&down, 7, false)], at(12))).unwrap(),
        );
    }
}

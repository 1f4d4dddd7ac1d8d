//! Readings for the engine, taken from the hub's latest tick: the `containers` topic (per container and
//! aggregated CPU and memory, down, missing), the `metrics` topic (true error rate, KATO unreachable) and the
//! `sessions` topic (active sessions). What cannot be read is `NoData`, never a fake recovery: with Docker
//! unavailable no container rule changes state.

use kato_dashboard_core::{
    alerts::{AlertType, Reading, Signal},
    docker::ContainersSnapshot,
};
use serde_json::Value;

/// Signals of the `containers` topic.
pub fn containers(snapshot: &ContainersSnapshot) -> Vec<Signal> {
    if !snapshot.docker.is_ok() {
        return Vec::new();
    }
    let agg = &snapshot.aggregated;
    let mut out = vec![
        Signal::new(
            AlertType::HighCpu,
            "",
            Reading::Value(agg.total_cpu_percent),
        ),
        Signal::new(
            AlertType::HighMemory,
            "",
            Reading::Value(agg.total_memory_percent),
        ),
    ];
    for c in &snapshot.containers {
        let name = c.name.as_str();
        let status = c.status.clone();
        out.push(Signal::new(
            AlertType::ContainerMissing,
            name,
            Reading::Condition(false, status.clone()),
        ));
        out.push(Signal::new(
            AlertType::ContainerDown,
            name,
            Reading::Condition(!c.running, status),
        ));
        // A container that stopped uses nothing: its CPU and memory alerts resolve.
        let cpu = match (c.running, c.cpu_known) {
            (false, _) => Reading::Value(0.0),
            (true, true) => Reading::Value(c.cpu),
            (true, false) => Reading::NoData,
        };
        out.push(Signal::new(AlertType::ContainerCpu, name, cpu));
        let memory = match (c.running, c.memory.limit_bytes > 0) {
            (false, _) => Reading::Value(0.0),
            (true, true) => Reading::Value(c.memory.usage_percent),
            (true, false) => Reading::NoData,
        };
        out.push(Signal::new(AlertType::ContainerMemory, name, memory));
    }
    for name in &snapshot.missing {
        let name = name.as_str();
        out.push(Signal::new(
            AlertType::ContainerMissing,
            name,
            Reading::Condition(true, "missing".into()),
        ));
        out.push(Signal::new(
            AlertType::ContainerDown,
            name,
            Reading::Condition(false, "missing".into()),
        ));
        out.push(Signal::new(
            AlertType::ContainerCpu,
            name,
            Reading::Value(0.0),
        ));
        out.push(Signal::new(
            AlertType::ContainerMemory,
            name,
            Reading::Value(0.0),
        ));
    }
    out
}

/// Signals of the `metrics` topic (KATO's `/metrics` plus the dashboard's `derived` object).
pub fn metrics(value: &Value) -> Vec<Signal> {
    let derived = &value["derived"];
    let mut out = Vec::new();
    let reachability = match derived["source"]["state"].as_str() {
        Some("ok") => Reading::Condition(false, String::new()),
        Some("unavailable") => Reading::Condition(
            true,
            derived["source"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => Reading::NoData,
    };
    out.push(Signal::new(AlertType::KatoUnreachable, "", reachability));
    let rate = derived["error_rate"]
        .as_f64()
        .map_or(Reading::NoData, Reading::Value);
    out.push(Signal::new(AlertType::HighErrorRate, "", rate));
    out
}

/// Signals of the `sessions` topic.
pub fn sessions(value: &Value) -> Vec<Signal> {
    let count = value["active_count"]
        .as_f64()
        .map_or(Reading::NoData, Reading::Value);
    vec![Signal::new(AlertType::HighSessions, "", count)]
}

/// The reading for a `kato_restarted` event.
pub fn restarted(data: &Value) -> Signal {
    let detail = data["previous_uptime_seconds"]
        .as_f64()
        .map(|up| format!("after {up:.0} s of uptime"))
        .unwrap_or_default();
    Signal::new(
        AlertType::KatoRestarted,
        "",
        Reading::Condition(true, detail),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metrics_readings() {
        let up = json!({"derived": {"source": {"state": "ok"}, "error_rate": 0.2}});
        let s = metrics(&up);
        assert_eq!(
            s[0].reading,
            Reading::Condition(false, String::new()),
            "{s:?}"
        );
        assert_eq!(s[1].reading, Reading::Value(0.2));
        let down = json!({"error": "x", "derived": {"source": {"state": "unavailable", "reason": "refused"}, "error_rate": null}});
        let s = metrics(&down);
        assert_eq!(s[0].reading, Reading::Condition(true, "refused".into()));
        assert_eq!(s[1].reading, Reading::NoData);
        assert_eq!(metrics(&json!({}))[0].reading, Reading::NoData);
        assert_eq!(
            sessions(&json!({"active_count": 3}))[0].reading,
            Reading::Value(3.0)
        );
        assert_eq!(
            restarted(&json!({"previous_uptime_seconds": 12.0})).reading,
            Reading::Condition(true, "after 12 s of uptime".into())
        );
    }
}

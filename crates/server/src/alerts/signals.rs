//! Readings for the engine, taken from the hub's latest tick: the `containers` topic (per container and
//! aggregated CPU and memory, down, missing), the `metrics` topic (true error rate, KATO unreachable) and the
//! `sessions` topic (active sessions). What cannot be read is `NoData`, never a fake recovery: with Docker
//! unavailable no container rule changes state.

use kato_dashboard_core::{
    alerts::{AlertType, Reading, Signal},
    docker::ContainersSnapshot,
    source::SourceState,
    topics::{KatoRestart, MetricsTopic, SessionsTopic},
};

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

/// Signals of the `metrics` topic (the dashboard's `derived` figures about KATO).
pub fn metrics(topic: &MetricsTopic) -> Vec<Signal> {
    let Some(derived) = &topic.derived else {
        return vec![
            Signal::new(AlertType::KatoUnreachable, "", Reading::NoData),
            Signal::new(AlertType::HighErrorRate, "", Reading::NoData),
        ];
    };
    let reachability = match &derived.source {
        SourceState::Ok => Reading::Condition(false, String::new()),
        SourceState::Unavailable { reason, .. } => Reading::Condition(true, reason.clone()),
        SourceState::Off { .. } => Reading::NoData,
    };
    let rate = derived.error_rate.map_or(Reading::NoData, Reading::Value);
    vec![
        Signal::new(AlertType::KatoUnreachable, "", reachability),
        Signal::new(AlertType::HighErrorRate, "", rate),
    ]
}

/// Signals of the `sessions` topic.
pub fn sessions(topic: &SessionsTopic) -> Vec<Signal> {
    let count = topic
        .active_count
        .map_or(Reading::NoData, |n| Reading::Value(n as f64));
    vec![Signal::new(AlertType::HighSessions, "", count)]
}

/// The reading for a `kato_restarted` event.
pub fn restarted(restart: &KatoRestart) -> Signal {
    Signal::new(
        AlertType::KatoRestarted,
        "",
        Reading::Condition(
            true,
            format!("after {:.0} s of uptime", restart.previous_uptime_seconds),
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::Utc;
    use kato_dashboard_core::topics::Derived;
    use serde_json::json;

    fn with(source: SourceState, error_rate: Option<f64>) -> MetricsTopic {
        MetricsTopic::new(
            json!({}),
            Derived {
                source,
                error_rate,
                ..Derived::default()
            },
        )
    }

    #[test]
    fn metrics_readings() {
        let s = metrics(&with(SourceState::Ok, Some(0.2)));
        assert_eq!(
            s[0].reading,
            Reading::Condition(false, String::new()),
            "{s:?}"
        );
        assert_eq!(s[1].reading, Reading::Value(0.2));
        let down = SourceState::Unavailable {
            reason: "refused".into(),
            since: Utc::now(),
        };
        let s = metrics(&with(down, None));
        assert_eq!(s[0].reading, Reading::Condition(true, "refused".into()));
        assert_eq!(s[1].reading, Reading::NoData);
        assert_eq!(
            metrics(&MetricsTopic::from_kato(json!({})))[0].reading,
            Reading::NoData
        );
        let three = SessionsTopic {
            active_count: Some(3),
            ..SessionsTopic::default()
        };
        assert_eq!(sessions(&three)[0].reading, Reading::Value(3.0));
        let restart = KatoRestart {
            previous_uptime_seconds: 12.0,
            uptime_seconds: 1.0,
            restarts: 1,
            instance: None,
        };
        assert_eq!(
            restarted(&restart).reading,
            Reading::Condition(true, "after 12 s of uptime".into())
        );
    }
}

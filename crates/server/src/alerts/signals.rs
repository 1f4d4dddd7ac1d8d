//! Readings for the engine, taken from the hub's latest tick: the `containers` topic (per container and
//! aggregated CPU and memory, down, missing, each Docker engine's reachability), the `metrics` topic (true error
//! rate, KATO unreachable) and the `sessions` topic (active sessions). What cannot be read is `NoData`, never a
//! fake recovery: a container on an engine that is unavailable changes no rule's state (its engine's
//! `docker_engine_down` says what happened), while the containers of the other engines are read as usual.

use kato_dashboard_core::{
    alerts::{AlertType, Reading, Signal},
    docker::{ContainersSnapshot, split_qualified},
    source::SourceState,
    topics::{KatoRestart, MetricsTopic, SessionsTopic},
};

/// Signals of the `containers` topic.
pub fn containers(snapshot: &ContainersSnapshot) -> Vec<Signal> {
    let mut out: Vec<Signal> = snapshot
        .engines
        .iter()
        .map(|e| {
            let reading = match &e.docker {
                SourceState::Ok => Reading::Condition(false, String::new()),
                SourceState::Unavailable { reason, .. } => Reading::Condition(true, reason.clone()),
                SourceState::Off { .. } => Reading::NoData,
            };
            Signal::new(AlertType::DockerEngineDown, e.id.as_str(), reading)
        })
        .collect();
    // The totals of part of the engines would be a fake recovery: they are read only when all answer.
    if snapshot.docker.is_ok() {
        let agg = &snapshot.aggregated;
        out.push(Signal::new(
            AlertType::HighCpu,
            "",
            Reading::Value(agg.total_cpu_percent),
        ));
        out.push(Signal::new(
            AlertType::HighMemory,
            "",
            Reading::Value(agg.total_memory_percent),
        ));
    }
    let answers = |engine: Option<&str>| snapshot.engine_state(engine).is_ok();
    for c in snapshot
        .containers
        .iter()
        .filter(|c| answers(c.engine.as_deref()))
    {
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
    // Docker names never hold `@`: only a qualified name (several engines) names an engine.
    for name in snapshot
        .missing
        .iter()
        .filter(|n| answers(split_qualified(n).1))
    {
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
        // One instance of a fleet is its own alert; a single KATO's has no subject, as before.
        restart.instance.clone().unwrap_or_default(),
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
    use kato_dashboard_core::docker::{ContainerInfo, ContainerStats, EnginePart, HostInfo};
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

    fn engine(id: &str, docker: SourceState, names: &[&str], missing: &[&str]) -> EnginePart {
        let info = |name: &&str| ContainerInfo {
            name: (*name).into(),
            id: format!("{name}-id"),
            status: "exited".into(),
            ..ContainerInfo::default()
        };
        let stale = !docker.is_ok();
        let containers = names
            .iter()
            .map(|n| ContainerStats::build(&info(n), None, None, stale, Utc::now()))
            .collect();
        let missing = missing.iter().map(|m| (*m).to_owned()).collect();
        EnginePart {
            id: id.into(),
            host: format!("tcp://{id}:2375"),
            snapshot: ContainersSnapshot::build(
                containers,
                missing,
                docker,
                HostInfo::default(),
                Utc::now(),
            ),
            host_info: HostInfo::default(),
        }
    }

    fn about(signals: &[Signal], rule: AlertType) -> Vec<(String, Reading)> {
        signals
            .iter()
            .filter(|s| s.rule == rule)
            .map(|s| (s.subject.clone(), s.reading.clone()))
            .collect()
    }

    #[test]
    fn an_engine_down_silences_its_containers_only() {
        let down = SourceState::Ok.failed("connection refused", Utc::now());
        let a = engine("a", SourceState::Ok, &["kato"], &["kato-redis"]);
        let b = engine("b", down.clone(), &["kato"], &["kato-redis"]);
        let s = containers(&ContainersSnapshot::merge(vec![a, b], Utc::now()));
        assert_eq!(
            about(&s, AlertType::DockerEngineDown),
            [
                ("a".into(), Reading::Condition(false, String::new())),
                (
                    "b".into(),
                    Reading::Condition(true, "connection refused".into())
                )
            ]
        );
        assert_eq!(
            about(&s, AlertType::ContainerDown),
            [
                ("kato@a".into(), Reading::Condition(true, "exited".into())),
                (
                    "kato-redis@a".into(),
                    Reading::Condition(false, "missing".into())
                )
            ],
            "nothing about engine b's containers"
        );
        assert!(
            about(&s, AlertType::HighCpu).is_empty(),
            "no partial totals"
        );
        // One engine, down: its engine alert only, as before for the containers.
        let one = containers(&ContainersSnapshot::merge(
            vec![engine("local", down, &["kato"], &[])],
            Utc::now(),
        ));
        assert_eq!(
            one.iter().map(|s| s.rule).collect::<Vec<_>>(),
            [AlertType::DockerEngineDown]
        );
        let off = containers(&ContainersSnapshot::off("DOCKER_ENABLED=false", Utc::now()));
        assert!(off.is_empty(), "{off:?}");
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

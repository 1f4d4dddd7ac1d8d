//! Several engines in one snapshot: one engine keeps today's wire, several are told apart, an engine down
//! is an outage of that engine only.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::source::SourceState;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 8, 10, 0).unwrap() + Duration::seconds(secs)
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

fn record(name: &str, cpu: f64, usage: u64, stale: bool) -> ContainerStats {
    let info = ContainerInfo {
        name: name.into(),
        id: format!("{name}-id"),
        status: "running".into(),
        started_at: Some(t(-100)),
        ..ContainerInfo::default()
    };
    let mut c = ContainerStats::build(&info, None, None, stale, t(0));
    c.cpu = cpu;
    c.cpu_known = true;
    c.memory.usage_bytes = usage;
    c.memory.limit_bytes = 2 * GIB;
    c
}

fn part(
    id: &str,
    docker: SourceState,
    containers: Vec<ContainerStats>,
    missing: &[&str],
) -> EnginePart {
    let host = HostInfo {
        cpus: Some(4),
        memory_bytes: Some(2 * GIB),
    };
    let missing = missing.iter().map(|m| (*m).to_owned()).collect();
    EnginePart {
        id: id.into(),
        host: format!("tcp://{id}:2375"),
        snapshot: ContainersSnapshot::build(containers, missing, docker, host, t(0)),
        host_info: host,
    }
}

fn down(reason: &str, since: i64) -> SourceState {
    SourceState::Ok.failed(reason, t(since))
}

#[test]
fn one_engine_is_todays_snapshot_byte_for_byte() {
    let one = part(
        "local",
        SourceState::Ok,
        vec![record("kato", 12.5, 100 * MIB, false)],
        &["kato-redis"],
    );
    let before = serde_json::to_string(&one.snapshot).unwrap();
    let merged = ContainersSnapshot::merge(vec![one], t(0));
    assert_eq!(serde_json::to_string(&merged).unwrap(), before);
    assert_eq!(merged.engines.len(), 1, "kept in memory for the rules");
    assert_eq!(merged.engines[0].id, "local");
    assert_eq!(merged.engine_state(Some("local")), &SourceState::Ok);
    assert_eq!(merged.for_engine("local", t(0)).unwrap(), merged);
    assert!(merged.for_engine("b", t(0)).is_none());
}

#[test]
fn same_name_on_two_engines_stays_two_records() {
    let a = part(
        "a",
        SourceState::Ok,
        vec![record("kato", 50.0, 512 * MIB, false)],
        &["kato-redis"],
    );
    let b = part(
        "b",
        SourceState::Ok,
        vec![record("kato", 25.0, 512 * MIB, false)],
        &[],
    );
    let merged = ContainersSnapshot::merge(vec![a, b], t(1));
    let names: Vec<&str> = merged.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["kato@a", "kato@b"]);
    assert_eq!(merged.containers[1].engine.as_deref(), Some("b"));
    assert_eq!(merged.containers[1].docker_name(), "kato");
    assert_eq!(merged.missing, ["kato-redis@a"]);
    assert_eq!(split_qualified("kato-redis@a"), ("kato-redis", Some("a")));
    assert!(merged.docker.is_ok());
    let agg = &merged.aggregated;
    assert_eq!(agg.total_cpu_percent, 75.0);
    assert_eq!(agg.total_memory_mb, 1024.0);
    // Two hosts of 2 GiB each, the containers unlimited: 4 GiB together, not 2 and not 4 × 2.
    assert_eq!(agg.total_memory_limit_mb, 4096.0);
    assert_eq!(agg.total_memory_percent, 25.0);
    assert_eq!((agg.container_count, agg.missing_count), (2, 1));
    assert_eq!((agg.host_cpus, agg.host_memory_mb), (Some(8), Some(4096.0)));
    let v: Value = serde_json::to_value(&merged).unwrap();
    assert_eq!(v["containers"][0]["engine"], "a");
    assert_eq!(
        v["engines"],
        json!([
            {"id": "a", "host": "tcp://a:2375", "docker": {"state": "ok"}, "containers": 1, "running": 1, "missing": 1},
            {"id": "b", "host": "tcp://b:2375", "docker": {"state": "ok"}, "containers": 1, "running": 1, "missing": 0}
        ])
    );
    let only_b = merged.for_engine("b", t(1)).unwrap();
    assert_eq!(only_b.containers.len(), 1);
    assert_eq!(only_b.aggregated.total_cpu_percent, 25.0);
    assert_eq!(only_b.aggregated.host_cpus, Some(4));
    let back: ContainersSnapshot = serde_json::from_value(v).unwrap();
    assert_eq!(back.engines.len(), 2);
    assert_eq!(back.containers[0].engine.as_deref(), Some("a"));
}

#[test]
fn an_engine_down_is_an_outage_of_that_engine_only() {
    let a = part(
        "a",
        SourceState::Ok,
        vec![record("kato", 50.0, 512 * MIB, false)],
        &[],
    );
    let b = part(
        "b",
        down("connection refused", 5),
        vec![record("kato", 25.0, 512 * MIB, true)],
        &[],
    );
    let c = part("c", down("no route to host", 3), vec![], &[]);
    let merged = ContainersSnapshot::merge(vec![a.clone(), b.clone()], t(9));
    assert_eq!(
        merged.docker,
        SourceState::Unavailable {
            reason: "Docker engine b: connection refused".into(),
            since: t(5)
        },
        "an old client sees the outage"
    );
    assert!(merged.engine_state(Some("a")).is_ok());
    assert!(!merged.engine_state(Some("b")).is_ok());
    assert_eq!(
        merged.aggregated.total_cpu_percent, 50.0,
        "over the fresh ones"
    );
    assert_eq!(merged.aggregated.stale_count, 1);
    let merged = ContainersSnapshot::merge(vec![a, b, c], t(9));
    assert_eq!(
        merged.docker.reason(),
        Some("2 of 3 Docker engines unavailable: b: connection refused; c: no route to host")
    );
    assert!(matches!(merged.docker, SourceState::Unavailable { since, .. } if since == t(3)));
}

#[test]
fn events_carry_their_engine_only_with_several() {
    let mut e = ContainerEvent {
        name: "kato".into(),
        id: None,
        kind: ContainerEventKind::Died,
        status: "exited".into(),
        health: None,
        exit_code: Some(1),
        signal: None,
        old_name: None,
        at: t(0),
        engine: None,
    };
    assert!(serde_json::to_value(&e).unwrap().get("engine").is_none());
    e.engine = Some("b".into());
    assert_eq!(serde_json::to_value(&e).unwrap()["engine"], "b");
    let up = EngineEvent {
        engine: "b".into(),
        host: "tcp://b:2375".into(),
        docker: SourceState::Ok,
        at: t(0),
    };
    assert_eq!(up.event_type(), "docker_engine_reachable");
    let gone = EngineEvent {
        docker: down("refused", 0),
        ..up
    };
    assert_eq!(gone.event_type(), "docker_engine_unreachable");
    assert_eq!(
        serde_json::to_value(&gone).unwrap(),
        json!({"engine": "b", "host": "tcp://b:2375", "at": "2026-11-22T08:10:00.000Z",
               "docker": {"state": "unavailable", "reason": "refused", "since": "2026-11-22T08:10:00Z"}})
    );
}

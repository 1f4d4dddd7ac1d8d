//! The `containers` state: the old dashboard's shapes, Docker outages, and several engines.

use super::*;
use crate::format::parse_ts_ms;
use serde_json::json;

fn old_shape(ts: &str, rx: u64) -> Value {
    json!({"containers": [{"name": "kato", "status": "running", "cpu": 12.5,
        "memory": {"usage_bytes": 104857600u64, "limit_bytes": 1073741824u64, "usage_mb": 100.0,
                   "limit_mb": 1024.0, "usage_percent": 9.77},
        "network": {"rx_bytes": rx, "tx_bytes": 10},
        "block_io": {"read_bytes": 0, "write_bytes": 0}, "timestamp": ts}],
        "aggregated": {"total_cpu_percent": 12.5, "total_memory_mb": 100.0, "total_memory_percent": 9.77,
                       "container_count": 1}})
}

#[test]
fn old_shapes_render_and_rates_are_computed_from_totals() {
    let mut s = ContainersState::default();
    s.apply(&old_shape("2026-11-22T08:00:00.000Z", 1000), 0.0);
    let c = &s.containers[0];
    assert_eq!(c.cpu, Some(12.5));
    assert_eq!(c.mem_bytes, 104857600.0);
    assert_eq!(c.rx_rate, None, "one sample has no rate");
    assert_eq!(c.tone(), "ok");
    s.apply(&old_shape("2026-11-22T08:00:02.000Z", 5000), 0.0);
    assert_eq!(s.containers[0].rx_rate, Some(2000.0));
    assert_eq!(s.containers[0].tx_rate, Some(0.0));
    assert_eq!(s.cpu_total.len(), 2);
    assert_eq!(
        s.mem_percent.last(),
        Some((parse_ts_ms("2026-11-22T08:00:02.000Z").unwrap(), 9.77))
    );
    assert_eq!(s.cpu_of("kato").map(Series::len), Some(2));
    assert!(
        s.docker.is_none(),
        "the old server says nothing about Docker"
    );
}

#[test]
fn new_fields_win_and_docker_outages_are_shown() {
    let mut s = ContainersState::default();
    let v = json!({"containers": [
        {"name": "kato", "status": "running", "running": true, "cpu": 0.0, "cpu_known": false,
         "health": "unhealthy", "network": {"rx_rate_bps": 7.0}, "memory": {}},
        {"name": "kato-redis", "status": "exited", "running": false, "exit_code": 137, "stale": true}],
        "aggregated": {"total_cpu_percent": 0.0}, "docker": {"state": "unavailable", "reason": "socket gone"},
        "missing": ["kato-qdrant"]});
    s.apply(&v, 5.0);
    assert_eq!(s.containers[0].cpu, None, "not measured yet is not 0 %");
    assert_eq!(s.containers[0].rx_rate, Some(7.0));
    assert_eq!(s.containers[0].tone(), "bad");
    assert_eq!(s.containers[1].tone(), "bad");
    assert_eq!(s.missing, vec!["kato-qdrant"]);
    assert_eq!(
        s.docker.as_ref().and_then(Availability::reason),
        Some("socket gone")
    );
    assert!(s.cpu_total.is_empty(), "stale data is not charted");
    s.apply(&json!({"containers": [], "docker": {"state": "ok"}}), 6.0);
    assert!(s.by_name.is_empty() && s.containers.is_empty() && s.received);
}

#[test]
fn docker_switched_off_on_the_server_is_not_an_outage() {
    let mut s = ContainersState::default();
    s.apply(
        &json!({"containers": [], "aggregated": {}, "missing": [],
                "docker": {"state": "off", "reason": "DOCKER_ENABLED=false"}}),
        1.0,
    );
    let docker = s.docker.as_ref().expect("a docker state");
    assert!(docker.is_off() && !docker.is_ok());
    assert_eq!(docker.reason(), Some("DOCKER_ENABLED=false"));
    assert!(s.received && s.containers.is_empty());
}

#[test]
fn the_old_dashboards_recorded_message_reads_with_its_naive_times_as_not_known() {
    // `data.containers` of the old dashboard's `realtime_update` (seed-dashboard.md), and its "no client" form.
    let old = json!({"containers": [{"name": "kato", "status": "running", "cpu": 1.55,
        "memory": {"usage_bytes": 102141952, "limit_bytes": 8232370176u64, "usage_mb": 97.41, "limit_mb": 7851.0,
                   "usage_percent": 1.24},
        "network": {"rx_bytes": 123456, "tx_bytes": 654321, "rx_mb": 0.12, "tx_mb": 0.62},
        "block_io": {"read_bytes": 0, "write_bytes": 0, "read_mb": 0.0, "write_mb": 0.0},
        "timestamp": "2025-10-13T10:25:16.001234"}],
        "aggregated": {"total_cpu_percent": 1.55, "total_memory_mb": 97.41, "total_memory_limit_mb": 7851.0,
                       "total_memory_percent": 1.24, "container_count": 1,
                       "timestamp": "2025-10-13T10:25:16.002000"}});
    let mut s = ContainersState::default();
    s.apply(&old, 42.0);
    let c = &s.containers[0];
    assert!(c.running && c.cpu == Some(1.55) && c.mem_bytes == 102141952.0);
    assert_eq!((c.timestamp_ms, c.tone()), (None, "ok"));
    assert_eq!(
        s.cpu_total.last(),
        Some((42.0, 1.55)),
        "charted at the time it arrived"
    );
    assert_eq!(s.aggregated.total_memory_limit_mb, 7851.0);
    assert!(s.docker.is_none());
    s.apply(
        &json!({"error": "Docker client not initialized", "containers": [], "aggregated": {}}),
        43.0,
    );
    assert!(s.received && s.containers.is_empty() && s.by_name.is_empty());
    let before = s.clone();
    s.apply(&json!({"containers": "not a list"}), 44.0);
    assert_eq!(s, before, "a value that does not read changes nothing");
}

#[test]
fn several_engines_are_grouped_and_one_down_is_that_engines_alone() {
    let card = |name: &str, engine: &str, stale: bool| {
        json!({"name": format!("{name}@{engine}"), "engine": engine, "status": "running", "running": true,
               "cpu": 10.0, "cpu_known": true, "stale": stale, "timestamp": "2026-11-22T08:00:00.000Z"})
    };
    let v = json!({
    "containers": [card("kato", "a", false), card("kato", "b", true)],
    "aggregated": {"total_cpu_percent": 10.0, "timestamp": "2026-11-22T08:00:00.000Z"},
    "docker": {"state": "unavailable", "reason": "Docker engine b: connection refused",
               "since": "2026-11-22T07:59:00Z"},
    "missing": ["kato-redis@a"],
    "engines": [
        {"id": "a", "host": "unix:///var/run/docker.sock", "docker": {"state": "ok"}, "containers": 1, "running": 1},
        {"id": "b", "host": "tcp://10.0.0.5:2375", "containers": 1, "running": 1,
         "docker": {"state": "unavailable", "reason": "connection refused", "since": "2026-11-22T07:59:00Z"}}
    ]});
    let mut s = ContainersState::default();
    s.apply(&v, 1.0);
    let groups = s.groups();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].engine.id, "a");
    assert!(groups[0].engine.docker.is_ok());
    assert_eq!(groups[0].cards.len(), 1);
    assert_eq!(groups[0].cards[0].label, "kato", "shown as on its engine");
    assert_eq!(groups[0].missing, vec!["kato-redis"]);
    assert_eq!(groups[1].engine.docker.reason(), Some("connection refused"));
    assert!(groups[1].cards[0].stale && groups[1].missing.is_empty());
    assert_eq!(
        s.by_name.keys().collect::<Vec<_>>(),
        ["kato@a", "kato@b"],
        "the same name on two engines is two cards"
    );
    assert_eq!(s.cpu_total.len(), 1, "charted while an engine answers");
    // One engine: no groups, as before.
    s.apply(&old_shape("2026-11-22T08:00:02.000Z", 1), 2.0);
    assert!(s.groups().is_empty() && s.engines.is_empty());
    assert_eq!(s.containers[0].label, "kato");
}

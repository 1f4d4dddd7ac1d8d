//! Wire records, aggregate and events: the old keys stay, the new ones mean what they say.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::source::SourceState;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 8, 10, 0).unwrap() + Duration::seconds(secs)
}

fn sample(json: &str) -> StatsSample {
    serde_json::from_str(json).unwrap()
}

fn running(name: &str) -> ContainerInfo {
    ContainerInfo {
        name: name.into(),
        id: format!("{name}-id"),
        image: "kato:latest".into(),
        status: "running".into(),
        health: Some("healthy".into()),
        exit_code: Some(0),
        started_at: Some(t(-100)),
        ..ContainerInfo::default()
    }
}

fn stats(name: &str, cpu: f64, usage: u64, limit: u64, limited: bool) -> ContainerStats {
    let mut c = ContainerStats::build(&running(name), None, None, false, t(0));
    c.cpu = cpu;
    c.memory.usage_bytes = usage;
    c.memory.limit_bytes = limit;
    c.memory.limited = limited;
    c
}

const MIB: u64 = 1024 * 1024;

#[test]
fn record_from_real_pair_has_old_and_new_keys() {
    let prev = sample(include_str!("testdata/v2-handmade-prev.json"));
    let cur = sample(include_str!("testdata/v2-handmade-cur.json"));
    let mut info = running("kato");
    info.memory_limit_bytes = Some(512 * MIB);
    let now = t(2) + Duration::milliseconds(250);
    let c = ContainerStats::build(&info, Some(&cur), Some(&prev), false, now);
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["name"], "kato");
    assert_eq!(v["status"], "running");
    assert_eq!(v["cpu"], 100.0);
    assert_eq!(
        v["memory"],
        json!({"usage_bytes": 140 * MIB, "limit_bytes": 512 * MIB, "usage_mb": 140.0,
               "limit_mb": 512.0, "usage_percent": 27.34, "limited": true})
    );
    assert_eq!(
        v["network"],
        json!({"rx_bytes": 13 * MIB, "tx_bytes": 3 * MIB, "rx_mb": 13.0, "tx_mb": 3.0,
               "rx_rate_bps": 1_048_576.0, "tx_rate_bps": 524_288.0})
    );
    assert_eq!(
        v["block_io"],
        json!({"read_bytes": 3 * MIB, "write_bytes": 5 * MIB, "read_mb": 3.0, "write_mb": 5.0,
               "read_rate_bps": 1_048_576.0, "write_rate_bps": 524_288.0})
    );
    assert_eq!(v["timestamp"], "2026-11-22T08:10:02.250Z");
    assert_eq!(v["sampled_at"], "2026-11-22T08:10:02.000Z");
    assert_eq!(v["sample_age_ms"], 250);
    assert_eq!(v["uptime_seconds"], 102);
    assert_eq!(v["pids"], 13);
    assert_eq!(v["exit_code"], json!(null), "no exit code while running");
    assert_eq!(v["health"], "healthy");
    assert_eq!(v["cpu_known"], true);
    assert_eq!(v["stale"], false);
    let back: ContainerStats = serde_json::from_value(v).unwrap();
    assert_eq!(back, c);
}

#[test]
fn first_sample_has_unknown_cpu_and_rates() {
    let s: Vec<StatsSample> = include_str!("testdata/v1-real-stream-kill-start.ndjson")
        .lines()
        .map(sample)
        .collect();
    let c = ContainerStats::build(&running("kato"), Some(&s[0]), None, false, t(0));
    assert_eq!((c.cpu, c.cpu_known), (0.0, false));
    assert_eq!(c.network.rx_rate_bps, None);
    assert_eq!(c.block_io.read_rate_bps, None);
    assert_eq!(c.memory.usage_bytes, 311_296);
    assert!(!c.memory.limited);
    let c = ContainerStats::build(&running("kato"), Some(&s[1]), Some(&s[0]), false, t(0));
    assert_eq!((c.cpu, c.cpu_known), (0.0, true));
    assert_eq!(c.network.rx_rate_bps, Some(0.0));
}

#[test]
fn stopped_container_is_listed_with_zero_figures() {
    let mut info = running("kato-redis");
    info.status = "exited".into();
    info.exit_code = Some(137);
    info.finished_at = Some(t(-5));
    let live = sample(include_str!("testdata/v1-real-yes.json"));
    // A late sample from before the stop is ignored for a stopped container.
    let c = ContainerStats::build(&info, Some(&live), None, false, t(0));
    assert_eq!(c.status, "exited");
    assert!(!c.running);
    assert_eq!(c.cpu, 0.0);
    assert_eq!(c.memory, MemoryFigures::default());
    assert_eq!((c.exit_code, c.finished_at), (Some(137), Some(t(-5))));
    assert_eq!((c.uptime_seconds, c.sampled_at, c.pids), (None, None, None));
}

#[test]
fn counter_reset_gives_no_rate() {
    let prev = sample(include_str!("testdata/v2-handmade-cur.json"));
    let cur = sample(include_str!("testdata/v2-handmade-prev.json"));
    let mut later = cur.clone();
    later.read = prev.read.map(|r| r + Duration::seconds(1));
    later.preread = None;
    later.precpu_stats = Default::default();
    let c = ContainerStats::build(&running("kato"), Some(&later), Some(&prev), false, t(5));
    assert_eq!(c.network.rx_rate_bps, None);
    assert_eq!(c.block_io.write_rate_bps, None);
    assert!(!c.cpu_known, "container CPU counter went backwards");
}

#[test]
fn aggregate_unlimited_containers_share_host_ram() {
    let host = 8 * 1024 * MIB;
    let cs = vec![
        stats("kato", 50.0, 512 * MIB, host, false),
        stats("kato-redis", 10.5, 256 * MIB, host, false),
        stats("kato-qdrant", 1.25, 256 * MIB, 1024 * MIB, true),
    ];
    let h = HostInfo {
        cpus: Some(2),
        memory_bytes: Some(host),
    };
    let a = Aggregated::compute(&cs, 1, h, t(0));
    assert_eq!(a.total_cpu_percent, 61.75);
    assert_eq!(a.total_memory_mb, 1024.0);
    // Host RAM once, not 8 + 8 + 1 GiB.
    assert_eq!(a.total_memory_limit_mb, 8192.0);
    assert_eq!(a.total_memory_percent, 12.5);
    assert_eq!(
        (a.container_count, a.running_count, a.missing_count),
        (3, 3, 1)
    );
    // Without docker info, an unlimited container's reported limit stands in for host RAM.
    let a = Aggregated::compute(&cs, 0, HostInfo::default(), t(0));
    assert_eq!(a.total_memory_limit_mb, 8192.0);
}

#[test]
fn aggregate_limited_containers_sum_their_limits_capped_at_host() {
    let cs = vec![
        stats("a", 0.0, 100 * MIB, 1024 * MIB, true),
        stats("b", 0.0, 100 * MIB, 1024 * MIB, true),
    ];
    let host = |m| HostInfo {
        cpus: None,
        memory_bytes: Some(m),
    };
    let a = Aggregated::compute(&cs, 0, host(8192 * MIB), t(0));
    assert_eq!(
        (a.total_memory_limit_mb, a.total_memory_percent),
        (2048.0, 9.77)
    );
    let a = Aggregated::compute(&cs, 0, host(1024 * MIB), t(0));
    assert_eq!(
        (a.total_memory_limit_mb, a.total_memory_percent),
        (1024.0, 19.53)
    );
    let a = Aggregated::compute(&[], 0, HostInfo::default(), t(0));
    assert_eq!(
        (a.total_memory_limit_mb, a.total_memory_percent),
        (0.0, 0.0)
    );
}

#[test]
fn aggregate_skips_stale_and_stopped() {
    let mut stale = stats("a", 90.0, 100 * MIB, 1024 * MIB, true);
    stale.stale = true;
    let mut stopped = stats("b", 0.0, 0, 0, false);
    stopped.running = false;
    stopped.status = "exited".into();
    let fresh = stats("c", 5.0, 10 * MIB, 1024 * MIB, true);
    let a = Aggregated::compute(&[stale, stopped, fresh], 0, HostInfo::default(), t(0));
    assert_eq!(a.total_cpu_percent, 5.0);
    assert_eq!(a.total_memory_mb, 10.0);
    assert_eq!(
        (a.container_count, a.running_count, a.stale_count),
        (3, 2, 1)
    );
}

#[test]
fn snapshot_wire_shape_and_refresh() {
    let cs = vec![
        stats("kato-redis", 1.0, MIB, 2 * MIB, true),
        stats("kato", 2.0, MIB, 2 * MIB, true),
    ];
    let mut snap = ContainersSnapshot::build(
        cs,
        vec![
            "kato-qdrant".into(),
            "kato-mongodb".into(),
            "kato-qdrant".into(),
        ],
        SourceState::Ok,
        HostInfo::default(),
        t(0),
    );
    let names: Vec<&str> = snap.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["kato", "kato-redis"]);
    assert_eq!(snap.missing, ["kato-mongodb", "kato-qdrant"]);
    assert_eq!(snap.aggregated.missing_count, 2);
    assert!(snap.get("kato").is_some() && snap.get("kato-qdrant").is_none());
    snap.containers[0].sampled_at = Some(t(0));
    snap.refresh(t(1) + Duration::milliseconds(400));
    assert_eq!(snap.containers[0].sample_age_ms, Some(1400));
    assert_eq!(snap.containers[0].uptime_seconds, Some(101));
    assert_eq!(snap.max_sample_age_ms(), Some(1400));
    let v = serde_json::to_value(&snap).unwrap();
    assert_eq!(v["docker"], json!({"state": "ok"}));
    assert_eq!(v["aggregated"]["timestamp"], "2026-11-22T08:10:01.400Z");
    for key in [
        "total_cpu_percent",
        "total_memory_mb",
        "total_memory_limit_mb",
        "total_memory_percent",
        "container_count",
    ] {
        assert!(v["aggregated"].get(key).is_some(), "{key}");
    }
    let back: ContainersSnapshot = serde_json::from_value(v).unwrap();
    assert_eq!(back, snap);
}

#[test]
fn unavailable_snapshot() {
    let snap = ContainersSnapshot::unavailable("no socket at /nope", t(0));
    let v = serde_json::to_value(&snap).unwrap();
    assert_eq!(v["docker"]["state"], "unavailable");
    assert_eq!(v["docker"]["reason"], "no socket at /nope");
    assert_eq!(v["containers"], json!([]));
    assert_eq!(v["aggregated"]["container_count"], 0);
}

#[test]
fn event_actions() {
    use ContainerEventKind as K;
    let cases = [
        ("create", Some(K::Created), Some("created")),
        ("start", Some(K::Started), Some("running")),
        ("restart", Some(K::Restarted), Some("running")),
        ("die", Some(K::Died), Some("exited")),
        ("stop", Some(K::Stopped), Some("exited")),
        ("kill", Some(K::Killed), None),
        ("health_status: unhealthy", Some(K::Health), None),
        ("destroy", Some(K::Destroyed), Some("missing")),
        ("rename", Some(K::Renamed), None),
        ("oom", Some(K::Oom), None),
        ("exec_start: sh -c true", None, None),
        ("attach", None, None),
    ];
    for (action, kind, status) in cases {
        assert_eq!(K::from_action(action), kind, "{action}");
        assert_eq!(kind.and_then(K::status_after), status, "{action}");
    }
    assert_eq!(
        event::health_from_action("health_status: unhealthy"),
        Some("unhealthy")
    );
    assert_eq!(event::health_from_action("die"), None);
    assert!(K::Died.is_down() && K::Missing.is_down() && !K::Killed.is_down());
    assert!(K::Started.is_up() && !K::Health.is_up());
    let e = ContainerEvent {
        name: "kato".into(),
        id: Some("abc".into()),
        kind: K::Died,
        status: "exited".into(),
        health: None,
        exit_code: Some(137),
        signal: None,
        old_name: None,
        at: t(0),
        engine: None,
    };
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["kind"], "died");
    assert_eq!(v["at"], "2026-11-22T08:10:00.000Z");
}

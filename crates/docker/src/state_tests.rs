//! The collector state without an engine: samples, streams, restarts, missing names, outages.

use chrono::{Duration, TimeZone};
use kato_dashboard_core::docker::StatsSample;

use super::*;
use crate::stream::StatsStream;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap() + Duration::seconds(secs)
}

fn info(name: &str, id: &str, status: &str, started: i64) -> ContainerInfo {
    ContainerInfo {
        name: name.into(),
        id: id.into(),
        status: status.into(),
        started_at: Some(t(started)),
        ..ContainerInfo::default()
    }
}

fn sample(read: i64, cpu: u64, system: u64) -> StatsSample {
    let mut s = StatsSample {
        read: Some(t(read)),
        ..StatsSample::default()
    };
    s.cpu_stats.cpu_usage.total_usage = cpu;
    s.cpu_stats.system_cpu_usage = Some(system);
    s.cpu_stats.online_cpus = Some(2);
    s
}

fn with_stream(state: &mut State, name: &str) -> u64 {
    let generation = state.next_generation();
    state.get_mut(name).unwrap().stream = Some(StatsStream::detached(generation));
    generation
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn samples_from_the_current_stream_only() {
    let mut s = State::new(&names(&["kato"]), t(0));
    s.connected(HostInfo::default());
    assert_eq!(s.upsert(info("kato", "a", "running", 0)), RunChange::Up);
    assert!(s.get("kato").unwrap().needs_stream());
    let g = with_stream(&mut s, "kato");
    assert!(
        !s.on_sample("kato", g + 1, sample(1, 0, 0)),
        "old/other generation"
    );
    assert!(!s.on_sample("nope", g, sample(1, 0, 0)));
    assert!(s.on_sample("kato", g, sample(1, 1_000, 10_000)));
    assert!(s.on_sample("kato", g, sample(2, 2_000, 20_000)));
    assert!(
        !s.on_sample("kato", g, StatsSample::default()),
        "zero-time sample ignored"
    );
    let snap = s.snapshot(t(2));
    let c = snap.get("kato").unwrap();
    assert_eq!((c.cpu, c.cpu_known, c.stale), (20.0, true, false));
    assert!(snap.missing.is_empty());
}

#[test]
fn broken_stream_marks_stale_until_next_sample() {
    let mut s = State::new(&names(&["kato"]), t(0));
    s.connected(HostInfo::default());
    s.upsert(info("kato", "a", "running", 0));
    let g = with_stream(&mut s, "kato");
    assert!(s.on_sample("kato", g, sample(1, 1, 10)));
    assert!(s.on_broken("kato", g));
    assert!(!s.on_broken("kato", g), "no change the second time");
    assert!(s.snapshot(t(2)).get("kato").unwrap().stale);
    assert!(s.on_sample("kato", g, sample(3, 2, 20)));
    assert!(!s.snapshot(t(3)).get("kato").unwrap().stale);
}

#[test]
fn restart_and_recreate_reset_samples_and_stream() {
    let mut s = State::new(&names(&["kato"]), t(0));
    s.connected(HostInfo::default());
    s.upsert(info("kato", "a", "running", 0));
    let g = with_stream(&mut s, "kato");
    s.on_sample("kato", g, sample(1, 1, 10));
    // Same facts again (rescan): stream kept.
    assert_eq!(s.upsert(info("kato", "a", "running", 0)), RunChange::Same);
    assert!(!s.get("kato").unwrap().needs_stream());
    // Stopped: stream closed, figures zero.
    assert_eq!(s.upsert(info("kato", "a", "exited", 0)), RunChange::Down);
    assert!(s.get("kato").unwrap().stream.is_none());
    let snap = s.snapshot(t(5));
    assert_eq!(snap.get("kato").unwrap().status, "exited");
    assert_eq!(snap.aggregated.running_count, 0);
    // Started again: new start time → samples dropped, a stream is needed.
    assert_eq!(s.upsert(info("kato", "a", "running", 6)), RunChange::Up);
    assert!(s.get("kato").unwrap().needs_stream());
    let c = s.snapshot(t(7));
    assert_eq!(c.get("kato").unwrap().sampled_at, None);
    // Recreated under the same name: new id, same reset.
    let g = with_stream(&mut s, "kato");
    s.on_sample("kato", g, sample(8, 1, 10));
    assert_eq!(
        s.upsert(info("kato", "b", "running", 6)),
        RunChange::Restarted
    );
    assert!(s.get("kato").unwrap().needs_stream());
}

#[test]
fn missing_names_are_listed_and_announced_once() {
    let mut s = State::new(&names(&["kato", "kato-redis"]), t(0));
    assert!(
        s.missing().is_empty(),
        "nothing is missing before Docker was reached"
    );
    assert!(s.newly_missing().is_empty());
    s.connected(HostInfo::default());
    s.upsert(info("kato", "a", "running", 0));
    assert_eq!(s.missing(), ["kato-redis"]);
    assert_eq!(s.newly_missing(), ["kato-redis"]);
    assert!(s.newly_missing().is_empty());
    // A container found by a selector becomes expected; destroyed → missing.
    s.upsert(info("kato-extra", "x", "running", 0));
    s.remove("kato-extra");
    assert_eq!(s.newly_missing(), ["kato-extra"]);
    let snap = s.snapshot(t(1));
    assert_eq!(snap.missing, ["kato-extra", "kato-redis"]);
    assert_eq!(snap.aggregated.missing_count, 2);
    // Back again, then gone again: announced again.
    s.upsert(info("kato-redis", "r", "running", 0));
    assert!(s.newly_missing().is_empty());
    s.remove("kato-redis");
    assert_eq!(s.newly_missing(), ["kato-redis"]);
}

#[test]
fn outage_keeps_last_values_stale_and_stops_streams() {
    let mut s = State::new(&names(&["kato"]), t(0));
    let v = serde_json::to_value(s.snapshot(t(0))).unwrap();
    assert_eq!(v["docker"]["state"], "unavailable");
    assert_eq!(v["docker"]["reason"], "connecting to Docker");
    s.connected(HostInfo {
        cpus: Some(2),
        memory_bytes: Some(1 << 30),
    });
    s.upsert(info("kato", "a", "running", 0));
    let g = with_stream(&mut s, "kato");
    s.on_sample("kato", g, sample(1, 1_000, 10_000));
    s.on_sample("kato", g, sample(2, 2_000, 20_000));
    s.unavailable("connection refused", t(3));
    s.unavailable("no Docker socket", t(4));
    assert!(s.get("kato").unwrap().stream.is_none());
    let snap = s.snapshot(t(5));
    let c = snap.get("kato").unwrap();
    assert!(c.stale);
    assert_eq!(c.cpu, 20.0, "last known value kept");
    assert_eq!(
        snap.aggregated.total_cpu_percent, 0.0,
        "stale values are not aggregated"
    );
    let v = serde_json::to_value(&snap).unwrap();
    assert_eq!(v["docker"]["reason"], "no Docker socket");
    assert_eq!(
        v["docker"]["since"],
        serde_json::to_value(t(3)).unwrap(),
        "since = start of the outage"
    );
    s.connected(HostInfo::default());
    assert!(s.get("kato").unwrap().needs_stream());
}

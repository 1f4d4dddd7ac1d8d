//! Sample parsing and `docker stats` math, on samples captured from the real engine (Docker
//! 20.10, cgroup v1 on the development machine: `testdata/v1-real-*`) and hand-made ones for the
//! shapes that machine cannot produce (cgroup v2, networks, block I/O).

use super::figures::*;
use super::sample::{StatsSample, parse_docker_time};

fn sample(json: &str) -> StatsSample {
    serde_json::from_str(json).expect("sample parses")
}

const V1_YES: &str = include_str!("testdata/v1-real-yes.json");
const V1_IDLE: &str = include_str!("testdata/v1-real-idle.json");
const V1_MEM: &str = include_str!("testdata/v1-real-mem.json");
const V1_STOPPED: &str = include_str!("testdata/v1-real-stopped.json");
const V1_STREAM: &str = include_str!("testdata/v1-real-stream-kill-start.ndjson");
const V1_HAND: &str = include_str!("testdata/v1-handmade.json");
const V2_PREV: &str = include_str!("testdata/v2-handmade-prev.json");
const V2_CUR: &str = include_str!("testdata/v2-handmade-cur.json");

fn stream() -> Vec<StatsSample> {
    V1_STREAM.lines().map(sample).collect()
}

#[test]
fn real_busy_container_is_one_core() {
    let s = sample(V1_YES);
    assert!(s.is_live());
    assert_eq!(s.name, "/t-yes");
    assert_eq!(online_cpus(&s), 2);
    // Δcontainer 1.004 s over Δsystem 2 s (2 CPUs × 1 s) × 2 CPUs = 100.4 % of one core.
    assert_eq!(cpu_percent(&s, None), Some(100.4));
    assert_eq!(s.pids_stats.current, Some(1));
    assert_eq!(
        network_totals(&s),
        (0, 0),
        "--network none has no interfaces"
    );
}

#[test]
fn real_idle_container_is_zero_not_unknown() {
    let s = sample(V1_IDLE);
    assert_eq!(cpu_percent(&s, None), Some(0.0));
    assert_eq!(memory_usage_bytes(&s), 630_784);
    // No own limit: the engine reports the host's RAM.
    assert_eq!(memory_limit_bytes(&s), 25_276_514_304);
}

#[test]
fn real_limited_container_memory() {
    let s = sample(V1_MEM);
    // 20 MiB written to /dev/shm (shmem is not inactive file cache, so it stays counted).
    assert_eq!(memory_usage_bytes(&s), 21_659_648);
    assert_eq!(memory_limit_bytes(&s), 64 * 1024 * 1024);
    assert_eq!(percent(21_659_648, 64 * 1024 * 1024), 32.28);
    assert_eq!(mib(21_659_648), 20.66);
}

#[test]
fn real_stopped_container_sample_is_empty_and_not_live() {
    let s = sample(V1_STOPPED);
    assert!(!s.is_live());
    assert_eq!(s.preread, None);
    assert_eq!(cpu_percent(&s, None), None);
    assert_eq!(memory_usage_bytes(&s), 0);
    assert_eq!(
        blkio_totals(&s),
        (0, 0),
        "io_service_bytes_recursive: null parses"
    );
    assert_eq!(online_cpus(&s), 1);
}

#[test]
fn real_stream_across_kill_and_start() {
    let s = stream();
    let live: Vec<bool> = s.iter().map(StatsSample::is_live).collect();
    // 3 samples running, 3 zero-time samples while stopped (the stream does not end), 3 running.
    assert_eq!(
        live,
        [true, true, true, false, false, false, true, true, true]
    );
    // First sample of the stream: no precpu, no previous → unknown, not 0.
    assert_eq!(cpu_percent(&s[0], None), None);
    assert_eq!(cpu_percent(&s[1], Some(&s[0])), Some(0.0));
    // First sample after the restart: precpu was reset by the engine; the previous live sample
    // (before the kill) has a larger counter → unknown, never negative.
    assert!(s[6].cpu_stats.cpu_usage.total_usage < s[2].cpu_stats.cpu_usage.total_usage);
    assert_eq!(cpu_percent(&s[6], Some(&s[2])), None);
    assert_eq!(cpu_percent(&s[7], Some(&s[6])), Some(0.0));
    // Sample spacing is the engine's ≈1 s.
    let secs = elapsed_secs(&s[1], &s[0]).unwrap();
    assert!((1.0..1.1).contains(&secs), "{secs}");
    assert_eq!(
        elapsed_secs(&s[4], &s[2]),
        None,
        "zero-time samples have no elapsed"
    );
}

#[test]
fn hand_made_cgroup_v2() {
    let (prev, cur) = (sample(V2_PREV), sample(V2_CUR));
    // No percpu_usage on v2: online_cpus (4) is the multiplier. The old dashboard used 1 here.
    assert_eq!(cur.cpu_stats.cpu_usage.percpu_usage, None);
    assert_eq!(online_cpus(&cur), 4);
    // Δ 2 s of CPU over Δ 8 s of system time × 4 CPUs.
    assert_eq!(cpu_percent(&cur, Some(&prev)), Some(100.0));
    // 200 MiB usage − 60 MiB inactive_file.
    assert_eq!(memory_usage_bytes(&cur), 140 * 1024 * 1024);
    assert_eq!(
        percent(memory_usage_bytes(&cur), memory_limit_bytes(&cur)),
        27.34
    );
    // Lowercase ops count.
    assert_eq!(blkio_totals(&cur), (3 * 1024 * 1024, 5 * 1024 * 1024));
    // Two interfaces summed.
    assert_eq!(network_totals(&cur), (13 * 1024 * 1024, 3 * 1024 * 1024));
    let secs = elapsed_secs(&cur, &prev).unwrap();
    assert_eq!(secs, 2.0);
    let (rx0, tx0) = network_totals(&prev);
    assert_eq!(rate(13 * 1024 * 1024, rx0, secs), Some(1_048_576.0));
    assert_eq!(rate(3 * 1024 * 1024, tx0, secs), Some(524_288.0));
    assert_eq!(cur.pids_stats.current, Some(13));
}

#[test]
fn hand_made_cgroup_v1() {
    let s = sample(V1_HAND);
    // No online_cpus: the length of percpu_usage (4) is the multiplier.
    assert_eq!(online_cpus(&s), 4);
    assert_eq!(cpu_percent(&s, None), Some(100.0));
    // total_inactive_file (40 MiB) wins over the non-hierarchical inactive_file.
    assert_eq!(memory_usage_bytes(&s), 60 * 1024 * 1024);
    // Read/Write of both devices; Sync/Async/Total are not added.
    assert_eq!(blkio_totals(&s), (3 * 1024 * 1024, 1024 * 1024));
    assert_eq!(network_totals(&s), (5 * 1024 * 1024, 1024 * 1024));
}

#[test]
fn cpu_boundaries() {
    // (cpu now, system now, precpu cpu, precpu system, online, percpu len) → expected
    type Case = (
        u64,
        Option<u64>,
        u64,
        Option<u64>,
        Option<u32>,
        usize,
        Option<f64>,
    );
    let cases: [Case; 9] = [
        (200, Some(2000), 100, Some(1000), Some(2), 0, Some(20.0)),
        // Zero deltas: idle is 0 %, a zero system delta is unknown.
        (100, Some(2000), 100, Some(1000), Some(2), 0, Some(0.0)),
        (200, Some(1000), 100, Some(1000), Some(2), 0, None),
        // System counter went backwards.
        (200, Some(900), 100, Some(1000), Some(2), 0, None),
        // Container counter went backwards (restart).
        (50, Some(2000), 100, Some(1000), Some(2), 0, None),
        // First sample: no precpu system usage.
        (200, Some(2000), 0, None, Some(2), 0, None),
        // Missing system usage in the current sample.
        (200, None, 100, Some(1000), Some(2), 0, None),
        // No online_cpus: percpu length, then 1.
        (200, Some(2000), 100, Some(1000), None, 3, Some(30.0)),
        (200, Some(2000), 100, Some(1000), Some(0), 0, Some(10.0)),
    ];
    for (i, (cpu, sys, pcpu, psys, online, percpu, want)) in cases.into_iter().enumerate() {
        let mut s = StatsSample::default();
        s.cpu_stats.cpu_usage.total_usage = cpu;
        s.cpu_stats.system_cpu_usage = sys;
        s.cpu_stats.online_cpus = online;
        s.cpu_stats.cpu_usage.percpu_usage = (percpu > 0).then(|| vec![0; percpu]);
        s.precpu_stats.cpu_usage.total_usage = pcpu;
        s.precpu_stats.system_cpu_usage = psys;
        assert_eq!(cpu_percent(&s, None), want, "case {i}");
    }
}

#[test]
fn cpu_falls_back_to_the_previous_sample() {
    let mut prev = StatsSample::default();
    prev.cpu_stats.cpu_usage.total_usage = 1_000;
    prev.cpu_stats.system_cpu_usage = Some(10_000);
    let mut cur = StatsSample::default();
    cur.cpu_stats.cpu_usage.total_usage = 2_000;
    cur.cpu_stats.system_cpu_usage = Some(20_000);
    cur.cpu_stats.online_cpus = Some(2);
    assert_eq!(cpu_percent(&cur, Some(&prev)), Some(20.0));
    // The sample's own precpu wins when present.
    cur.precpu_stats.cpu_usage.total_usage = 1_500;
    cur.precpu_stats.system_cpu_usage = Some(15_000);
    assert_eq!(cpu_percent(&cur, Some(&prev)), Some(20.0));
    cur.precpu_stats.cpu_usage.total_usage = 1_900;
    assert_eq!(cpu_percent(&cur, Some(&prev)), Some(4.0));
}

#[test]
fn memory_boundaries() {
    // (usage, total_inactive_file, inactive_file) → expected usage
    let cases = [
        (Some(1000), None, None, 1000),
        (Some(1000), Some(300), None, 700),
        (Some(1000), None, Some(300), 700),
        (Some(1000), Some(300), Some(100), 700),
        // Cache not smaller than usage: not subtracted (v1 then falls back to inactive_file).
        (Some(1000), Some(1000), Some(100), 900),
        (Some(1000), None, Some(5000), 1000),
        (None, Some(10), Some(10), 0),
        (Some(0), None, None, 0),
    ];
    for (i, (usage, total_inactive, inactive, want)) in cases.into_iter().enumerate() {
        let mut s = StatsSample::default();
        s.memory_stats.usage = usage;
        s.memory_stats.stats.total_inactive_file = total_inactive;
        s.memory_stats.stats.inactive_file = inactive;
        assert_eq!(memory_usage_bytes(&s), want, "case {i}");
    }
    assert_eq!(percent(1, 0), 0.0, "no limit reported: 0 %, not NaN");
}

#[test]
fn rate_boundaries() {
    assert_eq!(rate(300, 100, 2.0), Some(100.0));
    assert_eq!(rate(100, 100, 1.0), Some(0.0));
    assert_eq!(rate(50, 100, 1.0), None, "counter reset: no negative rate");
    assert_eq!(rate(200, 100, 0.0), None);
    assert_eq!(round2(f64::NAN), 0.0);
    assert_eq!(round2(f64::INFINITY), 0.0);
}

#[test]
fn missing_and_null_fields_parse() {
    for json in [
        "{}",
        r#"{"read":null,"cpu_stats":null,"memory_stats":null,"networks":null,"blkio_stats":null}"#,
        r#"{"read":"garbage","memory_stats":{"stats":null},"pids_stats":{"current":null}}"#,
        r#"{"cpu_stats":{"cpu_usage":{"total_usage":null}},"extra":{"unknown":[1,2]}}"#,
    ] {
        let s = sample(json);
        assert!(!s.is_live(), "{json}");
        assert_eq!(cpu_percent(&s, None), None);
        assert_eq!(memory_usage_bytes(&s), 0);
        assert_eq!(network_totals(&s), (0, 0));
        assert_eq!(blkio_totals(&s), (0, 0));
    }
}

#[test]
fn docker_times() {
    assert_eq!(parse_docker_time("0001-01-01T00:00:00Z"), None);
    assert_eq!(parse_docker_time("not a time"), None);
    let t = parse_docker_time("2026-11-22T08:00:37.791322239Z").unwrap();
    assert_eq!(crate::time::rfc3339(t), "2026-11-22T08:00:37.791Z");
    let t = parse_docker_time("2026-11-22T09:00:37+01:00").unwrap();
    assert_eq!(crate::time::rfc3339(t), "2026-11-22T08:00:37.000Z");
}

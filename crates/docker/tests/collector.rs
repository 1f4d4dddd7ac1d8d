//! The collector against a real Docker engine (the running one, or a private `dockerd` started by
//! the testkit): figures within sane bounds of the truth, stopped and missing containers
//! reported, up/down events within a second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use kato_dashboard_docker::{
    COMPOSE_PROJECT_LABEL, ContainerEventKind, DockerCollector, DockerConfig,
};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use support::{event_until, snapshot_until};
use tokio_util::sync::CancellationToken;

const MIB: u64 = 1024 * 1024;

fn config(daemon: &DockerDaemon, names: &[&str]) -> DockerConfig {
    DockerConfig::with_names(Some(daemon.host().to_owned()), names)
}

/// Host pid of a container's main process.
fn container_pid(c: &TestContainers, name: &str) -> u32 {
    let out = c
        .docker()
        .args(["inspect", "--format", "{{.State.Pid}}", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
fn process_cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // After the command: state is field 3, utime 14 and stime 15 (1-based) → 11 and 12 here.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / clock_ticks_per_sec()
}

fn clock_ticks_per_sec() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_of_busy_idle_limited_stopped_and_missing_containers() {
    let daemon = DockerDaemon::start().unwrap();
    let mut c = TestContainers::new(&daemon, "figures").unwrap();
    let busy = c.run_busy("busy").unwrap();
    let idle = c.run_idle("idle").unwrap();
    let mem = c
        .run(
            "mem",
            &["--memory", "64m"],
            &[
                "sh",
                "-c",
                "dd if=/dev/zero of=/dev/shm/x bs=1M count=20 && exec sleep 1000000",
            ],
        )
        .unwrap();
    let stopped = c.run_stopped("stopped").unwrap();
    let project = c.prefix().to_owned();
    let label = format!("{COMPOSE_PROJECT_LABEL}={project}");
    let composed = c
        .run("svc", &["--label", &label], &["sleep", "1000000"])
        .unwrap();
    let never = c.name("never-created");

    let cancel = CancellationToken::new();
    let mut cfg = config(&daemon, &[&busy, &idle, &mem, &stopped, &never]);
    cfg.compose_project = Some(project);
    let handle = DockerCollector::spawn(cfg, cancel.clone());
    let mut rx = handle.snapshot.clone();

    // Every running container has a measured CPU figure.
    let snap = snapshot_until(&mut rx, Duration::from_secs(20), "figures for all", |s| {
        s.docker.is_ok()
            && [&busy, &idle, &mem, &composed]
                .iter()
                .all(|n| s.get(n).is_some_and(|c| c.cpu_known))
    })
    .await;
    assert_eq!(snap.missing, vec![never], "never-created name is missing");
    let st = snap
        .get(&stopped)
        .expect("stopped container is listed, not dropped");
    assert_eq!(
        (st.status.as_str(), st.running, st.exit_code),
        ("exited", false, Some(3))
    );
    assert!(
        snap.get(&composed).is_some(),
        "selected by compose project label"
    );
    assert_eq!(snap.aggregated.container_count, 5);
    assert_eq!(snap.aggregated.running_count, 4);
    assert_eq!(snap.aggregated.missing_count, 1);

    // CPU of `yes`: ≈ one core, over 4 consecutive samples, checked against the truth measured
    // from /proc over the same window (other builds on a 2-core machine may take some of it).
    let pid = container_pid(&c, &busy);
    let mut cpus = Vec::new();
    let mut last = None;
    let mut window = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while cpus.len() < 5 {
        assert!(
            Instant::now() < deadline,
            "5 samples of busy within 15 s: {cpus:?}"
        );
        tokio::time::timeout(Duration::from_secs(5), rx.changed())
            .await
            .unwrap()
            .unwrap();
        let s = rx.borrow_and_update().clone();
        let b = s.get(&busy).unwrap();
        if b.cpu_known && b.sampled_at != last {
            last = b.sampled_at;
            cpus.push(b.cpu);
            window.push((Instant::now(), process_cpu_secs(pid)));
        }
    }
    // The first sample only opens the window.
    let avg = cpus[1..].iter().sum::<f64>() / 4.0;
    let (t0, c0) = window[0];
    let (t1, c1) = window[4];
    let truth = (c1 - c0) / (t1 - t0).as_secs_f64() * 100.0;
    println!("busy cpu samples {cpus:?}, avg {avg:.1} %, /proc truth {truth:.1} %");
    assert!(avg > 0.0 && avg <= 105.0, "busy cpu {avg} from {cpus:?}");
    assert!(
        (avg - truth).abs() <= 15.0,
        "busy cpu {avg} vs truth {truth}"
    );
    if truth >= 90.0 {
        assert!(avg >= 60.0, "an idle machine gives yes a core: {avg}");
    }

    let s = handle.current();
    let i = s.get(&idle).unwrap();
    assert!(i.cpu < 5.0, "idle cpu {}", i.cpu);
    let b = s.get(&busy).unwrap();
    // busybox `sh -c` execs its last command: one process.
    assert!(b.pids.is_some_and(|p| p >= 1), "{:?}", b.pids);
    assert!(
        b.memory.usage_bytes > 0 && b.memory.usage_bytes < 50 * MIB,
        "{:?}",
        b.memory
    );
    assert!(!b.memory.limited);
    assert!(b.uptime_seconds.is_some() && b.started_at.is_some());
    assert!(
        b.sample_age_ms.is_some_and(|a| a < 3_000),
        "{:?}",
        b.sample_age_ms
    );
    // 20 MiB in /dev/shm under a 64 MiB limit.
    let m = &s.get(&mem).unwrap().memory;
    assert!(m.limited && m.limit_bytes == 64 * MIB, "{m:?}");
    assert!((20 * MIB..=40 * MIB).contains(&m.usage_bytes), "{m:?}");
    assert!((30.0..=65.0).contains(&m.usage_percent), "{m:?}");
    // --network none: no interfaces, zero totals and zero rates once two samples exist.
    assert_eq!((b.network.rx_bytes, b.network.rx_rate_bps), (0, Some(0.0)));
    assert!(s.aggregated.total_cpu_percent >= b.cpu);
    assert!(s.aggregated.host_cpus.is_some());
    assert_eq!(
        s.aggregated.total_memory_limit_mb,
        s.aggregated.host_memory_mb.unwrap(),
        "unlimited containers: the host's RAM, counted once"
    );

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), handle.join())
        .await
        .expect("collector stops on cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_start_and_destroy_arrive_within_a_second() {
    let daemon = DockerDaemon::start().unwrap();
    let mut c = TestContainers::new(&daemon, "events").unwrap();
    let victim = c.run_idle("victim").unwrap();
    let cancel = CancellationToken::new();
    let handle = DockerCollector::spawn(config(&daemon, &[&victim]), cancel.clone());
    let mut rx = handle.snapshot.clone();
    let mut events = handle.subscribe();
    snapshot_until(&mut rx, Duration::from_secs(20), "victim sampled", |s| {
        s.get(&victim).is_some_and(|c| c.sampled_at.is_some())
    })
    .await;

    let t0 = Instant::now();
    c.kill(&victim).unwrap();
    let died = event_until(&mut events, Duration::from_secs(1), "died < 1 s", |e| {
        e.name == victim && e.kind == ContainerEventKind::Died
    })
    .await;
    let down = t0.elapsed();
    assert_eq!(
        (died.status.as_str(), died.exit_code),
        ("exited", Some(137))
    );
    let snap = snapshot_until(&mut rx, Duration::from_secs(1), "exited in snapshot", |s| {
        s.get(&victim).is_some_and(|c| c.status == "exited")
    })
    .await;
    assert_eq!(snap.get(&victim).unwrap().cpu, 0.0);

    // `docker start` returns once the container runs (hundreds of ms on a loaded machine), so
    // the start is timed from the engine's own event time to its arrival here.
    let t1 = Instant::now();
    c.start(&victim).unwrap();
    let started = event_until(&mut events, Duration::from_secs(5), "started", |e| {
        e.name == victim && e.kind == ContainerEventKind::Started
    })
    .await;
    let up_from_engine = chrono::Utc::now() - started.at;
    let up = t1.elapsed();
    assert!(
        up_from_engine < chrono::Duration::seconds(1),
        "started event {up_from_engine} after the engine's start"
    );
    assert_eq!(started.status, "running");
    // The stream is reopened: fresh samples after the new start.
    snapshot_until(
        &mut rx,
        Duration::from_secs(5),
        "sampled after restart",
        |s| {
            s.get(&victim).is_some_and(|c| {
                c.running && c.sampled_at.is_some() && c.sampled_at >= c.started_at
            })
        },
    )
    .await;

    c.remove(&victim).unwrap();
    event_until(&mut events, Duration::from_secs(2), "destroyed", |e| {
        e.name == victim && e.kind == ContainerEventKind::Destroyed
    })
    .await;
    event_until(&mut events, Duration::from_secs(1), "missing", |e| {
        e.name == victim && e.kind == ContainerEventKind::Missing
    })
    .await;
    let snap = snapshot_until(&mut rx, Duration::from_secs(1), "victim missing", |s| {
        s.missing.contains(&victim)
    })
    .await;
    assert!(snap.get(&victim).is_none());
    println!(
        "kill → died event {down:?}; start → started event {up:?} ({} ms after the engine's \
         start event)",
        up_from_engine.num_milliseconds()
    );

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), handle.join())
        .await
        .expect("collector stops on cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_rename_are_followed() {
    let daemon = DockerDaemon::start().unwrap();
    let mut c = TestContainers::new(&daemon, "health").unwrap();
    let checked = c
        .run(
            "checked",
            &["--health-cmd", "true", "--health-interval", "1s"],
            &["sleep", "1000000"],
        )
        .unwrap();
    let renamed = c.name("renamed");
    let cancel = CancellationToken::new();
    let handle = DockerCollector::spawn(config(&daemon, &[&checked, &renamed]), cancel.clone());
    let mut rx = handle.snapshot.clone();
    let mut events = handle.subscribe();

    let health = event_until(&mut events, Duration::from_secs(10), "healthy", |e| {
        e.name == checked && e.kind == ContainerEventKind::Health
    })
    .await;
    assert_eq!(health.health.as_deref(), Some("healthy"));
    snapshot_until(
        &mut rx,
        Duration::from_secs(2),
        "healthy in snapshot",
        |s| {
            s.get(&checked)
                .is_some_and(|c| c.health.as_deref() == Some("healthy"))
        },
    )
    .await;

    let out = c
        .docker()
        .args(["rename", &checked, &renamed])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let ev = event_until(&mut events, Duration::from_secs(2), "renamed", |e| {
        e.kind == ContainerEventKind::Renamed
    })
    .await;
    assert_eq!(
        (ev.name.as_str(), ev.old_name.as_deref()),
        (renamed.as_str(), Some(checked.as_str()))
    );
    let snap = snapshot_until(&mut rx, Duration::from_secs(2), "new name listed", |s| {
        s.get(&renamed).is_some_and(|c| c.running) && s.missing.contains(&checked)
    })
    .await;
    assert!(snap.get(&checked).is_none());
    // The renamed container is removed by name at the end.
    c.remove(&renamed).unwrap();

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), handle.join())
        .await
        .expect("collector stops on cancel");
}

//! Docker unavailable and back, without restarting the collector: no socket at first, then a
//! private engine appears on that path; later the engine stops mid-run and starts again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kato_dashboard_docker::{ContainerEventKind, DockerCollector, DockerConfig};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use support::{event_until, snapshot_until};
use tokio_util::sync::CancellationToken;

fn reason(s: &kato_dashboard_docker::ContainersSnapshot) -> String {
    s.docker.reason().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_when_the_engine_appears_and_after_it_restarts() {
    let dir = tempfile::Builder::new()
        .prefix("kd-unavail-")
        .tempdir_in("/tmp")
        .unwrap();
    let socket = dir.path().join("docker.sock");
    let selector = format!("kato-dashboard-test={}", std::process::id());
    let cancel = CancellationToken::new();
    let config = DockerConfig {
        host: Some(format!("unix://{}", socket.display())),
        names: Vec::new(),
        labels: vec![selector.clone()],
        ..DockerConfig::default()
    };
    let handle = DockerCollector::spawn(config, cancel.clone());
    let t0 = std::time::Instant::now();
    let mut rx = handle.snapshot.clone();

    // 1. No socket: unavailable, with the reason.
    let snap = snapshot_until(&mut rx, Duration::from_secs(5), "no-socket reason", |s| {
        reason(s).contains("no Docker socket")
    })
    .await;
    assert!(
        reason(&snap).contains(&socket.display().to_string()),
        "{}",
        reason(&snap)
    );
    assert!(snap.containers.is_empty() && snap.missing.is_empty());

    // 2. An engine appears on that path, with a watched container (restart policy: always).
    let mut daemon = DockerDaemon::start_private_at(&socket).unwrap();
    let mut c = TestContainers::new(&daemon, "unavail").unwrap();
    let name = c
        .run(
            "idle",
            &["--label", &selector, "--restart", "always"],
            &["sleep", "1000000"],
        )
        .unwrap();
    let snap = snapshot_until(
        &mut rx,
        Duration::from_secs(15),
        "recovered with samples",
        |s| s.docker.is_ok() && s.get(&name).is_some_and(|c| c.cpu_known && !c.stale),
    )
    .await;
    let first_start = snap.get(&name).unwrap().started_at;
    println!("{:?}: recovered after the engine appeared", t0.elapsed());

    // 3. The engine stops mid-run: unavailable, last values kept and marked stale.
    let mut events = handle.subscribe();
    println!("{:?}: stopping the engine", t0.elapsed());
    daemon.stop();
    println!("{:?}: engine stopped", t0.elapsed());
    let snap = snapshot_until(
        &mut rx,
        Duration::from_secs(10),
        "unavailable after stop",
        |s| !s.docker.is_ok(),
    )
    .await;
    println!("{:?}: unavailable after the engine stopped", t0.elapsed());
    let kept = snap.get(&name).expect("last known container kept");
    assert!(kept.stale, "{kept:?}");
    assert_eq!(snap.aggregated.total_cpu_percent, 0.0);

    // 4. It starts again (the container comes back by its restart policy): fresh figures.
    daemon.restart().unwrap();
    snapshot_until(
        &mut rx,
        Duration::from_secs(20),
        "recovered after restart",
        |s| {
            s.docker.is_ok()
                && s.get(&name).is_some_and(|c| {
                    c.running && !c.stale && c.cpu_known && c.started_at > first_start
                })
        },
    )
    .await;
    println!("{:?}: recovered after the engine restarted", t0.elapsed());
    // The events missed during the outage are reported from the listing after reconnecting.
    let up = event_until(
        &mut events,
        Duration::from_secs(5),
        "up event after outage",
        |e| {
            e.name == name
                && matches!(
                    e.kind,
                    ContainerEventKind::Restarted | ContainerEventKind::Started
                )
        },
    )
    .await;
    assert_eq!(up.status, "running");

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), handle.join())
        .await
        .expect("collector stops on cancel");
    drop(c);
}

//! How old are the container stats when the dashboard sends them, and what does the collector
//! cost? Against a real engine (the running one, or a private `dockerd` from the testkit) with
//! 4 and 20 idle busybox containers: a 1 s ticker reads the snapshot (as the hub does) and
//! records each running container's sample age (`now − sampled_at`, the engine's read time),
//! with the ticker started at 4 phases relative to the engine's sampling;
//! the collector's cost is this process's CPU time over wall time (it runs nothing else but the
//! ticker), and the private engine's the same from /proc.
//!
//! `cargo bench -p kato-dashboard-docker --bench stats_age [-- <ticks> <counts…>]`
//! (defaults: 60 ticks, counts 4 20). Results: docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kato_dashboard_docker::{DockerCollector, DockerConfig};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use tokio_util::sync::CancellationToken;

struct Run {
    containers: usize,
    ages: Vec<u64>,
    worst_per_tick: Vec<u64>,
    collector_cpu: f64,
    dockerd_cpu: Option<f64>,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let ticks: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(60);
    let counts: Vec<usize> = match args.get(1..) {
        Some(rest) if !rest.is_empty() => rest.iter().filter_map(|a| a.parse().ok()).collect(),
        _ => vec![4, 20],
    };
    let daemon = DockerDaemon::start().expect("a Docker engine");
    println!(
        "engine {} ({}), {ticks} ticks of 1 s per run, {} CPUs",
        daemon.host(),
        if daemon.is_private() {
            "private dockerd"
        } else {
            "already running"
        },
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    let mut runs = Vec::new();
    for n in counts {
        runs.push(measure(&daemon, n, ticks).await);
    }
    println!();
    println!(
        "| containers | samples | age p50 | age p99 | age max | worst per tick p99 | collector CPU | dockerd CPU |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &runs {
        let mut ages = r.ages.clone();
        let mut worst = r.worst_per_tick.clone();
        println!(
            "| {} | {} | {} ms | {} ms | {} ms | {} ms | {:.2} % | {} |",
            r.containers,
            ages.len(),
            percentile(&mut ages, 0.50),
            percentile(&mut ages, 0.99),
            ages.iter().max().copied().unwrap_or(0),
            percentile(&mut worst, 0.99),
            r.collector_cpu,
            r.dockerd_cpu
                .map_or("n/a".to_owned(), |c| format!("{c:.2} %")),
        );
    }
}

async fn measure(daemon: &DockerDaemon, n: usize, ticks: usize) -> Run {
    let mut c = TestContainers::new(daemon, &format!("bench{n}")).unwrap();
    let names: Vec<String> = (0..n)
        .map(|i| c.run_idle(&format!("c{i}")).unwrap())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let cancel = CancellationToken::new();
    let handle = DockerCollector::spawn(
        DockerConfig::with_names(Some(daemon.host().to_owned()), &refs),
        cancel.clone(),
    );
    let mut rx = handle.snapshot.clone();
    tokio::time::timeout(
        Duration::from_secs(30),
        rx.wait_for(|s| names.iter().all(|n| s.get(n).is_some_and(|c| c.cpu_known))),
    )
    .await
    .expect("all containers sampled within 30 s")
    .unwrap();

    let wall0 = Instant::now();
    let cpu0 = cpu_secs("self");
    let dockerd0 = daemon.pid().map(|p| cpu_secs(&p.to_string()));
    let mut ages = Vec::new();
    let mut worst_per_tick = Vec::new();
    // The hub's tick has no fixed phase relative to the engine's samples (every ≈1.003 s): tick
    // in 4 blocks starting 0, 250, 500 and 750 ms after a sample arrived.
    for phase_ms in [0u64, 250, 500, 750] {
        rx.borrow_and_update();
        rx.changed().await.unwrap();
        tokio::time::sleep(Duration::from_millis(phase_ms)).await;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        for _ in 0..ticks.div_ceil(4) {
            tick.tick().await;
            let snap = handle.current();
            let tick_ages: Vec<u64> = snap
                .containers
                .iter()
                .filter(|c| c.running)
                .map(|c| c.sample_age_ms.unwrap_or(u64::MAX))
                .collect();
            assert_eq!(tick_ages.len(), n, "every container is running and listed");
            worst_per_tick.push(tick_ages.iter().max().copied().unwrap_or(0));
            ages.extend(tick_ages);
        }
    }
    let wall = wall0.elapsed().as_secs_f64();
    let collector_cpu = (cpu_secs("self") - cpu0) / wall * 100.0;
    let dockerd_cpu = daemon
        .pid()
        .zip(dockerd0)
        .map(|(p, c0)| (cpu_secs(&p.to_string()) - c0) / wall * 100.0);
    cancel.cancel();
    handle.join().await;
    println!("{n} containers: done");
    Run {
        containers: n,
        ages,
        worst_per_tick,
        collector_cpu,
        dockerd_cpu,
    }
}

/// The p-quantile (nearest rank) of `v`.
fn percentile(v: &mut [u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// User + system CPU seconds of a process (all threads), from /proc/<pid>/stat.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    let hz: f64 = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    ticks / hz
}

//! A bounded fault soak (`docs/reliability.md`): the real `kato-dashboard` binary against a private kato-sim,
//! Redis and Docker engine, while `/ws` clients subscribe, resume and drop, and the upstreams are killed and
//! restarted in random order. Invariants, printed as a table and asserted: no panic; every client gets every
//! event exactly once or a `resync`; every `session_event` matches a create/delete the soak made (or a TTL that
//! ran out) and the events leave alive exactly the sessions in Redis and in the dashboard's list; open fds and
//! RSS back near their baseline at the end.
//!
//! `KATO_SOAK_SECONDS` (default 60) sets how long faults are injected; `KATO_SOAK_SEED` replays the same random
//! choices (timing still varies). `KATO_SOAK_VERBOSE=1` prints each fault as it happens; `KATO_SOAK_DUMP=<file>`
//! writes every event and the fault timeline there; `KATO_SOAK_FAULTS=kato,redis,docker` (the default) picks the
//! services to fault.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fault_soak/clients.rs"]
mod clients;
#[path = "fault_soak/dashboard.rs"]
mod dashboard;
#[path = "fault_soak/faults.rs"]
mod faults;
#[path = "fault_soak/report.rs"]
mod report;
#[path = "fault_soak/services.rs"]
mod services;
#[path = "fault_soak/steps.rs"]
mod steps;
#[path = "fault_soak/tracking.rs"]
mod tracking;
#[path = "fault_soak/truth.rs"]
mod truth;

use std::{
    sync::{Arc, Mutex, atomic::AtomicBool},
    time::Duration,
};

use clients::Client;
use dashboard::DashProc;
use kato_dashboard_sim::Flavour;
use services::{Kind, Services};
use tokio::time::Instant;
use tracking::{EventLog, Stats};

/// Clients, including the steady observer.
const CLIENTS: usize = 30;
/// Open fds may end this many above the baseline (pooled upstream connections come and go).
const FD_SLACK: usize = 10;
/// RSS may end this much above the baseline (KiB); docs/reliability.md explains the bound.
const RSS_SLACK_KIB: u64 = 16 * 1024;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The services to fault: `KATO_SOAK_FAULTS` (`kato,redis,docker`, the default; `none` for none), to tell which
/// one a change in the figures comes with.
fn fault_kinds() -> Vec<Kind> {
    let names = std::env::var("KATO_SOAK_FAULTS").unwrap_or_else(|_| "kato,redis,docker".into());
    let names: Vec<&str> = names.split(',').map(str::trim).collect();
    let known = |n: &&str| *n == "none" || Kind::ALL.iter().any(|k| k.name() == *n);
    assert!(
        names.iter().all(known),
        "KATO_SOAK_FAULTS={names:?}: kato, redis, docker or none"
    );
    Kind::ALL
        .into_iter()
        .filter(|k| names.contains(&k.name()))
        .collect()
}

/// `unwrap` with the error in the panic message: a step that cannot be done fails the test with its reason.
trait OrFail<T> {
    fn or_fail(self, what: &str) -> T;
}

impl<T, E: std::fmt::Display> OrFail<T> for Result<T, E> {
    fn or_fail(self, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_soak() {
    let seconds = env_u64("KATO_SOAK_SECONDS").unwrap_or(60).max(5);
    let seed = env_u64("KATO_SOAK_SEED").unwrap_or_else(rand::random);
    let kinds = fault_kinds();
    println!(
        "fault soak: {seconds} s of faults, seed {seed} (replay its choices: KATO_SOAK_SEED={seed})"
    );
    let test_started = Instant::now();
    let flavour = if seed.is_multiple_of(2) {
        Flavour::V3
    } else {
        Flavour::V1
    };
    let mut services = Services::start(flavour)
        .await
        .or_fail("cannot start the soak's services");
    let mut dash = DashProc::start(&steps::dashboard_env(&services)).or_fail("kato-dashboard");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let within = Duration::from_secs(60);
    dash.wait_ready(&http, within)
        .await
        .or_fail("kato-dashboard");
    steps::recovered(&http, &dash, &services, within)
        .await
        .or_fail("before the soak");
    steps::warm_up(&dash.ws_url(), CLIENTS).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let baseline = dash.usage();

    // The soak: clients, the session driver and garbage HTTP run while this task injects faults.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let log = Arc::new(Mutex::new(EventLog::default()));
    let mut tasks = tokio::task::JoinSet::new();
    for id in 0..CLIENTS {
        let client = Client::new(
            id,
            seed.wrapping_add(1000 + id as u64),
            id == 0,
            log.clone(),
        );
        tasks.spawn(client.soak(dash.ws_url(), deadline));
    }
    let driver = truth::drive(
        services.kato_url(),
        dash.url(""),
        seed.wrapping_add(1),
        deadline,
    );
    let driver = tokio::spawn(driver);
    let garbage = tokio::spawn(faults::garbage(dash.port, seed.wrapping_add(2), deadline));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = steps::sample(dash.pid, sampling.clone());
    let faults = faults::run(&mut services, &kinds, seed.wrapping_add(3), deadline)
        .await
        .or_fail("a service did not come back");
    let mut clients = Vec::new();
    while let Some(c) = tasks.join_next().await {
        clients.push(c.expect("a client task panicked"));
    }
    let truth = driver.await.expect("the session driver panicked");
    let garbage = garbage.await.expect("the garbage task panicked");

    // Recovery: upstreams seen again, the session list converged on Redis, every client caught up.
    let recovery_started = Instant::now();
    steps::recovered(&http, &dash, &services, within)
        .await
        .or_fail("after the soak");
    let converged = steps::converged(&http, &dash, &services.redis_url(), within).await;
    let firing = steps::firing_after(&http, &dash, Duration::from_secs(15)).await;
    let recovery = recovery_started.elapsed();
    let newest = steps::catch_up_all(&mut clients, &dash.ws_url(), &log).await;
    let gaps: u64 = clients
        .iter()
        .map(|c| {
            (0..3)
                .map(|i| c.tracks[i].missing_up_to(newest[i]))
                .sum::<u64>()
        })
        .sum();
    let mut stats = Stats::default();
    for c in &clients {
        stats.add(&c.stats);
    }

    // Resources once every client is gone (closing connections take up to a second on the server).
    let mut end = dash.usage();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        end = dash.usage();
        if end.fds <= baseline.fds + FD_SLACK {
            break;
        }
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    let quarter = Duration::from_secs(seconds) / 4;
    let during = [3, 2, 1, 0].map(|q| samples.at(deadline - quarter * q));

    let log = std::mem::take(&mut *log.lock().unwrap());
    if let Some(path) = std::env::var_os("KATO_SOAK_DUMP") {
        // Every event (one JSON text per line, by topic and seq) and the fault timeline, for a closer look.
        let events = log
            .events
            .iter()
            .flat_map(|t| t.values().map(|e| e.to_string()));
        let lines: Vec<String> = events.chain(faults.timeline.iter().cloned()).collect();
        std::fs::write(&path, lines.join("\n")).or_fail("KATO_SOAK_DUMP");
    }
    let (redis_ids, dash_ids) = converged.clone().unwrap_or_default();
    let verdict = truth::check(&truth, &log.events[0], &redis_ids, &dash_ids);
    let unseen = [0, 1, 2].map(|i| newest[i] - log.events[i].len() as u64);
    let (kato_events, alerts) = steps::event_kinds(&log);
    let running_at_end = dash.running();
    let exit = dash.stop(Duration::from_secs(10)).await;
    let panics = dash.panics();
    let exit = match (running_at_end, exit) {
        (false, _) => "it had already exited".to_owned(),
        (true, Some(s)) if s.success() => "exit 0".to_owned(),
        (true, Some(s)) => s.to_string(),
        (true, None) => "killed: no exit within 10 s".to_owned(),
    };
    let report = report::Report {
        seconds,
        seed,
        flavour: format!("{flavour:?}"),
        total: test_started.elapsed(),
        recovery,
        faults: &faults,
        clients: CLIENTS,
        stats: &stats,
        logged: [0, 1, 2].map(|i| log.events[i].len()),
        unseen,
        gaps,
        mismatches: log.mismatches.len(),
        ops: &truth.ops,
        verdict: &verdict,
        garbage: &garbage,
        panics: panics.len(),
        exit: exit.clone(),
        baseline,
        end,
        peak: samples.peak,
        during,
        kato_events,
        alerts,
        firing: firing.clone(),
    };
    println!("\n{}", report::table(&report));
    let trouble = !verdict.spurious.is_empty() || stats.duplicates > 0 || gaps > 0;
    if trouble || std::env::var_os("KATO_SOAK_VERBOSE").is_some() {
        println!("fault timeline:\n  {}", faults.timeline.join("\n  "));
    }
    for line in verdict.spurious.iter().take(20) {
        println!("spurious: {line}");
    }
    for line in stats.evidence.iter().chain(&log.mismatches) {
        println!("evidence: {line}");
    }
    services.shutdown().await;

    // The invariants.
    assert!(
        panics.is_empty(),
        "the dashboard panicked:\n{}",
        panics.join("\n")
    );
    assert_eq!(exit, "exit 0", "the dashboard stops cleanly on SIGTERM");
    assert!(
        converged.is_some(),
        "the dashboard's session list never matched Redis"
    );
    assert_eq!(
        stats.duplicates, 0,
        "events delivered twice: {:#?}",
        stats.evidence
    );
    assert_eq!(gaps, 0, "events missing without a resync");
    assert_eq!(unseen[0], 0, "session events no client ever received");
    assert!(
        log.mismatches.is_empty(),
        "clients disagree on an event's text"
    );
    assert_eq!(
        stats.stale, 0,
        "events arrived that a resync had declared gone"
    );
    assert!(
        verdict.spurious.is_empty(),
        "spurious session events: {:#?}",
        verdict.spurious
    );
    assert!(
        verdict.final_mismatch.is_empty(),
        "sessions at the end: {:?}",
        verdict.final_mismatch
    );
    let stuck: Vec<&String> = firing
        .iter()
        .filter(|f| f.starts_with("kato_unreachable"))
        .collect();
    assert!(
        stuck.is_empty(),
        "KATO answers, yet its alert still fires: {stuck:?}"
    );
    assert!(stats.connects > CLIENTS as u64, "clients reconnected");
    let injected = kinds.iter().all(|k| faults.downs[k.index()] > 0);
    assert!(
        injected,
        "every kind of fault: {kinds:?} {:?}",
        faults.downs
    );
    let (fds, rss) = (baseline.fds + FD_SLACK, baseline.rss_kib + RSS_SLACK_KIB);
    assert!(
        end.fds <= fds,
        "open fds {} at the end, at most {fds} allowed",
        end.fds
    );
    assert!(
        end.rss_kib <= rss,
        "RSS {} KiB at the end, at most {rss} KiB allowed",
        end.rss_kib
    );
}

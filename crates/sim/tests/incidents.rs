//! Scripted incidents: restart (counters and uptime reset, sockets dropped, connection refused
//! during the downtime, same port after), error bursts (failed counter and `/stats` series),
//! slow periods, refusal, the `/_sim` control API, and the restart-loop scenario.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kato_dashboard_sim::json::Json;
use kato_dashboard_sim::{Flavour, Scenario, Sim, SimConfig};

use common::{any_port, get, http, next_text, num, refused, wait_for, ws_connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resets_counters_drops_sockets_and_refuses_during_downtime() {
    let sim = Sim::start(SimConfig::idle(Flavour::V1), any_port())
        .await
        .unwrap();
    let port = sim.addr().port();
    let session = sim.create_session("survivor", None).await.unwrap();
    for _ in 0..5 {
        assert_eq!(get(&sim, "/health").await.0, 200);
    }
    assert_eq!(get(&sim, "/nope").await.0, 404);
    let (_, metrics) = get(&sim, "/metrics").await;
    assert!(num(&metrics, &["performance", "total_requests"]) >= 7.0);
    let (_sink, mut source) = ws_connect(&sim).await;
    assert!(next_text(&mut source).await.contains("state.snapshot"));
    tokio::time::sleep(Duration::from_millis(300)).await; // let uptime grow measurably

    let restarted = Instant::now();
    sim.restart(Duration::from_millis(1500));
    // The socket is dropped without a close frame, like a dying process.
    match tokio::time::timeout(Duration::from_secs(5), source.next()).await {
        Ok(None) | Ok(Some(Err(_))) => {}
        other => panic!("the /ws/events socket should be dropped, got {other:?}"),
    }
    wait_for(
        "connection refused during the downtime",
        Duration::from_secs(2),
        || async { refused(&sim).await.then_some(()) },
    )
    .await;
    assert!(!sim.is_accepting());
    assert!(matches!(
        sim.create_session("x", None).await,
        Err(kato_dashboard_sim::SimError::Down)
    ));
    wait_for(
        "the listener to come back",
        Duration::from_secs(10),
        || async {
            tokio::net::TcpStream::connect(sim.addr())
                .await
                .ok()
                .map(|_| ())
        },
    )
    .await;
    assert!(
        restarted.elapsed() >= Duration::from_millis(1400),
        "back too early"
    );
    assert_eq!(sim.addr().port(), port, "same port after the restart");

    let (_, health) = get(&sim, "/health").await;
    assert!(
        num(&health, &["uptime_seconds"]) < 2.0,
        "uptime reset: {}",
        health.to_compact()
    );
    let (_, metrics) = get(&sim, "/metrics").await;
    assert!(
        num(&metrics, &["performance", "total_requests"]) <= 2.0,
        "counters reset"
    );
    let (status, _) = get(&sim, "/metrics/kato_requests_failed?minutes=600").await;
    assert_eq!(
        status, 404,
        "the failed-request history is gone with the old process"
    );
    let (status, body) = get(&sim, &format!("/sessions/{session}")).await;
    assert_eq!(
        status,
        200,
        "sessions survive a restart: {}",
        body.to_compact()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_burst_shows_in_failed_counter_and_stats_but_not_error_rate() {
    let sim = Sim::start(SimConfig::idle(Flavour::V3), any_port())
        .await
        .unwrap();
    sim.error_burst(Duration::from_secs(60), 1.0);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get(&sim, "/health").await.0);
    }
    sim.error_burst(Duration::ZERO, 0.0);
    assert!(
        statuses.iter().all(|s| [500, 503, 429].contains(s)),
        "{statuses:?}"
    );

    let (status, failed) = get(&sim, "/metrics/kato_requests_failed?minutes=600").await;
    assert_eq!(status, 200, "{}", failed.to_compact());
    assert_eq!(num(&failed, &["statistics", "count"]), 8.0);
    let points = failed.get("data_points").and_then(Json::as_array).unwrap();
    let last = points.last().unwrap();
    assert_eq!(last.get("value"), Some(&Json::Float(8.0)));
    let labels = last.get("labels").unwrap();
    assert_eq!(labels.get("path").and_then(Json::as_str), Some("/health"));
    assert!(["500", "503", "429"].contains(&labels.get("status").and_then(Json::as_str).unwrap()));

    let (_, stats) = get(&sim, "/stats?minutes=10").await;
    let durations = stats
        .get("time_series")
        .and_then(|t| t.get("kato_request_duration_seconds"))
        .and_then(Json::as_array)
        .unwrap();
    let failed_points = durations
        .iter()
        .filter(|p| {
            p.get("labels")
                .and_then(|l| l.get("status"))
                .and_then(Json::as_str)
                != Some("200")
        })
        .count();
    assert_eq!(failed_points, 8);
    // KATO's error_rate never moves (it reads a counter nothing increments).
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (_, metrics) = get(&sim, "/metrics").await;
    assert_eq!(
        metrics.get("performance").and_then(|p| p.get("error_rate")),
        Some(&Json::Float(0.0))
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_period_adds_latency_and_refusal_closes_the_port() {
    let sim = Sim::start(SimConfig::idle(Flavour::V1), any_port())
        .await
        .unwrap();
    sim.slow(Duration::from_secs(60), Duration::from_millis(1000));
    let started = Instant::now();
    assert_eq!(get(&sim, "/health").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(1000));
    sim.slow(Duration::ZERO, Duration::ZERO);
    let started = Instant::now();
    assert_eq!(get(&sim, "/health").await.0, 200);
    assert!(started.elapsed() < Duration::from_millis(1000));

    let (_, before) = get(&sim, "/metrics").await;
    sim.refuse(Duration::from_millis(800));
    wait_for("connection refused", Duration::from_secs(2), || async {
        refused(&sim).await.then_some(())
    })
    .await;
    wait_for(
        "the port to accept again",
        Duration::from_secs(10),
        || async {
            tokio::net::TcpStream::connect(sim.addr())
                .await
                .ok()
                .map(|_| ())
        },
    )
    .await;
    let (_, after) = get(&sim, "/metrics").await;
    assert!(
        num(&after, &["performance", "total_requests"])
            > num(&before, &["performance", "total_requests"]),
        "a refusal is not a restart: counters keep going"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_triggers_incidents_and_creates_sessions() {
    let sim = Sim::start(SimConfig::idle(Flavour::V3), any_port())
        .await
        .unwrap();
    let client = http();
    let url = |p: &str| format!("{}{p}", sim.base_url());
    let resp = client
        .post(url("/_sim/sessions"))
        .json(&serde_json::json!({"count": 3, "node_id": "ctl", "ttl_seconds": 120}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = Json::parse(&resp.bytes().await.unwrap()).unwrap();
    let ids = body.get("session_ids").and_then(Json::as_array).unwrap();
    assert_eq!(ids.len(), 3);
    let (_, count) = get(&sim, "/sessions/count").await;
    assert_eq!(count.get("active_session_count"), Some(&Json::Int(3)));

    let bad = client
        .post(url("/_sim/incident"))
        .json(&serde_json::json!({"kind": "meteor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    let resp = client
        .post(url("/_sim/incident"))
        .json(&serde_json::json!({"kind": "error_burst", "duration_ms": 60000, "fraction": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    assert_ne!(get(&sim, "/health").await.0, 200);
    let (status, state) = get(&sim, "/_sim/state").await;
    assert_eq!(status, 200, "the control API is never failed by incidents");
    assert!(
        state
            .get("incidents")
            .and_then(|i| i.get("error_burst_ms_left"))
            .is_some_and(|v| !v.is_null())
    );
    client
        .post(url("/_sim/incident"))
        .json(&serde_json::json!({"kind": "error_burst", "duration_ms": 0}))
        .send()
        .await
        .unwrap();

    let resp = client
        .post(url("/_sim/incident"))
        .json(&serde_json::json!({"kind": "restart", "downtime_ms": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    wait_for("the restart's refusal", Duration::from_secs(3), || async {
        refused(&sim).await.then_some(())
    })
    .await;
    wait_for("the port to come back", Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(sim.addr())
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    let (_, count) = get(&sim, "/sessions/count").await;
    assert_eq!(
        count.get("active_session_count"),
        Some(&Json::Int(3)),
        "sessions survive"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_loop_scenario_restarts_periodically() {
    let config = SimConfig {
        scenario: Scenario::RestartLoop,
        restart_every: Duration::from_millis(1500),
        restart_downtime: Duration::from_millis(300),
        traffic_rate: 20.0,
        ..SimConfig::idle(Flavour::V3)
    };
    let sim = Sim::start(config, any_port()).await.unwrap();
    wait_for(
        "a refused connection from the loop",
        Duration::from_secs(10),
        || async { refused(&sim).await.then_some(()) },
    )
    .await;
    wait_for("the port to come back", Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(sim.addr())
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    let (_, health) = wait_for("a /health answer", Duration::from_secs(10), || async {
        let r = http()
            .get(format!("{}/health", sim.base_url()))
            .send()
            .await
            .ok()?;
        let bytes = r.bytes().await.ok()?;
        Some(((), Json::parse(&bytes).ok()?))
    })
    .await;
    assert!(
        num(&health, &["uptime_seconds"]) < 1.6,
        "uptime restarted: {}",
        health.to_compact()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_requests_limit_makes_the_server_exit_and_come_back() {
    let config = SimConfig {
        max_requests: Some(5),
        restart_downtime: Duration::from_millis(500),
        ..SimConfig::idle(Flavour::V1)
    };
    let sim = Sim::start(config, any_port()).await.unwrap();
    for _ in 0..6 {
        assert_eq!(
            get(&sim, "/health").await.0,
            200,
            "the answer in flight is delivered"
        );
    }
    wait_for(
        "the exit after request 6",
        Duration::from_secs(3),
        || async { refused(&sim).await.then_some(()) },
    )
    .await;
    wait_for("the restarted server", Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(sim.addr())
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    let (_, metrics) = get(&sim, "/metrics").await;
    assert!(
        num(&metrics, &["performance", "total_requests"]) <= 1.0,
        "{}",
        metrics.to_compact()
    );
    sim.shutdown().await;
}

//! Living behaviour: `/ws/events` (snapshot, created, destroyed on explicit delete only,
//! ping/pong), background traffic of the `steady` scenario, and per-flavour paths.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::time::Duration;

use futures_util::SinkExt;
use kato_dashboard_sim::json::Json;
use kato_dashboard_sim::{Flavour, Scenario, Sim, SimConfig};
use tokio_tungstenite::tungstenite::Message;

use common::{any_port, get, next_text, num, wait_for, ws_connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_events_deliver_created_and_destroyed_but_not_expiry() {
    let sim = Sim::start(SimConfig::idle(Flavour::V1), any_port())
        .await
        .unwrap();
    let (mut sink, mut source) = ws_connect(&sim).await;
    let snapshot = next_text(&mut source).await;
    assert!(
        snapshot.starts_with(r#"{"event_type": "state.snapshot", "timestamp": ""#),
        "{snapshot}"
    );
    assert!(
        snapshot.ends_with(r#""data": {"active_sessions": 0, "system_status": "healthy"}}"#),
        "{snapshot}"
    );

    sink.send(Message::Text("ping".into())).await.unwrap();
    assert_eq!(next_text(&mut source).await, "pong");

    let id = sim.create_session("dash-alice", None).await.unwrap();
    let created = Json::parse(next_text(&mut source).await.as_bytes()).unwrap();
    assert_eq!(
        created.get("event_type").and_then(Json::as_str),
        Some("session.created")
    );
    let data = created.get("data").unwrap();
    assert_eq!(
        data.get("session_id").and_then(Json::as_str),
        Some(id.as_str())
    );
    assert_eq!(
        data.get("node_id").and_then(Json::as_str),
        Some("dash-alice")
    );
    assert!(
        data.get("created_at")
            .and_then(Json::as_str)
            .unwrap()
            .ends_with("+00:00")
    );

    let short = sim.create_session("dash-ephemeral", Some(1)).await.unwrap();
    assert!(next_text(&mut source).await.contains(&short));
    wait_for(
        "the 1 s session to expire",
        Duration::from_secs(10),
        || async { (!sim.session_exists(&short).await.unwrap()).then_some(()) },
    )
    .await;

    assert!(sim.delete_session(&id).await.unwrap());
    assert!(
        !sim.delete_session(&id).await.unwrap(),
        "second delete is KATO's 404"
    );
    let destroyed = Json::parse(next_text(&mut source).await.as_bytes()).unwrap();
    assert_eq!(
        destroyed.get("event_type").and_then(Json::as_str),
        Some("session.destroyed")
    );
    let data = destroyed.get("data").unwrap();
    assert_eq!(
        data.get("session_id").and_then(Json::as_str),
        Some(id.as_str()),
        "expiry sent nothing"
    );
    assert_eq!(
        data.get("reason").and_then(Json::as_str),
        Some("explicit_delete")
    );
    sink.send(Message::Text("hello-not-a-command".into()))
        .await
        .unwrap();
    sink.send(Message::Text("ping".into())).await.unwrap();
    assert_eq!(
        next_text(&mut source).await,
        "pong",
        "other text is ignored; nothing else was sent"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_scenario_generates_traffic_sessions_and_processors() {
    let config = SimConfig {
        traffic_rate: 60.0,
        ..SimConfig::idle(Flavour::V1)
    };
    let config = SimConfig {
        scenario: Scenario::Steady,
        ..config
    };
    let sim = Sim::start(config, any_port()).await.unwrap();
    let (_, metrics) = wait_for("background traffic", Duration::from_secs(20), || async {
        let (status, m) = get(&sim, "/metrics").await;
        let busy = num(&m, &["performance", "total_requests"]) >= 40.0
            && num(&m, &["processor_manager", "total_processors"]) >= 1.0
            && num(&m, &["sessions", "active"]) >= 3.0;
        busy.then_some((status, m))
    })
    .await;
    assert!(
        num(&metrics, &["rates", "requests_per_second"]) > 1.0,
        "{}",
        metrics.to_compact()
    );
    let (_, stats) = get(&sim, "/stats?minutes=1").await;
    let cpu = stats
        .get("time_series")
        .and_then(|t| t.get("kato_cpu_usage_percent"))
        .and_then(Json::as_array)
        .unwrap();
    assert!(!cpu.is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exists_is_v3_only_and_the_session_middleware_answers_first() {
    let v1 = Sim::start(SimConfig::idle(Flavour::V1), any_port())
        .await
        .unwrap();
    let id = v1.create_session("n", None).await.unwrap();
    let (status, body) = get(&v1, &format!("/sessions/{id}/exists")).await;
    assert_eq!(
        (status, body.to_compact()),
        (404, r#"{"detail":"Not Found"}"#.to_string())
    );
    let missing = "session-00000000000000000000000000000000-0";
    let (status, body) = get(&v1, &format!("/sessions/{missing}/exists")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("SESSION_NOT_FOUND")
    );
    let (status, body) = get(&v1, "/sessions?skip=0&limit=50").await;
    assert_eq!(
        (status, body.to_compact()),
        (405, r#"{"detail":"Method Not Allowed"}"#.to_string())
    );
    v1.shutdown().await;

    let v3 = Sim::start(SimConfig::idle(Flavour::V3), any_port())
        .await
        .unwrap();
    let id = v3.create_session("n", None).await.unwrap();
    let (status, body) = get(&v3, &format!("/sessions/{id}/exists")).await;
    assert_eq!(status, 200);
    assert_eq!(body.get("exists"), Some(&Json::Bool(true)));
    v3.shutdown().await;
}

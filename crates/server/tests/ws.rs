//! `/ws` with a real WebSocket client against the real server and kato-sim: subscriptions, snapshots, bad
//! frames, heartbeats, session pushes, resume after a disconnect, slow clients, KATO outages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::{Value, json};
use support::{
    Dashboard, closed_port,
    ws::{Frame, WsClient},
};
use tokio_tungstenite::tungstenite::Message;

const SEC: Duration = Duration::from_secs(1);

async fn setup() -> (Sim, Dashboard) {
    let kato = Sim::start(SimConfig::idle(Flavour::V1), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dash = Dashboard::start(&kato.base_url(), &[]).await;
    (kato, dash)
}

/// A client subscribed to `session_events`, once the dashboard's KATO event listener is connected.
async fn session_events_client(dash: &Dashboard) -> WsClient {
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    support::wait_for(5 * SEC, "the KATO event listener", || async {
        let (_, body) = dash.get("/api/v1/sessions").await;
        (body["summary"]["sources"]["kato_events"]["state"] == "ok").then_some(())
    })
    .await;
    ws
}

fn data_keys(update: &Value) -> Vec<String> {
    update["data"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn subscribe_acks_sends_a_snapshot_at_once_and_filters_state_topics() {
    let (kato, dash) = setup().await;
    // Let the collectors fill the metrics topic.
    let mut probe = WsClient::connect(&dash.ws_url()).await;
    probe.next_of("realtime_update", 3 * SEC).await;

    let mut ws = WsClient::connect(&dash.ws_url()).await;
    // First no state topic, so metrics is one this client has not received when it asks for it.
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["system_alerts"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    // A tick may have brought this client everything before its first subscribe; metrics is polled every 0.5 s
    // here, so after 0.7 s the current value is one it has not received.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let asked = Instant::now();
    ws.send_json(
        json!({"type": "subscribe", "subscriptions": ["metrics", "bogus", "system_alerts"]}),
    )
    .await;
    let ack = ws.next_of("subscribed", SEC).await;
    assert_eq!(ack["subscriptions"], json!(["metrics", "system_alerts"]));
    assert_eq!(ack["unknown"], json!(["bogus"]));
    let snapshot = ws.next_of("realtime_update", SEC).await;
    assert!(
        asked.elapsed() < Duration::from_millis(200),
        "snapshot took {:?}",
        asked.elapsed()
    );
    assert_eq!(data_keys(&snapshot), vec!["metrics"]);
    assert!(
        snapshot["data"]["metrics"]["derived"]["source"]["state"] == "ok",
        "{snapshot}"
    );
    let ts = snapshot["timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
        "{ts}"
    );
    for _ in 0..3 {
        let update = ws.next_of("realtime_update", SEC).await;
        assert_eq!(
            data_keys(&update),
            vec!["metrics"],
            "only the subscribed state topic"
        );
    }
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["sessions"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    let update = ws.next_of("realtime_update", SEC).await;
    assert_eq!(data_keys(&update), vec!["sessions"]);
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_subscribes_gets_every_topic() {
    let (kato, dash) = setup().await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    let keys = loop {
        let update = ws.next_of("realtime_update", 3 * SEC).await;
        let keys = data_keys(&update);
        if keys.len() >= 2 {
            break keys;
        }
    };
    assert!(
        keys.contains(&"metrics".to_string()) && keys.contains(&"sessions".to_string()),
        "{keys:?}"
    );
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn every_kind_of_bad_frame_gets_an_error_and_the_socket_keeps_working() {
    let (kato, dash) = setup().await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": []}))
        .await;
    ws.next_of("subscribed", SEC).await;
    let cases: Vec<(Message, &str)> = vec![
        (Message::text("hello there"), "not_json"),
        (Message::text("[1, 2, 3]"), "not_object"),
        (Message::text("42"), "not_object"),
        (Message::text("{}"), "missing_type"),
        (Message::text(r#"{"type": 7}"#), "missing_type"),
        (Message::text(r#"{"type": "teleport"}"#), "unknown_type"),
        (
            Message::text(r#"{"type": "subscribe", "subscriptions": 5}"#),
            "invalid_field",
        ),
        (
            Message::text(r#"{"type": "subscribe", "subscriptions": [1, 2]}"#),
            "invalid_field",
        ),
        (
            Message::text(r#"{"type": "resume", "last_seq": "yesterday"}"#),
            "invalid_field",
        ),
        (Message::binary(vec![0u8, 159, 146, 150]), "binary"),
    ];
    for (frame, code) in cases {
        ws.ws.send(frame).await.unwrap();
        let error = ws.next_of("error", SEC).await;
        assert_eq!(error["code"], code, "{error}");
        assert!(!error["message"].as_str().unwrap().is_empty());
        ws.send_text("ping").await;
        let hb = ws.next_of("heartbeat", SEC).await;
        assert!(hb["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    ws.send_json(json!({"type": "ping"})).await;
    ws.next_of("heartbeat", SEC).await;
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009_and_others_are_unaffected() {
    let (kato, dash) = setup().await;
    let mut bystander = WsClient::connect(&dash.ws_url()).await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    let huge = format!(
        r#"{{"type":"subscribe","subscriptions":["{}"]}}"#,
        "x".repeat(200_000)
    );
    let _ = ws.ws.send(Message::text(huge)).await;
    let code = loop {
        match ws.next_frame(3 * SEC).await {
            Some(Frame::Close(code)) => break code,
            Some(Frame::Json(_)) => continue,
            None => panic!("no close after an oversize frame"),
        }
    };
    assert!(matches!(code, Some(1009) | None), "closed with {code:?}");
    bystander.send_text("ping").await;
    bystander.next_of("heartbeat", SEC).await;
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn kato_session_pushes_reach_clients_fast_and_deletes_say_why() {
    let (kato, dash) = setup().await;
    let mut ws = session_events_client(&dash).await;
    let started = Instant::now();
    let id = kato.create_session("dash-alice", Some(600)).await.unwrap();
    let created = ws.next_of("session_event", SEC).await;
    let latency = started.elapsed();
    assert_eq!(created["event_type"], "session_created");
    assert_eq!(created["data"]["session_id"], id.as_str());
    assert_eq!(created["data"]["node_id"], "dash-alice");
    assert_eq!(created["data"]["source"], "kato_push");
    assert_eq!(created["data"]["current_count"], 1);
    assert_eq!(created["data"]["delta"], 1);
    assert!(created["seq"].as_u64().unwrap() >= 1);
    assert!(
        latency < Duration::from_millis(100),
        "push took {latency:?}"
    );

    kato.delete_session(&id).await.unwrap();
    let destroyed = ws.next_of("session_event", SEC).await;
    assert_eq!(destroyed["event_type"], "session_destroyed");
    assert_eq!(destroyed["data"]["reason"], "explicit_delete");
    assert_eq!(destroyed["data"]["current_count"], 0);
    assert_eq!(
        destroyed["seq"].as_u64().unwrap(),
        created["seq"].as_u64().unwrap() + 1
    );
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn resume_after_a_disconnect_loses_no_event() {
    let (kato, dash) = setup().await;
    let mut ws = session_events_client(&dash).await;
    kato.create_session("before", None).await.unwrap();
    let last = ws.next_of("session_event", SEC).await["seq"]
        .as_u64()
        .unwrap();
    drop(ws); // forced disconnect

    let mut missed = Vec::new();
    for i in 0..5 {
        missed.push(
            kato.create_session(&format!("while-away-{i}"), None)
                .await
                .unwrap(),
        );
    }
    // Give the dashboard time to publish them while nobody listens.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events"]}))
        .await;
    ws.send_json(json!({"type": "resume", "last_seq": {"session_events": last}}))
        .await;
    let mut got = Vec::new();
    for _ in 0..5 {
        let ev = ws.next_of("session_event", SEC).await;
        got.push((
            ev["seq"].as_u64().unwrap(),
            ev["data"]["session_id"].as_str().unwrap().to_string(),
        ));
    }
    let seqs: Vec<u64> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (last + 1..=last + 5).collect::<Vec<_>>(),
        "every missed event, in order"
    );
    assert_eq!(
        got.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>(),
        missed
    );

    // A resume from a sequence number this server never issued (it restarted) says so.
    ws.send_json(json!({"type": "resume", "last_seq": {"session_events": 10_000}}))
        .await;
    let resync = ws.next_of("resync", SEC).await;
    assert_eq!(resync["reason"], "server_restarted");
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn a_stalled_client_does_not_delay_the_others() {
    let (kato, dash) = setup().await;
    // Stalled: connects, subscribes to everything, never reads again.
    let mut stalled = WsClient::connect(&dash.ws_url()).await;
    stalled.send_json(json!({"type": "subscribe", "subscriptions": ["metrics", "sessions", "session_events"]})).await;
    let mut live = WsClient::connect(&dash.ws_url()).await;
    live.next_of("realtime_update", 3 * SEC).await;
    // Create traffic while measuring the live client's tick gaps (ticks every 250 ms in tests).
    let mut last = Instant::now();
    let mut worst = Duration::ZERO;
    for i in 0..12 {
        kato.create_session(&format!("n{i}"), None).await.unwrap();
        live.next_of("realtime_update", SEC).await;
        worst = worst.max(last.elapsed());
        last = Instant::now();
    }
    assert!(
        worst < Duration::from_millis(600),
        "worst gap between ticks {worst:?}"
    );
    drop(stalled);
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn kato_outages_and_restarts_show_in_the_stream() {
    let (kato, dash) = setup().await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics", "kato_events"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    // Wait for a healthy reading with KATO's uptime known.
    loop {
        let u = ws.next_of("realtime_update", 3 * SEC).await;
        if u["data"]["metrics"]["derived"]["kato_uptime_seconds"].is_number() {
            break;
        }
    }
    kato.restart(Duration::from_secs(2));
    let down = ws.next_of("kato_event", 3 * SEC).await;
    assert_eq!(down["event_type"], "kato_unreachable", "{down}");
    let update = loop {
        let u = ws.next_of("realtime_update", 3 * SEC).await;
        if u["data"]["metrics"]["error"].is_string() {
            break u;
        }
    };
    assert_eq!(
        update["data"]["metrics"]["derived"]["source"]["state"],
        "unavailable"
    );
    assert!(
        update["data"]["metrics"]["derived"]["source"]["reason"]
            .as_str()
            .unwrap()
            .contains("unreachable")
    );
    // The /metrics poll sees it reachable and the /health poll sees the new uptime, in either order.
    let mut after: Vec<String> = Vec::new();
    for _ in 0..2 {
        let ev = ws.next_of("kato_event", 10 * SEC).await;
        after.push(ev["event_type"].as_str().unwrap().to_string());
    }
    after.sort();
    assert_eq!(after, vec!["kato_reachable", "kato_restarted"]);
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn foreign_origins_and_excess_connections_are_refused() {
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[("WS_MAX_CONNECTIONS", "1")],
    )
    .await;
    let request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        dash.ws_url(),
    )
    .unwrap();
    let mut foreign = request.clone();
    foreign
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(foreign).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    let mut allowed = request.clone();
    allowed
        .headers_mut()
        .insert("origin", "http://localhost:3000".parse().unwrap());
    let (first, _) = tokio_tungstenite::connect_async(allowed)
        .await
        .expect("a configured origin is allowed");
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    drop(first);
    dash.stop().await;
}

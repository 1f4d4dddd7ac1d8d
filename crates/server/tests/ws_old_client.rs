//! The old dashboard's React client, imitated on one socket: after every frame it receives that causes a render
//! (`realtime_update`, `session_event`, `system_alert`), its page sends its own `subscribe` and then its layout
//! sends `["system_alerts"]`, so the set flips twice per frame. Against a server that answers every `subscribe`
//! with a snapshot this loops at thousands of frames a second; ours must settle to the tick rate: at most one
//! tick frame and one catch-up frame per tick, none of them carrying what the client already has, and the
//! firing alerts once per change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::{Value, json};
use support::{
    Dashboard, closed_port,
    ws::{Frame, WsClient},
};

const SEC: Duration = Duration::from_secs(1);
const DASHBOARD_PAGE: &[&str] = &["metrics", "containers", "system_alerts"];
const SESSIONS_PAGE: &[&str] = &["sessions", "session_events"];

/// What the imitation received in a run.
#[derive(Default, Debug)]
struct Seen {
    /// Frames that make the old client render.
    renders: usize,
    /// `(tick, topic)` of every state value received.
    values: Vec<(u64, String)>,
    /// Text of every `system_alert` received.
    alerts: Vec<String>,
    /// Acks, heartbeats and the like.
    other: usize,
}

async fn subscribe(ws: &mut WsClient, page: &[&str]) {
    ws.send_json(json!({"type": "subscribe", "subscriptions": page}))
        .await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["system_alerts"]}))
        .await;
}

/// Runs the imitation for `secs` seconds.
async fn old_client(dash: &Dashboard, page: &[&str], secs: u64) -> Seen {
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    subscribe(&mut ws, page).await;
    let mut seen = Seen::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return seen;
        }
        let msg: Value = match ws.next_frame(left).await {
            Some(Frame::Json(v)) => v,
            Some(Frame::Close(code)) => panic!("the server closed the socket ({code:?}): {seen:?}"),
            None => return seen,
        };
        match msg["type"].as_str().unwrap() {
            "realtime_update" => {
                let tick = msg["tick"].as_u64().unwrap();
                for topic in msg["data"].as_object().unwrap().keys() {
                    seen.values.push((tick, topic.clone()));
                }
            }
            "system_alert" => seen.alerts.push(msg.to_string()),
            "session_event" => {}
            _ => {
                seen.other += 1;
                continue;
            }
        }
        seen.renders += 1;
        subscribe(&mut ws, page).await;
    }
}

fn assert_settled(seen: &Seen, secs: u64) {
    println!(
        "{secs} s: {} frames that render ({} state values, {} alert frames), {} acks/heartbeats",
        seen.renders,
        seen.values.len(),
        seen.alerts.len(),
        seen.other
    );
    // One tick a second: at most a tick frame and a catch-up frame each, plus the first snapshot.
    assert!(
        seen.renders as u64 <= 2 * secs + 2,
        "{} renders in {secs} s: {seen:?}",
        seen.renders
    );
    let unique: HashSet<&(u64, String)> = seen.values.iter().collect();
    assert_eq!(
        unique.len(),
        seen.values.len(),
        "a value was sent twice: {seen:?}"
    );
    let alerts: HashSet<&String> = seen.alerts.iter().collect();
    assert_eq!(
        alerts.len(),
        seen.alerts.len(),
        "an alert frame was sent twice: {seen:?}"
    );
    // The acks that answer its subscribes are bounded by what it rendered.
    assert!(
        seen.other <= 2 * seen.renders + 2 + secs as usize,
        "{seen:?}"
    );
}

async fn dashboard(kato_url: &str) -> Dashboard {
    Dashboard::start(
        kato_url,
        &[
            ("BROADCAST_INTERVAL", "1"),
            ("ALERT_RULES", "kato_unreachable.pending=0"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_client_settles_to_the_tick_rate_on_every_page() {
    let kato = Sim::start(SimConfig::idle(Flavour::V1), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dash = dashboard(&kato.base_url()).await;
    for page in [DASHBOARD_PAGE, SESSIONS_PAGE] {
        let seen = old_client(&dash, page, 5).await;
        assert_settled(&seen, 5);
        if page == DASHBOARD_PAGE {
            let topics: HashSet<&str> = seen.values.iter().map(|(_, t)| t.as_str()).collect();
            assert!(
                topics.contains("metrics") && topics.contains("containers"),
                "{seen:?}"
            );
        }
    }
    dash.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_alert_firing_it_gets_the_alert_once_not_per_subscribe() {
    let port = closed_port().await;
    let dash = dashboard(&format!("http://127.0.0.1:{port}")).await;
    support::wait_for(10 * SEC, "kato_unreachable firing", || async {
        let (_, active) = dash.get("/api/v1/alerts/active").await;
        (active["firing"].as_array().is_some_and(|a| !a.is_empty())).then_some(())
    })
    .await;
    for page in [DASHBOARD_PAGE, SESSIONS_PAGE] {
        let seen = old_client(&dash, page, 5).await;
        assert_settled(&seen, 5);
        assert_eq!(seen.alerts.len(), 1, "the firing alert, once: {seen:?}");
    }
    dash.stop().await;
}

/// A new client still gets everything it subscribes to at once, and a client that adds a topic gets that topic
/// at once, without the ones it has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_topics_still_come_at_once() {
    let kato = Sim::start(SimConfig::idle(Flavour::V1), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dash = dashboard(&kato.base_url()).await;
    support::wait_for(10 * SEC, "metrics and sessions", || async {
        let mut ws = WsClient::connect(&dash.ws_url()).await;
        ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics", "sessions"]}))
            .await;
        let first = ws.next_of("realtime_update", 2 * SEC).await;
        (first["data"].get("metrics").is_some() && first["data"].get("sessions").is_some())
            .then_some(())
    })
    .await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics"]}))
        .await;
    let first = ws.next_of("realtime_update", 2 * SEC).await;
    assert!(first["data"].get("metrics").is_some(), "{first}");
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics", "sessions"]}))
        .await;
    let next = ws.next_of("realtime_update", 2 * SEC).await;
    let data = next["data"].as_object().unwrap();
    assert!(data.contains_key("sessions"), "{next}");
    if next["tick"] == first["tick"] {
        assert!(
            !data.contains_key("metrics"),
            "metrics of the same tick again: {next}"
        );
    }
    dash.stop().await;
}

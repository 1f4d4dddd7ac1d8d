//! A `resume` sent after live events already arrived on the same connection replays only what the client lacks:
//! the fault soak found a client that connected, got `system_alerts` #24 live, resumed from before it and got #24
//! a second time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kato_dashboard_sim::Flavour;
use serde_json::json;
use support::{
    Dashboard,
    ws::{Frame, WsClient},
};

const SEC: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_resume_after_live_events_sends_each_event_once() {
    let (redis, kato) = support::kato_with_redis(Flavour::V1).await;
    let url = redis.url();
    let dash = Dashboard::start(&kato.base_url(), &[("REDIS_URL", url.as_str())]).await;
    // Events 1 and 2 happen before the client connects.
    let mut watcher = WsClient::connect(&dash.ws_url()).await;
    watcher
        .send_json(json!({"type": "subscribe", "subscriptions": ["session_events"]}))
        .await;
    watcher.next_of("subscribed", SEC).await;
    for node in ["before-1", "before-2"] {
        kato.create_session(node, Some(600)).await.unwrap();
        watcher.next_of("session_event", 3 * SEC).await;
    }

    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    kato.create_session("live-3", Some(600)).await.unwrap();
    let live = ws.next_of("session_event", 3 * SEC).await;
    assert_eq!(live["seq"], 3, "{live}");

    // The client resumes from 1: it lacks 2, and holds 3 already.
    ws.send_json(json!({"type": "resume", "last_seq": {"session_events": 1}}))
        .await;
    kato.create_session("after-4", Some(600)).await.unwrap();
    let mut seqs = Vec::new();
    while let Some(Frame::Json(msg)) = ws.next_frame(SEC).await {
        if msg["type"] == "session_event" {
            seqs.push(msg["seq"].as_u64().unwrap());
        }
        assert_ne!(msg["type"], "resync", "{msg}");
    }
    assert_eq!(seqs, vec![2, 4], "events after the resume");
    dash.stop().await;
    kato.shutdown().await;
}

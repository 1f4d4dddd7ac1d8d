//! Sessions end to end with a real redis-server and kato-sim keeping its sessions there: the merged list, TTL
//! expiries found by reconciliation (KATO never announces them), pushes, detail and STM read from Redis, admin
//! delete, and Redis outages that turn the count unknown instead of inventing events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kato_dashboard_sim::{Flavour, Sim};
use kato_dashboard_testkit::RedisServer;
use serde_json::json;
use support::{Dashboard, wait_for, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

async fn setup(flavour: Flavour, extra: &[(&str, &str)]) -> (RedisServer, Sim, Dashboard) {
    let (redis, kato) = support::kato_with_redis(flavour).await;
    let mut env = vec![("REDIS_URL", redis.url())];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dash = Dashboard::start(&kato.base_url(), &env).await;
    (redis, kato, dash)
}

#[tokio::test]
async fn list_detail_stm_and_expiry_events_come_from_redis() {
    let (_redis, kato, dash) = setup(Flavour::V1, &[]).await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events", "sessions"]}))
        .await;
    ws.next_of("subscribed", SEC).await;

    let short = kato
        .create_session("dash-ephemeral", Some(2))
        .await
        .unwrap();
    let long = kato.create_session("dash-bob", Some(7200)).await.unwrap();
    let created: Vec<String> = {
        let mut ids = Vec::new();
        while ids.len() < 2 {
            let ev = ws.next_of("session_event", 3 * SEC).await;
            assert_eq!(ev["event_type"], "session_created");
            ids.push(ev["data"]["session_id"].as_str().unwrap().to_string());
        }
        ids
    };
    assert!(created.contains(&short) && created.contains(&long));

    // The list: both, newest first, with Redis facts (TTL, expiry) once reconciled.
    let body = wait_for(5 * SEC, "both sessions listed with their TTL", || async {
        let (status, body) = dash
            .get("/api/v1/sessions?sort=created_at&order=desc")
            .await;
        (status == 200 && body["total"] == 2 && body["sessions"][0]["ttl_seconds"].is_number())
            .then_some(body)
    })
    .await;
    assert_eq!(body["source"], "redis");
    assert_eq!(
        body["sessions"][0]["redis_key"],
        format!("kato:session:{long}")
    );
    let (status, search) = dash.get("/api/v1/sessions?search=BOB").await;
    assert_eq!(status, 200);
    assert_eq!(search["total"], 1, "{search}");

    let (status, detail) = dash.get(&format!("/api/v1/sessions/{long}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["node_id"], "dash-bob");
    let (status, stm) = dash.get(&format!("/api/v1/sessions/{long}/stm")).await;
    assert_eq!(status, 200);
    assert_eq!(stm["length"], 0);

    // TTL expiry: KATO says nothing, the reconciliation does.
    let expired = ws.next_of("session_event", 6 * SEC).await;
    assert_eq!(expired["event_type"], "session_destroyed");
    assert_eq!(expired["data"]["session_id"], short.as_str());
    assert_eq!(expired["data"]["reason"], "expired");
    assert_eq!(expired["data"]["source"], "redis_scan");
    assert_eq!(dash.get(&format!("/api/v1/sessions/{short}")).await.0, 404);

    // Explicit delete through KATO.
    kato.delete_session(&long).await.unwrap();
    let deleted = ws.next_of("session_event", 2 * SEC).await;
    assert_eq!(deleted["data"]["reason"], "explicit_delete");
    assert_eq!(deleted["data"]["current_count"], 0);
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn deleting_needs_the_admin_token_and_goes_through_kato() {
    let (_redis, kato, dash) = setup(Flavour::V3, &[("ADMIN_TOKEN", "s3cret-admin-token")]).await;
    let id = kato.create_session("dash-carol", None).await.unwrap();
    let url = dash.url(&format!("/api/v1/sessions/{id}"));
    let no_token = dash.http.delete(&url).send().await.unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
    let wrong = dash
        .http
        .delete(&url)
        .header("x-admin-token", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(
        kato.session_exists(&id).await.unwrap(),
        "nothing deleted without the token"
    );
    let ok = dash
        .http
        .delete(&url)
        .bearer_auth("s3cret-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert!(!kato.session_exists(&id).await.unwrap());
    let again = dash
        .http
        .delete(&url)
        .bearer_auth("s3cret-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404, "KATO's 404 passes through");
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn without_an_admin_token_deletes_are_off() {
    let (_redis, kato, dash) = setup(Flavour::V1, &[]).await;
    let id = kato.create_session("dash-dave", None).await.unwrap();
    let response = dash
        .http
        .delete(dash.url(&format!("/api/v1/sessions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("ADMIN_TOKEN"));
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn a_redis_outage_makes_the_count_kato_s_or_unknown_never_fake_events() {
    let (redis, kato, dash) = setup(Flavour::V1, &[]).await;
    for node in ["a", "b", "c"] {
        kato.create_session(node, Some(3600)).await.unwrap();
    }
    wait_for(5 * SEC, "three sessions from Redis", || async {
        let (_, body) = dash.get("/api/v1/sessions").await;
        (body["summary"]["active_count"] == 3 && body["summary"]["count_source"] == "redis")
            .then_some(())
    })
    .await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events", "sessions"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    drop(redis); // Redis goes away (KATO's sessions with it, as far as the dashboard can tell)
    let summary = wait_for(10 * SEC, "Redis reported unavailable", || async {
        let (_, body) = dash.get("/api/v1/sessions").await;
        (body["summary"]["sources"]["redis"]["state"] == "unavailable")
            .then_some(body["summary"].clone())
    })
    .await;
    assert_ne!(summary["count_source"], "redis", "{summary}");
    // For a few reconciliation rounds, no session_event may claim the three sessions were destroyed.
    let until = tokio::time::Instant::now() + Duration::from_millis(2500);
    while let Some(frame) = ws
        .next_frame(until.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        if let support::ws::Frame::Json(v) = frame {
            assert_ne!(
                v["type"], "session_event",
                "an outage produced a fake event: {v}"
            );
        }
    }
    dash.stop().await;
    kato.shutdown().await;
}

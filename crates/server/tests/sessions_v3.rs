//! Sessions as KATO 3.x keeps them (kato-sim `v3` on a real redis-server, which slides a session's key TTL on
//! every read through KATO with `EXPIRE` and leaves the stored JSON as it was): expiry, TTL and last access come
//! from the key, never from the stale JSON; a pushed session has its TTL at once, not after the next scan;
//! watching a session never slides its TTL; `/sessions/count` is the live number, KATO's drifting figure beside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use kato_dashboard_sim::{Flavour, Sim};
use kato_dashboard_testkit::RedisServer;
use serde_json::Value;
use support::{Dashboard, wait_for};

const SEC: Duration = Duration::from_secs(1);

/// Reconciliation every 30 s: whatever the test sees sooner came from the push and the key read.
async fn setup() -> (RedisServer, Sim, Dashboard) {
    let (redis, kato) = support::kato_with_redis(Flavour::V3).await;
    let url = redis.url();
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("REDIS_URL", url.as_str()),
            ("SESSION_RECONCILE_INTERVAL_SECONDS", "30"),
        ],
    )
    .await;
    (redis, kato, dash)
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn stored_json(redis: &RedisServer, id: &str) -> Value {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let text: String = redis::cmd("GET")
        .arg(format!("kato:session:{id}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn pttl(redis: &RedisServer, id: &str) -> i64 {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("PTTL")
        .arg(format!("kato:session:{id}"))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn expiry_and_last_access_follow_the_sliding_key_not_the_stale_json() {
    let (redis, kato, dash) = setup().await;
    // Let the first scan connect Redis, then create: the session arrives by push only.
    tokio::time::sleep(SEC).await;
    let id = kato.create_session("slider", Some(20)).await.unwrap();

    // The pushed row has its TTL within a second (a key read), not after the 30 s reconciliation.
    let row = wait_for(2 * SEC, "the pushed session's TTL", || async {
        let (_, body) = dash.get("/api/v1/sessions").await;
        let row = body["sessions"][0].clone();
        row["ttl_seconds"].is_number().then_some(row)
    })
    .await;
    assert!(row["expires_at"].is_string(), "{row}");

    // Watching through the dashboard never slides the TTL.
    tokio::time::sleep(3 * SEC).await;
    let before = pttl(&redis, &id).await;
    for _ in 0..3 {
        assert_eq!(dash.get(&format!("/api/v1/sessions/{id}")).await.0, 200);
        assert_eq!(dash.get(&format!("/api/v1/sessions/{id}/stm")).await.0, 200);
    }
    assert!(
        pttl(&redis, &id).await <= before,
        "the dashboard slid the TTL"
    );

    // A client reads the session through KATO: the key's TTL slides back to 20 s, the JSON stays as it was.
    let http = reqwest::Client::new();
    let read = http
        .get(format!("{}/sessions/{id}", kato.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read_at = Utc::now();
    let stored = stored_json(&redis, &id).await;
    let stale_expiry = time(&stored["expires_at"]);
    assert!(
        stale_expiry < read_at + chrono::Duration::seconds(17),
        "{stored}"
    );

    let (status, detail) = dash.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    let expires = time(&detail["expires_at"]);
    assert!(
        (expires - read_at).num_seconds() >= 18,
        "detail shows the stale expiry {expires} (read at {read_at})"
    );
    let touched = time(&detail["last_accessed"]);
    assert!(
        (touched - read_at).num_milliseconds().abs() < 1500,
        "last access {touched}, read at {read_at}"
    );
    assert_eq!(detail["ttl_configured_seconds"], 20);
    assert!(detail["ttl_seconds"].as_i64().unwrap() >= 18, "{detail}");

    // The list agrees once the key is read again (here: a forced scan, by restarting the dashboard).
    let addr = dash.addr;
    dash.stop().await;
    let url = redis.url();
    let dash = Dashboard::start_on(addr, &kato.base_url(), &[("REDIS_URL", url.as_str())]).await;
    let row = wait_for(3 * SEC, "the session listed", || async {
        let (_, body) = dash.get("/api/v1/sessions").await;
        body["sessions"][0]["expires_at"]
            .is_string()
            .then(|| body["sessions"][0].clone())
    })
    .await;
    assert!(time(&row["expires_at"]) > stale_expiry, "{row}");
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn the_count_is_the_live_number_with_katos_drifting_figure_beside_it() {
    let (redis, kato, dash) = setup().await;
    let url = redis.url();
    dash.stop().await;
    // Fast reconciliation here: the expiry must be found.
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("REDIS_URL", url.as_str()),
            ("SESSION_RECONCILE_INTERVAL_SECONDS", "0.5"),
        ],
    )
    .await;
    kato.create_session("short-lived", Some(1)).await.unwrap();
    kato.create_session("long-lived", Some(600)).await.unwrap();
    // KATO 3.x keeps a TTL-expired session in its count forever; the dashboard lists what Redis holds.
    let body = wait_for(
        12 * SEC,
        "one live session, KATO still counting two",
        || async {
            let (status, body) = dash.get("/api/v1/sessions/count").await;
            (status == 200
                && body["active_session_count"] == 1
                && body["kato_active_session_count"] == 2)
                .then_some(body)
        },
    )
    .await;
    assert_eq!(body["source"], "redis", "{body}");
    dash.stop().await;
    kato.shutdown().await;
}

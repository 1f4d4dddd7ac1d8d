//! KATO 3.x with four workers (kato-sim `v3`, 4 workers, each with its own counters, its own 5 s `/metrics` cache
//! and its own `/ws/events` broadcast; each TCP connection is served by one worker, as uvicorn does): the
//! request rate follows the real traffic without zeros or spikes, no restart is invented from worker jitter, and
//! session changes made on any worker arrive by push, not only those of the worker one listener reached.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::json;
use support::{Dashboard, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

async fn four_workers() -> (kato_dashboard_testkit::RedisServer, Sim) {
    let redis = kato_dashboard_testkit::RedisServer::start().expect("redis-server starts");
    let config = SimConfig {
        redis_url: Some(redis.url()),
        workers: 4,
        ..SimConfig::idle(Flavour::V3)
    };
    let sim = Sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (redis, sim)
}

/// A client that opens a new connection per request, so its requests spread over the workers.
fn spreading_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn rates_restarts_and_session_events_across_four_workers() {
    let (redis, kato) = four_workers().await;
    let url = redis.url();
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("REDIS_URL", url.as_str()),
            // Slow reconciliation: session events seen sooner came by push.
            ("SESSION_RECONCILE_INTERVAL_SECONDS", "30"),
            ("KATO_METRICS_INTERVAL_SECONDS", "1"),
            ("KATO_STATS_INTERVAL_SECONDS", "2"),
        ],
    )
    .await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(
        json!({"type": "subscribe", "subscriptions": ["metrics", "session_events", "kato_events"]}),
    )
    .await;
    ws.next_of("subscribed", SEC).await;

    // Steady traffic: 6 requests/s, each on a new connection (so on every worker in turn).
    let http = spreading_client();
    let base = kato.base_url();
    let traffic = tokio::spawn({
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut tick = tokio::time::interval(Duration::from_millis(166));
            loop {
                tick.tick().await;
                let _ = http.get(format!("{base}/health")).send().await;
            }
        }
    });
    tokio::time::sleep(2 * SEC).await;
    // Sessions created on every worker: each change must come by push within a second.
    let mut ids = Vec::new();
    for i in 0..8 {
        let created: serde_json::Value = http
            .post(format!("{base}/sessions"))
            .json(&json!({"node_id": format!("worker-test-{i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(created["session_id"].as_str().unwrap().to_owned());
    }
    let mut pushed = 0;
    let started = Instant::now();
    let mut rates = Vec::new();
    let mut workers_seen = 0;
    let mut restarts = Vec::new();
    let mut first_rate_after = None;
    while started.elapsed() < 45 * SEC {
        let Some(support::ws::Frame::Json(msg)) = ws.next_frame(2 * SEC).await else {
            continue;
        };
        match msg["type"].as_str() {
            Some("session_event") if msg["data"]["source"] == "kato_push" => pushed += 1,
            Some("kato_event") if msg["event_type"] == "kato_restarted" => restarts.push(msg),
            Some("realtime_update") => {
                if let Some(derived) = msg["data"]["metrics"]["derived"].as_object() {
                    // A rate needs one worker sampled twice: with 4 workers and a poll every 5 s, at most 5
                    // polls. From then on it must always be there.
                    let rate = derived["requests_per_second"].as_f64();
                    if first_rate_after.is_none() && rate.is_some() {
                        first_rate_after = Some(started.elapsed());
                    }
                    if first_rate_after.is_some() {
                        rates.push(rate);
                    }
                    workers_seen = derived["rate_workers_seen"].as_u64().unwrap_or(0);
                }
            }
            _ => {}
        }
    }
    traffic.abort();
    assert_eq!(pushed, 8, "session_created pushes heard from 4 workers");
    assert!(restarts.is_empty(), "restarts invented: {restarts:?}");
    assert!(
        workers_seen >= 2,
        "the rate sampled {workers_seen} worker(s)"
    );
    // About 6.3 requests/s (the traffic plus the dashboard's own polls): a sum over the workers sampled so far, so
    // at first it may count only some of them, never less than one worker's share, never a spike.
    let first = first_rate_after.expect("no rate within 45 s");
    assert!(first < 32 * SEC, "the first rate came after {first:?}");
    for rate in &rates {
        let rate = rate.unwrap_or(0.0);
        assert!((1.0..=15.0).contains(&rate), "rate {rate} in {rates:?}");
    }
    dash.stop().await;
    kato.shutdown().await;
}

//! `c584167-workers4/`: KATO 3.10.1 with 4 uvicorn workers.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use kato_dashboard_sim::json::Json;
use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{self, compare, fixtures_dir, read_json};
use crate::ws::compare_ws;

/// `c584167-workers4/`: KATO 3.10 with 4 uvicorn workers, polled on fresh connections. Shapes
/// must match, the Redis-backed count must agree across workers while per-worker counters
/// differ, and a WebSocket client only sees the events of its own worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_four_workers_match_recordings() {
    let dir = fixtures_dir().join("c584167-workers4");
    let polls = read_json(&dir.join("polls.json"));
    let polls = polls.as_array().expect("polls.json is a list");
    let config = SimConfig {
        workers: 4,
        ..SimConfig::idle(Flavour::V3)
    };
    let sim = Sim::start(config, common::any_port()).await.unwrap();
    // No pooled connections: every request is a new TCP connection, like the recording.
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (ws, _) = tokio_tungstenite::connect_async(sim.ws_url())
        .await
        .unwrap();
    let (_ws_sink, mut ws_source) = ws.split();
    let mut ids = Vec::new();
    for n in 0..8 {
        let resp = fresh
            .post(format!("{}/sessions", sim.base_url()))
            .json(&serde_json::json!({ "node_id": format!("mw-node-{n}") }))
            .send()
            .await
            .unwrap();
        let body = Json::parse(&resp.bytes().await.unwrap()).unwrap();
        ids.push(
            body.get("session_id")
                .and_then(Json::as_str)
                .unwrap()
                .to_string(),
        );
    }
    let mut frames = Vec::new();
    while frames.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(5), ws_source.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => frames.push(t.to_string()),
            other => panic!(
                "expected 3 frames (snapshot + this worker's 2 creates), got {frames:?} then {other:?}"
            ),
        }
    }
    let recorded: Vec<String> = std::fs::read_to_string(dir.join("ws_events.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut failures = Vec::new();
    compare_ws(
        "c584167-workers4/ws_events.jsonl",
        &recorded,
        &frames,
        &mut failures,
    );
    let extra = tokio::time::timeout(Duration::from_millis(300), ws_source.next()).await;
    assert!(
        extra.is_err(),
        "the client must not see other workers' events: {extra:?}"
    );

    let mut counts = BTreeSet::new();
    let mut totals = BTreeSet::new();
    for (i, poll) in polls.iter().enumerate() {
        let request = poll.get("request").and_then(Json::as_str).unwrap();
        let path = request.split_once(' ').unwrap().1;
        let resp = fresh
            .get(format!("{}{path}", sim.base_url()))
            .send()
            .await
            .unwrap();
        let status = i64::from(resp.status().as_u16());
        let body = Json::parse(&resp.bytes().await.unwrap()).unwrap();
        if Some(status) != poll.get("status").and_then(Json::as_i64) {
            failures.push(format!(
                "c584167-workers4/polls.json[{i}] ({request}): status {status}"
            ));
        }
        let mut diffs = Vec::new();
        compare(poll.get("body").unwrap(), &body, "$", &mut diffs);
        failures.extend(
            diffs
                .into_iter()
                .map(|d| format!("c584167-workers4/polls.json[{i}] ({request}): {d}")),
        );
        match path {
            "/sessions/count" => {
                counts.insert(body.get("active_session_count").unwrap().to_compact());
            }
            "/metrics" => {
                let perf = body.get("performance").unwrap();
                totals.insert(perf.get("total_requests").unwrap().to_compact());
            }
            "/concurrency" => {
                let workers = body.get("configuration").and_then(|c| c.get("workers"));
                assert_eq!(
                    workers,
                    Some(&Json::Int(1)),
                    "v3 reports UVICORN_WORKERS (unset) = 1"
                );
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        ["8"],
        "the Redis-backed count agrees across workers"
    );
    assert!(
        totals.len() > 1,
        "per-worker request counters differ between polls: {totals:?}"
    );
    for id in &ids[..4] {
        assert!(sim.delete_session(id).await.unwrap());
    }
    sim.shutdown().await;
}

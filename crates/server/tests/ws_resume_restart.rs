//! Resume across a real server restart, once the new server's replay buffer no longer holds its first events:
//! the client resumes with the `last_seq` of the old server (ahead of the new one) and must get one `resync`
//! naming exactly where it continues, then every later event — and so must a client resuming with `u64::MAX`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::{Value, json};
use support::{Dashboard, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);
/// Replay buffer of the dashboards here: small, so the first events are gone quickly.
const BUFFER: usize = 3;

async fn start(
    kato: &Sim,
    data: &std::path::Path,
    addr: Option<std::net::SocketAddr>,
) -> Dashboard {
    let buffer = BUFFER.to_string();
    let data = data.display().to_string();
    let env = [
        ("WS_REPLAY_BUFFER_SIZE", buffer.as_str()),
        ("DATA_DIR", data.as_str()),
    ];
    match addr {
        None => Dashboard::start(&kato.base_url(), &env).await,
        Some(addr) => Dashboard::start_on(addr, &kato.base_url(), &env).await,
    }
}

async fn listening(dash: &Dashboard) -> WsClient {
    support::wait_for(5 * SEC, "the KATO event listener", || async {
        let (_, body) = dash.get("/api/v1/sessions").await;
        (body["summary"]["sources"]["kato_events"]["state"] == "ok").then_some(())
    })
    .await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    ws
}

async fn create(kato: &Sim, n: usize, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            kato.create_session(&format!("{tag}-{i}"), None)
                .await
                .unwrap(),
        );
    }
    ids
}

/// Resumes with `last_seq`, then reads until `want` session ids were seen after the `resync`; returns (resyncs,
/// seqs and ids received after the first resync). A live event may arrive between the `subscribe` and the
/// `resume`; the resync then says to start over from `from_seq`, and everything from there comes again.
async fn resume(
    dash: &Dashboard,
    last_seq: u64,
    want: &[String],
) -> (Vec<Value>, Vec<u64>, Vec<String>) {
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["session_events"]}))
        .await;
    ws.send_json(json!({"type": "resume", "last_seq": {"session_events": last_seq}}))
        .await;
    let (mut resyncs, mut seqs, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    while resyncs.is_empty() || !want.iter().all(|w| ids.contains(w)) {
        let Some(support::ws::Frame::Json(msg)) = ws.next_frame(3 * SEC).await else {
            panic!("stream ended or went silent; resyncs {resyncs:?}, seqs {seqs:?}, ids {ids:?}");
        };
        match msg["type"].as_str().unwrap() {
            "resync" => resyncs.push(msg),
            "session_event" if msg["event_type"] == "session_created" && !resyncs.is_empty() => {
                seqs.push(msg["seq"].as_u64().unwrap());
                ids.push(msg["data"]["session_id"].as_str().unwrap().to_owned());
            }
            _ => {}
        }
    }
    (resyncs, seqs, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_resuming_client_gets_a_resync_then_every_event() {
    let kato = Sim::start(SimConfig::idle(Flavour::V1), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let old = start(&kato, data.path(), None).await;
    let mut ws = listening(&old).await;
    create(&kato, 8, "old").await;
    let mut last_seq = 0;
    while last_seq < 8 {
        last_seq = ws.next_of("session_event", 3 * SEC).await["seq"]
            .as_u64()
            .unwrap();
    }
    drop(ws);
    let addr = old.addr;
    old.stop().await;

    // The new server numbers from 1 again; by the time the client is back, 1 is no longer in its buffer.
    let new = start(&kato, data.path(), Some(addr)).await;
    let mut probe = listening(&new).await;
    create(&kato, BUFFER + 2, "new").await;
    for _ in 0..BUFFER + 2 {
        probe.next_of("session_event", 3 * SEC).await;
    }
    for claimed in [last_seq, u64::MAX] {
        let later = create(&kato, 2, &format!("later-{claimed}")).await;
        let (resyncs, seqs, ids) = resume(&new, claimed, &later).await;
        assert_eq!(resyncs.len(), 1, "one resync: {resyncs:?}");
        assert_eq!(resyncs[0]["reason"], "server_restarted");
        let from = resyncs[0]["from_seq"].as_u64().unwrap();
        assert!(
            from > 1,
            "seq 1 is gone, and the resync says from where: {resyncs:?}"
        );
        assert_eq!(
            seqs.first(),
            Some(&from),
            "events from exactly there: {seqs:?}"
        );
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "no gap, no repeat: {seqs:?}"
        );
        assert!(
            later.iter().all(|l| ids.contains(l)),
            "every later event: {ids:?}"
        );
    }
    new.stop().await;
    kato.shutdown().await;
}

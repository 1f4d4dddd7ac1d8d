//! ws-load end to end against a minimal WebSocket server on loopback that ticks every 100 ms the way the
//! dashboard does (`{"type":"realtime_update","timestamp":…,"tick":N,"data":…}`): live clients measure,
//! stalled ones are held open without reading, and the report adds up.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use kato_dashboard_loadgen::{cli::Args, run};
use tokio::net::TcpListener;
use tokio_tungstenite::{accept_async, tungstenite::Message};

async fn serve_ticks(listener: TcpListener) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let Ok(mut ws) = accept_async(tcp).await else {
                return;
            };
            // The subscribe frame comes first.
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.contains("\"subscribe\"") => {}
                _ => return,
            }
            let mut timer = tokio::time::interval(Duration::from_millis(100));
            for tick in 1u64.. {
                timer.tick().await;
                let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let frame = format!(
                    r#"{{"type":"realtime_update","timestamp":"{ts}","tick":{tick},"data":{{"metrics":{{"x":1}}}}}}"#
                );
                // A stalled peer makes this send wait; the test ends before that matters.
                if ws.send(Message::text(frame)).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_and_stalled_clients_against_a_ticking_server() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(serve_ticks(listener));
    let pid = std::process::id().to_string();
    let url = format!("ws://127.0.0.1:{port}/ws");
    let args = Args::try_parse_from([
        "ws-load",
        "--url",
        &url,
        "-n",
        "5",
        "--stalled",
        "2",
        "--rate",
        "100",
        "--warmup",
        "0.3",
        "--duration",
        "1.5",
        "--idle",
        "1",
        "--bucket",
        "0.5",
        "--server-pid",
        &pid,
    ])?;
    let settings = args.validate().map_err(anyhow::Error::msg)?;
    let report = run::run(settings, "test".into()).await?;
    server.abort();

    let c = &report.connections;
    assert_eq!((c.live_connected, c.stalled_connected), (5, 2), "{c:?}");
    assert!(c.failures.is_empty() && c.live_dropped.is_empty(), "{c:?}");
    // 5 clients × ~15 ticks in 1.5 s.
    assert!(report.latency.samples >= 50, "{:?}", report.latency);
    assert!(report.latency.p99_ms < 1000.0, "{:?}", report.latency);
    assert!(report.latency_buckets.len() >= 3);
    let per = &report.per_client;
    assert!(
        (400.0..800.0).contains(&per.updates_per_minute.mean),
        "{per:?}"
    );
    assert!(per.bytes_per_update_mean > 80.0, "{per:?}");
    let stalled = c.stalled_tcp.as_ref().expect("stalled sockets inspected");
    assert_eq!(stalled.client.get("ESTABLISHED"), Some(&2), "{stalled:?}");
    let server = report.server.as_ref().expect("this process was sampled");
    assert!(server.idle.is_some() && server.steady.is_some());
    assert!(report.render().contains("p99"));
    Ok(())
}

#[test]
fn refuses_non_loopback_and_oversized_runs() {
    let err = |v: &[&str]| {
        Args::try_parse_from(v)
            .map(|a| a.validate().is_err())
            .unwrap_or(true)
    };
    assert!(err(&["ws-load", "--url", "ws://93.184.216.34/ws"]));
    assert!(err(&["ws-load", "-n", "20001"]));
    assert!(err(&["ws-load", "--duration", "100000"]));
}

//! Alert → toast latency: the time from the server publishing an event (its message `timestamp`) to the toast
//! being in the page's DOM, in headless Chromium against kato-sim, a private Redis and the real server.
//! KATO is made to restart `ROUNDS` times; each restart publishes `kato_unreachable` (a critical alert) when
//! the dashboard's next poll fails. A WebSocket client of this program receives the same event as the page, so
//! the delivery time to a plain client is printed beside the toast time.
//!
//! `cargo run -p kato-dashboard-e2e --example alert_latency` (after `./dashboard.sh build`).

use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use kato_dashboard_e2e::{Browser, Stack, wait_for};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const ROUNDS: usize = 8;

/// Records, per toast key, when the toast entered the DOM (ms since the epoch, the host clock).
const TOAST_PROBE: &str = r#"
window.__toastSeen = {};
new MutationObserver(() => {
  for (const t of document.querySelectorAll('[data-testid=toast]')) {
    if (!(t.dataset.key in window.__toastSeen)) window.__toastSeen[t.dataset.key] = Date.now();
  }
}).observe(document, { subtree: true, childList: true });
"#;

fn epoch_ms(rfc3339: &str) -> anyhow::Result<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).context("timestamp")?;
    Ok(t.timestamp_micros() as f64 / 1000.0)
}

fn now_ms() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1000.0
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    let p50 = v[v.len() / 2];
    let max = v[v.len() - 1];
    println!("{name}: p50 {p50:.1} ms, max {max:.1} ms, all {v:.1?}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::launch(1440, 900).await?;
    let tab = browser.blank().await?;
    tab.on_new_document(TOAST_PROBE).await?;
    tab.goto(&stack.url("/")).await?;
    tab.wait_connected(Duration::from_secs(20)).await?;

    let ws_url = stack.url("/ws").replacen("http", "ws", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await?;
    let sub = json!({"type": "subscribe", "subscriptions": ["system_alerts"]});
    ws.send(Message::text(sub.to_string())).await?;

    let (mut to_client, mut to_toast) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Drop what the previous round left in the socket (its resolve and restart alerts).
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(300), ws.next()).await {}
        stack.sim.restart(Duration::from_millis(1500));
        // The first firing alert of this round, as a plain client sees it.
        let (published, received) = loop {
            let Some(frame) = tokio::time::timeout(Duration::from_secs(15), ws.next())
                .await
                .context("no alert within 15 s")?
            else {
                anyhow::bail!("socket closed");
            };
            let Message::Text(text) = frame? else {
                continue;
            };
            let received = now_ms();
            let msg: Value = serde_json::from_str(&text)?;
            let firing = msg["type"] == "system_alert"
                && msg["alerts"].as_array().is_some_and(|a| {
                    a.iter()
                        .any(|x| x["state"] == "firing" && x["type"] == "kato_unreachable")
                });
            if firing {
                let item = &msg["alerts"][0];
                println!(
                    "  {} seq {} {} {} at {}",
                    msg["id"], msg["seq"], item["type"], item["state"], msg["timestamp"]
                );
                break (
                    epoch_ms(msg["timestamp"].as_str().unwrap_or_default())?,
                    received,
                );
            }
        };
        let seen = wait_for(Duration::from_secs(10), "the toast", || async {
            let seen: Value = tab.eval("window.__toastSeen").await?;
            Ok(seen.as_object().and_then(|m| {
                m.values()
                    .filter_map(Value::as_f64)
                    .filter(|t| *t >= published - 5.0)
                    .reduce(f64::min)
            }))
        })
        .await?;
        to_client.push(received - published);
        to_toast.push(seen - published);
        println!(
            "round {round}: client {:.1} ms, toast {:.1} ms",
            received - published,
            seen - published
        );
        // Let KATO come back and the alert resolve before the next round.
        tokio::time::sleep(Duration::from_secs(6)).await;
        // Dismiss what is shown, so this round's toast is not queued behind the visible maximum.
        tab.eval::<Value>(
            "(document.querySelectorAll('[data-testid=toast-dismiss]').forEach(b => b.click()), \
             window.__toastSeen = {}, true)",
        )
        .await?;
    }
    summary("publish → plain WebSocket client", to_client);
    summary("publish → toast in the DOM", to_toast);
    browser.close().await;
    stack.stop().await;
    Ok(())
}

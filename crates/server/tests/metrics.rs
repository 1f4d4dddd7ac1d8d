//! `GET /metrics`: the Prometheus exposition is well-formed and its counters follow what really happens.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{collections::HashMap, time::Duration};

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::json;
use support::{Dashboard, closed_port, wait_for, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

/// `name{labels}` → value, checking every line is a comment or a `series value` sample.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# ") {
            assert!(
                rest.starts_with("HELP kato_dashboard_")
                    || rest.starts_with("TYPE kato_dashboard_"),
                "bad comment line: {line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("series and value");
        assert!(series.starts_with("kato_dashboard_"), "{line}");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "duplicate series {series}"
        );
    }
    samples
}

async fn scrape(dash: &Dashboard) -> HashMap<String, f64> {
    let resp = reqwest::get(dash.url("/metrics")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    parse(&resp.text().await.unwrap())
}

#[tokio::test]
async fn counters_follow_connections_frames_ticks_and_kato_requests() {
    let kato = Sim::start(SimConfig::idle(Flavour::V1), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dash = Dashboard::start(&kato.base_url(), &[("BROADCAST_INTERVAL", "0.25")]).await;
    let before = scrape(&dash).await;
    assert_eq!(before["kato_dashboard_ws_connections"], 0.0);
    assert_eq!(before["kato_dashboard_build_info{version=\"0.1.0\"}"], 1.0);
    assert!(before.contains_key("kato_dashboard_hub_tick_duration_seconds_bucket{le=\"+Inf\"}"));

    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics"]}))
        .await;
    ws.next_of("realtime_update", 2 * SEC).await;
    ws.next_of("realtime_update", 2 * SEC).await;
    let during = wait_for(5 * SEC, "KATO polled and ticks counted", || async {
        let m = scrape(&dash).await;
        (m["kato_dashboard_kato_requests_total{outcome=\"ok\"}"] > 0.0
            && m["kato_dashboard_collector_round_duration_seconds_count{collector=\"kato_metrics\"}"] > 0.0)
            .then_some(m)
    })
    .await;
    assert_eq!(during["kato_dashboard_ws_connections"], 1.0);
    assert_eq!(during["kato_dashboard_ws_accepted_total"], 1.0);
    assert!(
        during["kato_dashboard_ws_messages_sent_total{stream=\"state\"}"] >= 2.0,
        "{during:?}"
    );
    assert!(during["kato_dashboard_ws_bytes_sent_total{stream=\"state\"}"] > 100.0);
    assert!(
        during["kato_dashboard_ws_messages_sent_total{stream=\"control\"}"] >= 1.0,
        "the subscribed ack"
    );
    let ticks = during["kato_dashboard_hub_ticks_total"];
    assert!(ticks >= 2.0);
    // One observation per tick (a tick may land between reading the two).
    let observed = during["kato_dashboard_hub_tick_duration_seconds_count"];
    assert!(
        (observed - ticks).abs() <= 1.0,
        "{observed} observations for {ticks} ticks"
    );
    assert_eq!(
        during["kato_dashboard_collector_errors_total{collector=\"kato_metrics\"}"],
        0.0
    );

    drop(ws);
    let after = wait_for(5 * SEC, "the closed socket counted", || async {
        let m = scrape(&dash).await;
        (m["kato_dashboard_ws_connections"] == 0.0).then_some(m)
    })
    .await;
    assert_eq!(
        after["kato_dashboard_ws_disconnects_total{reason=\"client_closed\"}"],
        1.0
    );
    dash.stop().await;
}

#[tokio::test]
async fn kato_failures_show_as_collector_errors_and_request_outcomes() {
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[("ALERT_RULES", "kato_unreachable.pending=0")],
    )
    .await;
    let m = wait_for(
        10 * SEC,
        "failed KATO rounds and the alert counted",
        || async {
            let m = scrape(&dash).await;
            (m["kato_dashboard_collector_errors_total{collector=\"kato_metrics\"}"] > 0.0
                && m["kato_dashboard_alert_transitions_total{kind=\"fired\"}"] >= 1.0)
                .then_some(m)
        },
    )
    .await;
    assert_eq!(
        m["kato_dashboard_alert_transitions_total{kind=\"resolved\"}"],
        0.0
    );
    assert!(
        m["kato_dashboard_kato_requests_total{outcome=\"unreachable\"}"] > 0.0,
        "{m:?}"
    );
    assert_eq!(m["kato_dashboard_kato_requests_total{outcome=\"ok\"}"], 0.0);
    dash.stop().await;
}

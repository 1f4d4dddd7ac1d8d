//! Container stats through the whole server against a real Docker engine (a private dockerd the
//! testkit starts; never the host's): the `containers` topic, container up/down as `kato_event`s within a second, the REST
//! endpoints limited to monitored containers, and Docker being unavailable or switched off shown plainly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use serde_json::json;
use support::{Dashboard, closed_port, wait_for, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_topic_rest_and_up_down_events() {
    let daemon = DockerDaemon::start().expect("a Docker engine (apt-get install docker.io)");
    let mut c = TestContainers::new(&daemon, "server").unwrap();
    let busy = c.run_busy("busy").unwrap();
    let idle = c.run_idle("idle").unwrap();
    let ghost = c.name("never-created");
    let monitored = format!("{busy},{idle},{ghost}");
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[
            ("DOCKER_HOST", daemon.host()),
            ("MONITORED_CONTAINERS", &monitored),
        ],
    )
    .await;

    // REST: the busy container burns about a core, the idle one nothing; the ghost is missing.
    let all = wait_for(15 * SEC, "CPU figures for both containers", || async {
        let (status, body) = dash.get("/api/v1/system/container-stats").await;
        let busy_cpu = body["containers"]
            .as_array()?
            .iter()
            .find(|x| x["name"] == busy.as_str())?["cpu"]
            .as_f64()?;
        (status == 200 && busy_cpu > 50.0).then_some(body)
    })
    .await;
    let idle_stats = all["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == idle.as_str())
        .unwrap();
    assert!(idle_stats["cpu"].as_f64().unwrap() < 5.0, "{idle_stats}");
    assert_eq!(all["missing"], json!([ghost]));
    assert!(all["aggregated"]["total_cpu_percent"].as_f64().unwrap() > 50.0);
    assert_eq!(
        dash.get(&format!("/api/v1/system/container-stats/{busy}"))
            .await
            .0,
        200
    );
    let (status, body) = dash
        .get(&format!("/api/v1/system/container-stats/{ghost}"))
        .await;
    assert_eq!(status, 404);
    assert!(body["detail"].as_str().unwrap().contains("does not exist"));
    let (status, _) = dash
        .get("/api/v1/system/container-stats/some-other-container")
        .await;
    assert_eq!(status, 404, "only monitored containers are served");
    let (_, health) = dash.get("/api/v1/health").await;
    assert_eq!(health["upstreams"]["docker"]["status"], "up", "{health}");

    // WebSocket: the containers topic, and a kill seen within a second.
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["containers", "kato_events"]}))
        .await;
    ws.next_of("subscribed", SEC).await;
    let snapshot = ws.next_of("realtime_update", SEC).await;
    assert!(
        snapshot["data"]["containers"]["containers"]
            .as_array()
            .unwrap()
            .len()
            >= 2,
        "{snapshot}"
    );
    let killed_at = Instant::now();
    c.kill(&idle).unwrap();
    let died = loop {
        let ev = ws.next_of("kato_event", 3 * SEC).await;
        if ev["data"]["name"] == idle.as_str() && ev["event_type"] == "container_died" {
            break ev;
        }
    };
    assert!(
        killed_at.elapsed() < SEC,
        "the down event took {:?}",
        killed_at.elapsed()
    );
    assert_eq!(died["data"]["status"], "exited");
    let started_at = Instant::now();
    c.start(&idle).unwrap();
    loop {
        let ev = ws.next_of("kato_event", 3 * SEC).await;
        if ev["data"]["name"] == idle.as_str() && ev["event_type"] == "container_started" {
            break;
        }
    }
    assert!(
        started_at.elapsed() < 2 * SEC,
        "the up event took {:?}",
        started_at.elapsed()
    );
    dash.stop().await;
}

#[tokio::test]
async fn docker_unavailable_is_a_503_with_the_reason() {
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[
            ("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
            ("MONITORED_CONTAINERS", "kato"),
        ],
    )
    .await;
    let body = wait_for(10 * SEC, "Docker reported unavailable", || async {
        let (status, body) = dash.get("/api/v1/system/container-stats").await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(body["upstream"], "docker");
    assert!(
        body["detail"].as_str().unwrap().contains("docker.sock"),
        "{body}"
    );
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["containers"]}))
        .await;
    let update = ws.next_of("realtime_update", 2 * SEC).await;
    assert_eq!(
        update["data"]["containers"]["docker"]["state"], "unavailable",
        "{update}"
    );
    dash.stop().await;
}

/// Docker switched off: the `containers` topic says so at once (state `off`, not an outage), the REST endpoint is a
/// 503 with the same reason, and no container rule fires.
#[tokio::test]
async fn docker_switched_off_is_said_once_and_fires_nothing() {
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[
            ("DOCKER_ENABLED", "false"),
            ("MONITORED_CONTAINERS", "kato"),
        ],
    )
    .await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["containers"]}))
        .await;
    let update = ws.next_of("realtime_update", 2 * SEC).await;
    let docker = &update["data"]["containers"]["docker"];
    assert_eq!(docker["state"], "off", "{update}");
    assert!(
        docker["reason"]
            .as_str()
            .unwrap()
            .contains("DOCKER_ENABLED=false"),
        "{update}"
    );
    assert_eq!(update["data"]["containers"]["containers"], json!([]));
    let (status, body) = dash.get("/api/v1/system/container-stats").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("DOCKER_ENABLED=false"),
        "{body}"
    );
    // Several evaluations later, nothing about containers has fired.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, active) = dash.get("/api/v1/alerts/active").await;
    for list in ["firing", "pending"] {
        for alert in active[list].as_array().unwrap() {
            let kind = alert["type"].as_str().unwrap();
            assert!(!kind.starts_with("container_"), "{active}");
        }
    }
    dash.stop().await;
}

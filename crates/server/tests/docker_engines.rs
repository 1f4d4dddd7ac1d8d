//! Two Docker engines in one dashboard (`DOCKER_HOSTS`), both private `dockerd`s the testkit starts (with
//! `--live-restore`, so stopping one leaves its containers running, as an engine crash or upgrade does).
//!
//! The same container name on both stays two records (`name@engine`); engine `b` going away is shown as the
//! engine's outage — its containers `stale`, its state `unavailable`, a `docker_engine_unreachable` event and
//! a `docker_engine_down` alert — never as its containers dying, while engine `local` is watched as before
//! (a container killed there during the outage still fires `container_down`); `b` back: fresh again, without
//! restarting the dashboard.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use serde_json::{Value, json};
use support::{Dashboard, closed_port, wait_for, ws::Frame, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

fn engine<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["engines"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["id"] == id))
        .unwrap_or(&Value::Null)
}

fn record<'a>(snapshot: &'a Value, name: &str) -> &'a Value {
    snapshot["containers"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .unwrap_or(&Value::Null)
}

fn fresh(c: &Value) -> bool {
    c["running"] == true && c["stale"] == false && c["cpu_known"] == true
}

/// Every `kato_event` and `system_alert` item seen on `ws` within `within` (other frames skipped).
async fn collect(ws: &mut WsClient, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_frame(left).await {
            Some(Frame::Json(v)) if v["type"] == "kato_event" => seen.push(v),
            Some(Frame::Json(v)) if v["type"] == "system_alert" => {
                seen.extend(v["alerts"].as_array().into_iter().flatten().cloned());
            }
            Some(Frame::Json(_)) => {}
            Some(Frame::Close(code)) => panic!("socket closed ({code:?})"),
            None => return seen,
        }
    }
}

/// Waits until `log` (everything seen so far, to which what arrives on `ws` is added) holds a `kato_event`
/// or alert item matching `pred`.
async fn until(
    ws: &mut WsClient,
    log: &mut Vec<Value>,
    within: Duration,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    while !log.iter().any(&pred) {
        if tokio::time::Instant::now() > deadline {
            panic!("no {what} within {within:?}; saw {log:#?}");
        }
        log.extend(collect(ws, Duration::from_millis(200)).await);
    }
}

/// Whether an event or alert item is about a container of engine `b` going down.
fn container_down_on_b(item: &Value) -> bool {
    let about_b = |field: &Value| field.as_str().is_some_and(|n| n.ends_with("@b"));
    let event = item["event_type"].as_str().is_some_and(|t| {
        matches!(
            t,
            "container_died" | "container_stopped" | "container_destroyed" | "container_missing"
        )
    }) && about_b(&item["data"]["name"]);
    let alert = item["type"]
        .as_str()
        .is_some_and(|t| matches!(t, "container_down" | "container_missing"))
        && about_b(&item["container_name"]);
    event || alert
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_one_goes_away_and_comes_back() {
    let live_restore = ["--live-restore".to_owned()];
    let a = DockerDaemon::start_private_with(&live_restore)
        .expect("a private dockerd (apt-get install docker.io)");
    let mut b = DockerDaemon::start_private_with(&live_restore).expect("a second private dockerd");
    // The same label on both engines: the same container names.
    let mut on_a = TestContainers::new(&a, "engines").unwrap();
    let mut on_b = TestContainers::new(&b, "engines").unwrap();
    let kato = on_a.run_idle("kato").unwrap();
    assert_eq!(on_b.run_idle("kato").unwrap(), kato);
    let solo = on_b.run_idle("solo").unwrap();
    let (kato_a, kato_b, solo_b) = (
        format!("{kato}@local"),
        format!("{kato}@b"),
        format!("{solo}@b"),
    );
    let hosts = format!("{},{}#id=b", a.host(), b.host());
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[
            ("DOCKER_ENABLED", "true"),
            // Ignored: DOCKER_HOSTS wins (with a warning).
            ("DOCKER_HOST", "unix:///nonexistent/ignored.sock"),
            ("DOCKER_HOSTS", &hosts),
            ("MONITORED_CONTAINERS", &format!("{kato},{solo}")),
            (
                "ALERT_RULES",
                "docker_engine_down.pending=0,kato_unreachable.enabled=false",
            ),
        ],
    )
    .await;

    // Both engines answer: every container labelled by its engine, the same name twice, fresh figures.
    let all = wait_for(20 * SEC, "fresh figures from both engines", || async {
        let (status, body) = dash.get("/api/v1/system/container-stats").await;
        let ok = status == 200
            && [&kato_a, &kato_b, &solo_b]
                .iter()
                .all(|n| fresh(record(&body, n)));
        ok.then_some(body)
    })
    .await;
    assert_eq!(all["docker"]["state"], "ok", "{all}");
    assert_eq!(record(&all, &kato_b)["engine"], "b");
    assert_eq!(record(&all, &kato_a)["engine"], "local");
    assert_eq!(
        all["missing"],
        json!([format!("{solo}@local")]),
        "expected on every engine"
    );
    assert_eq!(engine(&all, "b")["host"], b.host());
    assert_eq!(engine(&all, "local")["running"], 1);
    let (_, only_b) = dash.get("/api/v1/system/container-stats?engine=b").await;
    assert_eq!(
        only_b["containers"].as_array().unwrap().len(),
        2,
        "{only_b}"
    );
    let (status, body) = dash
        .get(&format!("/api/v1/system/container-stats/{kato}"))
        .await;
    assert_eq!(
        status, 422,
        "a name on two engines needs its engine: {body}"
    );
    let (status, body) = dash
        .get(&format!("/api/v1/system/container-stats/{kato}?engine=b"))
        .await;
    assert_eq!((status, &body["name"]), (200, &json!(kato_b)), "{body}");
    let (status, body) = dash
        .get(&format!("/api/v1/system/container-stats/{kato_a}"))
        .await;
    assert_eq!((status, &body["engine"]), (200, &json!("local")), "{body}");
    let (status, _) = dash.get("/api/v1/system/container-stats?engine=nope").await;
    assert_eq!(status, 404);
    let (_, engines) = dash.get("/api/v1/system/container-engines").await;
    assert_eq!(
        engines["engines"].as_array().map(Vec::len),
        Some(2),
        "{engines}"
    );

    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["kato_events", "system_alerts"]}))
        .await;
    ws.next_of("subscribed", SEC).await;

    // Engine b goes away: an engine outage, not dying containers.
    tokio::task::block_in_place(|| b.stop_keeping_containers());
    let mut seen = Vec::new();
    until(
        &mut ws,
        &mut seen,
        15 * SEC,
        "docker_engine_unreachable for b",
        |i| i["event_type"] == "docker_engine_unreachable" && i["data"]["engine"] == "b",
    )
    .await;
    let down = wait_for(10 * SEC, "b unavailable, its containers stale", || async {
        let (status, body) = dash.get("/api/v1/system/container-stats").await;
        let ok = status == 200
            && engine(&body, "b")["docker"]["state"] == "unavailable"
            && record(&body, &kato_b)["stale"] == true
            && record(&body, &solo_b)["stale"] == true;
        ok.then_some(body)
    })
    .await;
    assert!(
        fresh(record(&down, &kato_a)),
        "engine local is still fresh: {down}"
    );
    assert_eq!(
        down["docker"]["state"], "unavailable",
        "an old client sees an outage"
    );
    assert!(
        down["docker"]["reason"]
            .as_str()
            .unwrap()
            .contains("Docker engine b"),
        "{down}"
    );
    assert_eq!(engine(&down, "local")["docker"]["state"], "ok");
    let (status, body) = dash.get("/api/v1/system/container-stats?engine=b").await;
    assert_eq!(status, 503, "{body}");
    until(
        &mut ws,
        &mut seen,
        10 * SEC,
        "docker_engine_down firing for b",
        |i| {
            i["type"] == "docker_engine_down"
                && i["state"] == "firing"
                && i["identity"] == "docker_engine_down/b"
        },
    )
    .await;

    // During b's outage engine local is watched as before: a kill there fires container_down.
    on_a.kill(&kato).unwrap();
    until(
        &mut ws,
        &mut seen,
        10 * SEC,
        "container_down firing for the kill on local",
        |i| {
            i["type"] == "container_down"
                && i["state"] == "firing"
                && i["container_name"] == kato_a.as_str()
        },
    )
    .await;
    until(
        &mut ws,
        &mut seen,
        5 * SEC,
        "container_died on local",
        |i| i["event_type"] == "container_died" && i["data"]["name"] == kato_a.as_str(),
    )
    .await;

    // b comes back: fresh again, the engine alert resolves, and its containers never "died".
    tokio::task::block_in_place(|| b.restart()).unwrap();
    until(
        &mut ws,
        &mut seen,
        20 * SEC,
        "docker_engine_reachable for b",
        |i| i["event_type"] == "docker_engine_reachable" && i["data"]["engine"] == "b",
    )
    .await;
    let back = wait_for(20 * SEC, "b fresh again", || async {
        let (status, body) = dash.get("/api/v1/system/container-stats?engine=b").await;
        let ok = status == 200 && fresh(record(&body, &kato_b)) && fresh(record(&body, &solo_b));
        ok.then_some(body)
    })
    .await;
    assert_eq!(back["docker"]["state"], "ok", "{back}");
    until(
        &mut ws,
        &mut seen,
        10 * SEC,
        "docker_engine_down resolved",
        |i| i["type"] == "docker_engine_down" && i["state"] == "resolved",
    )
    .await;
    let bad: Vec<&Value> = seen.iter().filter(|i| container_down_on_b(i)).collect();
    assert!(
        bad.is_empty(),
        "engine b's containers were reported down: {bad:#?}"
    );
    let (_, history) = dash.get("/api/v1/alerts/history?type=container_down").await;
    let about_b: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| container_down_on_b(i))
        .collect();
    assert!(about_b.is_empty(), "{history}");
    dash.stop().await;
    drop((on_a, on_b));
}

//! The alert engine through the whole server: a real Docker container burning CPU fires exactly once, stays
//! firing without duplicates and resolves when killed (with Alertmanager webhooks, retried after a 500); kato-sim
//! error bursts and restarts; the store surviving a dashboard restart (history, no re-fire, resume by seq).
//! REST filters, bookkeeping and silences are in `alerts_rest.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts_support;
mod support;

use std::time::{Duration, Instant};

use alerts_support::{Receiver, alerts_client, call, drain, next_item};
use kato_dashboard_sim::{Flavour, Scenario, Sim, SimConfig};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Dashboard, closed_port, wait_for, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

fn is(item: &Value, kind: &str, state: &str) -> bool {
    item["type"] == kind && item["state"] == state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_container_fires_once_stays_and_resolves_with_webhooks() {
    let daemon = DockerDaemon::start().expect("a Docker engine (apt-get install docker.io)");
    let mut c = TestContainers::new(&daemon, "alerts").unwrap();
    let busy = c.run_busy("busy").unwrap();
    let hook = Receiver::start(1).await;
    let port = closed_port().await;
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[
            ("DOCKER_HOST", daemon.host()),
            ("MONITORED_CONTAINERS", &busy),
            // `yes` burns a whole core: far above 30 %. It resolves only below 1 % (killed), so a `yes` starved by
            // other work on a busy machine is not taken for a resolve.
            (
                "ALERT_RULES",
                "container_cpu.fire=30,container_cpu.clear=1,container_cpu.critical=none,\
                 container_cpu.pending=1,high_cpu.enabled=false,kato_unreachable.enabled=false",
            ),
            ("ALERT_COOLDOWN_SECONDS", "3600"),
            ("ALERT_WEBHOOK_URL", &hook.url()),
        ],
    )
    .await;
    let started = Instant::now();
    let mut ws = alerts_client(&dash).await;
    let (msg, fired) = next_item(&mut ws, 30 * SEC, "container_cpu firing", |i| {
        is(i, "container_cpu", "firing") && i["container_name"] == busy.as_str()
    })
    .await;
    assert_eq!(fired["transition"], "fired", "{fired}");
    assert!(fired["value"].as_f64().unwrap() > 30.0, "{fired}");
    assert_eq!(fired["threshold"], 30.0);
    assert_eq!(fired["level"], "warning");
    assert_eq!(fired["severity"], "warning");
    assert_eq!(fired["seq"], msg["seq"]);
    assert!(msg["seq"].as_u64().unwrap() > 0);
    let alert_id = fired["alert_id"].as_str().unwrap().to_string();
    eprintln!(
        "figure: dashboard start → container_cpu fired: {:?} (first stats sample + 1 s pending)",
        started.elapsed()
    );

    // Stays firing: nothing more about it for several evaluations (ticks every 250 ms).
    let later = drain(&mut ws, 4 * SEC).await;
    let repeats: Vec<&Value> = later
        .iter()
        .flat_map(|m| m["alerts"].as_array().into_iter().flatten())
        .filter(|i| i["alert_id"] == alert_id.as_str())
        .collect();
    assert!(repeats.is_empty(), "no duplicate fire: {repeats:?}");
    let (_, active) = dash.get("/api/v1/alerts/active").await;
    assert!(
        active["firing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["alert_id"] == alert_id.as_str()),
        "{active}"
    );

    // Killed: CPU drops to nothing and the alert resolves, same id; the container is down now.
    c.kill(&busy).unwrap();
    let killed = Instant::now();
    let (_, resolved) = next_item(&mut ws, 15 * SEC, "container_cpu resolved", |i| {
        is(i, "container_cpu", "resolved")
    })
    .await;
    assert_eq!(resolved["alert_id"], alert_id.as_str());
    eprintln!(
        "figure: docker kill → container_cpu resolved: {:?}",
        killed.elapsed()
    );
    assert!(
        resolved["message"]
            .as_str()
            .unwrap()
            .starts_with("Resolved")
    );

    // Exactly one fire and one resolve in the stored history: no flapping.
    let (status, h) = dash.get("/api/v1/alerts/history?type=container_cpu").await;
    assert_eq!(status, 200, "{h}");
    let states: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["resolved", "firing"], "{h}");

    // The webhook got both, Alertmanager-shaped, the first one after a 500 and a retry.
    let bodies = wait_for(15 * SEC, "firing and resolved webhooks", || async {
        let b: Vec<Value> = hook
            .bodies()
            .into_iter()
            .filter(|b| b["alerts"][0]["labels"]["alertname"] == "container_cpu")
            .collect();
        (b.len() >= 2).then_some(b)
    })
    .await;
    assert!(
        hook.requests.load(std::sync::atomic::Ordering::SeqCst) >= 3,
        "one 500 then retried"
    );
    assert_eq!(bodies[0]["version"], "4");
    assert_eq!(bodies[0]["status"], "firing");
    let a = &bodies[0]["alerts"][0];
    assert_eq!(a["labels"]["container"], busy.as_str());
    assert_eq!(a["labels"]["severity"], "warning");
    assert!(
        a["annotations"]["summary"]
            .as_str()
            .unwrap()
            .contains(&busy)
    );
    assert_eq!(a["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(bodies[1]["status"], "resolved");
    assert_eq!(bodies[1]["alerts"][0]["fingerprint"], a["fingerprint"]);
    assert_ne!(bodies[1]["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    let (_, rules) = dash.get("/api/v1/alerts/rules").await;
    let counters = &rules["webhook"];
    assert!(counters["sent"].as_u64().unwrap() >= 2, "{counters}");
    assert!(counters["retries"].as_u64().unwrap() >= 1, "{counters}");
    assert_eq!(counters["dropped"], 0);
    dash.stop().await;
}

async fn sim(scenario: Scenario) -> Sim {
    let config = SimConfig {
        scenario,
        ..SimConfig::idle(Flavour::V1)
    };
    Sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("kato-sim starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kato_error_burst_fires_and_resolves_the_error_rate_alert() {
    let kato = sim(Scenario::Idle).await;
    let dash = Dashboard::start(
        &kato.base_url(),
        &[(
            "ALERT_RULES",
            "high_error_rate.fire=0.02,high_error_rate.clear=0.01,kato_unreachable.enabled=false",
        )],
    )
    .await;
    let mut ws = alerts_client(&dash).await;
    // Healthy first: the error rate is known and low.
    wait_for(10 * SEC, "an error rate", || async {
        let (_, m) = dash.get("/api/v1/system/metrics").await;
        m.is_object().then_some(())
    })
    .await;
    kato.error_burst(Duration::from_secs(4), 1.0);
    let (_, fired) = next_item(&mut ws, 20 * SEC, "high_error_rate firing", |i| {
        is(i, "high_error_rate", "firing")
    })
    .await;
    assert!(fired["value"].as_f64().unwrap() > 0.02, "{fired}");
    // The burst leaves KATO's 60 s window, the rate falls under the clear threshold, the alert resolves.
    let (_, resolved) = next_item(&mut ws, 90 * SEC, "high_error_rate resolved", |i| {
        is(i, "high_error_rate", "resolved")
    })
    .await;
    assert_eq!(resolved["alert_id"], fired["alert_id"]);
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kato_restart_fires_kato_restarted() {
    let kato = sim(Scenario::Idle).await;
    let dash = Dashboard::start(
        &kato.base_url(),
        &[("ALERT_RULES", "kato_restarted.auto_resolve=2")],
    )
    .await;
    let mut ws = alerts_client(&dash).await;
    wait_for(10 * SEC, "KATO's uptime", || async {
        let (_, m) = dash.get("/api/v1/health").await;
        (m["upstreams"]["kato"]["status"] == "up").then_some(())
    })
    .await;
    tokio::time::sleep(2 * SEC).await;
    kato.restart(Duration::from_secs(2));
    let (_, fired) = next_item(&mut ws, 20 * SEC, "kato_restarted firing", |i| {
        is(i, "kato_restarted", "firing")
    })
    .await;
    assert_eq!(fired["severity"], "warning");
    assert!(
        fired["message"]
            .as_str()
            .unwrap()
            .starts_with("KATO restarted")
    );
    let (_, resolved) = next_item(&mut ws, 10 * SEC, "kato_restarted resolved", |i| {
        is(i, "kato_restarted", "resolved")
    })
    .await;
    assert_eq!(resolved["alert_id"], fired["alert_id"]);
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_survives_a_restart_without_refiring_and_resume_gets_missed_events() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let settings = [
        ("DATA_DIR", dir.as_str()),
        ("ALERT_RULES", "kato_unreachable.pending=0"),
    ];
    let dash = Dashboard::start(&kato, &settings).await;
    let mut ws = alerts_client(&dash).await;
    let (msg, fired) = next_item(&mut ws, 15 * SEC, "kato_unreachable firing", |i| {
        is(i, "kato_unreachable", "firing")
    })
    .await;
    let alert_id = fired["alert_id"].as_str().unwrap().to_string();
    let seen = msg["seq"].as_u64().unwrap();
    // After the client's last event: an acknowledgement it will miss.
    drop(ws);
    let (status, ack) = call(
        &dash,
        Method::POST,
        &format!("/api/v1/alerts/{alert_id}/ack"),
        None,
        Some(json!({"by": "ops", "comment": "looking"})),
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    let ack_seq = ack["seq"].as_u64().unwrap();
    assert!(ack_seq > seen);
    dash.stop().await;

    let dash = Dashboard::start(&kato, &settings).await;
    // The firing alert comes back as the subscribe snapshot, and is not fired again.
    let mut ws = alerts_client(&dash).await;
    let snapshot = ws.next_of("system_alert", 3 * SEC).await;
    assert_eq!(snapshot["snapshot"], true, "{snapshot}");
    assert_eq!(snapshot["alerts"][0]["alert_id"], alert_id.as_str());
    let more = drain(&mut ws, 3 * SEC).await;
    assert!(
        more.iter().all(|m| m["type"] != "system_alert"),
        "no second fire after the restart: {more:?}"
    );
    let (_, h) = dash
        .get("/api/v1/alerts/history?type=kato_unreachable")
        .await;
    assert_eq!(h["total"], 1, "{h}");
    assert_eq!(h["items"][0]["ack"]["by"], "ops", "{h}");
    // Numbering continues after the store's newest event.
    let (_, read) = call(
        &dash,
        Method::POST,
        &format!("/api/v1/alerts/{alert_id}/read"),
        None,
        Some(json!({})),
    )
    .await;
    assert!(read["seq"].as_u64().unwrap() > ack_seq, "{read}");
    // A client that saw `seen` before the restart resumes and gets what it missed, from the store, in order.
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["system_alerts"]}))
        .await;
    ws.send_json(json!({"type": "resume", "last_seq": {"system_alerts": seen}}))
        .await;
    let replayed: Vec<Value> = drain(&mut ws, 3 * SEC)
        .await
        .into_iter()
        .filter(|m| m["seq"].as_u64().unwrap_or(0) > 0)
        .collect();
    let seqs: Vec<u64> = replayed
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.first(), Some(&(seen + 1)), "{replayed:?}");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert!(
        replayed
            .iter()
            .any(|m| m["type"] == "alert_update" && m["action"] == "acknowledged"),
        "{replayed:?}"
    );
    dash.stop().await;
}

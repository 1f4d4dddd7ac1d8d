//! A KATO fleet: three kato-sim instances (1.x and 3.x mixed, each its own process counters, `/health` and
//! `/ws/events`, sessions in one shared Redis) watched with `KATO_API_URLS`, and DNS discovery from a hosts file of
//! the test's own (three loopback addresses, one port). One instance is killed and started again, another
//! restarts; discovery adds and drops instances without a restart of the dashboard.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{net::SocketAddr, time::Duration};

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::{Value, json};
use support::{Dashboard, wait_for, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

fn config(flavour: Flavour, name: &str, redis: &str) -> SimConfig {
    SimConfig {
        redis_url: Some(redis.to_owned()),
        service_name: name.to_owned(),
        ..SimConfig::idle(flavour)
    }
}

async fn instances(dash: &Dashboard) -> Value {
    let (status, body) = dash.get("/api/v1/system/instances").await;
    assert_eq!(status, 200, "{body}");
    body
}

fn id(sim: &Sim) -> String {
    sim.addr().to_string()
}

/// The instance `id` of `/system/instances`, once `check` holds for it.
async fn instance_where(
    dash: &Dashboard,
    id: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    wait_for(10 * SEC, what, || async {
        let body = instances(dash).await;
        let list = body["instances"].as_array()?.clone();
        list.into_iter()
            .find(|i| i["id"] == id)
            .filter(|i| check(i))
    })
    .await
}

#[tokio::test]
async fn a_mixed_fleet_of_three_is_watched_instance_by_instance() {
    let redis = kato_dashboard_testkit::RedisServer::start().expect("redis-server starts");
    let url = redis.url();
    let any = "127.0.0.1:0".parse().unwrap();
    let a = Sim::start(config(Flavour::V1, "kato-1", &url), any)
        .await
        .unwrap();
    let b = Sim::start(config(Flavour::V3, "kato-2", &url), any)
        .await
        .unwrap();
    let c = Sim::start(config(Flavour::V1, "kato-3", &url), any)
        .await
        .unwrap();
    let c_addr: SocketAddr = c.addr();
    let urls = [&a, &b, &c].map(|s| s.base_url()).join(",");
    let dash = Dashboard::start(
        &a.base_url(),
        &[
            ("KATO_API_URLS", urls.as_str()),
            ("REDIS_URL", url.as_str()),
            ("SESSION_RECONCILE_INTERVAL_SECONDS", "30"),
        ],
    )
    .await;
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics", "kato_events", "session_events", "system_alerts"]}))
        .await;
    ws.next_of("subscribed", SEC).await;

    // Every instance answers, with its own generation; the aggregate lists them.
    let body = wait_for(10 * SEC, "three healthy instances", || async {
        let body = instances(&dash).await;
        (body["healthy"] == 3
            && body["instances"]
                .as_array()?
                .iter()
                .all(|i| i["generation"] != "unknown"))
        .then_some(body)
    })
    .await;
    assert_eq!(body["fleet"], true);
    let generations: Vec<(&str, &str)> = body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["generation"].as_str().unwrap()))
        .collect();
    for (sim, generation) in [(&a, "v1"), (&b, "v3"), (&c, "v1")] {
        assert!(
            generations.contains(&(id(sim).as_str(), generation)),
            "{generations:?}"
        );
    }
    // The aggregate on `metrics` (one KATO's shape, no list); the rows only on the opt-in `instances` topic.
    let update = ws
        .next_matching(5 * SEC, |m| {
            m["type"] == "realtime_update"
                && m["data"]["metrics"]["derived"]["generation"] == "unknown"
        })
        .await;
    assert!(
        update["data"].get("instances").is_none(),
        "not subscribed: {update}"
    );
    let derived = &update["data"]["metrics"]["derived"];
    assert!(derived.get("instances").is_none(), "{derived}");
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["metrics", "instances", "kato_events", "session_events", "system_alerts"]}))
        .await;
    let listed = ws
        .next_matching(5 * SEC, |m| {
            m["type"] == "realtime_update"
                && m["data"]["instances"]["instances"]
                    .as_array()
                    .is_some_and(|l| l.len() == 3)
        })
        .await;
    assert_eq!(listed["data"]["instances"]["fleet"], true);
    assert_eq!(
        derived["generation"], "unknown",
        "a mixed fleet has no one generation: {derived}"
    );
    assert!(derived["source"]["state"] == "ok");

    // `?instance=ID` asks that instance; an unknown id is a 404 naming the known ones.
    let (status, health) = dash
        .get(&format!("/api/v1/system/kato-health?instance={}", id(&b)))
        .await;
    assert_eq!(
        (status, health["service_name"].as_str()),
        (200, Some("kato-2")),
        "{health}"
    );
    let (status, err) = dash.get("/api/v1/system/metrics?instance=nope:1").await;
    assert_eq!(status, 404, "{err}");
    assert!(err.to_string().contains(&id(&c)), "{err}");

    // Sessions made on two instances arrive once each, by push.
    let s1 = b.create_session("fleet-node-1", None).await.unwrap();
    let s2 = c.create_session("fleet-node-2", None).await.unwrap();
    for s in [&s1, &s2] {
        let ev = ws
            .next_matching(3 * SEC, |m| {
                m["type"] == "session_event" && m["data"]["session_id"] == s.as_str()
            })
            .await;
        assert_eq!(ev["event_type"], "session_created");
    }
    assert!(
        ws.try_next_matching(SEC, |m| m["type"] == "session_event"
            && m["data"]["session_id"] == s1.as_str())
            .await
            .is_none(),
        "one session event per change, however many connections heard it"
    );
    // One list (the shared Redis), each session with the instance that announced it: its creator.
    let (status, list) = dash.get("/api/v1/sessions?limit=100").await;
    assert_eq!(status, 200, "{list}");
    let creator = |sid: &str| {
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["session_id"] == sid)
            .map(|r| r["instance"].clone())
    };
    assert_eq!(creator(&s1), Some(json!(id(&b))), "{list}");
    assert_eq!(creator(&s2), Some(json!(c_addr.to_string())), "{list}");

    // Killed: that instance is unreachable (by name), the fleet still answers, its own alert fires.
    c.shutdown().await;
    let down = ws
        .next_matching(5 * SEC, |m| {
            m["type"] == "kato_event" && m["event_type"] == "kato_unreachable"
        })
        .await;
    assert_eq!(down["data"]["instance"], c_addr.to_string(), "{down}");
    instance_where(
        &dash,
        &c_addr.to_string(),
        "the killed instance unreachable",
        |i| i["source"]["state"] == "unavailable",
    )
    .await;
    assert_eq!(instances(&dash).await["healthy"], 2);
    let alert = ws
        .next_matching(10 * SEC, |m| {
            m["type"] == "system_alert"
                && m["alerts"].as_array().is_some_and(|l| {
                    l.iter().any(|a| {
                        a["identity"] == format!("kato_unreachable/{c_addr}")
                            && a["state"] == "firing"
                    })
                })
        })
        .await;
    assert!(
        alert
            .to_string()
            .contains(&format!("KATO instance '{c_addr}' is unreachable")),
        "{alert}"
    );
    let (status, _) = dash.get("/api/v1/system/metrics").await;
    assert_eq!(status, 200, "KATO_API_URL's instance still answers");

    // Started again on its address: reachable again, without a restart of the dashboard.
    let c = Sim::start(config(Flavour::V1, "kato-3", &url), c_addr)
        .await
        .unwrap();
    let up = ws
        .next_matching(10 * SEC, |m| {
            m["type"] == "kato_event" && m["event_type"] == "kato_reachable"
        })
        .await;
    assert_eq!(up["data"]["instance"], c_addr.to_string(), "{up}");
    instance_where(&dash, &c_addr.to_string(), "the instance back", |i| {
        i["source"]["state"] == "ok"
    })
    .await;

    // A new process on that address: a restart of that instance (and of no other).
    instance_where(
        &dash,
        &c_addr.to_string(),
        "the kill and start counted as a restart",
        |i| i["restarts"] == 1,
    )
    .await;

    // Another one restarts: a restart of that instance, named.
    b.restart(Duration::from_millis(600));
    let restarted = ws
        .next_matching(10 * SEC, |m| {
            m["type"] == "kato_event"
                && m["event_type"] == "kato_restarted"
                && m["data"]["instance"] != c_addr.to_string()
        })
        .await;
    assert_eq!(restarted["data"]["instance"], id(&b), "{restarted}");
    instance_where(&dash, &id(&b), "the restart counted on its row", |i| {
        i["restarts"] == 1
    })
    .await;

    dash.stop().await;
    for sim in [a, b, c] {
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn dns_discovery_adds_and_drops_instances_without_a_restart() {
    let redis = kato_dashboard_testkit::RedisServer::start().expect("redis-server starts");
    let url = redis.url();
    // One port on three loopback addresses, as a headless service's records are.
    let first = Sim::start(
        config(Flavour::V3, "kato-a", &url),
        "127.0.0.2:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let port = first.addr().port();
    let second = Sim::start(
        config(Flavour::V3, "kato-b", &url),
        format!("127.0.0.3:{port}").parse().unwrap(),
    )
    .await
    .expect("127.0.0.3 has the same port free");
    let third = Sim::start(
        config(Flavour::V1, "kato-c", &url),
        format!("127.0.0.4:{port}").parse().unwrap(),
    )
    .await
    .expect("127.0.0.4 has the same port free");
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        "127.0.0.2 kato-fleet.test\n127.0.0.3 kato-fleet.test other\n",
    )
    .unwrap();
    let discovery = format!("dns:kato-fleet.test:{port}");
    let hosts_file = hosts.display().to_string();
    let dash = Dashboard::start(
        &first.base_url(),
        &[
            ("KATO_DISCOVERY", discovery.as_str()),
            ("KATO_DISCOVERY_HOSTS_FILE", hosts_file.as_str()),
            ("KATO_DISCOVERY_INTERVAL_SECONDS", "0.3"),
            ("REDIS_URL", url.as_str()),
        ],
    )
    .await;
    let ids = |body: &Value| -> Vec<String> {
        body["instances"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["id"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let want =
        |addrs: &[&str]| -> Vec<String> { addrs.iter().map(|a| format!("{a}:{port}")).collect() };
    let body = wait_for(10 * SEC, "the two discovered instances healthy", || async {
        let body = instances(&dash).await;
        (body["healthy"] == 2).then_some(body)
    })
    .await;
    assert_eq!(ids(&body), want(&["127.0.0.2", "127.0.0.3"]));
    assert_eq!(body["instances"][0]["origin"], "dns");
    assert_eq!(body["discovery"]["state"], "ok");

    // A third record appears: watched within an interval.
    std::fs::write(
        &hosts,
        "127.0.0.2 kato-fleet.test\n127.0.0.3 kato-fleet.test\n127.0.0.4 kato-fleet.test\n",
    )
    .unwrap();
    wait_for(10 * SEC, "the third instance added and healthy", || async {
        let body = instances(&dash).await;
        (ids(&body) == want(&["127.0.0.2", "127.0.0.3", "127.0.0.4"]) && body["healthy"] == 3)
            .then_some(())
    })
    .await;

    // The first leaves DNS: dropped from the table (its collectors stop), the others stay.
    std::fs::write(
        &hosts,
        "127.0.0.3 kato-fleet.test\n127.0.0.4 kato-fleet.test\n",
    )
    .unwrap();
    wait_for(10 * SEC, "the first instance dropped", || async {
        (ids(&instances(&dash).await) == want(&["127.0.0.3", "127.0.0.4"])).then_some(())
    })
    .await;
    let (status, _) = dash
        .get(&format!(
            "/api/v1/system/kato-health?instance=127.0.0.2:{port}"
        ))
        .await;
    assert_eq!(status, 404, "a dropped instance is no longer asked");

    // DNS fails: the discovery says so, the instances found before stay watched.
    std::fs::remove_file(&hosts).unwrap();
    let body = wait_for(10 * SEC, "the discovery failure reported", || async {
        let body = instances(&dash).await;
        (body["discovery"]["state"] == "unavailable").then_some(body)
    })
    .await;
    assert_eq!(ids(&body), want(&["127.0.0.3", "127.0.0.4"]), "{body}");
    assert!(
        body["discovery"]["reason"]
            .as_str()
            .unwrap()
            .contains("kato-fleet.test"),
        "{body}"
    );

    dash.stop().await;
    for sim in [first, second, third] {
        sim.shutdown().await;
    }
}

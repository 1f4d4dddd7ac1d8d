//! `/api/v1/alerts/*` against a real server whose KATO is unreachable (a condition alert that fires at once and
//! repeats every second): history filters and paging, bad parameters, read / read-all / ack / clear pushed to
//! another client as `alert_update`, silences, and destructive calls refused without the admin token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts_support;
mod support;

use std::time::Duration;

use alerts_support::{Receiver, TOKEN, alerts_client, call, next_item};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Dashboard, closed_port, wait_for, ws::WsClient};

const SEC: Duration = Duration::from_secs(1);

async fn unreachable_kato(extra: &[(&str, &str)]) -> Dashboard {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let mut settings = vec![(
        "ALERT_RULES",
        "kato_unreachable.pending=0,kato_unreachable.repeat=1",
    )];
    settings.extend_from_slice(extra);
    Dashboard::start(&kato, &settings).await
}

async fn update(ws: &mut WsClient, action: &str) -> Value {
    loop {
        let m = ws.next_of("alert_update", 5 * SEC).await;
        if m["action"] == action {
            return m;
        }
    }
}

fn states(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_filters_paging_and_bad_parameters() {
    let dash = unreachable_kato(&[]).await;
    let page = wait_for(15 * SEC, "a fire and three reminders", || async {
        let (_, h) = dash.get("/api/v1/alerts/history").await;
        (h["total"].as_u64()? >= 4).then_some(h)
    })
    .await;
    let first = page["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(first["state"], "firing", "oldest is the fire: {page}");
    assert_eq!(first["type"], "kato_unreachable");
    assert_eq!(first["level"], "error");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["read"], false);
    let alert_id = first["alert_id"].as_str().unwrap();

    let (_, fired) = dash.get("/api/v1/alerts/history?state=firing").await;
    assert_eq!(states(&fired), vec!["firing"]);
    let (_, repeats) = dash
        .get("/api/v1/alerts/history?state=repeat&type=kato_unreachable&severity=critical")
        .await;
    assert!(repeats["total"].as_u64().unwrap() >= 3, "{repeats}");
    let (_, none) = dash.get("/api/v1/alerts/history?severity=warning").await;
    assert_eq!(none["total"], 0);
    let (_, p1) = dash.get("/api/v1/alerts/history?limit=2").await;
    let (_, p2) = dash.get("/api/v1/alerts/history?limit=2&offset=2").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let s1 = p1["items"][1]["seq"].as_u64().unwrap();
    let s2 = p2["items"][0]["seq"].as_u64().unwrap();
    assert!(s1 > s2, "pages continue newest → oldest: {s1} {s2}");
    let after = first["seq"].as_u64().unwrap();
    let (_, newer) = dash
        .get(&format!(
            "/api/v1/alerts/history?after_seq={after}&limit=1000"
        ))
        .await;
    assert!(
        newer["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["seq"].as_u64().unwrap() > after)
    );
    let (_, future) = dash
        .get("/api/v1/alerts/history?since=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(future["total"], 0);
    let (_, one) = dash
        .get(&format!(
            "/api/v1/alerts/history?alert_id={alert_id}&limit=1"
        ))
        .await;
    assert_eq!(one["items"][0]["alert_id"], alert_id);

    for bad in [
        "limit=0",
        "limit=5000",
        "limit=x",
        "offset=-1",
        "offset=9223372036854775808",
        "after_seq=18446744073709551615",
        "severity=bogus",
        "type=nope",
        "state=asleep",
        "since=yesterday",
        "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        "unread=maybe",
    ] {
        let (status, body) = dash.get(&format!("/api/v1/alerts/history?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["detail"].is_string(), "{bad}: {body}");
    }
    let (_, rules) = dash.get("/api/v1/alerts/rules").await;
    let cpu = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "container_cpu")
        .unwrap();
    assert_eq!(cpu["fire"], 80.0);
    assert_eq!(cpu["clear"], 75.0);
    assert_eq!(cpu["critical"], 90.0);
    let (_, active) = dash.get("/api/v1/alerts/active").await;
    assert_eq!(active["firing"][0]["type"], "kato_unreachable", "{active}");
    dash.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookkeeping_reaches_every_tab_and_destructive_calls_need_the_token() {
    let hook = Receiver::start(0).await;
    let dash =
        unreachable_kato(&[("ADMIN_TOKEN", TOKEN), ("ALERT_WEBHOOK_URL", &hook.url())]).await;
    let mut tab = alerts_client(&dash).await;
    let (_, fired) = next_item(&mut tab, 15 * SEC, "kato_unreachable firing", |i| {
        i["type"] == "kato_unreachable"
    })
    .await;
    let id = fired["alert_id"].as_str().unwrap().to_string();
    let mut other = alerts_client(&dash).await;

    let (status, body) = call(
        &dash,
        Method::POST,
        &format!("/api/v1/alerts/{id}/read"),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let m = update(&mut other, "read").await;
    assert_eq!(m["data"]["alert_id"], id.as_str());
    let (status, _) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/nope/read",
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 404);

    let (status, body) = call(
        &dash,
        Method::POST,
        &format!("/api/v1/alerts/{id}/ack"),
        None,
        Some(json!({"by": "alice", "comment": "restarting KATO"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let m = update(&mut other, "acknowledged").await;
    assert_eq!(m["data"]["by"], "alice");
    let (status, body) = call(
        &dash,
        Method::POST,
        &format!("/api/v1/alerts/{id}/ack"),
        None,
        Some(json!("not an object")),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (_, h) = dash
        .get(&format!(
            "/api/v1/alerts/history?alert_id={id}&state=firing"
        ))
        .await;
    assert_eq!(h["items"][0]["ack"]["comment"], "restarting KATO", "{h}");

    // Reminders make it unread again; read-all names it.
    let _ = next_item(&mut tab, 5 * SEC, "a reminder", |i| i["state"] == "repeat").await;
    let (status, body) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/read-all",
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let m = update(&mut other, "read_all").await;
    assert!(
        m["data"]["alert_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == id.as_str()),
        "{m}"
    );

    // Silences: admin only; a silenced alert is still sent and stored, marked silenced.
    let silence = json!({"matchers": {"type": "kato_unreachable", "container_name": null}, "duration_seconds": 600, "comment": "maintenance"});
    let (status, _) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/silences",
        None,
        Some(silence.clone()),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/silences",
        Some("wrong-token"),
        Some(silence.clone()),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/silences",
        Some(TOKEN),
        Some(json!({"matchers": {"colour": "red"}, "duration_seconds": 60})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/silences",
        Some(TOKEN),
        Some(silence),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let sid = body["data"]["silence"]["id"].as_str().unwrap().to_string();
    let m = update(&mut other, "silence_created").await;
    assert_eq!(m["data"]["silence"]["id"], sid.as_str());
    let (_, item) = next_item(&mut tab, 5 * SEC, "a silenced reminder", |i| {
        i["silenced"] == true
    })
    .await;
    // Silenced: no webhook call (the fire and earlier reminders were sent).
    let sent = hook.bodies().len();
    assert!(sent >= 1, "the fire reached the webhook");
    next_item(&mut tab, 5 * SEC, "another silenced reminder", |i| {
        i["silenced"] == true
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        hook.bodies().len(),
        sent,
        "silenced alerts are not sent to the webhook"
    );
    assert_eq!(item["type"], "kato_unreachable");
    let (_, list) = dash.get("/api/v1/alerts/silences").await;
    assert_eq!(list["silences"][0]["id"], sid.as_str());
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("/api/v1/alerts/silences/{sid}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("/api/v1/alerts/silences/{sid}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    update(&mut other, "silence_expired").await;
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("/api/v1/alerts/silences/{sid}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 404, "already expired");
    let (_, list) = dash.get("/api/v1/alerts/silences").await;
    assert_eq!(list["silences"], json!([]));
    let (_, list) = dash.get("/api/v1/alerts/silences?all=true").await;
    assert!(list["silences"][0]["expired_at"].is_string(), "{list}");

    // Clear: admin only.
    let (status, body) = call(&dash, Method::DELETE, "/api/v1/alerts/history", None, None).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = call(
        &dash,
        Method::DELETE,
        "/api/v1/alerts/history",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    update(&mut other, "cleared").await;
    let (_, h) = dash.get("/api/v1/alerts/history?state=firing").await;
    assert_eq!(h["total"], 0, "{h}");
    dash.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_calls_are_off_without_an_admin_token() {
    let dash = unreachable_kato(&[]).await;
    for (method, path, body) in [
        (Method::DELETE, "/api/v1/alerts/history", None),
        (
            Method::POST,
            "/api/v1/alerts/silences",
            Some(json!({"matchers": {"type": "high_cpu"}, "duration_seconds": 60})),
        ),
        (Method::DELETE, "/api/v1/alerts/silences/x", None),
    ] {
        let (status, body) = call(&dash, method, path, Some(TOKEN), body).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("ADMIN_TOKEN"),
            "{body}"
        );
    }
    // Bookkeeping works without a token.
    let (status, _) = call(
        &dash,
        Method::POST,
        "/api/v1/alerts/read-all",
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    dash.stop().await;
}

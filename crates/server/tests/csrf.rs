//! Cross-site requests: a simple cross-site POST (a form or `text/plain`) cannot change state; JSON or a custom
//! header can. `ALLOWED_HOSTS` refuses a `Host` it does not list (DNS rebinding).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::{Dashboard, closed_port};

async fn post(dash: &Dashboard, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let mut req = dash.http.post(dash.url(path)).body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_cross_site_form_post_changes_nothing() {
    let dash = Dashboard::start(&format!("http://127.0.0.1:{}", closed_port().await), &[]).await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, body) = post(
            &dash,
            "/api/v1/alerts/read-all",
            &[("content-type", content_type)],
            "{}",
        )
        .await;
        assert_eq!(status, 415, "{content_type}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("application/json"),
            "{body}"
        );
    }
    let (status, body) = post(&dash, "/api/v1/alerts/read-all", &[], "").await;
    assert_eq!(status, 415, "no content type: {body}");
    let (status, body) = post(
        &dash,
        "/api/v1/alerts/read-all",
        &[("content-type", "application/json")],
        "{}",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &dash,
        "/api/v1/alerts/read-all",
        &[("x-requested-with", "kato-dashboard")],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    dash.stop().await;
}

#[tokio::test]
async fn allowed_hosts_refuses_other_names() {
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{}", closed_port().await),
        &[("ALLOWED_HOSTS", "dashboard.example.com,127.0.0.1")],
    )
    .await;
    let (status, _) = dash.get("/api/v1/health").await;
    assert_eq!(status, 200, "127.0.0.1 is listed");
    let resp = dash
        .http
        .get(dash.url("/api/v1/health"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("ALLOWED_HOSTS"),
        "{body}"
    );
    dash.stop().await;
}

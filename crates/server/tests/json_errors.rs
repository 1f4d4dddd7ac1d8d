//! Every error answer is JSON `{"detail": …}`, including those the framework makes by itself: a wrong method,
//! a body over the limit, a query value or path parameter that does not parse, a number beyond what the alert
//! store holds — and none of them is a 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::{Dashboard, closed_port};

async fn call(
    dash: &Dashboard,
    method: reqwest::Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> (u16, Value, String) {
    let mut req = dash.http.request(method, dash.url(path));
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path}: not JSON ({kind}): {text:?}"));
    (status, body, kind)
}

#[tokio::test]
async fn framework_errors_are_json_too() {
    let dash = Dashboard::start(&format!("http://127.0.0.1:{}", closed_port().await), &[]).await;
    use reqwest::Method;
    let big = vec![b' '; 2 * 1024 * 1024];
    let cases: Vec<(Method, &str, Option<Vec<u8>>, u16)> = vec![
        (Method::DELETE, "/api/v1/health", None, 405),
        (Method::PUT, "/api/v1/alerts/history", None, 405),
        (Method::POST, "/api/v1/alerts/silences", Some(big), 413),
        (Method::GET, "/api/v1/health?strict=maybe", None, 400),
        (Method::GET, "/api/v1/sessions/%FF%FE", None, 400),
        (
            Method::GET,
            "/api/v1/alerts/history?offset=9223372036854775808",
            None,
            400,
        ),
        (Method::GET, "/api/v1/sessions?limit=many", None, 422),
        (Method::GET, "/api/v1/no/such/thing", None, 404),
    ];
    for (method, path, body, want) in cases {
        let (status, json, kind) = call(&dash, method.clone(), path, body).await;
        assert!(
            kind.starts_with("application/json"),
            "{method} {path}: {kind}"
        );
        assert!(
            json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{method} {path}: {json}"
        );
        assert!(status < 500, "{method} {path}: {status} {json}");
        if want == 400 || want == 422 {
            assert!(
                status == 400 || status == 422,
                "{method} {path}: {status} {json}"
            );
        } else {
            assert_eq!(status, want, "{method} {path}: {json}");
        }
    }
    let (_, json, _) = call(&dash, reqwest::Method::DELETE, "/api/v1/health", None).await;
    assert!(
        json["detail"]
            .as_str()
            .unwrap()
            .contains("DELETE is not allowed"),
        "{json}"
    );
    dash.stop().await;
}

//! Every operation of `/openapi.json`, called with generated bad values, answers like an API: never a 5xx, and
//! every error is JSON `{"detail": …}`.
//!
//! The upstreams are all up (kato-sim with its Redis, nx-27017 loaded with KATO's knowledge bases, the Qdrant test
//! server, chDB loaded with KATO 3.x's patterns, a private Docker engine), so a 5xx can only be the dashboard's own fault; the admin token is set and the browsers are writable,
//! so bad values reach the handlers instead of stopping at the token check. For each operation, one parameter at
//! a time gets each bad value of its type (from the document's schema), and bodies get malformed, mistyped,
//! deeply nested and oversized JSON. The walk prints how many calls it made and how they were answered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use kato_dashboard_testkit::{
    ClickHouseServer, DockerDaemon, MongoServer,
    qdrant::{POINTS_COLLECTION, QdrantTestServer},
};
use serde_json::Value;
use support::{Dashboard, kato_with_redis};

const TOKEN: &str = "walker-admin-token";

/// Bad values for a parameter of `kind` (a schema type, or `path`).
fn bad_values(kind: &str) -> Vec<String> {
    let mut values: Vec<String> = match kind {
        "integer" => [
            "abc",
            "-1",
            "1.5",
            "1e3",
            "9223372036854775808",
            "-9223372036854775809",
        ]
        .map(String::from)
        .into(),
        "number" => ["NaN", "inf", "-1e309", "abc", "1,5"]
            .map(String::from)
            .into(),
        "boolean" => ["maybe", "2", "TRUE!"].map(String::from).into(),
        _ => [
            "*",
            "%2A%3F%5B",
            "%00",
            "..%2F..%2Fetc",
            "%7B%22%24where%22%3A1%7D",
        ]
        .map(String::from)
        .into(),
    };
    // For every kind: invalid UTF-8 once decoded, empty, long, and non-ASCII.
    values.extend([
        "%FF%FE".to_owned(),
        String::new(),
        "x".repeat(4000),
        "%F0%9F%99%82".to_owned(),
    ]);
    values
}

/// Malformed and mistyped request bodies.
fn bad_bodies() -> Vec<String> {
    vec![
        "not json".into(),
        "{".into(),
        "null".into(),
        "[]".into(),
        "{}".into(),
        r#"{"ids": "not-a-list", "point_ids": 5, "query_vector": "x", "limit": -1, "duration_seconds": "x"}"#
            .into(),
        r#"{"ids": [null, 1e999, {"$where": "1"}], "query_vector": [1e999], "limit": 1e30}"#.into(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!(r#"{{"ids": ["{}"]}}"#, "y".repeat(2 * 1024 * 1024)),
    ]
}

struct Call {
    method: String,
    url: String,
    body: Option<String>,
}

/// The calls for one operation: the path with plausible values, then one bad value at a time.
fn calls(base: &str, method: &str, path: &str, op: &Value) -> Vec<Call> {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let plausible = |name: &str| match name {
        "db" => "sensor_alpha_kato".to_owned(),
        "c" => "patterns_kb".to_owned(),
        "name" => POINTS_COLLECTION.to_owned(),
        _ => "x".to_owned(),
    };
    let fill = |bad: Option<(&str, &str)>| {
        path.split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) if bad.is_some_and(|(n, _)| n == name) => bad.unwrap().1.to_owned(),
                    Some(name) => plausible(name),
                    None => seg.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    };
    let with_body = matches!(method, "post" | "put" | "delete") || op.get("requestBody").is_some();
    let mut out = Vec::new();
    let mut push = |url: String, body: Option<String>| {
        out.push(Call {
            method: method.to_uppercase(),
            url: format!("{base}{url}"),
            body,
        })
    };
    for p in &params {
        let name = p["name"].as_str().unwrap();
        let kind = p["schema"]["type"].as_str().unwrap_or("string");
        for bad in bad_values(if p["in"] == "path" { "path" } else { kind }) {
            if p["in"] == "path" {
                if bad.is_empty() {
                    continue;
                }
                push(fill(Some((name, &bad))), with_body.then(|| "{}".into()));
            } else {
                push(
                    format!("{}?{name}={bad}", fill(None)),
                    with_body.then(|| "{}".into()),
                );
            }
        }
    }
    if with_body {
        for body in bad_bodies() {
            push(fill(None), Some(body));
        }
    }
    push(fill(None), with_body.then(|| "{}".into()));
    out
}

#[tokio::test]
async fn every_operation_answers_bad_values_with_a_json_4xx_never_a_5xx() {
    let (redis, kato) = kato_with_redis(kato_dashboard_sim::Flavour::V3).await;
    let mongo =
        MongoServer::start_with_kato_fixture().expect("nx-27017 starts with KATO's fixture");
    let qdrant = QdrantTestServer::start().expect("the Qdrant test server starts");
    let docker = DockerDaemon::start_private().expect("a private Docker engine starts");
    let clickhouse =
        ClickHouseServer::start_with_kato_fixture().expect("chDB starts with KATO's rows");
    let (redis_url, mongo_url, qdrant_url) = (redis.url(), mongo.url(), qdrant.url());
    let clickhouse_url = clickhouse.url();
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("REDIS_URL", &redis_url),
            ("MONGO_URL", &mongo_url),
            ("QDRANT_GRPC_URL", &qdrant_url),
            ("CLICKHOUSE_URL", &clickhouse_url),
            ("DOCKER_HOST", docker.host()),
            ("ADMIN_TOKEN", TOKEN),
            ("DATABASE_READ_ONLY", "false"),
        ],
    )
    .await;
    let base = format!("http://{}", dash.addr);
    let spec: Value = dash
        .http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if path == "/ws" {
            continue; // its handshake has its own tests (ws_handshake.rs)
        }
        for (method, op) in item.as_object().unwrap() {
            all.extend(calls(&base, method, path, op));
        }
    }
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for call in &all {
        let mut request = dash
            .http
            .request(call.method.parse().unwrap(), &call.url)
            .header("x-admin-token", TOKEN);
        if let Some(body) = &call.body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        *by_status.entry(status).or_default() += 1;
        let json = response.headers().get("content-type").is_some_and(|v| {
            v.to_str()
                .unwrap_or_default()
                .starts_with("application/json")
        });
        let text = response.text().await.unwrap_or_default();
        let shown = |s: &str| s.chars().take(160).collect::<String>();
        let what = format!(
            "{} {} [{}]",
            call.method,
            shown(&call.url),
            shown(call.body.as_deref().unwrap_or(""))
        );
        if status >= 500 {
            failures.push(format!("{status} for {what}: {}", shown(&text)));
        } else if status >= 400 {
            let detail = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_owned));
            if !json || detail.is_none_or(|d| d.is_empty()) {
                failures.push(format!(
                    "{status} without a JSON detail for {what}: {}",
                    shown(&text)
                ));
            }
        }
    }
    println!(
        "openapi walk: {} calls, answers by status: {by_status:?}",
        all.len()
    );
    assert!(all.len() > 700, "only {} calls generated", all.len());
    assert!(
        failures.is_empty(),
        "{} bad answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
    dash.stop().await;
    drop((kato, redis, mongo, qdrant, docker, clickhouse));
}

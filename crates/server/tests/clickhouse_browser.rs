//! KATO 3.x knowledge bases end to end: the real server against the real ClickHouse engine (chDB behind the HTTP
//! interface, `testkit::ClickHouseServer`), a private redis-server and the Qdrant test server, all loaded with
//! what KATO c584167 stored (`tests/fixtures/kato/stores-c584167`). Every endpoint: knowledge bases, patterns
//! (paging, sort and search over the whole knowledge base), one pattern, statistics, symbols and affinities
//! (equal to KATO's own answers in `api/`), features and health, bad input, and the admin rules and dry run of
//! a knowledge-base delete. A store that cannot start fails the test with its reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "clickhouse_browser/admin.rs"]
mod admin;
#[path = "clickhouse_browser/patterns.rs"]
mod patterns;
mod support;
#[path = "clickhouse_browser/symbols.rs"]
mod symbols;

use std::collections::BTreeMap;

use kato_dashboard_testkit::{
    ClickHouseServer, RedisServer, kato_fixtures_dir, qdrant::QdrantTestServer,
};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Dashboard, closed_port};

const TOKEN: &str = "ch-admin-token-1";
const ADMIN: &[(&str, &str)] = &[("ADMIN_TOKEN", TOKEN), ("DATABASE_READ_ONLY", "false")];
const BASE: &str = "/api/v1/databases";

/// The three stores, loaded, and the dashboard in front of them.
pub struct Stores {
    pub clickhouse: ClickHouseServer,
    pub redis: RedisServer,
    pub qdrant: QdrantTestServer,
    pub dash: Dashboard,
}

pub async fn setup(extra: &[(&str, &str)]) -> Stores {
    let clickhouse = ClickHouseServer::start_with_kato_fixture()
        .expect("chDB installs, starts and loads KATO's patterns_data");
    let redis = RedisServer::start().expect("redis-server starts (apt-get install redis-server)");
    let loaded = redis
        .load_kato_dump(&fixture_dir().join("redis-keys.json"))
        .expect("redis-keys.json loads");
    assert_eq!(loaded, 4008, "every recorded key");
    let qdrant = QdrantTestServer::start_kato_c584167().expect("the Qdrant test server starts");
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let mut env = vec![
        ("CLICKHOUSE_URL", clickhouse.url()),
        ("REDIS_URL", redis.url()),
        ("QDRANT_GRPC_URL", qdrant.url()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dash = Dashboard::start(&kato, &env).await;
    Stores {
        clickhouse,
        redis,
        qdrant,
        dash,
    }
}

pub fn fixture_dir() -> std::path::PathBuf {
    kato_fixtures_dir().join("stores-c584167")
}

/// A fixture file as JSON.
pub fn fixture(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_dir().join(path)).unwrap()).unwrap()
}

/// The recorded ClickHouse rows of one knowledge base.
pub fn rows(kb: &str) -> Vec<Value> {
    std::fs::read_to_string(fixture_dir().join("clickhouse/kato.patterns_data.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kb_id"] == kb)
        .collect()
}

/// The recorded Redis keys (name → entry).
pub fn redis_keys() -> BTreeMap<String, Value> {
    fixture("redis-keys.json")["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["key"].as_str().unwrap().to_owned(), k.clone()))
        .collect()
}

/// A request with an optional admin token → (status, JSON body).
pub async fn call(
    dash: &Dashboard,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let mut req = dash.http.request(method, dash.url(path));
    if let Some(t) = token {
        req = req.header("x-admin-token", t);
    }
    let resp = req.send().await.expect("the dashboard answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// `GET` that must answer 200.
pub async fn ok(dash: &Dashboard, path: &str) -> Value {
    let (status, body) = dash.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[tokio::test]
async fn knowledge_bases_of_all_three_stores() {
    let s = setup(&[]).await;
    let body = ok(&s.dash, &format!("{BASE}/patterns/processors")).await;
    let by_id: BTreeMap<&str, &Value> = body["processors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["kb_id"].as_str().unwrap(), p))
        .collect();
    // scratch-kb's rows and keys went with clear-all; its Qdrant collection stayed behind (README).
    let expected = [
        ("chat_bot_kato", 27, Some(67), Some(40)),
        ("planner_kato", 30, Some(40), Some(14)),
        ("scratch_kb_kato", 0, Some(0), Some(2)),
        ("sensor_alpha_kato", 356, Some(39), Some(22)),
        ("vision_1_kato", 27, Some(90), Some(75)),
    ];
    assert_eq!(by_id.len(), expected.len(), "{body}");
    for (kb, patterns, symbols, vectors) in expected {
        let p = by_id[kb];
        assert_eq!(p["patterns_count"], patterns, "{kb}: {p}");
        assert_eq!(p["symbols_count"].as_u64(), symbols, "{kb}: {p}");
        assert_eq!(p["vectors_count"].as_u64(), vectors, "{kb}: {p}");
        assert_eq!(p["processor_id"], kb);
    }
    assert_eq!(
        by_id["scratch_kb_kato"]["stores"],
        json!({"clickhouse": false, "redis": false, "qdrant": true})
    );
    assert_eq!(by_id["planner_kato"]["statistics"]["max_length"], 42);
    assert_eq!(body["total"], 5);
    for store in ["clickhouse", "redis", "qdrant"] {
        assert_eq!(body["sources"][store]["available"], true, "{body}");
    }

    // The UI learns the store is there, and /health probes it.
    let features = ok(&s.dash, &format!("{BASE}/features")).await;
    assert_eq!(
        features["clickhouse"],
        json!({"available": true, "reason": null})
    );
    assert_eq!(
        features["kato_generation"], "unknown",
        "KATO is not running here"
    );
    let health = ok(&s.dash, "/api/v1/health").await;
    assert_eq!(
        health["upstreams"]["clickhouse"]["status"], "up",
        "{health}"
    );
    assert_eq!(
        health["upstreams"]["clickhouse"]["details"]["version"],
        "26.9.2.1"
    );
    s.dash.stop().await;
}

#[tokio::test]
async fn each_store_down_is_told_with_its_reason() {
    // Nothing behind any store: ClickHouse answers are 503 naming it; features and health say why, at once.
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(&kato, &[]).await;
    let started = std::time::Instant::now();
    let features = ok(&dash, &format!("{BASE}/features")).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(features["clickhouse"]["available"], false);
    let reason = features["clickhouse"]["reason"].as_str().unwrap();
    assert!(reason.contains("127.0.0.1:1"), "{reason}");
    for path in [
        format!("{BASE}/patterns/processors"),
        format!("{BASE}/patterns/sensor_alpha_kato/patterns?sort_by=length"),
        format!("{BASE}/patterns/sensor_alpha_kato/statistics"),
    ] {
        let (status, body) = dash.get(&path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body["upstream"], "clickhouse", "{body}");
    }
    let health = ok(&dash, "/api/v1/health").await;
    assert_eq!(health["upstreams"]["clickhouse"]["status"], "down");
    dash.stop().await;

    // ClickHouse up, Redis and Qdrant down: the pattern page still answers, saying what is missing.
    let clickhouse = ClickHouseServer::start_with_kato_fixture().expect("chDB starts");
    let dash = Dashboard::start(&kato, &[("CLICKHOUSE_URL", &clickhouse.url())]).await;
    let page = ok(
        &dash,
        &format!("{BASE}/patterns/planner_kato/patterns?sort_by=length&limit=5"),
    )
    .await;
    assert_eq!(page["total"], 30);
    assert_eq!(page["patterns"][0]["frequency"], Value::Null);
    assert_eq!(page["sources"]["redis"]["available"], false, "{page}");
    let list = ok(&dash, &format!("{BASE}/patterns/processors")).await;
    assert_eq!(list["total"], 4);
    assert_eq!(list["processors"][0]["symbols_count"], Value::Null);
    assert_eq!(list["sources"]["qdrant"]["available"], false);
    // Sorting by frequency needs Redis: 503 naming it.
    let (status, body) = dash
        .get(&format!("{BASE}/patterns/planner_kato/patterns"))
        .await;
    assert_eq!(
        (status, body["upstream"].as_str()),
        (503, Some("redis")),
        "{body}"
    );
    dash.stop().await;
}

//! The MongoDB browser end to end: the real server against `nx-27017` (a MongoDB wire-protocol server from
//! PyPI, installed into a venv by the fixture) loaded with what KATO d1391ac really stores. Every endpoint:
//! knowledge bases, collections with statistics, pattern paging/sort/search, symbols, documents with JSON
//! filters, ObjectId and string ids, statistics, and the admin rules for edits, deletes and drops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "mongo_browser/admin.rs"]
mod admin;
#[path = "mongo_browser/patterns.rs"]
mod patterns;
mod support;

use std::{collections::BTreeSet, path::PathBuf};

use kato_dashboard_testkit::{MongoServer, kato_fixtures_dir};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Dashboard, closed_port};

const DB: &str = "sensor_alpha_kato";
const TOKEN: &str = "s3cret-admin-token";
const ADMIN: &[(&str, &str)] = &[("ADMIN_TOKEN", TOKEN), ("DATABASE_READ_ONLY", "false")];

async fn setup(extra: &[(&str, &str)]) -> (MongoServer, Dashboard) {
    let mongo = MongoServer::start_with_kato_fixture()
        .expect("nx-27017 installs, starts and loads the KATO fixture");
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let mut env = vec![("MONGO_URL", mongo.url())];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    (mongo, Dashboard::start(&kato, &env).await)
}

/// A request with an optional admin token and JSON body → (status, JSON body).
async fn call(
    dash: &Dashboard,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = dash.http.request(method, dash.url(path));
    if let Some(t) = token {
        req = req.header("x-admin-token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the dashboard answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A collection of the recorded dump, as relaxed JSON numbers (`{"$numberInt": "3"}` → 3).
fn fixture(db: &str, collection: &str) -> Vec<Value> {
    let path: PathBuf =
        kato_fixtures_dir().join(format!("stores-d1391ac/mongodb/{db}/{collection}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let docs: Vec<Value> = serde_json::from_str(&text).unwrap();
    docs.into_iter().map(relax).collect()
}

fn relax(v: Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("$numberInt") => {
            json!(m["$numberInt"].as_str().unwrap().parse::<i64>().unwrap())
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("$numberDouble") => {
            json!(m["$numberDouble"].as_str().unwrap().parse::<f64>().unwrap())
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("$oid") => m["$oid"].clone(),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, relax(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(relax).collect()),
        other => other,
    }
}

fn names(page: &Value, field: &str) -> Vec<String> {
    page[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn knowledge_bases_collections_and_statistics_match_the_fixture() {
    let (_mongo, dash) = setup(&[]).await;
    let (status, body) = dash.get("/api/v1/databases/mongodb/processors").await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["processors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["processor_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "chat_bot_kato",
            "planner_kato",
            "sensor_alpha_kato",
            "vision_1_kato"
        ]
    );
    assert_eq!(body["total"], 4);
    let sensor = &body["processors"][2];
    assert_eq!(sensor["patterns_count"], 22);
    assert!(
        sensor["collections"]
            .as_array()
            .unwrap()
            .contains(&json!("patterns_kb"))
    );

    let (status, body) = dash
        .get(&format!("/api/v1/databases/mongodb/{DB}/collections"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["processor_id"], DB);
    // associative_action_kb is empty in the dump, so it was never created.
    assert_eq!(
        body["collections"],
        json!(["metadata", "patterns_kb", "predictions_kb", "symbols_kb"])
    );
    let counts: Vec<u64> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 22, 129, 39]);
    for c in body["details"].as_array().unwrap() {
        assert_eq!(
            c["stats_available"], true,
            "nx-27017 implements collStats: {c}"
        );
        assert!(c["size_bytes"].as_i64().unwrap() > 0);
    }

    let (status, body) = dash
        .get(&format!(
            "/api/v1/databases/mongodb/{DB}/collections/symbols_kb/statistics"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_documents"], 39);
    assert_eq!(body["collection_name"], "symbols_kb");
    assert!(body["avg_document_size"].as_f64().unwrap() > 0.0);

    let patterns = fixture(DB, "patterns_kb");
    let freqs: Vec<i64> = patterns
        .iter()
        .map(|p| p["frequency"].as_i64().unwrap())
        .collect();
    let (status, body) = dash
        .get(&format!("/api/v1/databases/mongodb/{DB}/statistics"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_patterns"], 22);
    let f = &body["frequency_stats"];
    assert_eq!(f["max_frequency"], *freqs.iter().max().unwrap());
    assert_eq!(f["min_frequency"], *freqs.iter().min().unwrap());
    assert_eq!(f["total_frequency"], freqs.iter().sum::<i64>());
    let avg = freqs.iter().sum::<i64>() as f64 / freqs.len() as f64;
    assert!((f["avg_frequency"].as_f64().unwrap() - avg).abs() < 1e-9);
    // Lengths come from `length` (the old dashboard used `$pattern` and got 0 for everything).
    let dist = body["length_distribution"].as_array().unwrap();
    assert_eq!(
        dist.iter()
            .map(|d| d["count"].as_u64().unwrap())
            .sum::<u64>(),
        22
    );
    let lengths: Vec<i64> = dist.iter().map(|d| d["_id"].as_i64().unwrap()).collect();
    assert!(
        lengths.windows(2).all(|w| w[0] < w[1]) && lengths[0] == 3,
        "{lengths:?}"
    );

    for (path, code) in [
        ("/api/v1/databases/mongodb/admin/patterns", 403),
        ("/api/v1/databases/mongodb/local/collections", 403),
        ("/api/v1/databases/mongodb/no_such_kato/patterns", 404),
        (
            &format!("/api/v1/databases/mongodb/{DB}/collections/nope/documents"),
            404,
        ),
    ] {
        let (status, body) = dash.get(path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(body["detail"].is_string());
    }
}

#[tokio::test]
async fn mongodb_down_is_503_within_the_selection_timeout() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(&kato, &[]).await;
    let started = std::time::Instant::now();
    let (status, body) = dash.get("/api/v1/databases/mongodb/processors").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["upstream"], "mongodb");
    assert!(
        body["detail"].as_str().unwrap().contains("unavailable"),
        "{body}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    // Nothing listens: the Databases page learns it at once, not after the driver's selection timeout.
    let started = std::time::Instant::now();
    let (status, f) = dash.get("/api/v1/databases/features").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "features took {:?}",
        started.elapsed()
    );
    assert_eq!(status, 200);
    assert_eq!(
        (f["mongodb"]["available"].as_bool(), f["admin"].as_bool()),
        (Some(false), Some(false))
    );
    let reason = f["mongodb"]["reason"].as_str().unwrap();
    assert!(reason.contains("cannot connect to MongoDB"), "{reason}");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Another application's database on the same MongoDB is out of reach, listed or named, with or without the
/// token — until `MONGO_DATABASES` allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_katos_knowledge_bases_unless_allowed() {
    let shop = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(shop.path().join("shop")).unwrap();
    std::fs::write(
        shop.path().join("shop/customers.json"),
        r#"[{"name": "Ada", "card": "4111-1111"}]"#,
    )
    .unwrap();
    for allowed in ["", "shop"] {
        let (mongo, dash) = setup(&[ADMIN, &[("MONGO_DATABASES", allowed)]].concat()).await;
        assert_eq!(mongo.load(shop.path()).unwrap(), 1);
        let (status, list) = call(
            &dash,
            Method::GET,
            "/api/v1/databases/mongodb/processors",
            None,
            None,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let listed = list.to_string().contains("\"shop\"");
        let (status, body) = call(
            &dash,
            Method::GET,
            "/api/v1/databases/mongodb/shop/collections/customers/documents",
            Some(TOKEN),
            None,
        )
        .await;
        if allowed.is_empty() {
            assert!(!listed, "{list}");
            assert_eq!(status, 404, "{body}");
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("MONGO_DATABASES=shop"),
                "{body}"
            );
            assert!(!body.to_string().contains("4111"), "{body}");
        } else {
            assert!(listed, "{list}");
            assert_eq!(status, 200, "{body}");
            assert!(body.to_string().contains("Ada"), "{body}");
        }
        // KATO's own knowledge bases are always there.
        let (status, _) = call(
            &dash,
            Method::GET,
            &format!("/api/v1/databases/mongodb/{DB}/collections"),
            None,
            None,
        )
        .await;
        assert_eq!(status, 200);
        dash.stop().await;
    }
}

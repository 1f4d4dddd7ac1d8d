//! The Redis browser end to end: the real server against a private redis-server loaded with the keys KATO
//! d1391ac really stored (session strings with TTLs, an STM stream with a consumer group), plus one key of every
//! other type and keys with spaces, `/`, unicode and non-UTF-8 bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "redis_browser/admin.rs"]
mod admin;
#[path = "redis_browser/detail.rs"]
mod detail;
mod support;

use std::collections::BTreeSet;

use base64::{Engine, engine::general_purpose::STANDARD};
use kato_dashboard_testkit::{RedisServer, kato_fixtures_dir};
use redis::aio::MultiplexedConnection;
use reqwest::Method;
use serde_json::{Value, json};
use support::{Dashboard, closed_port};

const TOKEN: &str = "s3cret-admin-token";
const ODD_KEY: &str = "kato test/key ü 键 with spaces";
const BINARY_KEY: &[u8] = b"bin:\xff\x00\xfe";

/// Keys loaded: 13 recorded + hash, list, set, zset, stream, odd, binary.
const EXTRA: usize = 7;

async fn setup(extra: &[(&str, &str)]) -> (RedisServer, MultiplexedConnection, Dashboard) {
    let server = RedisServer::start().expect("redis-server starts (apt-get install redis-server)");
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    load(&mut conn).await;
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let mut env = vec![("REDIS_URL", server.url())];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dash = Dashboard::start(&kato, &env).await;
    (server, conn, dash)
}

/// The recorded keys, then one key of each other type.
async fn load(conn: &mut MultiplexedConnection) {
    let path = kato_fixtures_dir().join("stores-d1391ac/redis/keys.json");
    let dump: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut pipe = redis::pipe();
    for k in dump["keys"].as_array().unwrap() {
        let key = k["key"].as_str().unwrap();
        match k["type"].as_str().unwrap() {
            "string" => {
                pipe.cmd("SET")
                    .arg(key)
                    .arg(k["value"].as_str().unwrap())
                    .ignore();
                if let Some(ms) = k["pttl_ms"].as_i64().filter(|ms| *ms > 0) {
                    pipe.cmd("PEXPIRE").arg(key).arg(ms).ignore();
                }
            }
            "stream" => {
                for g in k["groups"].as_array().unwrap() {
                    pipe.cmd("XGROUP")
                        .arg("CREATE")
                        .arg(key)
                        .arg(g["name"].as_str().unwrap())
                        .arg("0")
                        .arg("MKSTREAM")
                        .ignore();
                }
            }
            other => panic!("unexpected type {other} in the dump"),
        }
    }
    pipe.cmd("HSET")
        .arg("t:hash")
        .arg("a")
        .arg("1")
        .arg("b")
        .arg(r#"{"x": 1}"#)
        .arg(b"\xffbin".as_slice())
        .arg("v")
        .ignore();
    let items: Vec<String> = (0..250).map(|i| format!("item-{i:03}")).collect();
    pipe.cmd("RPUSH").arg("t:list").arg(&items).ignore();
    let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    pipe.cmd("SADD").arg("t:set").arg(&members).ignore();
    pipe.cmd("ZADD")
        .arg("t:zset")
        .arg(3)
        .arg("c")
        .arg(1)
        .arg("a")
        .arg(2.5)
        .arg("b")
        .ignore();
    for i in 0..5 {
        pipe.cmd("XADD")
            .arg("t:stream")
            .arg(format!("{}-0", i + 1))
            .arg("n")
            .arg(i)
            .ignore();
    }
    pipe.cmd("SET").arg(ODD_KEY).arg("odd").ignore();
    pipe.cmd("SET")
        .arg(BINARY_KEY)
        .arg(b"\x00\x01\xff".as_slice())
        .ignore();
    let () = pipe.query_async(conn).await.unwrap();
}

async fn call(
    dash: &Dashboard,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    token: Option<&str>,
) -> (u16, Value) {
    let mut req = dash.http.request(method, dash.url(path)).query(query);
    if let Some(t) = token {
        req = req.header("x-admin-token", t);
    }
    let resp = req.send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

async fn key(dash: &Dashboard, query: &[(&str, &str)]) -> (u16, Value) {
    call(
        dash,
        Method::GET,
        "/api/v1/databases/redis/key",
        query,
        None,
    )
    .await
}

#[tokio::test]
async fn info_summary_and_hit_rate() {
    let (_server, _conn, dash) = setup(&[]).await;
    let (status, body) = dash.get("/api/v1/databases/redis/info").await;
    assert_eq!(status, 200, "{body}");
    let info = &body["info"];
    assert!(info["version"].as_str().unwrap().contains('.'));
    assert!(info["uptime_seconds"].is_number() && info["connected_clients"].as_i64() >= Some(1));
    assert!(info["used_memory"].as_i64() > Some(0) && info["used_memory_peak_human"].is_string());
    assert!(info["ops_per_sec"].is_number());
    assert_eq!(info["keyspace"]["db0"]["keys"], 13 + EXTRA);
    assert_eq!(info["keyspace"]["db0"]["expires"], 12);
    let rate = body["cache_hit_rate"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&rate));
}

#[tokio::test]
async fn scan_pages_cover_every_key_once_with_type_and_ttl() {
    let (_server, _conn, dash) = setup(&[]).await;
    let mut seen = Vec::new();
    let mut cursor = "0".to_owned();
    for round in 0.. {
        assert!(round < 100, "the scan never completes");
        let (status, page) = call(
            &dash,
            Method::GET,
            "/api/v1/databases/redis/keys",
            &[("count", "3"), ("cursor", &cursor)],
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            page["keys"].as_array().unwrap().len(),
            page["items"].as_array().unwrap().len()
        );
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        cursor = page["cursor"].as_str().unwrap().to_owned();
        if page["complete"] == true {
            assert_eq!(cursor, "0");
            break;
        }
    }
    let b64s: BTreeSet<&str> = seen
        .iter()
        .map(|k| k["key_b64"].as_str().unwrap())
        .collect();
    assert_eq!(b64s.len(), 13 + EXTRA, "every key exactly once");
    let by_key = |name: &str| seen.iter().find(|k| k["key"] == name).unwrap().clone();
    let session = seen
        .iter()
        .find(|k| k["key"].as_str().unwrap().starts_with("kato:session:"))
        .unwrap();
    assert_eq!(session["type"], "string");
    assert!(session["ttl"].as_i64().unwrap() > 1000);
    assert_eq!(by_key("stm:events:sensor_alpha_kato")["type"], "stream");
    assert_eq!(by_key("stm:events:sensor_alpha_kato")["ttl"], -1);
    for (k, t) in [
        ("t:hash", "hash"),
        ("t:list", "list"),
        ("t:set", "set"),
        ("t:zset", "zset"),
        ("t:stream", "stream"),
    ] {
        assert_eq!(by_key(k)["type"], t);
    }
    let binary = seen.iter().find(|k| k["binary"] == true).unwrap();
    assert_eq!(
        STANDARD
            .decode(binary["key_b64"].as_str().unwrap())
            .unwrap(),
        BINARY_KEY
    );

    let (_, sessions) = call(
        &dash,
        Method::GET,
        "/api/v1/databases/redis/keys",
        &[("pattern", "kato:session:*"), ("count", "1000")],
        None,
    )
    .await;
    assert_eq!(
        (
            sessions["items"].as_array().unwrap().len(),
            &sessions["complete"]
        ),
        (12, &json!(true))
    );
    let (_, old) = dash.get("/api/v1/databases/redis/sessions").await;
    assert_eq!(old["total"], 12, "KATO's prefix, not the old session:*");
    for bad in [("cursor", "abc"), ("count", "0"), ("count", "10001")] {
        let (status, body) = call(
            &dash,
            Method::GET,
            "/api/v1/databases/redis/keys",
            &[bad],
            None,
        )
        .await;
        assert!(status == 400 || status == 422, "{bad:?}: {body}");
    }
}

#[tokio::test]
async fn redis_down_is_503_not_an_empty_200() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(&kato, &[]).await;
    for path in [
        "/api/v1/databases/redis/info",
        "/api/v1/databases/redis/keys",
        "/api/v1/databases/redis/key?key=a",
    ] {
        let (status, body) = dash.get(path).await;
        assert_eq!(
            (status, body["upstream"].as_str()),
            (503, Some("redis")),
            "{path}: {body}"
        );
    }
    let (_, f) = dash.get("/api/v1/databases/features").await;
    assert_eq!(f["redis"]["available"], false);
}

//! The Redis browser end to end: the real server against a private redis-server loaded with the keys KATO
//! d1391ac really stored (session strings with TTLs, an STM stream with a consumer group), plus one key of every
//! other type and keys with spaces, `/`, unicode and non-UTF-8 bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
async fn key_detail_for_every_type_pages_big_values_and_keeps_ttls() {
    let (_server, mut conn, dash) = setup(&[]).await;
    let dump: Value = serde_json::from_str(
        &std::fs::read_to_string(kato_fixtures_dir().join("stores-d1391ac/redis/keys.json"))
            .unwrap(),
    )
    .unwrap();
    let session = dump["keys"][0]["key"].as_str().unwrap();
    let before: i64 = redis::cmd("PTTL")
        .arg(session)
        .query_async(&mut conn)
        .await
        .unwrap();
    let (status, s) = key(&dash, &[("key", session)]).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (s["type"].as_str(), s["format"].as_str()),
        (Some("string"), Some("json"))
    );
    assert_eq!(s["value_json"], dump["keys"][0]["value_json"]);
    assert!(
        s["value_pretty"]
            .as_str()
            .unwrap()
            .contains("\n  \"node_id\"")
    );
    assert!(s["size"].as_i64() > Some(0) && s["length"].as_i64() > Some(800));
    assert!(s["ttl"].as_i64().unwrap() > 0 && s["ttl_ms"].as_i64().unwrap() <= before);
    let after: i64 = redis::cmd("PTTL")
        .arg(session)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        after <= before && after > before - 5000,
        "reading never extends a TTL: {before} → {after}"
    );
    // The old path works too, and keeps reporting -1 for keys without expiry.
    let (status, old) = dash
        .get(&format!("/api/v1/databases/redis/keys/{session}"))
        .await;
    assert_eq!(
        (status, &old["value_json"]["session_id"]),
        (200, &dump["keys"][0]["value_json"]["session_id"])
    );

    let (_, h) = key(&dash, &[("key", "t:hash")]).await;
    assert_eq!(
        (
            h["type"].as_str(),
            h["length"].as_i64(),
            h["complete"].as_bool()
        ),
        (Some("hash"), Some(3), Some(true))
    );
    assert_eq!(
        (h["value"]["a"].as_str(), h["ttl"].as_i64()),
        (Some("1"), Some(-1))
    );
    assert_eq!(
        h["value"]["base64:/2Jpbg=="], "v",
        "non-UTF-8 fields stay addressable"
    );

    // A 250-item list in pages of 100.
    let mut items = Vec::new();
    let mut offset = "0".to_owned();
    loop {
        let (status, l) = key(
            &dash,
            &[("key", "t:list"), ("offset", &offset), ("count", "100")],
        )
        .await;
        assert_eq!((status, l["length"].as_i64()), (200, Some(250)), "{l}");
        items.extend(
            l["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned()),
        );
        match l["next_offset"].as_i64() {
            Some(n) => offset = n.to_string(),
            None => break assert_eq!(l["complete"], true),
        }
    }
    assert_eq!(
        items,
        (0..250).map(|i| format!("item-{i:03}")).collect::<Vec<_>>()
    );

    // A 300-member set by SSCAN cursor.
    let mut members = BTreeSet::new();
    let mut cursor = "0".to_owned();
    for _ in 0..100 {
        let (_, s) = key(
            &dash,
            &[("key", "t:set"), ("cursor", &cursor), ("count", "50")],
        )
        .await;
        assert_eq!(s["cardinality"], 300);
        members.extend(
            s["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned()),
        );
        cursor = s["cursor"].as_str().unwrap().to_owned();
        if s["complete"] == true {
            break;
        }
    }
    assert_eq!(members.len(), 300);

    let (_, z) = key(&dash, &[("key", "t:zset")]).await;
    assert_eq!(z["value"], json!([["a", 1.0], ["b", 2.5], ["c", 3.0]]));
    let (_, x) = key(&dash, &[("key", "t:stream"), ("count", "2")]).await;
    assert_eq!(
        (
            x["length"].as_i64(),
            x["value"][0]["id"].as_str(),
            x["value"][0]["fields"]["n"].as_str()
        ),
        (Some(5), Some("1-0"), Some("0"))
    );
    let (_, x2) = key(
        &dash,
        &[
            ("key", "t:stream"),
            ("count", "2"),
            ("cursor", x["cursor"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        x2["value"][0]["id"], "3-0",
        "the next page starts after the last id shown"
    );
    let (_, stm) = key(&dash, &[("key", "stm:events:sensor_alpha_kato")]).await;
    assert_eq!(
        (stm["length"].as_i64(), &stm["groups"][0]["name"]),
        (Some(0), &json!("stm_group_sensor_alpha_kato"))
    );

    // Keys with spaces, `/`, unicode and raw bytes.
    let (status, odd) = key(&dash, &[("key", ODD_KEY)]).await;
    assert_eq!((status, odd["value"].as_str()), (200, Some("odd")));
    let path: String = url::form_urlencoded::byte_serialize(ODD_KEY.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace("%2F", "/");
    let (status, odd) = dash
        .get(&format!("/api/v1/databases/redis/keys/{path}"))
        .await;
    assert_eq!((status, odd["key"].as_str()), (200, Some(ODD_KEY)));
    let (status, bin) = key(&dash, &[("key_b64", &STANDARD.encode(BINARY_KEY))]).await;
    assert_eq!(
        (status, bin["format"].as_str(), bin["value_b64"].as_str()),
        (200, Some("binary"), Some("AAH/"))
    );
    assert_eq!(bin["binary"], true);

    for (q, code) in [
        (vec![("key", "no:such:key")], 404),
        (vec![], 400),
        (vec![("key", "a"), ("key_b64", "YQ==")], 400),
        (vec![("key_b64", "***")], 400),
        (vec![("key", "t:list"), ("count", "0")], 400),
    ] {
        let (status, body) = key(&dash, &q).await;
        assert_eq!(status, code, "{q:?}: {body}");
        assert!(body["detail"].is_string());
    }
}

#[tokio::test]
async fn deletes_need_admin_and_read_only_off_and_never_flush_everything() {
    let (_server, _conn, dash) = setup(&[("ADMIN_TOKEN", TOKEN)]).await;
    let (status, body) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/redis/key",
        &[("key", "t:hash")],
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 403, "read-only by default: {body}");
    let (status, _) = call(
        &dash,
        Method::POST,
        "/api/v1/databases/redis/flush",
        &[("pattern", "t:*")],
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 403);
    dash.stop().await;

    let (_server, mut conn, dash) =
        setup(&[("ADMIN_TOKEN", TOKEN), ("DATABASE_READ_ONLY", "false")]).await;
    let (status, _) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/redis/key",
        &[("key", "t:hash")],
        None,
    )
    .await;
    assert_eq!(status, 401, "no header");
    let (status, body) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/redis/key",
        &[("key", "t:hash")],
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        (status, body["deleted_keys"].as_i64()),
        (200, Some(1)),
        "{body}"
    );
    let (status, _) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/redis/key",
        &[("key", "t:hash")],
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/redis/key",
        &[("key_b64", &STANDARD.encode(BINARY_KEY))],
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/redis/keys/t:zset",
        &[],
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);

    // By pattern: 1200 scratch keys go in batches; nothing else is touched. No pattern = refused (no FLUSHDB).
    let tmp: Vec<(String, i32)> = (0..1200).map(|i| (format!("tmp:{i}"), i)).collect();
    let () = redis::cmd("MSET")
        .arg(&tmp)
        .query_async(&mut conn)
        .await
        .unwrap();
    let (status, body) = call(
        &dash,
        Method::POST,
        "/api/v1/databases/redis/flush",
        &[],
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call(
        &dash,
        Method::POST,
        "/api/v1/databases/redis/flush",
        &[("pattern", "tmp:*")],
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        (
            status,
            body["deleted_keys"].as_u64(),
            body["pattern"].as_str()
        ),
        (200, Some(1200), Some("tmp:*")),
        "{body}"
    );
    let size: u64 = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
    assert_eq!(size as usize, 13 + EXTRA - 3);
    let (_, f) = call(
        &dash,
        Method::GET,
        "/api/v1/databases/features",
        &[],
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        (
            f["redis"]["available"].as_bool(),
            f["destructive_allowed"].as_bool()
        ),
        (Some(true), Some(true))
    );
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

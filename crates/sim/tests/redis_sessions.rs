//! Sessions in a real Redis: a private `redis-server` on a free loopback port (the test FAILS,
//! with the reason, if it cannot start). Checks the key layout (`kato:session:<id>`, a JSON
//! STRING with a TTL), expiry (v1's count drops), v3's active-index drift and sliding TTL, and
//! that sessions survive a simulated restart.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::time::Duration;

use kato_dashboard_sim::json::Json;
use kato_dashboard_sim::{ACTIVE_INDEX, Flavour, Sim, SimConfig};

use common::{RedisServer, any_port, get, http, wait_for};

fn count(body: &Json) -> i64 {
    body.get("active_session_count")
        .and_then(Json::as_i64)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_sessions_are_json_strings_with_ttl_and_expire() {
    let redis = RedisServer::start().await;
    let mut conn = redis.conn().await;
    let config = SimConfig {
        redis_url: Some(redis.url()),
        ..SimConfig::idle(Flavour::V1)
    };
    let sim = Sim::start(config, any_port()).await.unwrap();

    let resp = http()
        .post(format!("{}/sessions", sim.base_url()))
        .json(&serde_json::json!({"node_id": "dash-ephemeral", "metadata": {"note": "expires"}, "ttl_seconds": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let created = Json::parse(&resp.bytes().await.unwrap()).unwrap();
    let id = created
        .get("session_id")
        .and_then(Json::as_str)
        .unwrap()
        .to_string();
    let key = Sim::session_key(&id);
    assert_eq!(key, format!("kato:session:{id}"));

    let kind: String = redis::cmd("TYPE")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(kind, "string");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=2).contains(&ttl), "TTL {ttl}");
    let raw: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let stored = Json::parse(raw.as_bytes()).unwrap();
    let keys: Vec<&str> = stored
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "session_id",
            "node_id",
            "created_at",
            "last_accessed",
            "expires_at",
            "stm",
            "emotives_accumulator",
            "metadata_accumulator",
            "time",
            "metadata",
            "access_count",
            "max_stm_size",
            "max_emotives_size",
            "max_metadata_size",
            "session_config"
        ]
    );
    assert!(
        raw.contains(r#""node_id": "dash-ephemeral""#),
        "Python json.dumps separators: {raw}"
    );
    assert_eq!(
        stored.get("session_id").and_then(Json::as_str),
        Some(id.as_str())
    );
    assert_eq!(sim.session_ttl(&id).await.unwrap(), Some(ttl));

    let (_, c) = get(&sim, "/sessions/count").await;
    assert_eq!(count(&c), 1);
    wait_for("Redis to expire the key", Duration::from_secs(10), || {
        let mut conn = conn.clone();
        let key = key.clone();
        async move {
            let exists: i64 = redis::cmd("EXISTS")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .ok()?;
            (exists == 0).then_some(())
        }
    })
    .await;
    let (_, c) = get(&sim, "/sessions/count").await;
    assert_eq!(
        count(&c),
        0,
        "v1 counts live keys: the count drops at expiry"
    );
    let (status, body) = get(&sim, &format!("/sessions/{id}")).await;
    assert_eq!(
        (status, body.get("detail").and_then(Json::as_str)),
        (
            404,
            Some(format!("Session {id} not found or expired").as_str())
        )
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_index_drifts_and_ttl_slides() {
    let redis = RedisServer::start().await;
    let mut conn = redis.conn().await;
    let config = SimConfig {
        redis_url: Some(redis.url()),
        cache_ttl: Duration::from_millis(50),
        ..SimConfig::idle(Flavour::V3)
    };
    let sim = Sim::start(config, any_port()).await.unwrap();
    let short = sim.create_session("dash-ephemeral", Some(1)).await.unwrap();
    let kept = sim.create_session("dash-alice", Some(5)).await.unwrap();
    let members: Vec<String> = redis::cmd("SMEMBERS")
        .arg(ACTIVE_INDEX)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(members.len(), 2);

    wait_for(
        "the 1 s session to expire",
        Duration::from_secs(10),
        || async { (!sim.session_exists(&short).await.unwrap()).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(60)).await; // past the 50 ms count cache
    let (_, c) = get(&sim, "/sessions/count").await;
    assert_eq!(count(&c), 2, "v3.10.1 keeps counting a TTL-expired session");
    let (status, body) = get(&sim, &format!("/sessions/{short}/exists")).await;
    assert_eq!(status, 200);
    assert_eq!(body.get("exists"), Some(&Json::Bool(false)));
    let resp = http()
        .delete(format!("{}/sessions/{short}", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        404,
        "no API way to clear the phantom"
    );

    // Sliding TTL: any access resets the expiry to the session's own TTL.
    // Let the TTL run down measurably (this sleep is the behaviour under test, not a sync).
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let before = sim.session_ttl(&kept).await.unwrap().unwrap();
    assert!(before <= 3, "TTL {before}");
    assert_eq!(get(&sim, &format!("/sessions/{kept}/stm")).await.0, 200);
    let after = sim.session_ttl(&kept).await.unwrap().unwrap();
    assert!(
        after >= 4 && after > before,
        "the access extended the TTL: {before} → {after}"
    );
    assert!(sim.delete_session(&kept).await.unwrap());
    tokio::time::sleep(Duration::from_millis(60)).await;
    let (_, c) = get(&sim, "/sessions/count").await;
    assert_eq!(count(&c), 1, "only the phantom is left");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_survive_a_restart_in_redis() {
    let redis = RedisServer::start().await;
    let config = SimConfig {
        redis_url: Some(redis.url()),
        ..SimConfig::idle(Flavour::V1)
    };
    let sim = Sim::start(config, any_port()).await.unwrap();
    let id = sim.create_session("dash-bob", Some(300)).await.unwrap();
    sim.restart(Duration::from_millis(300));
    wait_for(
        "the simulated process to come back",
        Duration::from_secs(10),
        || async { sim.is_accepting().then_some(()) },
    )
    .await;
    let (status, body) = wait_for("GET after the restart", Duration::from_secs(10), || async {
        let r = http()
            .get(format!("{}/sessions/{id}", sim.base_url()))
            .send()
            .await
            .ok()?;
        let status = r.status().as_u16();
        Some((status, Json::parse(&r.bytes().await.ok()?).ok()?))
    })
    .await;
    assert_eq!(status, 200, "{}", body.to_compact());
    assert_eq!(body.get("node_id").and_then(Json::as_str), Some("dash-bob"));
    sim.shutdown().await;
}

//! The old dashboard's session-key endpoints against a real redis-server holding kato-sim's sessions: statistics
//! and diagnostic in the old shapes, a cleanup that removes only keys KATO no longer knows (dry run first, admin
//! token needed to remove), and bulk delete through KATO with the admin rules of every destructive route.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kato_dashboard_sim::{Flavour, Sim};
use kato_dashboard_testkit::RedisServer;
use serde_json::{Value, json};
use support::Dashboard;

const TOKEN: &str = "s3cret-admin-token";
const ORPHAN: &str = "kato:session:session-0000orphan0000-1700000000000";
const IDLE: &str = "kato:session:session-1111idle11111-1700000000000";

fn redis_cli(redis: &RedisServer, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port().to_string()])
        .args(args)
        .output()
        .expect("redis-cli (Debian redis-tools)");
    assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn post(dash: &Dashboard, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = dash.http.post(dash.url(path)).json(&body);
    if let Some(t) = token {
        req = req.header("X-Admin-Token", t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn setup(flavour: Flavour) -> (RedisServer, Sim, Dashboard, Vec<String>) {
    let (redis, kato) = support::kato_with_redis(flavour).await;
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("REDIS_URL", redis.url().as_str()),
            ("ADMIN_TOKEN", TOKEN),
            ("DATABASE_READ_ONLY", "false"),
        ],
    )
    .await;
    let mut ids = Vec::new();
    for user in ["ana", "bo"] {
        ids.push(kato.create_session(user, Some(3600)).await.unwrap());
    }
    // What KATO no longer knows, left behind without a TTL and past its expiry; one it would still serve that
    // Redis keeps without a TTL (not past its expiry, unknown to KATO too); and KATO's own index key.
    let stale = r#"{"session_id":"session-0000orphan0000-1700000000000","node_id":"planner","expires_at":"2020-01-01T00:00:00+00:00"}"#;
    redis_cli(&redis, &["SET", ORPHAN, stale]);
    let idle = r#"{"session_id":"session-1111idle11111-1700000000000","node_id":"planner","expires_at":"2099-01-01T00:00:00+00:00"}"#;
    redis_cli(&redis, &["SET", IDLE, idle]);
    redis_cli(&redis, &["SADD", "kato:session:_active_index", "x"]);
    (redis, kato, dash, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_diagnostic_and_a_cleanup_of_orphans_only() {
    for flavour in [Flavour::V1, Flavour::V3] {
        let (redis, kato, dash, ids) = setup(flavour).await;
        let (status, stats) = dash.get("/api/v1/sessions/statistics/overview").await;
        assert_eq!(status, 200, "{stats}");
        assert_eq!(stats["redis_total"], 5, "{stats}");
        assert_eq!(stats["redis_active"], 2, "{stats}");
        assert_eq!(stats["redis_idle"], 1, "{stats}");
        assert_eq!(stats["redis_expired"], 1, "{stats}");
        assert_eq!(stats["redis_index_keys"], 1, "{stats}");
        assert_eq!(stats["source"], "redis_keys");

        let (status, diag) = dash.get("/api/v1/sessions/redis-keys/diagnostic").await;
        assert_eq!(status, 200, "{diag}");
        let keys = diag["keys"].as_array().unwrap();
        assert_eq!(diag["total"], 5);
        // Soonest expiry first, keys without a TTL last.
        assert!(keys[0]["ttl_seconds"].as_i64().unwrap() > 3000, "{diag}");
        assert_eq!(keys[0]["expires"], true);
        assert!(
            keys[0]["session_reference"]
                .as_str()
                .is_some_and(|s| ids.iter().any(|i| i == s))
        );
        let orphan = keys.iter().find(|k| k["redis_key"] == ORPHAN).unwrap();
        assert_eq!(orphan["status"], "expired");
        assert_eq!(orphan["ttl_seconds"], Value::Null);
        assert_eq!(orphan["node_name"], "planner");

        // A dry run needs no token and removes nothing.
        let (status, dry) = post(
            &dash,
            "/api/v1/sessions/redis-keys/cleanup?dry_run=true",
            None,
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{dry}");
        let mut orphaned: Vec<&str> = dry["orphaned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        orphaned.sort_unstable();
        assert_eq!(
            orphaned,
            vec![ORPHAN, IDLE],
            "only keys KATO does not know: {dry}"
        );
        assert_eq!(dry["cleaned_count"], 0);
        assert_eq!(redis_cli(&redis, &["EXISTS", ORPHAN]), "1");

        // Removing needs the token.
        let (status, refused) = post(
            &dash,
            "/api/v1/sessions/redis-keys/cleanup",
            None,
            json!({}),
        )
        .await;
        assert_eq!(status, 401, "{refused}");
        let (status, done) = post(
            &dash,
            "/api/v1/sessions/redis-keys/cleanup",
            Some(TOKEN),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["cleaned_count"], 2, "{done}");
        assert_eq!(done["success"], true);
        assert_eq!(redis_cli(&redis, &["EXISTS", ORPHAN]), "0");
        assert_eq!(
            redis_cli(&redis, &["EXISTS", "kato:session:_active_index"]),
            "1",
            "index keys are KATO's"
        );
        for id in &ids {
            assert_eq!(
                redis_cli(&redis, &["EXISTS", &format!("kato:session:{id}")]),
                "1",
                "live sessions stay"
            );
        }
        dash.stop().await;
        kato.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_delete_goes_through_kato_with_the_admin_rules() {
    let (redis, kato, dash, ids) = setup(Flavour::V3).await;
    let (status, body) = post(
        &dash,
        "/api/v1/sessions/bulk-delete",
        Some(TOKEN),
        json!({"session_ids": []}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"], "No session IDs provided");
    let (status, body) = post(
        &dash,
        "/api/v1/sessions/bulk-delete",
        Some(TOKEN),
        json!({"ids": ["x"]}),
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, body) = post(
        &dash,
        "/api/v1/sessions/bulk-delete",
        None,
        json!({"session_ids": [ids[0]]}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(
        &dash,
        "/api/v1/sessions/bulk-delete",
        Some(TOKEN),
        json!({"session_ids": [ids[0], "session-ffff-1"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted_count"], 1, "{body}");
    assert_eq!(body["requested_count"], 2);
    assert_eq!(body["failed_count"], 1);
    assert_eq!(body["results"][1]["status"], "not_found", "{body}");
    assert_eq!(
        redis_cli(&redis, &["EXISTS", &format!("kato:session:{}", ids[0])]),
        "0"
    );
    assert_eq!(
        redis_cli(&redis, &["EXISTS", &format!("kato:session:{}", ids[1])]),
        "1"
    );
    let (status, _) = dash.get(&format!("/api/v1/sessions/{}", ids[0])).await;
    assert_eq!(status, 404);
    dash.stop().await;
    kato.shutdown().await;
}

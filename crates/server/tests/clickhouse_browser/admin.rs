//! Deleting a knowledge base: refused unless writable, with the token and the kb_id typed back; the dry run lists
//! exactly what the real run then removes from ClickHouse, Redis and Qdrant, and nothing else goes — not the
//! other knowledge bases, not the sessions, not a knowledge base whose id only matches as a glob.

use std::collections::BTreeSet;

use redis::AsyncCommands;
use reqwest::Method;
use serde_json::{Value, json};

use super::{ADMIN, BASE, TOKEN, call, redis_keys, setup};

const KB: &str = "chat_bot_kato";

async fn all_keys(url: &str) -> BTreeSet<String> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    conn.keys::<_, Vec<String>>("*")
        .await
        .unwrap()
        .into_iter()
        .collect()
}

fn ch_counts(s: &super::Stores) -> String {
    s.clickhouse
        .query(
            "SELECT kb_id, count() FROM kato.patterns_data GROUP BY kb_id ORDER BY kb_id",
            None,
        )
        .unwrap()
}

#[tokio::test]
async fn deletes_are_refused_without_every_permission() {
    // Read-only is the default: 403 even with a token configured elsewhere.
    let s = setup(&[("ADMIN_TOKEN", TOKEN)]).await;
    let path = format!("{BASE}/patterns/{KB}?confirm={KB}");
    let (status, body) = call(&s.dash, Method::DELETE, &path, Some(TOKEN)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("DATABASE_READ_ONLY"),
        "{body}"
    );
    s.dash.stop().await;

    let s = setup(ADMIN).await;
    let cases = [
        (path.clone(), None, 401),
        (path.clone(), Some("wrong-token-xyz"), 401),
        (format!("{BASE}/patterns/{KB}"), Some(TOKEN), 400),
        (
            format!("{BASE}/patterns/{KB}?confirm=planner_kato"),
            Some(TOKEN),
            400,
        ),
        (
            format!("{BASE}/patterns/{KB}?confirm={KB}&dry_run=maybe"),
            Some(TOKEN),
            400,
        ),
        (
            format!("{BASE}/patterns/a%3Ab?confirm=a%3Ab"),
            Some(TOKEN),
            400,
        ),
        (
            format!("{BASE}/patterns/nothing_kato?confirm=nothing_kato"),
            Some(TOKEN),
            404,
        ),
    ];
    for (path, token, code) in cases {
        let (status, body) = call(&s.dash, Method::DELETE, &path, token).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    assert!(
        ch_counts(&s).contains("chat_bot_kato\t27"),
        "nothing was removed"
    );
    assert_eq!(all_keys(&s.redis.url()).await.len(), 4008);
    s.dash.stop().await;
}

#[tokio::test]
async fn the_dry_run_lists_exactly_what_the_delete_removes() {
    let s = setup(ADMIN).await;
    let recorded = redis_keys();
    let prefix = format!("{KB}:");
    let expected: Vec<String> = recorded
        .keys()
        .filter(|k| k.starts_with(&prefix))
        .cloned()
        .collect();
    let before_ch = ch_counts(&s);

    let dry_path = format!("{BASE}/patterns/{KB}?confirm={KB}&dry_run=true");
    let (status, dry) = call(&s.dash, Method::DELETE, &dry_path, Some(TOKEN)).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["clickhouse"]["rows"], 27);
    assert_eq!(
        dry["clickhouse"]["tables"][2],
        json!({"table": "patterns_data", "rows": 27,
               "statement": "ALTER TABLE kato.patterns_data DROP PARTITION 'chat_bot_kato'"})
    );
    assert_eq!(dry["redis"]["scan_pattern"], "chat_bot_kato:*");
    let listed: Vec<String> = serde_json::from_value(dry["redis"]["keys"].clone()).unwrap();
    assert_eq!(listed, expected, "every key of the knowledge base, sorted");
    assert_eq!(dry["redis"]["keys_count"], expected.len());
    let families = &dry["redis"]["families"];
    assert_eq!(
        (
            families["frequency"].as_u64(),
            families["affinity"].as_u64()
        ),
        (Some(27), Some(67))
    );
    assert_eq!(families["prediction"], 171);
    assert_eq!(
        dry["qdrant"],
        json!({"collection": "vectors_chat_bot_kato", "exists": true, "points": 40})
    );
    // A dry run changes nothing.
    assert_eq!(ch_counts(&s), before_ch);
    assert_eq!(all_keys(&s.redis.url()).await.len(), 4008);
    assert!(s.qdrant.has_collection("vectors_chat_bot_kato"));

    let (status, done) = call(
        &s.dash,
        Method::DELETE,
        &format!("{BASE}/patterns/{KB}?confirm={KB}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["success"], true);
    assert_eq!(
        done["clickhouse"], dry["clickhouse"],
        "the rows the dry run named went"
    );
    assert_eq!(
        done["redis"]["keys"], dry["redis"]["keys"],
        "the keys the dry run named went"
    );
    assert_eq!(done["redis_keys_deleted"], expected.len());
    assert_eq!(
        (
            done["clickhouse_deleted"].as_u64(),
            done["qdrant_deleted"].as_bool()
        ),
        (Some(27), Some(true))
    );
    // Exactly that is gone; every other knowledge base and every session is untouched.
    assert_eq!(
        ch_counts(&s),
        "planner_kato\t30\nsensor_alpha_kato\t356\nvision_1_kato\t27\n"
    );
    let left = all_keys(&s.redis.url()).await;
    let mut wanted: BTreeSet<String> = recorded.keys().cloned().collect();
    for k in &expected {
        wanted.remove(k);
    }
    assert_eq!(left, wanted);
    assert!(
        left.iter()
            .filter(|k| k.starts_with("kato:session:"))
            .count()
            >= 15
    );
    assert!(!s.qdrant.has_collection("vectors_chat_bot_kato"));
    for (c, n) in [
        ("vectors_planner_kato", 14),
        ("vectors_vision_1_kato", 75),
        ("vectors_scratch_kb_kato", 2),
    ] {
        assert_eq!(s.qdrant.point_ids(c).len(), n, "{c}");
    }
    let (status, again) = call(
        &s.dash,
        Method::DELETE,
        &format!("{BASE}/patterns/{KB}?confirm={KB}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 404, "{again}");
    let list = super::ok(&s.dash, &format!("{BASE}/patterns/processors")).await;
    assert!(!list.to_string().contains("\"chat_bot_kato\""), "{list}");

    // scratch-kb: only its Qdrant collection was left by KATO's clear-all; the delete finishes the job.
    let path = "patterns/scratch_kb_kato?confirm=scratch_kb_kato";
    let (status, done) = call(
        &s.dash,
        Method::DELETE,
        &format!("{BASE}/{path}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["clickhouse_deleted"].as_u64(),
            done["redis_keys_deleted"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(done["qdrant"]["points"], 2);
    s.dash.stop().await;
}

#[tokio::test]
async fn glob_characters_and_foreign_families_are_never_deleted() {
    let s = setup(ADMIN).await;
    let client = redis::Client::open(s.redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for key in [
        "node[1]_kato:frequency:abc",
        "node1_kato:frequency:abc",
        "kato:frequency:deadbeef",
    ] {
        let _: () = conn.set(key, "1").await.unwrap();
    }
    // `node[1]_kato:*` unescaped would match node1_kato's keys too.
    let path = format!(
        "{BASE}/patterns/{}?confirm={}&dry_run=true",
        "node%5B1%5D_kato", "node%5B1%5D_kato"
    );
    let (status, dry) = call(&s.dash, Method::DELETE, &path, Some(TOKEN)).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["redis"]["scan_pattern"], "node\\[1\\]_kato:*");
    assert_eq!(dry["redis"]["keys"], json!(["node[1]_kato:frequency:abc"]));
    let (status, _) = call(
        &s.dash,
        Method::DELETE,
        &path.replace("&dry_run=true", ""),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    let left = all_keys(&s.redis.url()).await;
    assert!(
        left.contains("node1_kato:frequency:abc") && !left.contains("node[1]_kato:frequency:abc")
    );

    // A knowledge base named `kato` shares its prefix with the sessions: only KATO's families go.
    let (status, dry) = call(
        &s.dash,
        Method::DELETE,
        &format!("{BASE}/patterns/kato?confirm=kato&dry_run=true"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["redis"]["keys"], json!(["kato:frequency:deadbeef"]));
    let kept: Vec<Value> = serde_json::from_value(dry["redis"]["kept"].clone()).unwrap();
    assert!(
        kept.len() >= 15
            && kept
                .iter()
                .all(|k| !k.as_str().unwrap().starts_with("kato:frequency")),
        "{kept:?}"
    );
    let (status, _) = call(
        &s.dash,
        Method::DELETE,
        &format!("{BASE}/patterns/kato?confirm=kato"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    let after = all_keys(&s.redis.url()).await;
    assert_eq!(
        after.len(),
        left.len() - 1,
        "only kato:frequency:deadbeef went"
    );
    assert_eq!(
        after
            .iter()
            .filter(|k| k.starts_with("kato:session:"))
            .count(),
        15
    );
    s.dash.stop().await;
}

//! Deletes: refused without a token or in read-only mode; by key and by pattern for admins, never FLUSHDB.

use super::*;

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

//! Changes: refused without a token or in read-only mode; edits, deletes and confirmed drops for admins.

use super::*;

#[tokio::test]
async fn changes_are_refused_without_a_token_and_in_read_only_mode() {
    let (_mongo, dash) = setup(&[]).await;
    let p = format!("/api/v1/databases/mongodb/{DB}/patterns");
    let (_, page) = dash.get(&format!("{p}?limit=1")).await;
    let id = page["patterns"][0]["_id"].as_str().unwrap().to_owned();
    // Default: read-only, no token configured.
    for (method, path, body) in [
        (
            Method::PUT,
            format!("{p}/{id}"),
            Some(json!({"frequency": 1})),
        ),
        (Method::DELETE, format!("{p}/{id}"), None),
        (
            Method::POST,
            format!("{p}/bulk-delete"),
            Some(json!({"pattern_ids": [id]})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/databases/mongodb/{DB}/collections/symbols_kb"),
            Some(json!({"confirm": "symbols_kb"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/databases/mongodb/processors/{DB}"),
            Some(json!({"confirm": DB})),
        ),
    ] {
        let (status, body) = call(&dash, method, &path, Some(TOKEN), body).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("read-only"),
            "{body}"
        );
    }
    let (status, _) = dash.get(&format!("{p}/{id}")).await;
    assert_eq!(status, 200, "nothing was deleted");
    dash.stop().await;

    // A token, but read-only mode still on by default.
    let (_mongo, dash) = setup(&[("ADMIN_TOKEN", TOKEN)]).await;
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{p}/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (_, f) = call(
        &dash,
        Method::GET,
        "/api/v1/databases/features",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (
            f["admin"].as_bool(),
            f["read_only"].as_bool(),
            f["destructive_allowed"].as_bool()
        ),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(f["mongodb"]["available"], true);
    dash.stop().await;

    // Read-only off but no token configured: still refused.
    let (_mongo, dash) = setup(&[("DATABASE_READ_ONLY", "false")]).await;
    let (status, body) = call(
        &dash,
        Method::DELETE,
        &format!("{p}/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("ADMIN_TOKEN"));
}

#[tokio::test]
async fn admins_edit_delete_and_drop_with_typed_confirmation() {
    let (_mongo, dash) = setup(ADMIN).await;
    let p = format!("/api/v1/databases/mongodb/{DB}/patterns");
    let (_, page) = dash
        .get(&format!("{p}?limit=5&sort_by=name&sort_order=1"))
        .await;
    let ids: Vec<String> = page["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect();

    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{p}/{}", ids[0]),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401, "no header");
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{p}/{}", ids[0]),
        Some("wrong-token-123"),
        None,
    )
    .await;
    assert_eq!(status, 401, "wrong header");

    let (status, body) = call(
        &dash,
        Method::PUT,
        &format!("{p}/{}", ids[0]),
        Some(TOKEN),
        Some(json!({"frequency": 42})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["matched_count"].as_u64(), body["pattern_id"].as_str()),
        (Some(1), Some(ids[0].as_str()))
    );
    let (_, doc) = dash.get(&format!("{p}/{}", ids[0])).await;
    assert_eq!(doc["frequency"], 42);
    for bad in [
        json!({"$set": {"frequency": 1}}),
        json!({"_id": "x"}),
        json!({}),
        json!([1]),
    ] {
        let (status, body) = call(
            &dash,
            Method::PUT,
            &format!("{p}/{}", ids[0]),
            Some(TOKEN),
            Some(bad.clone()),
        )
        .await;
        assert!(status == 400 || status == 422, "{bad}: {status} {body}");
    }
    let (status, _) = call(
        &dash,
        Method::PUT,
        &format!("{p}/{}", "0".repeat(24)),
        Some(TOKEN),
        Some(json!({"frequency": 1})),
    )
    .await;
    assert_eq!(status, 404, "nothing matched is 404, not 403");

    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{p}/{}", ids[0]),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = dash.get(&format!("{p}/{}", ids[0])).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{p}/{}", ids[0]),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 404, "already gone");

    let bulk = json!({"pattern_ids": [ids[1], ids[2], "0".repeat(24)]});
    let (status, body) = call(
        &dash,
        Method::POST,
        &format!("{p}/bulk-delete"),
        Some(TOKEN),
        Some(bulk),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["deleted_count"].as_u64(),
            body["requested_count"].as_u64()
        ),
        (Some(2), Some(3))
    );
    let (status, _) = call(
        &dash,
        Method::POST,
        &format!("{p}/bulk-delete"),
        Some(TOKEN),
        Some(json!({"pattern_ids": []})),
    )
    .await;
    assert_eq!(status, 400);
    let (_, page) = dash.get(&p).await;
    assert_eq!(page["total"], 19);

    // Documents of any collection, by ObjectId.
    let docs = format!("/api/v1/databases/mongodb/{DB}/collections/predictions_kb/documents");
    let (_, page) = dash.get(&format!("{docs}?limit=3")).await;
    let dids: Vec<String> = page["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect();
    let (status, _) = call(
        &dash,
        Method::PUT,
        &format!("{docs}/{}", dids[0]),
        Some(TOKEN),
        Some(json!({"unique_id": "edited"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{docs}/{}", dids[0]),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &dash,
        Method::POST,
        &format!("{docs}/bulk-delete"),
        Some(TOKEN),
        Some(json!({"document_ids": dids[1..]})),
    )
    .await;
    assert_eq!((status, body["deleted_count"].as_u64()), (200, Some(2)));
    let (_, page) = dash.get(&docs).await;
    assert_eq!(page["total"], 126);

    // Drops need the name typed back.
    let coll = format!("/api/v1/databases/mongodb/{DB}/collections/symbols_kb");
    for body in [
        None,
        Some(json!({"confirm": "symbols"})),
        Some(json!({"confirm": "SYMBOLS_KB"})),
    ] {
        let (status, b) = call(&dash, Method::DELETE, &coll, Some(TOKEN), body).await;
        assert_eq!(status, 400, "{b}");
    }
    let (status, body) = call(
        &dash,
        Method::DELETE,
        &coll,
        Some(TOKEN),
        Some(json!({"confirm": "symbols_kb"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, cols) = dash
        .get(&format!("/api/v1/databases/mongodb/{DB}/collections"))
        .await;
    assert!(
        !cols["collections"]
            .as_array()
            .unwrap()
            .contains(&json!("symbols_kb"))
    );
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &coll,
        Some(TOKEN),
        Some(json!({"confirm": "symbols_kb"})),
    )
    .await;
    assert_eq!(status, 404);

    let db = format!("/api/v1/databases/mongodb/processors/{DB}");
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &db,
        Some(TOKEN),
        Some(json!({"confirm": "planner_kato"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        "/api/v1/databases/mongodb/processors/admin",
        Some(TOKEN),
        Some(json!({"confirm": "admin"})),
    )
    .await;
    assert_eq!(status, 403, "system databases are never dropped");
    let (status, body) = call(
        &dash,
        Method::DELETE,
        &format!("{db}?confirm={DB}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = dash.get("/api/v1/databases/mongodb/processors").await;
    assert_eq!(list["total"], 3);
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &db,
        Some(TOKEN),
        Some(json!({"confirm": DB})),
    )
    .await;
    assert_eq!(status, 404);
}

//! The Qdrant browser end to end: the real server against the gRPC test server (`QdrantTestServer`, KATO's four
//! collections, integer and UUID ids), on the old `/api/v1/databases/qdrant/*` paths, with honest status codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kato_dashboard_testkit::qdrant::{
    INTEGER_POINTS, KATO_COLLECTIONS, POINTS_COLLECTION, QdrantTestServer, UUID_POINTS, VECTOR_SIZE,
};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Dashboard, closed_port};

const TOKEN: &str = "qdrant-admin-token";
const BASE: &str = "/api/v1/databases/qdrant";

async fn setup(extra: &[(&str, &str)]) -> (QdrantTestServer, Dashboard) {
    let qdrant = QdrantTestServer::start().expect("the Qdrant test server starts");
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let url = qdrant.url();
    let mut env = vec![("QDRANT_GRPC_URL", url.as_str())];
    env.extend_from_slice(extra);
    (qdrant, Dashboard::start(&kato, &env).await)
}

async fn call(
    dash: &Dashboard,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut req = dash.http.request(method, dash.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(t) = token {
        req = req.header("x-admin-token", t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn collections_and_processors_in_the_old_shapes() {
    let (_q, dash) = setup(&[]).await;
    let (status, body) = dash.get(&format!("{BASE}/collections")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 4);
    let names: Vec<_> = body["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, KATO_COLLECTIONS);
    let chat = &body["collections"][0];
    assert_eq!(chat["vectors_count"], INTEGER_POINTS + UUID_POINTS as u64);
    // The UI learns from the features endpoint that Qdrant answers, and /health probes the same gRPC port.
    let (_, features) = dash.get("/api/v1/databases/features").await;
    assert_eq!(features["qdrant"]["available"], true, "{features}");
    let (_, health) = dash.get("/api/v1/health").await;
    assert_eq!(health["upstreams"]["qdrant"]["status"], "up", "{health}");
    assert_eq!(
        (chat["vector_size"].as_u64(), chat["distance"].as_str()),
        (Some(VECTOR_SIZE as u64), Some("EUCLID"))
    );
    assert_eq!(chat["status"], "GREEN");

    let (_, body) = dash.get(&format!("{BASE}/processors")).await;
    assert_eq!(body["processors"][0]["processor_id"], "chat_bot_kato");

    let (status, body) = dash
        .get(&format!("{BASE}/collections/{POINTS_COLLECTION}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["points_count"].as_u64(),
            body["distance_metric"].as_str()
        ),
        (Some(25), Some("EUCLID"))
    );
    assert_eq!(body["optimizer_status"], true);
    let (status, body) = dash.get(&format!("{BASE}/collections/nope")).await;
    assert_eq!(status, 404, "{body}");
    dash.stop().await;
}

#[tokio::test]
async fn points_page_forwards_and_back_with_integer_and_uuid_offsets() {
    let (q, dash) = setup(&[]).await;
    let all = q.point_ids(POINTS_COLLECTION);
    let mut cursors: Vec<String> = vec![String::new()];
    let mut seen = Vec::new();
    loop {
        let offset = cursors.last().unwrap();
        let path =
            format!("{BASE}/collections/{POINTS_COLLECTION}/points?limit=10&offset={offset}");
        let (status, body) = dash.get(&path).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["points"][0]["vector"].is_null(),
            "no vectors unless asked"
        );
        assert_eq!(body["count"], body["points"].as_array().unwrap().len());
        seen.extend(
            body["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| match &p["id"] {
                    Value::Number(n) => n.to_string(),
                    other => other.as_str().unwrap().to_owned(),
                }),
        );
        match &body["next_offset"] {
            Value::Null => break,
            Value::Number(n) => cursors.push(n.to_string()),
            Value::String(s) => cursors.push(s.clone()),
            other => panic!("odd offset {other}"),
        }
    }
    assert_eq!(seen, all, "every point once, integers first");
    assert!(
        cursors[1].parse::<u64>().is_ok() && cursors[2].contains('-'),
        "{cursors:?}"
    );
    // Back one page: the previous cursor gives the previous page.
    let (_, body) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points?limit=10&offset={}&with_vectors=true",
            cursors[1]
        ))
        .await;
    assert_eq!(body["points"][0]["id"].to_string(), all[10]);
    assert_eq!(
        body["points"][0]["vector"].as_array().unwrap().len(),
        VECTOR_SIZE
    );
    let (status, body) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points?offset=VCTR%7Cabc"
        ))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points?limit=0"
        ))
        .await;
    assert_eq!(status, 422);
    dash.stop().await;
}

#[tokio::test]
async fn point_detail_similar_and_search() {
    let (q, dash) = setup(&[]).await;
    let uuid = q.point_ids(POINTS_COLLECTION).pop().unwrap();
    let (status, body) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points/{uuid}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], uuid);
    assert_eq!(body["vector"].as_array().unwrap().len(), VECTOR_SIZE);
    assert!(
        body["payload"]["name"]
            .as_str()
            .unwrap()
            .starts_with("VCTR|")
    );
    let (status, _) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points/999"
        ))
        .await;
    assert_eq!(status, 404);
    let (status, _) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points/not-an-id"
        ))
        .await;
    assert_eq!(status, 422);

    let (status, body) = dash
        .get(&format!(
            "{BASE}/collections/{POINTS_COLLECTION}/points/1/similar?limit=5"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reference_point_id"], 1);
    assert_eq!(body["count"], 5);
    let ids: Vec<_> = body["similar_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(ids[0], json!(2), "the near-duplicate first");
    assert!(!ids.contains(&json!(1)), "never the point itself");

    let vector = q.vector(POINTS_COLLECTION, &uuid).unwrap();
    let path = format!("{BASE}/collections/{POINTS_COLLECTION}/search");
    let (status, body) = call(
        &dash,
        Method::POST,
        &path,
        Some(json!({"query_vector": vector, "limit": 3})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["count"].as_u64(), &body["results"][0]["id"]),
        (Some(3), &json!(uuid))
    );
    let (status, body) = call(
        &dash,
        Method::POST,
        &path,
        Some(json!({"query_vector": [0.1, 0.2]})),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["detail"].as_str().unwrap().contains("2 dimensions"),
        "{body}"
    );
    let (status, _) = call(
        &dash,
        Method::POST,
        &path,
        Some(json!({"query_vector": []})),
        None,
    )
    .await;
    assert_eq!(status, 400);
    dash.stop().await;
}

#[tokio::test]
async fn deletes_need_admin_read_only_off_and_a_typed_name_for_drops() {
    let bulk = format!("{BASE}/collections/{POINTS_COLLECTION}/points/bulk-delete");
    let ids = json!({"point_ids": [3, "not-a-uuid"]});
    let (_q, dash) = setup(&[("ADMIN_TOKEN", TOKEN)]).await;
    let (status, _) = call(&dash, Method::POST, &bulk, Some(ids.clone()), Some(TOKEN)).await;
    assert_eq!(status, 403, "read-only by default");
    dash.stop().await;

    let (q, dash) = setup(&[("ADMIN_TOKEN", TOKEN), ("DATABASE_READ_ONLY", "false")]).await;
    let (status, _) = call(&dash, Method::POST, &bulk, Some(ids), None).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &dash,
        Method::POST,
        &bulk,
        Some(json!({"point_ids": [3, "x"]})),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 422, "a bad id refuses the whole request");
    let uuid = q.point_ids(POINTS_COLLECTION).pop().unwrap();
    let body = json!({"point_ids": [3, uuid, 999]});
    let (status, out) = call(&dash, Method::POST, &bulk, Some(body), Some(TOKEN)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        (
            out["deleted_count"].as_u64(),
            out["requested_count"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(out["missing"], json!([999]));
    assert_eq!(q.point_ids(POINTS_COLLECTION).len(), 23);

    let drop = format!("{BASE}/collections/vectors_planner_kato");
    let (status, body) = call(&dash, Method::DELETE, &drop, None, Some(TOKEN)).await;
    assert_eq!(status, 400, "no typed confirmation: {body}");
    let (status, _) = call(
        &dash,
        Method::DELETE,
        &format!("{drop}?confirm=vectors_planner"),
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 400);
    assert!(q.has_collection("vectors_planner_kato"));
    let confirmed = format!("{drop}?confirm=vectors_planner_kato");
    let (status, body) = call(&dash, Method::DELETE, &confirmed, None, Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["collection_name"], "vectors_planner_kato");
    assert!(!q.has_collection("vectors_planner_kato"));
    let (status, _) = call(&dash, Method::DELETE, &confirmed, None, Some(TOKEN)).await;
    assert_eq!(status, 404);
    dash.stop().await;
}

#[tokio::test]
async fn qdrant_down_is_503_with_the_reason_not_an_empty_200() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let qdrant = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(&kato, &[("QDRANT_GRPC_URL", qdrant.as_str())]).await;
    for path in [
        "/collections",
        "/collections/x",
        "/collections/x/points",
        "/collections/x/points/1/similar",
    ] {
        let (status, body) = dash.get(&format!("{BASE}{path}")).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body["upstream"], "qdrant");
    }
    let (_, features) = dash.get("/api/v1/databases/features").await;
    assert_eq!(features["qdrant"]["available"], false, "{features}");
    assert!(features["qdrant"]["reason"].is_string(), "{features}");
    let (_, health) = dash.get("/api/v1/health").await;
    assert_eq!(health["upstreams"]["qdrant"]["status"], "down", "{health}");
    dash.stop().await;
}

#[tokio::test]
async fn a_qdrant_with_an_api_key_is_browsed_with_qdrant_api_key_and_refused_without() {
    const KEY: &str = "qdrant-api-key-e2e";
    let qdrant = QdrantTestServer::start_with_api_key(Some(KEY)).unwrap();
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let url = qdrant.url();

    // Without the key: the UI is told why, and the browser's calls fail with Qdrant's reason, never a 200.
    let without = Dashboard::start(&kato, &[("QDRANT_GRPC_URL", url.as_str())]).await;
    let (_, features) = without.get("/api/v1/databases/features").await;
    assert_eq!(features["qdrant"]["available"], false, "{features}");
    let reason = features["qdrant"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("api-key"), "{features}");
    let (status, body) = without.get(&format!("{BASE}/collections")).await;
    assert!(status >= 400, "{status} {body}");
    assert!(body.to_string().contains("api-key"), "{body}");

    // With it: everything answers.
    let with = Dashboard::start(
        &kato,
        &[("QDRANT_GRPC_URL", url.as_str()), ("QDRANT_API_KEY", KEY)],
    )
    .await;
    let (_, features) = with.get("/api/v1/databases/features").await;
    assert_eq!(features["qdrant"]["available"], true, "{features}");
    let (status, body) = with.get(&format!("{BASE}/collections")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 4);
}

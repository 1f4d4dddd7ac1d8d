//! The MongoDB browser end to end: the real server against `nx-27017` (a MongoDB wire-protocol server from
//! PyPI, installed into a venv by the fixture) loaded with what KATO d1391ac really stores. Every endpoint:
//! knowledge bases, collections with statistics, pattern paging/sort/search, symbols, documents with JSON
//! filters, ObjectId and string ids, statistics, and the admin rules for edits, deletes and drops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
async fn patterns_page_sort_and_search_on_the_server() {
    let (_mongo, dash) = setup(&[]).await;
    let base = format!("/api/v1/databases/mongodb/{DB}/patterns");
    // Pages of 10: 10, 10, 2; together every pattern once.
    let mut seen = BTreeSet::new();
    for (skip, len, more) in [
        (0, 10, true),
        (10, 10, true),
        (20, 2, false),
        (22, 0, false),
        (50, 0, false),
    ] {
        let (status, page) = dash.get(&format!("{base}?skip={skip}&limit=10")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            page["patterns"].as_array().unwrap().len(),
            len,
            "skip {skip}"
        );
        assert_eq!(
            (page["total"].as_u64(), page["has_more"].as_bool()),
            (Some(22), Some(more))
        );
        seen.extend(names(&page, "patterns"));
    }
    assert_eq!(seen.len(), 22);
    let fixture_names: BTreeSet<String> = fixture(DB, "patterns_kb")
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, fixture_names);

    // Every field a pattern has, ObjectId as hex.
    let (_, page) = dash.get(&format!("{base}?limit=1")).await;
    let p = &page["patterns"][0];
    for field in [
        "_id",
        "name",
        "pattern_data",
        "length",
        "frequency",
        "emotives",
        "metadata",
    ] {
        assert!(!p[field].is_null(), "{field} missing: {p}");
    }
    assert_eq!(p["_id"].as_str().unwrap().len(), 24);
    assert_eq!(p["frequency"], 5, "default sort: frequency descending");

    let field_of = |page: &Value, f: &str| -> Vec<i64> {
        page["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[f].as_i64().unwrap())
            .collect()
    };
    let (_, asc) = dash
        .get(&format!("{base}?limit=100&sort_by=frequency&sort_order=1"))
        .await;
    assert!(field_of(&asc, "frequency").windows(2).all(|w| w[0] <= w[1]));
    let (_, by_len) = dash
        .get(&format!("{base}?limit=100&sort_by=length&sort_order=desc"))
        .await;
    let lens = field_of(&by_len, "length");
    assert!(
        lens.windows(2).all(|w| w[0] >= w[1]) && lens[0] == 17,
        "{lens:?}"
    );
    let (_, by_name) = dash
        .get(&format!("{base}?limit=100&sort_by=name&sort_order=asc"))
        .await;
    let sorted = names(&by_name, "patterns");
    assert_eq!(sorted, fixture_names.iter().cloned().collect::<Vec<_>>());

    // Search: a name prefix, a substring, and regex metacharacters matched literally.
    let first = &sorted[0];
    let (_, hit) = dash
        .get(&format!("{base}?search={}&search_mode=prefix", &first[..6]))
        .await;
    assert!(names(&hit, "patterns").contains(first));
    assert!(
        names(&hit, "patterns")
            .iter()
            .all(|n| n.starts_with(&first[..6]))
    );
    let middle = &first[10..18];
    let (_, hit) = dash.get(&format!("{base}?search={middle}")).await;
    assert!(
        names(&hit, "patterns").iter().all(|n| n.contains(middle))
            && hit["total"].as_u64() >= Some(1)
    );
    let (status, none) = dash.get(&format!("{base}?search=.%2A")).await;
    assert_eq!(
        (status, none["total"].as_u64()),
        (200, Some(0)),
        "`.*` is literal text"
    );

    for bad in [
        "sort_order=0",
        "limit=0",
        "limit=1001",
        "sort_by=bogus",
        "search_mode=fuzzy",
    ] {
        let (status, body) = dash.get(&format!("{base}?{bad}")).await;
        assert!(status == 400 || status == 422, "{bad}: {status} {body}");
    }

    // Symbols: same paging, their own fields.
    let (status, syms) = dash
        .get(&format!(
            "/api/v1/databases/mongodb/{DB}/symbols?limit=5&sort_by=frequency"
        ))
        .await;
    assert_eq!(status, 200, "{syms}");
    assert_eq!(syms["total"], 39);
    assert_eq!(syms["symbols"][0]["frequency"], 31);
    assert!(syms["symbols"][0]["pattern_member_frequency"].is_number());
    let (status, _) = dash
        .get(&format!(
            "/api/v1/databases/mongodb/{DB}/symbols?sort_by=length"
        ))
        .await;
    assert_eq!(status, 400);
    let id = syms["symbols"][0]["_id"].as_str().unwrap();
    let (status, sym) = dash
        .get(&format!("/api/v1/databases/mongodb/{DB}/symbols/{id}"))
        .await;
    assert_eq!((status, &sym["_id"]), (200, &json!(id)));
}

#[tokio::test]
async fn documents_filters_and_object_id_or_string_ids() {
    let (mongo, dash) = setup(&[]).await;
    let base = format!("/api/v1/databases/mongodb/{DB}/collections/symbols_kb/documents");
    let expected = fixture(DB, "symbols_kb")
        .iter()
        .filter(|s| s["frequency"].as_i64().unwrap() >= 3)
        .count();
    let filter = urlencode(r#"{"frequency": {"$gte": 3}}"#);
    let (status, page) = dash
        .get(&format!(
            "{base}?filter={filter}&limit=1000&sort_by=frequency&sort_order=-1"
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"].as_u64().unwrap() as usize, expected);
    assert_eq!(page["collection_name"], "symbols_kb");
    assert!(
        page["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["frequency"].as_i64().unwrap() >= 3)
    );

    // Extended JSON in filters: an ObjectId.
    let first = fixture(DB, "symbols_kb")[0].clone();
    let oid = first["_id"].as_str().unwrap();
    let filter = urlencode(&format!(r#"{{"_id": {{"$oid": "{oid}"}}}}"#));
    let (_, page) = dash.get(&format!("{base}?filter={filter}")).await;
    assert_eq!(page["total"], 1);

    for bad in [
        r#"{"$where": "this.frequency > 1"}"#,
        r#"{"$expr": {"$function": {"body": "return true", "args": [], "lang": "js"}}}"#,
        r#"{"frequency": {"$gte": 1}, "$and": [{"$accumulator": {}}]}"#,
        "not json",
        "[1, 2]",
    ] {
        let (status, body) = dash.get(&format!("{base}?filter={}", urlencode(bad))).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let huge = format!(r#"{{"name": "{}"}}"#, "x".repeat(10_000));
    let (status, _) = dash
        .http
        .get(dash.url(&base))
        .query(&[("filter", huge)])
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 400, "oversized filter");

    // ObjectId ids (KATO's): detail by hex. The old dashboard matched strings and found nothing.
    let (status, doc) = dash.get(&format!("{base}/{oid}")).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!((&doc["_id"], &doc["name"]), (&json!(oid), &first["name"]));
    let (status, _) = dash.get(&format!("{base}/{}", "0".repeat(24))).await;
    assert_eq!(status, 404);

    // String ids, including one that looks like an ObjectId.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(DB)).unwrap();
    std::fs::write(
        dir.path().join(DB).join("notes_kb.json"),
        r#"[{"_id": "note-1", "text": "plain string id"}, {"_id": "aaaaaaaaaaaaaaaaaaaaaaaa", "text": "hex-looking string id"}]"#,
    )
    .unwrap();
    assert_eq!(mongo.load(dir.path()).unwrap(), 2);
    let notes = format!("/api/v1/databases/mongodb/{DB}/collections/notes_kb/documents");
    let (status, doc) = dash.get(&format!("{notes}/note-1")).await;
    assert_eq!((status, &doc["text"]), (200, &json!("plain string id")));
    let (status, doc) = dash.get(&format!("{notes}/aaaaaaaaaaaaaaaaaaaaaaaa")).await;
    assert_eq!(
        (status, &doc["text"]),
        (200, &json!("hex-looking string id"))
    );
    let (status, _) = dash.get(&format!("{notes}/note-2")).await;
    assert_eq!(status, 404);
}

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
    let (status, f) = dash.get("/api/v1/databases/features").await;
    assert_eq!(status, 200);
    assert_eq!(
        (f["mongodb"]["available"].as_bool(), f["admin"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(f["mongodb"]["reason"].is_string());
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

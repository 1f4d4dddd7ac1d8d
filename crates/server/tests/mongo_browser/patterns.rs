//! Patterns, symbols and documents: paging, sort, search, JSON filters, ObjectId and string ids.

use super::*;

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

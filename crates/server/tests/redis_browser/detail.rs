//! Key detail for every type, paging of big values, TTLs left alone, odd and binary keys.

use super::*;

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

//! Patterns: every page of a sort holds each pattern once, in the order the recorded data says; search covers
//! the whole knowledge base; one pattern equals KATO's own `/pattern/{id}` answer; statistics add up to the
//! README's figures; bad input is a JSON 4xx.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{BASE, enc, ok, redis_keys, rows, setup};

const KB: &str = "sensor_alpha_kato";

/// Name → frequency, from the recorded Redis keys.
fn frequencies(kb: &str) -> BTreeMap<String, u64> {
    let prefix = format!("{kb}:frequency:");
    redis_keys()
        .into_iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix(&prefix)?.to_owned();
            Some((name, v["value"].as_str()?.parse().ok()?))
        })
        .collect()
}

/// Every page of `query` (limit 100), concatenated: the names, and the totals each page reported.
async fn all_pages(dash: &super::support::Dashboard, query: &str) -> (Vec<String>, BTreeSet<u64>) {
    let (mut names, mut totals) = (Vec::new(), BTreeSet::new());
    for skip in (0..).step_by(100) {
        let page = ok(
            dash,
            &format!("{BASE}/patterns/{KB}/patterns?limit=100&skip={skip}&{query}"),
        )
        .await;
        totals.insert(page["total"].as_u64().unwrap());
        let got: Vec<String> = page["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        names.extend(got);
        if page["has_more"] == false {
            break;
        }
    }
    (names, totals)
}

#[tokio::test]
async fn pages_sort_and_search_over_the_whole_knowledge_base() {
    let s = setup(&[]).await;
    let recorded = rows(KB);
    let freq = frequencies(KB);
    assert_eq!(freq.len(), 356);

    // Frequency (the default), descending, ties by name: exactly the recorded order, every pattern once.
    let mut expected: Vec<(u64, String)> = freq.iter().map(|(n, f)| (*f, n.clone())).collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let (names, totals) = all_pages(&s.dash, "").await;
    assert_eq!(totals, BTreeSet::from([356]));
    assert_eq!(
        names,
        expected.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>()
    );
    let first = ok(&s.dash, &format!("{BASE}/patterns/{KB}/patterns?limit=3")).await;
    assert_eq!(first["patterns"][0]["frequency"], 6, "{first}");
    assert_eq!(first["sort_by"], "frequency");
    assert_eq!(first["sort_order"], "desc");

    // Length ascending (ties by name), and created_at / name / token_count answer complete too.
    let mut by_length: Vec<(u64, String)> = recorded
        .iter()
        .map(|r| {
            (
                r["length"].as_u64().unwrap(),
                r["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by_length.sort();
    let (names, _) = all_pages(&s.dash, "sort_by=length&sort_order=asc").await;
    assert_eq!(
        names,
        by_length.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>()
    );
    for sort in ["time", "name&sort_order=1", "token_count"] {
        let (names, _) = all_pages(&s.dash, &format!("sort_by={sort}")).await;
        assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), 356, "{sort}");
    }
    let page = ok(
        &s.dash,
        &format!("{BASE}/patterns/{KB}/patterns?sort_by=length&limit=1"),
    )
    .await;
    let p = &page["patterns"][0];
    assert_eq!(p["length"], 31);
    assert_eq!(p["_id"], p["name"]);
    assert!(
        p["frequency"].as_u64().is_some(),
        "Redis adds the frequency: {p}"
    );

    // The pattern last in frequency order is found by a search of part of its name, on page one.
    let last = &expected.last().unwrap().1;
    let found = ok(
        &s.dash,
        &format!("{BASE}/patterns/{KB}/patterns?search={}", &last[5..17]),
    )
    .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["patterns"][0]["name"], last.as_str());
    // Search covers symbols, ignores case, and `%`/`_` are literal.
    let with_symbol = recorded
        .iter()
        .filter(|r| {
            r["token_set"]
                .as_array()
                .unwrap()
                .contains(&json!("vib:strong"))
        })
        .count();
    let found = ok(
        &s.dash,
        &format!("{BASE}/patterns/{KB}/patterns?search=VIB%3ASTRONG&limit=1000&sort_by=name"),
    )
    .await;
    assert_eq!(found["total"], with_symbol);
    assert_eq!(found["patterns"].as_array().unwrap().len(), with_symbol);
    for literal in ["%25", "_", "vib%25strong"] {
        let none = ok(
            &s.dash,
            &format!("{BASE}/patterns/{KB}/patterns?search={literal}"),
        )
        .await;
        assert_eq!(none["total"], 0, "{literal}: {none}");
    }
    s.dash.stop().await;
}

#[tokio::test]
async fn one_pattern_equals_katos_answer_and_statistics_add_up() {
    let s = setup(&[]).await;
    let recorded_keys = redis_keys();
    for (kb, file) in [
        ("sensor_alpha_kato", "pattern_sensor-alpha.json"),
        ("planner_kato", "pattern_planner.json"),
    ] {
        let kato = &super::fixture(&format!("api/{file}"))["pattern"]["pattern"];
        let name = kato["name"].as_str().unwrap();
        for asked in [name, name.trim_start_matches("PTRN|")] {
            let ours = ok(
                &s.dash,
                &format!("{BASE}/patterns/{kb}/patterns/{}", enc(asked)),
            )
            .await;
            assert_eq!(ours["kato_name"], name);
            for field in [
                "pattern_data",
                "length",
                "frequency",
                "emotives",
                "metadata",
            ] {
                assert_eq!(ours[field], kato[field], "{kb} {field}");
            }
            assert_eq!(ours["minhash_sig"].as_array().unwrap().len(), 100);
            assert_eq!(ours["lsh_bands"].as_array().unwrap().len(), 20);
            assert!(ours["lsh_bands"][0].is_string(), "UInt64 as text");
            // The finalize-training metrics are there exactly when KATO wrote them (not for later learns).
            let bare = name.trim_start_matches("PTRN|");
            let finalized = recorded_keys.contains_key(&format!("{kb}:entropy:{bare}"));
            assert_eq!(ours["entropy"].is_number(), finalized, "{kb}");
            assert_eq!(ours["tf_vector"].is_object(), finalized, "{kb}");
            assert_eq!(ours["sources"]["redis"]["available"], true);
        }
    }
    // KATO answers 200 with status "error" for a pattern of another node; the dashboard says 404.
    let (status, body) = s
        .dash
        .get(&format!(
            "{BASE}/patterns/chat_bot_kato/patterns/5e129c416bbdb2213dab485b1ebe7b9003dcee6e"
        ))
        .await;
    assert_eq!(status, 404, "{body}");

    let stats = ok(&s.dash, &format!("{BASE}/patterns/{KB}/statistics")).await;
    assert_eq!(stats["total_patterns"], 356);
    assert_eq!(
        (stats["min_length"].as_u64(), stats["max_length"].as_u64()),
        (Some(2), Some(31))
    );
    // README: frequency × count 1×343, 2×3, 3×1, 5×6, 6×3 (Σ 400); KATO's own total counts new patterns only.
    let f = &stats["frequency"];
    assert_eq!(f["total"], 400);
    assert_eq!(
        f["distribution"],
        json!([{"frequency": 1, "count": 343}, {"frequency": 2, "count": 3}, {"frequency": 3, "count": 1},
               {"frequency": 5, "count": 6}, {"frequency": 6, "count": 3}])
    );
    assert_eq!(stats["redis_totals"]["total_pattern_frequencies"], 356);
    assert_eq!(stats["symbols"]["total_symbols"], 39);
    assert_eq!(
        stats["vectors"],
        json!({"collection": "vectors_sensor_alpha_kato", "exists": true, "points": 22})
    );
    let events: u64 = stats["event_distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(events, 356);
    assert_eq!(
        stats["event_distribution"][0]["events"], 2,
        "no one-event patterns in sensor-alpha"
    );
    for (kb, total) in [
        ("chat_bot_kato", 39),
        ("vision_1_kato", 32),
        ("planner_kato", 43),
    ] {
        let stats = ok(&s.dash, &format!("{BASE}/patterns/{kb}/statistics")).await;
        assert_eq!(stats["frequency"]["total"], total, "{kb}");
    }
    s.dash.stop().await;
}

#[tokio::test]
async fn bad_input_is_a_json_4xx() {
    let s = setup(&[]).await;
    let cases: Vec<(String, u16)> = vec![
        (format!("{BASE}/patterns/no_such_kato/patterns"), 404),
        (
            format!("{BASE}/patterns/no_such_kato/patterns?sort_by=length"),
            404,
        ),
        (format!("{BASE}/patterns/no_such_kato/statistics"), 404),
        (format!("{BASE}/patterns/{KB}/patterns/0000"), 404),
        (format!("{BASE}/symbols/no_such_kato"), 404),
        (format!("{BASE}/symbols/{KB}/affinity/no:such"), 404),
        (format!("{BASE}/patterns/a%3Ab/patterns"), 400),
        (format!("{BASE}/patterns/{KB}/patterns?limit=0"), 400),
        (format!("{BASE}/patterns/{KB}/patterns?limit=1001"), 400),
        (
            format!("{BASE}/patterns/{KB}/patterns?skip=9223372036854775808"),
            400,
        ),
        (
            format!("{BASE}/patterns/{KB}/patterns?sort_by=minhash_sig"),
            400,
        ),
        (format!("{BASE}/patterns/{KB}/patterns?sort_order=up"), 400),
        (format!("{BASE}/patterns/{KB}/patterns?search=%00"), 400),
        (format!("{BASE}/patterns/{KB}/patterns/%00"), 400),
        (format!("{BASE}/symbols/{KB}?sort_by=affinity"), 400),
        (format!("{BASE}/patterns/{KB}/patterns?skip=-1"), 422),
        (format!("{BASE}/patterns/{KB}/patterns?limit=abc"), 422),
    ];
    for (path, code) in cases {
        let (status, body) = s.dash.get(&path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}: {body}"
        );
    }
    let empty = ok(
        &s.dash,
        &format!("{BASE}/patterns/{KB}/patterns?skip=1000&sort_by=name"),
    )
    .await;
    assert_eq!(
        (empty["total"].as_u64(), empty["has_more"].as_bool()),
        (Some(356), Some(false))
    );
    assert_eq!(empty["patterns"], Value::Array(vec![]));
    s.dash.stop().await;
}

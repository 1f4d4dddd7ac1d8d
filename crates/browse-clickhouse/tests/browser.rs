//! The browser against the real ClickHouse engine (chDB behind the HTTP interface, `testkit::ClickHouseServer`)
//! loaded with what KATO c584167 stored: knowledge bases, paging and sorting over the whole table, literal search,
//! a pattern in full, statistics, credentials, and a knowledge-base drop that leaves the others alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use kato_dashboard_browse_clickhouse::{
    ClickHouseBrowseError, ClickHouseBrowser, ClickHouseConfig, PatternQuery, SortKey, SortOrder,
};
use kato_dashboard_testkit::{ClickHouseOptions, ClickHouseServer, kato_fixtures_dir};
use serde_json::Value;

fn browser(server: &ClickHouseServer, password: Option<&str>) -> ClickHouseBrowser {
    ClickHouseBrowser::new(&ClickHouseConfig {
        url: server.url(),
        database: "kato".into(),
        user: None,
        password: password.map(str::to_owned),
    })
}

/// The recorded rows of one knowledge base.
fn rows(kb: &str) -> Vec<Value> {
    let path = kato_fixtures_dir().join("stores-c584167/clickhouse/kato.patterns_data.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kb_id"] == kb)
        .collect()
}

#[tokio::test]
async fn reads_what_kato_stored() {
    let server = ClickHouseServer::start_with_kato_fixture().expect("chDB starts with KATO's rows");
    let ch = browser(&server, None);
    assert_eq!(ch.ping().await.unwrap(), "26.9.2.1");

    let kbs = ch.knowledge_bases().await.unwrap();
    let counts: BTreeMap<&str, u64> = kbs.iter().map(|k| (k.kb_id.as_str(), k.patterns)).collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("chat_bot_kato", 27),
            ("planner_kato", 30),
            ("sensor_alpha_kato", 356),
            ("vision_1_kato", 27)
        ])
    );
    let sensor = kbs.iter().find(|k| k.kb_id == "sensor_alpha_kato").unwrap();
    assert_eq!((sensor.min_length, sensor.max_length), (2, 31));

    // Every page by length, ascending, concatenated: each row once, in (length, name) order.
    let recorded = rows("sensor_alpha_kato");
    let mut expected: Vec<(u64, String)> = recorded
        .iter()
        .map(|r| {
            (
                r["length"].as_u64().unwrap(),
                r["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort();
    let mut seen = Vec::new();
    for skip in (0..400).step_by(100) {
        let q = PatternQuery {
            skip,
            limit: 100,
            sort_by: SortKey::Length,
            sort_order: SortOrder::Asc,
            search: None,
        };
        let page = ch.patterns("sensor_alpha_kato", &q).await.unwrap();
        assert_eq!(page.total, 356);
        seen.extend(
            page.patterns
                .into_iter()
                .map(|p| (u64::from(p.length), p.name)),
        );
    }
    assert_eq!(seen, expected);

    // Search is literal and covers names and symbols; `%` and `_` are not wildcards.
    let temp_high = recorded
        .iter()
        .filter(|r| {
            r["token_set"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "temp:high")
        })
        .count() as u64;
    assert!(temp_high > 0);
    assert_eq!(
        ch.pattern_count("sensor_alpha_kato", Some("TEMP:HIGH"))
            .await
            .unwrap(),
        temp_high
    );
    assert_eq!(
        ch.pattern_count("sensor_alpha_kato", Some("%"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        ch.pattern_count("sensor_alpha_kato", Some("temp_high"))
            .await
            .unwrap(),
        0
    );
    let last = &expected.last().unwrap().1;
    let names = ch
        .pattern_names("sensor_alpha_kato", Some(&last[..12]))
        .await
        .unwrap();
    assert!(names.contains(last), "{names:?}");

    // One pattern in full, with or without PTRN|.
    let row = &recorded[0];
    let name = row["name"].as_str().unwrap();
    let full = ch
        .pattern("sensor_alpha_kato", &format!("PTRN|{name}"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&full.summary.pattern_data).unwrap(),
        row["pattern_data"]
    );
    assert_eq!(full.minhash_sig.len(), 100);
    let bands: Vec<String> = row["lsh_bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.to_string())
        .collect();
    assert_eq!(full.lsh_bands, bands, "UInt64 above 2^53 kept exactly");
    assert_eq!(
        full.summary.created_at,
        row["created_at"].as_str().unwrap().replace(' ', "T") + "Z"
    );
    let by_name = ch
        .patterns_by_name("sensor_alpha_kato", &[last.clone(), name.to_owned()])
        .await
        .unwrap();
    assert_eq!(
        by_name.iter().map(|p| &p.name).collect::<Vec<_>>(),
        [last, &name.to_owned()]
    );

    let stats = ch.statistics("planner_kato").await.unwrap();
    assert_eq!(stats.figures.patterns, 30);
    let one_event = stats
        .event_distribution
        .iter()
        .find(|c| c.value == 1)
        .unwrap();
    assert_eq!(
        one_event.count, 14,
        "the README's one-event planner patterns"
    );

    for err in [
        ch.pattern("sensor_alpha_kato", "0000").await.unwrap_err(),
        ch.statistics("no_such_kato").await.unwrap_err(),
    ] {
        assert!(matches!(err, ClickHouseBrowseError::NotFound(_)), "{err}");
    }
    for err in [
        ch.pattern_count("a:b", None).await.unwrap_err(),
        ch.patterns(
            "x",
            &PatternQuery {
                limit: 0,
                ..Default::default()
            },
        )
        .await
        .unwrap_err(),
    ] {
        assert!(matches!(err, ClickHouseBrowseError::BadRequest(_)), "{err}");
    }
}

#[tokio::test]
async fn dropping_a_knowledge_base_removes_its_partition_only() {
    let server = ClickHouseServer::start_with_kato_fixture().expect("chDB starts with KATO's rows");
    let ch = browser(&server, None);
    let plan = ch.knowledge_base_rows("vision_1_kato").await.unwrap();
    assert_eq!(plan.rows, 27);
    let tables: Vec<&str> = plan.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(tables, ["lsh_buckets", "pattern_stats", "patterns_data"]);
    assert_eq!(
        plan.tables[2].statement,
        "ALTER TABLE kato.patterns_data DROP PARTITION 'vision_1_kato'"
    );
    let done = ch.drop_knowledge_base("vision_1_kato").await.unwrap();
    assert_eq!(done, plan, "the dry run said exactly what went");
    assert_eq!(
        ch.knowledge_base_rows("vision_1_kato").await.unwrap().rows,
        0
    );
    let left = server
        .query(
            "SELECT kb_id, count() FROM kato.patterns_data GROUP BY kb_id ORDER BY kb_id",
            None,
        )
        .unwrap();
    assert_eq!(
        left,
        "chat_bot_kato\t27\nplanner_kato\t30\nsensor_alpha_kato\t356\n"
    );
    // A kb_id is never SQL: one KATO cannot produce is refused, a quote in one it can is bound as a literal.
    let refused = ch
        .drop_knowledge_base("x'); DROP TABLE patterns_data; --")
        .await;
    assert!(matches!(refused, Err(ClickHouseBrowseError::BadRequest(_))));
    let quoted = ch.drop_knowledge_base("o'hara_kato").await.unwrap();
    assert_eq!(quoted.rows, 0);
    assert!(
        quoted.tables[2]
            .statement
            .ends_with("DROP PARTITION 'o\\'hara_kato'"),
        "{quoted:?}"
    );
    assert_eq!(ch.knowledge_bases().await.unwrap().len(), 3);
}

#[tokio::test]
async fn credentials_are_sent_and_a_wrong_password_is_told() {
    let server = ClickHouseServer::start_with(&ClickHouseOptions {
        kato_fixture: true,
        password: Some("ch-pass-123".into()),
    })
    .expect("chDB starts");
    assert!(browser(&server, Some("ch-pass-123")).ping().await.is_ok());
    let err = browser(&server, Some("wrong")).ping().await.unwrap_err();
    assert!(
        matches!(err, ClickHouseBrowseError::Unavailable(_)),
        "{err}"
    );
    assert!(err.to_string().contains("CLICKHOUSE_PASSWORD"), "{err}");
    // user:password in the URL are used too, and never sent in it.
    let in_url = ClickHouseBrowser::new(&ClickHouseConfig {
        url: format!("http://default:ch-pass-123@127.0.0.1:{}", server.port()),
        database: "kato".into(),
        ..Default::default()
    });
    assert_eq!(in_url.knowledge_bases().await.unwrap().len(), 4);
    let missing_db = ClickHouseBrowser::new(&ClickHouseConfig {
        url: server.url(),
        database: "nope".into(),
        user: None,
        password: Some("ch-pass-123".into()),
    });
    let err = missing_db.knowledge_bases().await.unwrap_err();
    assert!(matches!(err, ClickHouseBrowseError::NotFound(_)), "{err}");
}

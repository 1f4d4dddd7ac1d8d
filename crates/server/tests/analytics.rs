//! The old dashboard's seven `/api/v1/analytics/*` endpoints end to end, in their old shapes with real figures:
//! pattern frequencies from a recorded KATO 1.x MongoDB (`nx-27017`) and a recorded KATO 3.x ClickHouse (chDB) +
//! Redis; session counts and lifetimes from the history after sessions are created and deleted on kato-sim;
//! the performance time series as an array; the knowledge-base sampler's `kb.*` series; bad parameters; and
//! stores that are down (the answer degrades and names them) or a history that is off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analytics_support;
#[path = "analytics_support/history.rs"]
mod history;
mod support;

use std::time::Duration;

use analytics_support::{clickhouse_patterns, latest, mongo_documents, mongo_patterns, ok, top};
use kato_dashboard_testkit::{
    ClickHouseServer, MongoServer, RedisServer, kato_fixtures_dir, qdrant::QdrantTestServer,
};
use serde_json::{Value, json};
use support::{Dashboard, closed_port, wait_for};

const SEC: Duration = Duration::from_secs(1);
const A: &str = "/api/v1/analytics";
const MONGO_KBS: [&str; 4] = [
    "chat_bot_kato",
    "planner_kato",
    "sensor_alpha_kato",
    "vision_1_kato",
];
const ACTIONS: [&str; 4] = [
    "Critical: Consider scaling resources immediately",
    "Warning: Monitor closely, consider scaling soon",
    "Approaching capacity: Plan for scaling",
    "Normal: System operating within normal parameters",
];

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn kato_1x_patterns_and_sizes_come_from_mongodb() {
    let mongo = MongoServer::start_with_kato_fixture()
        .expect("nx-27017 installs, starts and loads the KATO fixture");
    // KATO is down: its generation is unknown, so the analytics use whichever store answers.
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let url = mongo.url();
    let dash = Dashboard::start(
        &kato,
        &[("MONGO_URL", &url), ("HISTORY_KB_SAMPLE_SECONDS", "1")],
    )
    .await;

    let one = ok(
        &dash,
        &format!("{A}/patterns/frequency?processor_id=sensor_alpha_kato&limit=5"),
    )
    .await;
    let expected = top(
        &[("sensor_alpha_kato", mongo_patterns("sensor_alpha_kato"))],
        5,
    );
    assert_eq!(one["patterns"], json!(expected), "{one}");
    assert_eq!(
        one["patterns"][0]["frequency"], 5,
        "the recorded top pattern"
    );
    assert_eq!(one["processor_id"], "sensor_alpha_kato");
    assert_eq!(one["total_patterns"], 22);
    assert_eq!(one["source"], "mongodb");

    let all = ok(&dash, &format!("{A}/patterns/frequency?limit=10")).await;
    let kbs: Vec<(&str, _)> = MONGO_KBS
        .iter()
        .map(|kb| (*kb, mongo_patterns(kb)))
        .collect();
    assert_eq!(all["patterns"], json!(top(&kbs, 10)), "{all}");
    assert_eq!(all["total_processors"], 4);
    assert_eq!(all["total_patterns_analyzed"], 40);
    let total: usize = kbs.iter().map(|(_, p)| p.len()).sum();
    assert_eq!(all["total_patterns"], total);
    let (status, missing) = dash
        .get(&format!("{A}/patterns/frequency?processor_id=no_such_kato"))
        .await;
    assert_eq!(status, 404, "{missing}");

    let stats = ok(&dash, &format!("{A}/database/statistics")).await;
    assert_eq!(keys(&stats), ["errors", "mongodb", "redis", "timestamp"]);
    assert_eq!(stats["mongodb"]["processors"], 4, "{stats}");
    assert_eq!(stats["mongodb"]["total_patterns"], total);
    assert_eq!(stats["mongodb"]["avg_patterns_per_processor"], 23.5);
    assert_eq!(stats["mongodb"]["source"], "mongodb");
    assert!(
        stats["errors"]["redis"].is_string(),
        "Redis is down: {stats}"
    );
    assert_eq!(stats["redis"]["total_keys"], 0);

    let overview = ok(&dash, &format!("{A}/overview")).await;
    assert_eq!(
        keys(&overview),
        [
            "errors",
            "performance",
            "processors",
            "redis",
            "resources",
            "sessions",
            "timestamp",
            "vector_collections"
        ]
    );
    assert_eq!(
        overview["processors"]["processor_ids"],
        json!(MONGO_KBS),
        "{overview}"
    );
    assert_eq!(overview["processors"]["total"], 4);
    assert_eq!(
        overview["redis"],
        json!({"connected_clients": 0, "used_memory_human": "unknown"})
    );
    for down in ["kato", "redis", "qdrant"] {
        assert!(overview["errors"][down].is_string(), "{down}: {overview}");
    }
    assert!(overview["errors"].get("mongodb").is_none(), "{overview}");

    let all20 = ok(&dash, &format!("{A}/comprehensive")).await;
    assert_eq!(all20["pattern_analysis"]["patterns"], json!(top(&kbs, 20)));
    assert_eq!(
        all20["database_statistics"]["mongodb"]["total_patterns"],
        total
    );
    assert!(all20["generated_at"].as_str().unwrap().ends_with('Z'));

    // The sampler wrote every knowledge base's sizes.
    let sizes = wait_for(15 * SEC, "kb.* sizes in the history", || async {
        let got = latest(&dash, "kb.*").await;
        (got.len() == 8).then_some(got)
    })
    .await;
    for kb in MONGO_KBS {
        let patterns = mongo_documents(kb, "patterns_kb").len() as f64;
        let symbols = mongo_documents(kb, "symbols_kb").len() as f64;
        assert_eq!(sizes[&format!("kb.{kb}.patterns")], patterns, "{sizes:?}");
        assert_eq!(sizes[&format!("kb.{kb}.symbols")], symbols, "{sizes:?}");
    }
    dash.stop().await;
}

#[tokio::test]
async fn kato_3x_patterns_come_from_clickhouse_and_redis() {
    let clickhouse = ClickHouseServer::start_with_kato_fixture()
        .expect("chDB installs, starts and loads KATO's patterns_data");
    let redis = RedisServer::start().expect("redis-server starts (apt-get install redis-server)");
    let dump = kato_fixtures_dir().join("stores-c584167/redis-keys.json");
    assert_eq!(
        redis.load_kato_dump(&dump).expect("redis-keys.json loads"),
        4008
    );
    let qdrant = QdrantTestServer::start_kato_c584167().expect("the Qdrant test server starts");
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let env = [
        ("CLICKHOUSE_URL", clickhouse.url()),
        ("REDIS_URL", redis.url()),
        ("QDRANT_GRPC_URL", qdrant.url()),
        ("HISTORY_KB_SAMPLE_SECONDS", "1".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dash = Dashboard::start(&kato, &env).await;

    let one = ok(
        &dash,
        &format!("{A}/patterns/frequency?processor_id=sensor_alpha_kato&limit=7"),
    )
    .await;
    let sensor = clickhouse_patterns("sensor_alpha_kato");
    assert_eq!(sensor.len(), 356);
    assert_eq!(
        one["patterns"],
        json!(top(&[("sensor_alpha_kato", sensor)], 7)),
        "{one}"
    );
    assert_eq!(one["patterns"][0]["frequency"], 6);
    assert_eq!(one["total_patterns"], 356);
    assert_eq!(one["source"], "clickhouse");

    let ids = [
        "chat_bot_kato",
        "planner_kato",
        "sensor_alpha_kato",
        "vision_1_kato",
    ];
    let kbs: Vec<(&str, _)> = ids
        .iter()
        .map(|kb| (*kb, clickhouse_patterns(kb)))
        .collect();
    let all = ok(&dash, &format!("{A}/patterns/frequency")).await;
    assert_eq!(all["patterns"], json!(top(&kbs, 20)), "{all}");
    assert_eq!(all["total_processors"], 4);
    assert_eq!(all["total_patterns"], 440);

    let stats = ok(&dash, &format!("{A}/database/statistics")).await;
    assert_eq!(stats["mongodb"]["source"], "clickhouse", "{stats}");
    assert_eq!(stats["mongodb"]["processors"], 4);
    assert_eq!(stats["mongodb"]["total_patterns"], 440);
    assert_eq!(stats["mongodb"]["avg_patterns_per_processor"], 110.0);
    // Every key of the recorded dump (a few session keys carry a TTL), not the old `db0` lookup's 0.
    let total_keys = stats["redis"]["total_keys"].as_u64().unwrap();
    assert!((3990..=4008).contains(&total_keys), "{stats}");
    assert!(stats["redis"]["connected_clients"].as_u64().unwrap() >= 1);
    assert!(
        stats["redis"]["used_memory"]
            .as_str()
            .unwrap()
            .ends_with(['K', 'M']),
        "{stats}"
    );
    assert_eq!(keys(&stats["errors"]), Vec::<&str>::new());

    let overview = ok(&dash, &format!("{A}/overview")).await;
    assert_eq!(
        overview["processors"]["processor_ids"],
        json!(ids),
        "{overview}"
    );
    assert_eq!(overview["vector_collections"]["total"], 5, "{overview}");
    assert!(
        overview["vector_collections"]["collections"]
            .as_array()
            .unwrap()
            .contains(&json!("vectors_sensor_alpha_kato"))
    );
    assert_ne!(overview["redis"]["used_memory_human"], "unknown");
    assert_eq!(
        keys(&overview["errors"]),
        ["kato"],
        "only KATO is down: {overview}"
    );

    let sizes = wait_for(15 * SEC, "kb.* sizes in the history", || async {
        let got = latest(&dash, "kb.*").await;
        (got.len() == 8).then_some(got)
    })
    .await;
    for (kb, patterns, symbols) in [
        ("chat_bot_kato", 27.0, 67.0),
        ("planner_kato", 30.0, 40.0),
        ("sensor_alpha_kato", 356.0, 39.0),
        ("vision_1_kato", 27.0, 90.0),
    ] {
        assert_eq!(sizes[&format!("kb.{kb}.patterns")], patterns, "{sizes:?}");
        assert_eq!(sizes[&format!("kb.{kb}.symbols")], symbols, "{sizes:?}");
    }
    dash.stop().await;
}

//! The history's side of the analytics: session counts and lifetimes after sessions are created and deleted on
//! kato-sim, the performance series as an array of points, the load against the configured capacity, a
//! pattern store that is down (503 naming it; the other answers degrade and say so); and, with the history off,
//! live values in the old shapes, plus bad parameters answered 422.

use serde_json::{Value, json};

use super::{A, ACTIONS, SEC, analytics_support::ok, keys};
use crate::support::{self, Dashboard, closed_port, wait_for};
use kato_dashboard_sim::Flavour;

#[tokio::test]
async fn sessions_and_performance_come_from_the_history() {
    let (redis, kato) = support::kato_with_redis(Flavour::V1).await;
    let url = redis.url();
    let dash = Dashboard::start(
        &kato.base_url(),
        &[("REDIS_URL", &url), ("ALERT_SESSIONS_THRESHOLD", "4")],
    )
    .await;

    // A few seconds of samples: the series is an array of points with the keys the old chart reads.
    let perf = wait_for(15 * SEC, "three points with KATO's CPU", || async {
        let (_, body) = dash
            .get(&format!("{A}/system/performance?period_minutes=15"))
            .await;
        let points = body["time_series"].as_array()?;
        (points
            .iter()
            .filter(|p| p["cpu_percent"].is_number())
            .count()
            >= 3)
            .then_some(body)
    })
    .await;
    let point = &perf["time_series"][0];
    assert_eq!(
        keys(point),
        [
            "active_sessions",
            "cpu_percent",
            "error_rate",
            "latency_ms",
            "memory_percent",
            "requests_per_second",
            "timestamp"
        ]
    );
    assert!(point["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(perf["period_minutes"], 15);
    assert_eq!(perf["history"]["available"], true);
    assert!(perf["current_metrics"]["cpu_percent"].is_number(), "{perf}");

    let alice = kato.create_session("dash-alice", Some(7200)).await.unwrap();
    let bob = kato.create_session("dash-bob", Some(7200)).await.unwrap();
    tokio::time::sleep(SEC).await;
    kato.delete_session(&alice).await.unwrap();
    let trends = wait_for(
        15 * SEC,
        "2 sessions created, 1 ended and timed",
        || async {
            let (_, body) = dash
                .get(&format!("{A}/sessions/duration?period_hours=2"))
                .await;
            (body["total_sessions"] == 2 && body["timed_sessions"] == 1).then_some(body)
        },
    )
    .await;
    assert_eq!(trends["ended_sessions"], 1, "{trends}");
    let minutes = trends["max_duration_minutes"].as_f64().unwrap();
    assert!(
        (0.0..1.0).contains(&minutes),
        "alice lived about a second: {trends}"
    );
    let hours = trends["sessions_by_hour"].as_array().unwrap();
    let label = hours.last().unwrap()["timestamp"].as_str().unwrap();
    assert!(
        label.len() == 16 && label.ends_with(":00") && label.as_bytes()[10] == b' ',
        "{label}"
    );
    let created: u64 = hours
        .iter()
        .map(|h| h["session_count"].as_u64().unwrap())
        .sum();
    assert_eq!(created, 2);

    let load = wait_for(
        10 * SEC,
        "one active session of a capacity of 4",
        || async {
            let (_, body) = dash.get(&format!("{A}/predictions/load")).await;
            (body["current_load"]["active_sessions"] == 1).then_some(body)
        },
    )
    .await;
    assert_eq!(load["predictions"]["estimated_sessions_capacity"], 4.0);
    assert_eq!(load["predictions"]["estimated_capacity_utilization"], 25.0);
    assert!(
        ["high", "moderate", "low"].contains(&load["trends"]["cpu_trend"].as_str().unwrap()),
        "{load}"
    );
    assert!(ACTIONS.contains(&load["predictions"]["recommended_action"].as_str().unwrap()));
    assert_eq!(load["history"]["available"], true);

    // MongoDB is down: no pattern can be read (503 naming it), the rest degrades and says so.
    let (status, body) = dash.get(&format!("{A}/patterns/frequency")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["upstream"], "mongodb");
    let overview = ok(&dash, &format!("{A}/overview")).await;
    assert_eq!(overview["sessions"]["active"], 1, "{overview}");
    assert_eq!(overview["sessions"]["total_created"], 2);
    assert!(
        overview["performance"]["average_response_time"].is_number(),
        "{overview}"
    );
    assert!(overview["errors"]["mongodb"].is_string());
    assert_eq!(
        overview["processors"],
        json!({"total": 0, "processor_ids": [], "source": null})
    );
    let stats = ok(&dash, &format!("{A}/database/statistics")).await;
    assert!(
        stats["redis"]["total_keys"].as_u64().unwrap() >= 1,
        "bob's session key: {stats}"
    );
    let all = ok(
        &dash,
        &format!("{A}/comprehensive?session_period_hours=2&performance_period_minutes=5"),
    )
    .await;
    assert_eq!(all["pattern_analysis"], Value::Null);
    assert!(
        all["errors"]["pattern_analysis"]
            .as_str()
            .unwrap()
            .contains("mongodb is unavailable"),
        "{all}"
    );
    assert_eq!(all["session_trends"]["total_sessions"], 2);
    assert!(
        !all["performance_trends"]["time_series"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(all["load_prediction"]["current_load"]["active_sessions"], 1);
    kato.delete_session(&bob).await.unwrap();
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_422_and_no_history_means_live_values() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(
        &kato,
        &[
            ("HISTORY_ENABLED", "false"),
            ("HISTORY_KB_SAMPLE_SECONDS", "1"),
        ],
    )
    .await;
    for query in [
        "patterns/frequency?limit=0",
        "patterns/frequency?limit=101",
        "patterns/frequency?limit=ten",
        "sessions/duration?period_hours=0",
        "sessions/duration?period_hours=169",
        "system/performance?period_minutes=1441",
        "comprehensive?pattern_limit=0",
        "comprehensive?session_period_hours=200",
        "comprehensive?performance_period_minutes=-1",
    ] {
        let (status, body) = dash.get(&format!("{A}/{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body["detail"].is_string(), "{query}: {body}");
    }

    let sessions = ok(&dash, &format!("{A}/sessions/duration")).await;
    assert_eq!(sessions["period_hours"], 24);
    assert_eq!(sessions["total_sessions"], 0);
    assert_eq!(sessions["sessions_by_hour"], json!([]));
    assert_eq!(sessions["history"]["available"], false);
    assert!(
        sessions["history"]["reason"]
            .as_str()
            .unwrap()
            .contains("HISTORY_ENABLED")
    );
    let perf = ok(&dash, &format!("{A}/system/performance")).await;
    assert_eq!(
        perf["time_series"].as_array().unwrap().len(),
        1,
        "the live point: {perf}"
    );
    assert_eq!(
        perf["time_series"][0]["cpu_percent"],
        Value::Null,
        "KATO is down"
    );
    assert_eq!(perf["current_metrics"]["cpu_percent"], 0.0);
    assert!(perf["errors"]["kato"].is_string());
    let load = ok(&dash, &format!("{A}/predictions/load")).await;
    assert_eq!(
        load["trends"],
        json!({"cpu_trend": "unknown", "memory_trend": "unknown"})
    );
    assert_eq!(load["predictions"]["recommended_action"], ACTIONS[3]);
    assert_eq!(load["history"]["available"], false);

    // Every store is down: the overview still answers, naming each.
    let overview = ok(&dash, &format!("{A}/overview")).await;
    assert_eq!(
        keys(&overview["errors"]),
        ["clickhouse", "kato", "mongodb", "qdrant", "redis"],
        "{overview}"
    );
    assert_eq!(overview["processors"]["total"], 0);
    assert_eq!(
        overview["performance"],
        json!({}),
        "the old client reads its fields"
    );
    assert_eq!(
        overview["vector_collections"],
        json!({"total": 0, "collections": []})
    );
    let (status, body) = dash.get(&format!("{A}/patterns/frequency")).await;
    assert_eq!(status, 503, "{body}");
    // Without the history the sampler does not run, and the history says why.
    tokio::time::sleep(2 * SEC).await;
    let from = chrono::Utc::now().timestamp() - 60;
    let (status, _) = dash
        .get(&format!("/api/v1/system/history?series=kb.*&from={from}"))
        .await;
    assert_eq!(status, 503);
    dash.stop().await;
}

//! The REST API as a user sees it, against the KATO simulator (both generations) and against a KATO that is
//! down, restarting, slow or answering garbage.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use serde_json::Value;
use support::{Dashboard, closed_port, wait_for};

async fn sim(flavour: Flavour) -> Sim {
    Sim::start(SimConfig::idle(flavour), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("kato-sim starts")
}

#[tokio::test]
async fn proxies_show_kato_data_for_both_generations() {
    for (flavour, db, generation) in [
        (Flavour::V1, "mongodb", "v1"),
        (Flavour::V3, "clickhouse", "v3"),
    ] {
        let kato = sim(flavour).await;
        let dash = Dashboard::start(&kato.base_url(), &[]).await;

        let (status, health) = dash.get("/api/v1/system/kato-health").await;
        assert_eq!(status, 200, "{health}");
        assert!(health["uptime_seconds"].is_number(), "{health}");

        let (status, metrics) = dash.get("/api/v1/system/metrics").await;
        assert_eq!(status, 200);
        assert!(
            metrics["databases"][db].is_object(),
            "{flavour:?}: {metrics}"
        );

        let (status, stats) = dash.get("/api/v1/system/stats?minutes=5").await;
        assert_eq!(status, 200);
        assert!(stats["time_series"].is_object(), "{stats}");

        for path in [
            "/api/v1/system/cache-stats",
            "/api/v1/system/connection-pools",
            "/api/v1/system/distributed-stm",
        ] {
            assert_eq!(dash.get(path).await.0, 200, "{path}");
        }

        kato.create_session("node-a", None).await.unwrap();
        kato.create_session("node-b", Some(600)).await.unwrap();
        // v3 caches the count for 5 s per worker, as the real one does.
        wait_for(
            Duration::from_secs(8),
            "the session count to reach 2",
            || async {
                let (status, body) = dash.get("/api/v1/sessions/count").await;
                (status == 200 && body["active_session_count"] == 2).then_some(())
            },
        )
        .await;

        let (status, overall) = dash.get("/api/v1/health").await;
        assert_eq!(status, 200);
        assert_eq!(overall["upstreams"]["kato"]["status"], "up", "{overall}");
        assert_eq!(
            overall["upstreams"]["kato"]["details"]["generation"], generation,
            "{overall}"
        );
        assert_eq!(overall["upstreams"]["redis"]["status"], "down", "{overall}");
        assert_eq!(overall["status"], "degraded");
        let (strict, _) = dash.get("/api/v1/health?strict=true").await;
        assert_eq!(strict, 503, "strict health fails while an upstream is down");
        dash.stop().await;
        kato.shutdown().await;
    }
}

#[tokio::test]
async fn kato_down_is_a_503_with_the_reason_not_a_200() {
    let port = closed_port().await;
    let dash = Dashboard::start(&format!("http://127.0.0.1:{port}"), &[]).await;
    for path in [
        "/api/v1/system/metrics",
        "/api/v1/system/kato-health",
        "/api/v1/sessions/count",
        "/api/v1/system/stats",
    ] {
        let (status, body) = dash.get(path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("unavailable"),
            "{path}: {body}"
        );
        assert_eq!(body["upstream"], "kato");
    }
    let (status, health) = dash.get("/api/v1/health").await;
    assert_eq!(status, 200, "the dashboard itself is alive");
    assert_eq!(health["upstreams"]["kato"]["status"], "down");
    assert!(
        health["upstreams"]["kato"]["error"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{health}"
    );
    dash.stop().await;
}

#[tokio::test]
async fn slow_kato_times_out_quickly_with_504() {
    let kato = sim(Flavour::V1).await;
    let dash = Dashboard::start(&kato.base_url(), &[("KATO_TIMEOUT_SECONDS", "0.5")]).await;
    kato.slow(Duration::from_secs(30), Duration::from_secs(5));
    let started = Instant::now();
    let (status, body) = dash.get("/api/v1/system/metrics").await;
    let took = started.elapsed();
    assert_eq!(status, 504, "{body}");
    assert!(
        took < Duration::from_secs(2),
        "answered after {took:?}, not after the 0.5 s timeout"
    );
    assert!(body["detail"].as_str().unwrap().contains("0.5"), "{body}");
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn a_restarting_kato_is_unavailable_then_back() {
    let kato = sim(Flavour::V1).await;
    let dash = Dashboard::start(&kato.base_url(), &[]).await;
    assert_eq!(dash.get("/api/v1/system/metrics").await.0, 200);
    kato.restart(Duration::from_secs(3));
    wait_for(
        Duration::from_secs(3),
        "a 503 while KATO restarts",
        || async { (dash.get("/api/v1/system/metrics").await.0 == 503).then_some(()) },
    )
    .await;
    let body: Value = wait_for(
        Duration::from_secs(10),
        "KATO back after its restart",
        || async {
            let (status, body) = dash.get("/api/v1/system/kato-health").await;
            (status == 200).then_some(body)
        },
    )
    .await;
    assert!(
        body["uptime_seconds"].as_f64().unwrap() < 10.0,
        "uptime starts again after a restart: {body}"
    );
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn garbage_from_kato_is_a_502() {
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|| async { "<html>upstream proxy error</html>" }),
        )
        .route(
            "/health",
            axum::routing::get(|| async {
                axum::Json(serde_json::json!({"error": "Health check failed"}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dash = Dashboard::start(&format!("http://{addr}"), &[]).await;
    let (status, body) = dash.get("/api/v1/system/metrics").await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("unreadable"),
        "{body}"
    );
    dash.stop().await;
}

#[tokio::test]
async fn bad_parameters_and_paths_get_json_errors() {
    let kato = sim(Flavour::V1).await;
    let dash = Dashboard::start(&kato.base_url(), &[]).await;
    for path in [
        "/api/v1/system/stats?minutes=0",
        "/api/v1/system/stats?minutes=1441",
        "/api/v1/system/stats?minutes=abc",
    ] {
        let (status, body) = dash.get(path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("minutes"),
            "{path}: {body}"
        );
    }
    let (status, body) = dash.get("/api/v1/no-such-thing").await;
    assert_eq!(status, 404);
    assert!(body["detail"].is_string());
    dash.stop().await;
    kato.shutdown().await;
}

#[tokio::test]
async fn history_serves_the_last_minutes_of_the_chart_topics() {
    let kato = sim(Flavour::V1).await;
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("BROADCAST_INTERVAL", "0.25"),
            ("KATO_METRICS_INTERVAL_SECONDS", "0.25"),
        ],
    )
    .await;
    let body = wait_for(
        Duration::from_secs(10),
        "three metrics readings",
        || async {
            let (status, body) = dash.get("/api/v1/system/history?minutes=1").await;
            assert_eq!(status, 200, "{body}");
            (body["metrics"].as_array()?.len() >= 3).then_some(body)
        },
    )
    .await;
    let readings = body["metrics"].as_array().unwrap();
    // Each entry is a `metrics` value as the socket sends it, oldest first.
    assert!(readings.iter().all(|m| m["derived"].is_object()), "{body}");
    let times: Vec<f64> = readings
        .iter()
        .filter_map(|m| m["timestamp"].as_f64())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(body["containers"].is_array());
    for bad in ["0", "16", "x"] {
        let (status, _) = dash
            .get(&format!("/api/v1/system/history?minutes={bad}"))
            .await;
        assert!(status == 400 || status == 422, "minutes={bad}: {status}");
    }
    dash.stop().await;
}

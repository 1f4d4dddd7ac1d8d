//! `KatoClient` against in-test axum servers on loopback: timeouts, unreachable KATO, every
//! error shape, fallback bodies, garbage, path encoding, generation detection, accounting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kato_dashboard_kato::{
    KatoClient, KatoClientConfig, KatoError, NotFoundKind, SessionExistence,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{TestServer, fixture, refused_port};

fn json(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

fn client(server: &TestServer) -> KatoClient {
    KatoClient::new(KatoClientConfig::new(server.url())).unwrap()
}

#[tokio::test]
async fn timeout_fires_at_the_configured_time() {
    let router = Router::new().route(
        "/health",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(StatusCode::OK, "{}")
        }),
    );
    let server = TestServer::start(router).await;
    let timeout = Duration::from_millis(300);
    let kato = KatoClient::new(KatoClientConfig::new(server.url()).with_timeout(timeout)).unwrap();

    let started = Instant::now();
    let err = kato.health().await.unwrap_err();
    let elapsed = started.elapsed();

    assert!(
        matches!(err, KatoError::Timeout { timeout: t, .. } if t == timeout),
        "{err}"
    );
    assert!(err.is_unavailable() && err.is_timeout());
    assert_eq!(err.http_status_hint(), 504);
    assert!(elapsed >= timeout, "fired early: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "fired late: {elapsed:?}");
    assert_eq!(kato.request_stats().timeouts, 1);
}

#[tokio::test]
async fn timeout_covers_a_stalled_body() {
    let router = Router::new().route(
        "/metrics",
        get(|| async {
            let first = futures_util::stream::once(async {
                Ok::<_, std::io::Error>(Bytes::from_static(b"{\"sessions\":"))
            });
            let stalled = futures_util::StreamExt::chain(first, futures_util::stream::pending());
            Response::new(Body::from_stream(stalled))
        }),
    );
    let server = TestServer::start(router).await;
    let config = KatoClientConfig::new(server.url()).with_timeout(Duration::from_millis(300));
    let kato = KatoClient::new(config).unwrap();
    let started = Instant::now();
    let err = kato.metrics().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let addr = refused_port().await;
    let url = url::Url::parse(&format!("http://{addr}")).unwrap();
    let kato = KatoClient::new(KatoClientConfig::new(url.clone())).unwrap();
    let err = kato.session_count().await.unwrap_err();
    assert!(matches!(err, KatoError::Unreachable { .. }), "{err}");
    // The reason is the OS's, short: the URL is already in the message.
    assert_eq!(
        err.to_string(),
        format!("KATO is unreachable at {url}: cannot connect: Connection refused (os error 111)")
    );
    assert!(err.is_unavailable() && !err.is_timeout() && !err.is_client_error());
    assert_eq!(err.http_status_hint(), 503);
    let stats = kato.request_stats();
    assert_eq!((stats.requests, stats.failed, stats.unreachable), (1, 1, 1));
}

fn error_router() -> Router {
    Router::new()
        .route(
            "/sessions/{id}",
            get(|Path(id): Path<String>| async move {
                let detail =
                    serde_json::json!({"detail": format!("Session {id} not found or expired")});
                json(StatusCode::NOT_FOUND, detail.to_string())
            })
            .delete(|| async { json(StatusCode::NOT_FOUND, fixture("session_delete_404.json")) }),
        )
        .route(
            "/sessions/{id}/stm",
            get(|| async { json(StatusCode::NOT_FOUND, fixture("session_stm_404.json")) }),
        )
        .route(
            "/metrics/{name}",
            get(|| async {
                json(
                    StatusCode::NOT_FOUND,
                    fixture("metric_history_unknown_404.json"),
                )
            }),
        )
        .route(
            "/metrics",
            get(|| async {
                json(
                    StatusCode::OK,
                    r#"{"error": "Metrics collection failed: boom", "timestamp": 1.0}"#,
                )
            }),
        )
        .route(
            "/stats",
            get(|| async { json(StatusCode::OK, "<html>502 Bad Gateway</html>") }),
        )
        .route(
            "/health",
            get(|| async { json(StatusCode::OK, r#"{"status": 7}"#) }),
        )
        .route(
            "/status",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error") }),
        )
        .fallback(|| async {
            json(
                StatusCode::NOT_FOUND,
                fixture("c584167-supplement/unknown_path_404.json"),
            )
        })
}

#[tokio::test]
async fn not_found_bodies_of_both_shapes() {
    let server = TestServer::start(error_router()).await;
    let kato = client(&server);

    // `{"detail": "Session … not found or expired"}` (plain GET).
    let err = kato.session("session-gone-1").await.unwrap_err();
    assert!(err.is_session_not_found(), "{err}");
    assert!(matches!(&err, KatoError::NotFound { id, .. } if id == "session-gone-1"));
    assert_eq!(err.http_status_hint(), 404);

    // `{"error": {"code": "SESSION_NOT_FOUND", …}}` (session middleware).
    let err = kato
        .session_stm("session-00000000000000000000000000000000-0")
        .await
        .unwrap_err();
    assert!(err.is_session_not_found(), "{err}");
    assert_eq!(
        err.error_body().and_then(|b| b.code()),
        Some("SESSION_NOT_FOUND")
    );
    let err = kato
        .delete_session("session-00000000000000000000000000000000-0")
        .await
        .unwrap_err();
    assert!(err.is_session_not_found(), "{err}");

    let err = kato
        .metric_history("sessions_created", 600)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            KatoError::NotFound {
                kind: NotFoundKind::Metric,
                ..
            }
        ),
        "{err}"
    );

    // An unknown route is an HTTP error, not a missing session.
    let err = kato.get_json("/no-such-endpoint").await.unwrap_err();
    assert!(
        matches!(&err, KatoError::Http { status: 404, body: Some(b), .. } if b.is_route_not_found()),
        "{err}"
    );

    let stats = kato.request_stats();
    assert_eq!((stats.requests, stats.not_found, stats.failed), (5, 4, 1));
}

#[tokio::test]
async fn error_field_in_a_200_body_is_an_error() {
    let server = TestServer::start(error_router()).await;
    let kato = client(&server);
    let err = kato.metrics().await.unwrap_err();
    assert!(
        matches!(&err, KatoError::Upstream { message, .. } if message == "Metrics collection failed: boom"),
        "{err}"
    );
    assert!(err.is_upstream_fault() && !err.is_unavailable());
    // Pass-through applies the same rule.
    assert!(matches!(
        kato.get_json("/metrics").await,
        Err(KatoError::Upstream { .. })
    ));
    assert_eq!(kato.request_stats().upstream_errors, 2);
}

#[tokio::test]
async fn garbage_bodies_are_decode_errors_with_a_snippet() {
    let server = TestServer::start(error_router()).await;
    let kato = client(&server);
    let err = kato.stats(10).await.unwrap_err();
    assert!(
        matches!(&err, KatoError::Decode { snippet, .. } if snippet.starts_with("<html>502")),
        "{err}"
    );
    assert!(err.to_string().contains("/stats?minutes=10"), "{err}");
    // Valid JSON of the wrong shape.
    let err = kato.health().await.unwrap_err();
    assert!(
        matches!(&err, KatoError::Decode { snippet, .. } if snippet.contains("\"status\":7")),
        "{err}"
    );
    let err = kato.status().await.unwrap_err();
    assert!(
        matches!(&err, KatoError::Http { status: 500, message, .. } if message == "Internal Server Error"),
        "{err}"
    );
    assert_eq!(err.http_status_hint(), 502);
    assert_eq!(kato.request_stats().decode_errors, 2);
}

#[tokio::test]
async fn path_parameters_stay_one_segment() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let router = Router::new()
        .route(
            "/sessions/{id}/stm",
            get(|Path(id): Path<String>| async move {
                let body = serde_json::json!({"stm": [], "session_id": id, "length": 0});
                json(StatusCode::OK, body.to_string())
            }),
        )
        .layer(axum::middleware::from_fn(
            move |OriginalUri(uri): OriginalUri,
                  req: axum::extract::Request,
                  next: axum::middleware::Next| {
                log.lock().unwrap().push(uri.to_string());
                async move { next.run(req).await }
            },
        ))
        .fallback(|| async { json(StatusCode::NOT_FOUND, r#"{"detail": "Not Found"}"#) });
    let server = TestServer::start(router).await;
    let kato = client(&server);

    let tricky = "a/b?c#d e..f%2F";
    let stm = kato.session_stm(tricky).await.unwrap();
    assert_eq!(
        stm.session_id, tricky,
        "axum decoded the one segment back to the id"
    );
    assert_eq!(
        seen.lock().unwrap().last().map(String::as_str),
        Some("/sessions/a%2Fb%3Fc%23d%20e..f%252F/stm")
    );

    let stm = kato.session_stm("../../health").await.unwrap();
    assert_eq!(stm.session_id, "../../health");

    for bad in ["", ".", ".."] {
        let err = kato.session_stm(bad).await.unwrap_err();
        assert!(
            matches!(err, KatoError::InvalidRequest(_)),
            "{bad:?}: {err}"
        );
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "invalid ids never reach the server"
    );
    assert!(matches!(
        kato.get_json("//evil/x").await,
        Err(KatoError::InvalidRequest(_))
    ));
    assert_eq!(kato.request_stats().invalid_requests, 4);
}

/// A fake KATO whose `GET /` version can change under the client.
fn versioned_router(version: Arc<Mutex<&'static str>>, hits: Arc<Mutex<u32>>) -> Router {
    Router::new()
        .route(
            "/",
            get(move || {
                let version = *version.lock().unwrap();
                *hits.lock().unwrap() += 1;
                let mut body: serde_json::Value =
                    serde_json::from_str(&fixture("root.json")).unwrap();
                body["version"] = version.into();
                async move { json(StatusCode::OK, body.to_string()) }
            }),
        )
        .route(
            "/metrics",
            get(|| async { json(StatusCode::OK, fixture("metrics.json")) }),
        )
        .route(
            "/sessions/count",
            get(|| async { json(StatusCode::OK, fixture("sessions_count.json")) }),
        )
        .route(
            "/sessions/{id}",
            get(|| async { json(StatusCode::OK, fixture("session_get.json")) })
                .delete(|| async { json(StatusCode::OK, fixture("session_delete.json")) }),
        )
        .route(
            "/sessions/{id}/exists",
            get(|Path(id): Path<String>| async move {
                match id.as_str() {
                    // v1 has no such route: a live session gets FastAPI's 404 …
                    "live-v1" => json(StatusCode::NOT_FOUND, fixture("info_GET.json")),
                    // … a missing one the middleware's SESSION_NOT_FOUND.
                    "gone-v1" => json(StatusCode::NOT_FOUND, fixture("session_stm_404.json")),
                    _ => json(StatusCode::OK, fixture("c584167/session_exists.json")),
                }
            }),
        )
}

#[tokio::test]
async fn generation_is_detected_cached_and_refreshed() {
    let version = Arc::new(Mutex::new("1.0.0"));
    let hits = Arc::new(Mutex::new(0));
    let server = TestServer::start(versioned_router(version.clone(), hits.clone())).await;
    let kato = client(&server);

    assert_eq!(kato.cached_generation(), None);
    assert_eq!(
        kato.detect_generation().await.unwrap(),
        kato_dashboard_core::kato::KatoGeneration::V1
    );
    *version.lock().unwrap() = "3.10.1";
    // Cached: no new request.
    assert_eq!(
        kato.clone().detect_generation().await.unwrap().as_str(),
        "v1"
    );
    assert_eq!(*hits.lock().unwrap(), 1);
    // KATO was upgraded behind us.
    assert_eq!(kato.refresh_generation().await.unwrap().as_str(), "v3");
    assert_eq!(kato.cached_generation().map(|g| g.as_str()), Some("v3"));
    kato.invalidate_generation();
    assert_eq!(kato.cached_generation(), None);
}

#[tokio::test]
async fn typed_calls_and_session_exists_on_both_generations() {
    let server = TestServer::start(versioned_router(Arc::default(), Arc::default())).await;
    let kato = client(&server);

    assert_eq!(kato.session_count().await.unwrap(), 5);
    let session = kato.session("any").await.unwrap();
    assert_eq!(session.node_id, "dash-alice");
    assert!(kato.delete_session("any").await.unwrap().is_deleted());

    assert_eq!(
        kato.session_exists("live-v1").await.unwrap(),
        SessionExistence::Unsupported
    );
    match kato.session_exists("gone-v1").await.unwrap() {
        SessionExistence::Known(e) => assert!(!e.exists && e.session_id == "gone-v1"),
        other => panic!("expected Known, got {other:?}"),
    }
    match kato.session_exists("live-v3").await.unwrap() {
        SessionExistence::Known(e) => assert!(e.exists),
        other => panic!("expected Known, got {other:?}"),
    }
    let metrics: kato_dashboard_core::kato::Metrics = kato.get_typed("/metrics").await.unwrap();
    assert_eq!(metrics.active_sessions(), Some(4));

    let stats = kato.clone().request_stats();
    assert_eq!((stats.requests, stats.succeeded, stats.failed), (7, 7, 0));
}

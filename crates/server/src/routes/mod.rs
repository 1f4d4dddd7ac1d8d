//! The HTTP surface: `/api/v1/*` with the old dashboard's paths and shapes, and honest status codes.

mod alerts;
mod clickhouse;
mod containers;
mod databases;
mod health;
mod metrics;
mod mongo;
mod openapi;
mod qdrant;
mod redis_browser;
mod session_keys;
mod sessions;
pub(crate) mod system;

use axum::{
    Router,
    http::{HeaderValue, Method, Uri},
    routing::{get, post},
};
use tower_http::{cors::CorsLayer, limit::RequestBodyLimitLayer, trace::TraceLayer};

use crate::{error::ApiError, state::AppState};

/// Largest request body any endpoint accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Builds the application router.
pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state);
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/system/kato-health", get(system::kato_health))
        .route("/system/metrics", get(system::metrics))
        .route("/system/stats", get(system::stats))
        .route("/system/history", get(system::history))
        .route("/system/cache-stats", get(system::cache_stats))
        .route("/system/connection-pools", get(system::connection_pools))
        .route("/system/distributed-stm", get(system::distributed_stm))
        .route("/system/container-stats", get(containers::all))
        .route("/system/container-stats/{name}", get(containers::one))
        .route("/sessions/count", get(system::session_count))
        .route("/sessions", get(sessions::list))
        .route(
            "/sessions/statistics/overview",
            get(session_keys::statistics),
        )
        .route(
            "/sessions/redis-keys/diagnostic",
            get(session_keys::diagnostic),
        )
        .route("/sessions/redis-keys/cleanup", post(session_keys::cleanup))
        .route("/sessions/bulk-delete", post(session_keys::bulk_delete))
        .route(
            "/sessions/{id}",
            get(sessions::detail).delete(sessions::delete),
        )
        .route("/sessions/{id}/stm", get(sessions::stm))
        .route("/", get(health::root))
        .merge(alerts::routes())
        .merge(databases::routes())
        .merge(qdrant::routes())
        .merge(clickhouse::routes())
        .fallback(api_not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/ws", get(crate::ws::upgrade))
        .route("/metrics", get(metrics::prometheus))
        .route("/openapi.json", get(openapi::spec))
        .route("/docs", get(openapi::docs))
        .fallback(crate::assets::serve)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::csrf::guard,
        ))
        .layer(axum::middleware::from_fn(crate::json_errors::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::redaction::redact_answers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::error_log::log_errors,
        ))
        .layer(cors)
        // Failures are logged once, rate-limited, by `error_log`; the trace layer only traces.
        .layer(TraceLayer::new_for_http().on_failure(()))
        .with_state(state)
}

async fn api_not_found(method: Method, uri: Uri) -> ApiError {
    if method == Method::OPTIONS {
        return ApiError::BadRequest("preflight for an unknown path".into());
    }
    ApiError::NotFound(format!("no endpoint {method} {}", uri.path()))
}

fn cors_layer(state: &AppState) -> CorsLayer {
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origin_list()
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            axum::http::header::CONTENT_TYPE,
            axum::http::header::AUTHORIZATION,
            axum::http::HeaderName::from_static("x-admin-token"),
        ])
}

//! The HTTP surface: `/api/v1/*` with the old dashboard's paths and shapes, and honest status codes.
//!
//! Every handler carries its `#[utoipa::path]` and is registered with `utoipa_axum::routes!`, which takes the
//! method and path from it: the router and `/openapi.json` come from one list ([`documented`]), so a route cannot
//! go undocumented (see [`crate::openapi`]).

mod alerts;
mod analytics;
mod clickhouse;
mod containers;
mod databases;
mod health;
mod history;
mod instances;
mod metrics;
mod mongo;
mod openapi;
mod qdrant;
mod redis_browser;
mod session_keys;
mod sessions;
pub(crate) mod system;
mod ws;

use axum::{
    Extension, Router,
    http::{HeaderValue, Method, Uri},
};
use tower_http::{cors::CorsLayer, limit::RequestBodyLimitLayer, trace::TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, openapi::ApiDoc, state::AppState};

/// Largest request body any endpoint accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Builds the application router.
pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state);
    let (routes, mut doc) = documented().split_for_parts();
    crate::openapi::finish(&mut doc);
    // Serialized once; the document's tree is dropped (it is large and never changes).
    let spec = openapi::Spec(serde_json::to_vec(&doc).unwrap_or_default().into());
    drop(doc);
    routes
        .fallback(crate::assets::serve)
        // The finished document, for `GET /openapi.json`.
        .layer(Extension(spec))
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

/// The OpenAPI document of [`router`]'s routes, as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = documented().into_openapi();
    crate::openapi::finish(&mut doc);
    doc
}

/// Every route with its operation: the router and the document come from this one list.
fn documented() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(system::kato_health))
        .routes(routes!(instances::instances))
        .routes(routes!(system::metrics))
        .routes(routes!(system::stats))
        .routes(routes!(history::history))
        .routes(routes!(history::series))
        .routes(routes!(system::cache_stats))
        .routes(routes!(system::connection_pools))
        .routes(routes!(system::distributed_stm))
        .routes(routes!(containers::all))
        .routes(routes!(containers::one))
        .routes(routes!(containers::engines))
        .routes(routes!(system::session_count))
        .routes(routes!(sessions::list))
        .routes(routes!(session_keys::statistics))
        .routes(routes!(session_keys::diagnostic))
        .routes(routes!(session_keys::cleanup))
        .routes(routes!(session_keys::bulk_delete))
        .routes(routes!(sessions::detail, sessions::delete))
        .routes(routes!(sessions::stm))
        .routes(routes!(health::root))
        .merge(alerts::routes())
        .merge(databases::routes())
        .merge(qdrant::routes())
        .merge(clickhouse::routes())
        .merge(analytics::routes())
        .fallback(api_not_found);
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .routes(routes!(ws::upgrade))
        .routes(routes!(metrics::prometheus))
        .routes(routes!(openapi::spec))
        .routes(routes!(openapi::docs))
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
        .http
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

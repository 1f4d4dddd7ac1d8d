//! `GET /api/v1/health` (the dashboard and each upstream) and `GET /` (service info).

use axum::{
    Json,
    extract::{Query, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use crate::{health::check_all, state::AppState};

/// Query of the health endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HealthQuery {
    /// Answer 503 when any upstream is down (default: 200 while the dashboard itself works)
    #[serde(default)]
    strict: bool,
}

/// Health of the dashboard and each upstream
///
/// The old shape (`status`, `service`, `version`) plus each upstream's state: `status` is `healthy` or
/// `degraded`; `upstreams` has `kato`, `redis`, `mongodb`, `qdrant`, `docker`, `clickhouse` with `status` up/down,
/// latency and the error; `history` says whether the history on disk records (`ok`, `error`). 200 while the
/// dashboard serves, so a container health check does not restart it because KATO is down; `?strict=true` makes
/// any down upstream (or a history that cannot write) a 503.
#[utoipa::path(get, path = "/health", tag = "service", params(HealthQuery))]
pub async fn health(
    State(state): State<AppState>,
    Query(q): Query<HealthQuery>,
) -> impl IntoResponse {
    let checks = check_all(&state).await;
    let history = state.recorder.status();
    // The history on disk is the dashboard's own: a full disk makes it degraded, switching it off does not.
    let history_ok = history.ok || !state.config.history.enabled;
    let all_up = checks.iter().all(|(_, h)| h.is_up()) && history_ok;
    let mut upstreams = Map::new();
    for (name, h) in checks {
        upstreams.insert(
            name.to_owned(),
            serde_json::to_value(h).unwrap_or(Value::Null),
        );
    }
    let body = json!({
        "status": if all_up { "healthy" } else { "degraded" },
        "service": "kato-dashboard",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": (state.started_at.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "timestamp": kato_dashboard_core::time::rfc3339(chrono::Utc::now()),
        "upstreams": upstreams,
        "history": history,
    });
    let code = if q.strict && !all_up {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(body))
}

/// Service information
///
/// Name, version and the main paths (the web app takes this path over once it is built in).
#[utoipa::path(get, path = "/", tag = "service")]
pub async fn root() -> Json<Value> {
    Json(json!({
        "service": "KATO Dashboard API",
        "version": env!("CARGO_PKG_VERSION"),
        "status": "running",
        "health": "/api/v1/health",
    }))
}

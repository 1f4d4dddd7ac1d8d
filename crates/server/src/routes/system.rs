//! `/api/v1/system/*` and `/api/v1/sessions/count`: KATO's monitoring endpoints, passed through unchanged
//! (the old dashboard's shapes) but with real status codes: KATO down → 503, slow → 504, garbage → 502.

use axum::{Json, extract::State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{error::ApiError, extract::ApiQuery, state::AppState};

/// `use_cache` is accepted for compatibility; answers are always fresh.
#[derive(Debug, Deserialize)]
pub struct CacheQuery {
    #[serde(default, rename = "use_cache")]
    _use_cache: Option<bool>,
}

/// Query of `/system/stats`.
#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    #[serde(default = "default_minutes")]
    minutes: i64,
    #[serde(default, rename = "use_cache")]
    _use_cache: Option<bool>,
}

fn default_minutes() -> i64 {
    10
}

/// `GET /system/kato-health`: KATO `/health` as KATO sent it.
pub async fn kato_health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.kato.get_json("/health").await?))
}

/// `GET /system/metrics`: KATO `/metrics`.
pub async fn metrics(
    State(state): State<AppState>,
    _q: ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.kato.get_json("/metrics").await?))
}

/// `GET /system/stats?minutes=N` (1 to 1440): KATO `/stats`.
pub async fn stats(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    if !(1..=1440).contains(&q.minutes) {
        return Err(ApiError::Invalid(format!(
            "minutes must be between 1 and 1440, got {}",
            q.minutes
        )));
    }
    Ok(Json(
        state
            .kato
            .get_json(&format!("/stats?minutes={}", q.minutes))
            .await?,
    ))
}

/// `GET /system/cache-stats`: KATO `/cache/stats`.
pub async fn cache_stats(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.kato.get_json("/cache/stats").await?))
}

/// `GET /system/connection-pools`: KATO `/connection-pools`.
pub async fn connection_pools(
    State(state): State<AppState>,
    _q: ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.kato.get_json("/connection-pools").await?))
}

/// `GET /system/distributed-stm`: KATO `/distributed-stm/stats`.
pub async fn distributed_stm(
    State(state): State<AppState>,
    _q: ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.kato.get_json("/distributed-stm/stats").await?))
}

/// `GET /sessions/count`: `{"active_session_count": N}` as KATO names it (the old dashboard read the wrong key).
pub async fn session_count(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let count = state.kato.session_count().await?;
    Ok(Json(json!({ "active_session_count": count })))
}

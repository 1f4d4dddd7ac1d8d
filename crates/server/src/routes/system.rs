//! `/api/v1/system/*` and `/api/v1/sessions/count`: KATO's monitoring endpoints, passed through unchanged
//! (the old dashboard's shapes) but with real status codes: KATO down → 503, slow → 504, garbage → 502.

use axum::{Json, extract::State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::instances::client_for;
use crate::{error::ApiError, extract::ApiQuery, openapi::UpstreamErrors, state::AppState};

/// `use_cache` is accepted for compatibility; answers are always fresh.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CacheQuery {
    /// Accepted for the old dashboard's clients; answers are always current
    #[serde(default, rename = "use_cache")]
    _use_cache: Option<bool>,
    /// One KATO instance of a fleet (its id, `host:port`, from `/system/instances`) instead of `KATO_API_URL`
    #[serde(default)]
    instance: Option<String>,
}

/// Which KATO instance answers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceQuery {
    /// One KATO instance of a fleet (its id, `host:port`, from `/system/instances`) instead of `KATO_API_URL`
    #[serde(default)]
    instance: Option<String>,
}

/// Query of `/system/stats`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Window, 1..=1440 (default 10)
    #[serde(default = "default_minutes")]
    minutes: i64,
    /// Accepted for the old dashboard's clients; answers are always current
    #[serde(default, rename = "use_cache")]
    _use_cache: Option<bool>,
    /// One KATO instance of a fleet (its id, `host:port`, from `/system/instances`) instead of `KATO_API_URL`
    #[serde(default)]
    instance: Option<String>,
}

fn default_minutes() -> i64 {
    10
}

/// KATO's /health
///
/// KATO's answer, unchanged.
#[utoipa::path(
    get,
    path = "/system/kato-health",
    tag = "kato",
    params(InstanceQuery),
    responses(UpstreamErrors)
)]
pub async fn kato_health(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InstanceQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        client_for(&state, q.instance.as_deref())?
            .get_json("/health")
            .await?,
    ))
}

/// KATO's /metrics
///
/// KATO's answer, unchanged (`active_session_count`, processors, performance, databases).
#[utoipa::path(
    get,
    path = "/system/metrics",
    tag = "kato",
    params(CacheQuery),
    responses(UpstreamErrors)
)]
pub async fn metrics(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        client_for(&state, q.instance.as_deref())?
            .get_json("/metrics")
            .await?,
    ))
}

/// KATO's /stats
///
/// Time series of the last `minutes`.
#[utoipa::path(
    get,
    path = "/system/stats",
    tag = "kato",
    params(StatsQuery),
    responses(UpstreamErrors)
)]
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
        client_for(&state, q.instance.as_deref())?
            .get_json(&format!("/stats?minutes={}", q.minutes))
            .await?,
    ))
}

/// KATO's /cache/stats
///
/// KATO's answer, unchanged.
#[utoipa::path(
    get,
    path = "/system/cache-stats",
    tag = "kato",
    params(InstanceQuery),
    responses(UpstreamErrors)
)]
pub async fn cache_stats(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InstanceQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        client_for(&state, q.instance.as_deref())?
            .get_json("/cache/stats")
            .await?,
    ))
}

/// KATO's /connection-pools
///
/// KATO's answer, unchanged.
#[utoipa::path(
    get,
    path = "/system/connection-pools",
    tag = "kato",
    params(CacheQuery),
    responses(UpstreamErrors)
)]
pub async fn connection_pools(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    let kato = client_for(&state, q.instance.as_deref())?;
    Ok(Json(kato.get_json("/connection-pools").await?))
}

/// KATO's /distributed-stm/stats
///
/// KATO's answer, unchanged.
#[utoipa::path(
    get,
    path = "/system/distributed-stm",
    tag = "kato",
    params(CacheQuery),
    responses(UpstreamErrors)
)]
pub async fn distributed_stm(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    let kato = client_for(&state, q.instance.as_deref())?;
    Ok(Json(kato.get_json("/distributed-stm/stats").await?))
}

/// Active session count
///
/// `{"active_session_count": N, "source": "redis"|"kato", "kato_active_session_count": M}`, as KATO names it (the
/// old dashboard read the wrong key): N is the live sessions this dashboard lists (Redis, current to the last scan
/// or push) while Redis is readable (KATO 3.x's own count lags 5 s and keeps TTL-expired sessions), else KATO's
/// count; M is KATO's figure.
#[utoipa::path(
    get,
    path = "/sessions/count",
    tag = "sessions",
    responses(UpstreamErrors)
)]
pub async fn session_count(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    // KATO's figure: on 3.x cached 5 s per worker and counting sessions that expired (§4.4 of the API notes).
    let kato = state.kato.session_count().await;
    let (live, redis_ok) = {
        let view = state.collected.sessions.borrow();
        (view.records.len(), view.redis_ok)
    };
    if redis_ok {
        return Ok(Json(json!({
            "active_session_count": live,
            "source": "redis",
            "kato_active_session_count": kato.ok(),
        })));
    }
    let count = kato?;
    Ok(Json(json!({
        "active_session_count": count,
        "source": "kato",
        "kato_active_session_count": count,
    })))
}

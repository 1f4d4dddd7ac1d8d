//! `/api/v1/system/*` and `/api/v1/sessions/count`: KATO's monitoring endpoints, passed through unchanged
//! (the old dashboard's shapes) but with real status codes: KATO down → 503, slow → 504, garbage → 502.

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
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

/// `GET /sessions/count`: `{"active_session_count": N}` as KATO names it (the old dashboard read the wrong key),
/// with N the live sessions this dashboard lists (Redis, current to the last scan or push) while Redis is readable,
/// else KATO's own figure; KATO's figure is always beside it as `kato_active_session_count`.
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

/// Query of `/system/history`.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    #[serde(default = "default_history_minutes")]
    minutes: i64,
}

fn default_history_minutes() -> i64 {
    15
}

/// `GET /system/history?minutes=N` (1 to 15): the `metrics` and `containers` values of the last minutes, oldest
/// first, as the socket sent them — what a page needs to draw its charts at once.
pub async fn history(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Response, ApiError> {
    if !(1..=15).contains(&q.minutes) {
        return Err(ApiError::BadRequest(format!(
            "minutes must be between 1 and 15, got {}",
            q.minutes
        )));
    }
    let since = chrono::Utc::now() - chrono::Duration::minutes(q.minutes);
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        state.history.json_since(since),
    )
        .into_response())
}

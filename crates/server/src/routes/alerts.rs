//! `/api/v1/alerts/*`: history (filters, paging), active alerts, read / read-all, acknowledge, clear, silences and
//! the effective rules. Read and acknowledge are bookkeeping anyone who sees the dashboard may do; clearing the
//! history and silences need the admin token (and are off without one). Every change is pushed to all tabs as an
//! `alert_update`.

use std::collections::HashMap;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{delete, get, post},
};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    alerts::{HistoryParams, NewSilence},
    auth::require_admin,
    error::ApiError,
    extract::ApiJson,
    state::AppState,
};

/// The alert routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts/history", get(history).delete(clear))
        .route("/alerts/active", get(active))
        .route("/alerts/rules", get(rules))
        .route("/alerts/read-all", post(read_all))
        .route("/alerts/silences", get(silences).post(create_silence))
        .route("/alerts/silences/{id}", delete(expire_silence))
        .route("/alerts/{id}/read", post(read))
        .route("/alerts/{id}/ack", post(ack))
}

async fn history(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let q = HistoryParams::parse(&params)?;
    state.alerts.history(q).await.map(Json)
}

async fn active(State(state): State<AppState>) -> Json<Value> {
    Json(state.alerts.active())
}

async fn rules(State(state): State<AppState>) -> Json<Value> {
    Json(state.alerts.rules_view())
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.alerts.mark_read(id).await.map(Json)
}

async fn read_all(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.alerts.read_all().await.map(Json)
}

async fn clear(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers, "alerts.clear", "history")?;
    state.alerts.clear().await.map(Json)
}

/// Body of an acknowledgement; both fields optional.
#[derive(Debug, Default, Deserialize)]
struct AckBody {
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

async fn ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: AckBody = if body.iter().all(u8::is_ascii_whitespace) {
        AckBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("body: {e} (expected {{by, comment}})")))?
    };
    let by = body
        .by
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "anonymous".into());
    if by.len() > 200 || body.comment.as_ref().is_some_and(|c| c.len() > 2000) {
        return Err(ApiError::BadRequest(
            "by is at most 200 and comment at most 2000 bytes".into(),
        ));
    }
    state
        .alerts
        .acknowledge(id, by, body.comment.unwrap_or_default())
        .await
        .map(Json)
}

async fn silences(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let all = match params.get("all").map(String::as_str) {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(v) => {
            return Err(ApiError::BadRequest(format!(
                "all: `{v}` is not true or false"
            )));
        }
    };
    state.alerts.silences(all).await.map(Json)
}

async fn create_silence(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewSilence>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_admin(&state, &headers, "alerts.silence", "create")?;
    let created = state.alerts.create_silence(body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn expire_silence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers, "alerts.silence.expire", &id)?;
    state.alerts.expire_silence(id).await.map(Json)
}

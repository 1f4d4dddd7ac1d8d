//! `/api/v1/alerts/*`: history (filters, paging), active alerts, read / read-all, acknowledge, clear, silences and
//! the effective rules. Read and acknowledge are bookkeeping anyone who sees the dashboard may do; clearing the
//! history and silences need the admin token (and are off without one). Every change is pushed to all tabs as an
//! `alert_update`.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    alerts::{HistoryParams, NewSilence},
    auth::require_admin,
    error::ApiError,
    extract::ApiJson,
    state::AppState,
};

/// The alert routes, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history, clear))
        .routes(routes!(active))
        .routes(routes!(rules))
        .routes(routes!(read_all))
        .routes(routes!(silences, create_silence))
        .routes(routes!(expire_silence))
        .routes(routes!(read))
        .routes(routes!(ack))
}

/// Alert history
///
/// Stored transitions (fired, repeat, resolved), newest first, with read and acknowledgement state.
#[utoipa::path(get, path = "/alerts/history", tag = "alerts", params(
    ("severity" = Option<String>, Query, description = "info, warning or critical"),
    ("type" = Option<String>, Query, description = "Rule: high_cpu, high_memory, high_error_rate, container_down, \
        container_cpu, container_memory, container_missing, kato_unreachable, kato_restarted, high_sessions"),
    ("state" = Option<String>, Query, description = "firing, repeat or resolved"),
    ("alert_id" = Option<String>, Query, description = "Only this alert's transitions"),
    ("since" = Option<String>, Query, description = "RFC 3339 start"),
    ("until" = Option<String>, Query, description = "RFC 3339 end"),
    ("after_seq" = Option<i64>, Query, description = "Only events after this system_alerts sequence number"),
    ("unread" = Option<bool>, Query, description = "Only unread entries"),
    ("limit" = Option<i64>, Query, description = "Page size (default 100)"),
    ("offset" = Option<i64>, Query, description = "Offset"),
))]
async fn history(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let q = HistoryParams::parse(&params)?;
    state.alerts.history(q).await.map(Json)
}

/// Firing alerts
///
/// `{firing: [...]}`: the alerts firing now, with acknowledgement and silence state.
#[utoipa::path(get, path = "/alerts/active", tag = "alerts")]
async fn active(State(state): State<AppState>) -> Json<Value> {
    Json(state.alerts.active())
}

/// Effective rules
///
/// Every rule with its thresholds, hysteresis, pending time, severity bands and repeat interval.
#[utoipa::path(get, path = "/alerts/rules", tag = "alerts")]
async fn rules(State(state): State<AppState>) -> Json<Value> {
    Json(state.alerts.rules_view())
}

/// Mark one alert read
///
/// Covers the alert's events so far; pushed as `alert_update` read.
#[utoipa::path(post, path = "/alerts/{id}/read", tag = "alerts", params(("id" = String, Path, description = "Alert id (`alert_id` of a system_alert item)")))]
async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.alerts.mark_read(id).await.map(Json)
}

/// Mark every alert read
///
/// Pushed to every tab as `alert_update` read_all.
#[utoipa::path(post, path = "/alerts/read-all", tag = "alerts")]
async fn read_all(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.alerts.read_all().await.map(Json)
}

/// Clear the history
///
/// Removes every stored event (firing alerts stay firing). Admin only; pushed to every tab as `alert_update`
/// cleared.
#[utoipa::path(delete, path = "/alerts/history", tag = "alerts", security(("adminToken" = []), ("bearer" = [])))]
async fn clear(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers, "alerts.clear", "history")?;
    state.alerts.clear().await.map(Json)
}

/// Body of an acknowledgement; both fields optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct AckBody {
    /// Who (at most 200 bytes; `anonymous` when empty)
    #[serde(default)]
    by: Option<String>,
    /// Why (at most 2000 bytes)
    #[serde(default)]
    comment: Option<String>,
}

/// Acknowledge an alert
///
/// Pushed as `alert_update` acknowledged.
#[utoipa::path(post, path = "/alerts/{id}/ack", tag = "alerts", params(("id" = String, Path, description = "Alert id (`alert_id` of a system_alert item)")),
    request_body(content = Option<AckBody>, description = "`{\"by\": \"who\", \"comment\": \"why\"}` (both optional)"))]
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

/// Silences
///
/// Active silences; `all=true` includes expired ones.
#[utoipa::path(get, path = "/alerts/silences", tag = "alerts", params(
    ("all" = Option<bool>, Query, description = "Include expired silences")
))]
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

/// Create a silence
///
/// Matching alerts are still stored but neither toast nor notify the webhook. Admin only.
#[utoipa::path(post, path = "/alerts/silences", tag = "alerts", security(("adminToken" = []), ("bearer" = [])),
    request_body(content = Object, description = "`{\"matchers\": {\"type\": …, \"severity\": …, \"container_name\": …, \
        \"alert_id\": …}, \"ends_at\": RFC 3339 | \"duration_seconds\": N, \"comment\": …, \"created_by\": …}`"))]
async fn create_silence(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewSilence>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_admin(&state, &headers, "alerts.silence", "create")?;
    let created = state.alerts.create_silence(body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Expire a silence
///
/// Admin only; pushed as `alert_update` silence_expired.
#[utoipa::path(delete, path = "/alerts/silences/{id}", tag = "alerts", security(("adminToken" = []), ("bearer" = [])),
    params(("id" = String, Path, description = "Silence id")))]
async fn expire_silence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers, "alerts.silence.expire", &id)?;
    state.alerts.expire_silence(id).await.map(Json)
}

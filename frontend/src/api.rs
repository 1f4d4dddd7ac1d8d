//! Typed client of the dashboard's REST API (`/api/v1`, same origin). Errors keep the server's message (`detail`)
//! so the UI can show why, not just that, something failed.

use std::fmt;

use gloo_net::http::{Request, Response};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::state::sessions::{SessionPage, SessionQuery, encode_component};

const BASE: &str = "/api/v1";

/// Whether the alert engine's acknowledge/silence endpoints exist on this server (they do since the engine runs in
/// the server; the constant keeps the disabled-with-a-reason path for a server without them).
pub const ALERT_ACTIONS_AVAILABLE: bool = true;

/// Alert history entries loaded on start (the history keeps at most this many anyway).
pub const ALERT_HISTORY_PAGE: usize = crate::state::alerts::HISTORY_CAP;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with an error status.
    Http {
        /// HTTP status.
        status: u16,
        /// The server's message.
        detail: String,
    },
    /// No answer (server down, network).
    Network(String),
    /// An answer that is not what this client expects.
    Decode(String),
}

impl ApiError {
    /// Whether the server said "not found".
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Http { status: 404, .. })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Http { status, detail } => write!(f, "{status}: {detail}"),
            ApiError::Network(e) => write!(f, "the dashboard server did not answer ({e})"),
            ApiError::Decode(e) => write!(f, "unexpected answer ({e})"),
        }
    }
}

async fn check(resp: Response) -> Result<Response, ApiError> {
    if resp.ok() {
        return Ok(resp);
    }
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("detail")
                .or_else(|| v.get("error").and_then(|e| e.get("message")))
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| resp.status_text());
    Err(ApiError::Http { status, detail })
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let resp = Request::get(&format!("{BASE}{path}"))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    check(resp)
        .await?
        .json::<T>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

async fn post_json<B: Serialize>(
    path: &str,
    body: &B,
    token: Option<&str>,
) -> Result<Value, ApiError> {
    let mut req = Request::post(&format!("{BASE}{path}"));
    if let Some(t) = token {
        req = req.header("X-Admin-Token", t);
    }
    let resp = req
        .json(body)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    check(resp)
        .await?
        .json::<Value>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

/// `GET /sessions?…`: one page of the live list.
pub async fn sessions(q: &SessionQuery) -> Result<SessionPage, ApiError> {
    get_json(&format!("/sessions?{}", q.to_query_string())).await
}

/// `GET /sessions/{id}`: the stored session (read from Redis: never extends its TTL).
pub async fn session(id: &str) -> Result<Value, ApiError> {
    get_json(&format!("/sessions/{}", encode_component(id))).await
}

/// `GET /sessions/{id}/stm`: `{stm: [[symbol]], length}`.
pub async fn session_stm(id: &str) -> Result<Value, ApiError> {
    get_json(&format!("/sessions/{}/stm", encode_component(id))).await
}

/// `DELETE /sessions/{id}` with the admin token.
pub async fn delete_session(id: &str, token: &str) -> Result<(), ApiError> {
    let resp = Request::delete(&format!("{BASE}/sessions/{}", encode_component(id)))
        .header("X-Admin-Token", token)
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    check(resp).await.map(|_| ())
}

/// `GET /system/history`: `{metrics: [...], containers: [...]}` of the last minutes, oldest first.
pub async fn system_history() -> Result<Value, ApiError> {
    get_json("/system/history").await
}

/// `GET /system/history?from&to&step&series`: buckets of the persistent history store.
pub async fn history(query: &str) -> Result<Value, ApiError> {
    get_json(&format!("/system/history?{query}")).await
}

/// `GET /system/history/series`: the stored series, the store's size and status.
pub async fn history_series() -> Result<Value, ApiError> {
    get_json("/system/history/series").await
}

/// `GET /analytics/patterns/frequency?limit=…[&processor_id=…]`: the most frequent patterns.
pub async fn pattern_frequency(kb: Option<&str>, limit: u32) -> Result<Value, ApiError> {
    let kb = kb
        .map(|k| format!("&processor_id={}", encode_component(k)))
        .unwrap_or_default();
    get_json(&format!("/analytics/patterns/frequency?limit={limit}{kb}")).await
}

/// `GET /analytics/predictions/load`: current load, trends and a recommendation.
pub async fn load_prediction() -> Result<Value, ApiError> {
    get_json("/analytics/predictions/load").await
}

/// `GET /system/metrics`: KATO's raw `/metrics`, for the fallback while the socket is down.
pub async fn system_metrics() -> Result<Value, ApiError> {
    get_json("/system/metrics").await
}

async fn delete(path: &str, token: Option<&str>) -> Result<Value, ApiError> {
    let mut req = Request::delete(&format!("{BASE}{path}"));
    if let Some(t) = token {
        req = req.header("X-Admin-Token", t);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    check(resp)
        .await?
        .json::<Value>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

/// `GET /alerts/history?limit=…`: the newest alert events with their read and acknowledged flags.
pub async fn alert_history() -> Result<Vec<Value>, ApiError> {
    let page: Value = get_json(&format!("/alerts/history?limit={ALERT_HISTORY_PAGE}")).await?;
    Ok(page
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// `POST /alerts/{id}/read`: every tab hears it as an `alert_update`.
pub async fn mark_alert_read(alert_id: &str) -> Result<Value, ApiError> {
    post_json(
        &format!("/alerts/{}/read", encode_component(alert_id)),
        &serde_json::json!({}),
        None,
    )
    .await
}

/// `POST /alerts/read-all`.
pub async fn mark_all_alerts_read() -> Result<Value, ApiError> {
    post_json("/alerts/read-all", &serde_json::json!({}), None).await
}

/// `DELETE /alerts/history` (admin token).
pub async fn clear_alerts(token: Option<&str>) -> Result<Value, ApiError> {
    delete("/alerts/history", token).await
}

/// `POST /alerts/{id}/ack`: who acknowledged, and a comment.
pub async fn ack_alert(alert_id: &str, by: &str, comment: &str) -> Result<Value, ApiError> {
    post_json(
        &format!("/alerts/{}/ack", encode_component(alert_id)),
        &serde_json::json!({"by": by, "comment": comment}),
        None,
    )
    .await
}

/// `POST /alerts/silences` (admin token): silence alerts like this one for `minutes`.
pub async fn silence(
    kind: &str,
    container: Option<&str>,
    minutes: u32,
    token: Option<&str>,
) -> Result<Value, ApiError> {
    let body = serde_json::json!({
        "matchers": {"type": kind, "container_name": container},
        "duration_seconds": minutes * 60,
        "comment": "silenced from the dashboard",
        "created_by": "dashboard",
    });
    post_json("/alerts/silences", &body, token).await
}

/// `GET /alerts/silences`: the silences in force.
pub async fn silences() -> Result<Vec<Value>, ApiError> {
    let v: Value = get_json("/alerts/silences").await?;
    Ok(v.get("silences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// `DELETE /alerts/silences/{id}` (admin token): ends a silence now.
pub async fn expire_silence(id: &str, token: Option<&str>) -> Result<Value, ApiError> {
    delete(&format!("/alerts/silences/{}", encode_component(id)), token).await
}

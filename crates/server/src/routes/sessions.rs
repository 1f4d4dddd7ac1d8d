//! `/api/v1/sessions`: the merged live list (Redis scan + KATO push) with paging, search and sort; one session's
//! detail and short-term memory read from Redis (so looking never extends a v3 session's sliding TTL); delete
//! through KATO for admins.

use axum::{
    Json,
    extract::{Path, State},
    http::HeaderMap,
};
use kato_dashboard_core::{kato::KatoGeneration, sessions::SessionRecord, time::rfc3339};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::{
    auth::require_admin,
    collectors::redis_scan::{self, SESSION_PREFIX},
    collectors::sessions::SessionInput,
    error::ApiError,
    extract::ApiQuery,
    openapi::UpstreamErrors,
    state::AppState,
};

/// Query of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Offset (default 0)
    #[serde(default)]
    skip: i64,
    /// Page size, 1..=200 (default 50)
    #[serde(default = "default_limit")]
    limit: i64,
    /// Case-insensitive substring of the id, node or metadata user
    #[serde(default)]
    search: Option<String>,
    /// `created_at` (default), `expires_at`, `last_active`, `node_id`, `session_id`, `ttl_seconds`
    #[serde(default)]
    sort: Option<String>,
    /// `desc` (default) or `asc`
    #[serde(default)]
    order: Option<String>,
    /// Only `active` matches (every listed session is live); kept for the old API
    #[serde(default)]
    status: Option<String>,
    /// Only sessions of this node
    #[serde(default)]
    node_id: Option<String>,
}

fn default_limit() -> i64 {
    50
}

/// The live session list
///
/// Merged from Redis (`SCAN kato:session:*`) and KATO's pushes; paged, searched and sorted here.
#[utoipa::path(get, path = "/sessions", tag = "sessions", params(ListQuery))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if q.skip < 0 {
        return Err(ApiError::Invalid("skip must be 0 or more".into()));
    }
    if !(1..=200).contains(&q.limit) {
        return Err(ApiError::Invalid(format!(
            "limit must be between 1 and 200, got {}",
            q.limit
        )));
    }
    let view = state.collected.sessions.borrow().clone();
    let needle = q
        .search
        .as_deref()
        .map(str::to_lowercase)
        .filter(|s| !s.is_empty());
    let status_ok = q
        .status
        .as_deref()
        .is_none_or(|s| s.is_empty() || s.eq_ignore_ascii_case("active"));
    let mut rows: Vec<&SessionRecord> = view
        .records
        .iter()
        .filter(|_| status_ok)
        .filter(|r| {
            q.node_id
                .as_deref()
                .is_none_or(|n| r.node_id.as_deref() == Some(n))
        })
        .filter(|r| needle.as_deref().is_none_or(|n| matches(r, n)))
        .collect();
    sort(
        &mut rows,
        q.sort.as_deref().unwrap_or("created_at"),
        q.order.as_deref().unwrap_or("desc"),
    )?;
    let total = rows.len();
    let (skip, limit) = (q.skip as usize, q.limit as usize);
    let page: Vec<Value> = rows.into_iter().skip(skip).take(limit).map(row).collect();
    Ok(Json(json!({
        "sessions": page,
        "total": total,
        "skip": skip,
        "limit": limit,
        "page": skip / limit + 1,
        "pages": total.div_ceil(limit),
        "source": if view.redis_ok { "redis" } else { "kato_events" },
        "summary": view.summary,
    })))
}

fn matches(r: &SessionRecord, needle: &str) -> bool {
    r.session_id.to_lowercase().contains(needle)
        || r.node_id
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains(needle))
        || user_of(r).is_some_and(|u| u.to_lowercase().contains(needle))
}

fn user_of(r: &SessionRecord) -> Option<&str> {
    ["user", "user_id", "operator"]
        .iter()
        .find_map(|k| r.metadata.get(k).and_then(Value::as_str))
}

fn sort(rows: &mut [&SessionRecord], by: &str, order: &str) -> Result<(), ApiError> {
    let desc = match order {
        "desc" => true,
        "asc" => false,
        other => {
            return Err(ApiError::Invalid(format!(
                "order must be asc or desc, got {other}"
            )));
        }
    };
    match by {
        "created_at" => rows.sort_by_key(|a| a.created_at),
        "expires_at" => rows.sort_by_key(|a| a.expires_at),
        "last_active" | "last_accessed" => rows.sort_by_key(|a| a.last_accessed),
        "node_id" => rows.sort_by(|a, b| a.node_id.cmp(&b.node_id)),
        "session_id" => rows.sort_by(|a, b| a.session_id.cmp(&b.session_id)),
        "ttl_seconds" => rows.sort_by_key(|a| a.ttl_seconds),
        other => {
            return Err(ApiError::Invalid(format!(
                "sort must be one of created_at, expires_at, last_active, node_id, session_id, ttl_seconds; got {other}"
            )));
        }
    }
    if desc {
        rows.reverse();
    }
    Ok(())
}

/// One list row: the old keys (`node_name`, `redis_key`, `status`, `last_active`, `user_id`), the real data, and in a
/// fleet the creating `instance`.
fn row(r: &SessionRecord) -> Value {
    let mut row = json!({
        "session_id": r.session_id,
        "node_id": r.node_id,
        "node_name": r.node_id,
        "redis_key": format!("{SESSION_PREFIX}{}", r.session_id),
        "status": "active",
        "created_at": r.created_at.map(rfc3339),
        "expires_at": r.expires_at.map(rfc3339),
        "last_active": r.last_accessed.map(rfc3339),
        "ttl_seconds": r.ttl_seconds,
        "access_count": r.access_count,
        "stm_length": r.stm_length,
        "user_id": user_of(r),
        "metadata": r.metadata,
        "source": "redis",
    });
    // In a KATO fleet: the instance that announced (created) it; a single KATO's rows are as before.
    if let Some(instance) = &r.instance {
        row["instance"] = json!(instance);
    }
    row
}

/// Reads KATO's stored session from Redis (`GET` + `PTTL`, which never slide its TTL): the stored JSON with
/// `ttl_seconds` (left), `expires_at` and `last_accessed` taken from the key's TTL, and the session's own TTL
/// setting as `ttl_configured_seconds`. `Ok(None)` when the key does not exist.
async fn from_redis(state: &AppState, id: &str) -> Result<Option<Value>, ApiError> {
    let timeout = state.config.kato.timeout();
    let read = state
        .redis
        .with_conn(|mut conn| async move { redis_scan::read_one(&mut conn, id).await });
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(Some((mut stored, record)))) => {
            if !stored.is_object() {
                return Err(ApiError::BadGateway {
                    upstream: "redis",
                    reason: "session value is not a JSON object".into(),
                });
            }
            stored["ttl_configured_seconds"] = stored["ttl_seconds"].clone();
            stored["ttl_seconds"] = json!(record.ttl_seconds);
            stored["expires_at"] = json!(record.expires_at.map(rfc3339));
            stored["last_accessed"] = json!(record.last_accessed.map(rfc3339));
            Ok(Some(stored))
        }
        Ok(Ok(None)) => Ok(None),
        Ok(Err(e)) => Err(ApiError::Unavailable {
            upstream: "redis",
            reason: e.reason().to_owned(),
        }),
        Err(_) => Err(ApiError::Timeout {
            upstream: "redis",
            seconds: timeout.as_secs_f64(),
        }),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Session {id} not found or expired"))
}

/// One session
///
/// Read from Redis: looking never extends a KATO 3.x session's TTL. On KATO 1.x (fixed TTL) KATO answers when
/// Redis cannot.
#[utoipa::path(get, path = "/sessions/{id}", tag = "sessions", params(("id" = String, Path, description = "Session id")), responses(UpstreamErrors))]
pub async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match from_redis(&state, &id).await {
        Ok(Some(mut stored)) => {
            stored["source"] = json!("redis");
            Ok(Json(stored))
        }
        Ok(None) => Err(not_found(&id)),
        Err(redis_error) => {
            if state.kato.detect_generation().await.ok() == Some(KatoGeneration::V1) {
                let mut body =
                    serde_json::to_value(state.kato.session(&id).await?).unwrap_or(Value::Null);
                body["source"] = json!("kato");
                return Ok(Json(body));
            }
            Err(redis_error)
        }
    }
}

/// A session's short-term memory
///
/// `{stm: [[symbol]], length}` from Redis; without Redis, KATO's `/stm` on KATO 1.x only (on 3.x every read
/// through KATO slides the session's TTL: watching must never keep a session alive).
#[utoipa::path(get, path = "/sessions/{id}/stm", tag = "sessions", params(("id" = String, Path, description = "Session id")), responses(UpstreamErrors))]
pub async fn stm(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match from_redis(&state, &id).await {
        Ok(Some(stored)) => {
            let stm = stored.get("stm").cloned().unwrap_or_else(|| json!([]));
            let length = stm.as_array().map_or(0, Vec::len);
            Ok(Json(
                json!({ "stm": stm, "session_id": id, "length": length, "source": "redis" }),
            ))
        }
        Ok(None) => Err(not_found(&id)),
        Err(redis_error) => {
            if state.kato.detect_generation().await.ok() != Some(KatoGeneration::V1) {
                return Err(redis_error);
            }
            let stm = state.kato.session_stm(&id).await?;
            let mut body = serde_json::to_value(stm).unwrap_or(Value::Null);
            body["source"] = json!("kato");
            Ok(Json(body))
        }
    }
}

/// Delete a session
///
/// Through KATO's API, so KATO's own bookkeeping and events stay right. Admin only; audited in the log.
#[utoipa::path(
    delete,
    path = "/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers, "session.delete", &id)?;
    state.kato.delete_session(&id).await?;
    let _ = state
        .collected
        .sessions_input
        .send(SessionInput::Deleted(id.clone()))
        .await;
    Ok(Json(json!({ "status": "deleted", "session_id": id })))
}

//! The old dashboard's session-key endpoints, in its shapes, with its defects fixed:
//! `GET /sessions/statistics/overview`, `GET /sessions/redis-keys/diagnostic`, `POST /sessions/redis-keys/cleanup`
//! and `POST /sessions/bulk-delete`.
//!
//! Every key under `kato:session:` is classified from one `SCAN` (never `KEYS`): a session with a TTL is
//! `active`; one Redis keeps without a TTL is `idle`, or `expired` once the `expires_at` KATO stored in it has
//! passed; KATO's own index and lock keys (`_active_index`, `node:…`) are `index` and never touched. The cleanup
//! only removes session keys without a TTL that KATO itself says it does not know (`/sessions/{id}/exists`, which
//! does not extend a 3.x session's TTL; on 1.x a live session's check answers "unsupported" and it is kept), has a
//! dry run, and like every destructive call needs the admin token. Bulk delete goes through KATO, like the single
//! delete, so KATO's bookkeeping and session events stay right.

use axum::{Json, extract::State, http::HeaderMap};
use chrono::Utc;
use kato_dashboard_core::time::rfc3339;
use kato_dashboard_kato::{KatoError, SessionExistence};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::require_admin,
    collectors::{redis_scan::is_session_key, sessions::SessionInput},
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    openapi::UpstreamErrors,
    state::AppState,
};

mod keys;

use keys::{KeyInfo, Status};

/// Most session ids one bulk delete takes.
pub const MAX_BULK: usize = 500;
/// Most candidates one cleanup asks KATO about.
const MAX_CLEANUP_CHECKS: usize = 1000;

/// Session keys in Redis by status
///
/// The old dashboard's shape: `redis_total`, `redis_active` (with a TTL), `redis_idle` (kept without a TTL),
/// `redis_expired` (without a TTL, past the stored `expires_at`), plus `redis_index_keys` and `live_sessions`.
#[utoipa::path(
    get,
    path = "/sessions/statistics/overview",
    tag = "sessions",
    responses(UpstreamErrors)
)]
pub async fn statistics(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let scan = keys::scan(&state).await?;
    let count = |s: Status| scan.keys.iter().filter(|k| k.status == s).count();
    let live = state.collected.sessions.borrow().records.len();
    Ok(Json(json!({
        "redis_total": scan.keys.len(),
        "redis_active": count(Status::Active),
        "redis_idle": count(Status::Idle),
        "redis_expired": count(Status::Expired),
        "redis_index_keys": count(Status::Index),
        "live_sessions": live,
        "truncated": scan.truncated,
        "source": "redis_keys",
        "note": "Counts of the keys under kato:session: in Redis. active: sessions with a TTL; idle: sessions Redis \
                 keeps without a TTL; expired: such sessions past the expires_at KATO stored; index: KATO's own \
                 index and lock keys. live_sessions is what this dashboard shows as live.",
        "timestamp": rfc3339(Utc::now()),
    })))
}

/// Every key under kato:session:
///
/// `{keys: [{redis_key, node_name, status, session_reference, ttl_seconds, expires, type}], total}`, soonest
/// expiry first; at most 10,000 keys (`truncated`).
#[utoipa::path(
    get,
    path = "/sessions/redis-keys/diagnostic",
    tag = "sessions",
    responses(UpstreamErrors)
)]
pub async fn diagnostic(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut scan = keys::scan(&state).await?;
    scan.keys
        .sort_by_key(|k| (k.ttl_ms.is_none(), k.ttl_ms.unwrap_or(0), k.key.clone()));
    let list: Vec<Value> = scan.keys.iter().map(KeyInfo::to_old_shape).collect();
    Ok(Json(json!({
        "keys": list,
        "total": list.len(),
        "truncated": scan.truncated,
        "source": "redis_diagnostic",
        "timestamp": rfc3339(Utc::now()),
    })))
}

/// Query of the cleanup.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CleanupQuery {
    /// List what would be removed, remove nothing (no admin token needed)
    #[serde(default)]
    dry_run: bool,
}

/// Remove orphaned session keys
///
/// Removes session keys without a TTL that KATO says it does not know (checked with `/sessions/{id}/exists`,
/// which never extends a TTL); KATO's index keys and live sessions are never touched. `dry_run=true` lists them
/// and needs no token. Admin only otherwise; audited.
#[utoipa::path(
    post,
    path = "/sessions/redis-keys/cleanup",
    tag = "sessions",
    params(CleanupQuery),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub async fn cleanup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CleanupQuery>,
) -> Result<Json<Value>, ApiError> {
    if !q.dry_run {
        require_admin(&state, &headers, "sessions.cleanup", "kato:session:*")?;
    }
    let scan = keys::scan(&state).await?;
    let candidates: Vec<&KeyInfo> = scan
        .keys
        .iter()
        .filter(|k| k.ttl_ms.is_none() && k.session_id.is_some())
        .take(MAX_CLEANUP_CHECKS)
        .collect();
    let mut orphaned = Vec::new();
    let mut kept = Vec::new();
    for key in &candidates {
        let id = key.session_id.as_deref().unwrap_or_default();
        match state.kato.session_exists(id).await? {
            SessionExistence::Known(e) if !e.exists => orphaned.push(key.key.clone()),
            SessionExistence::Known(_) => kept.push(json!({"redis_key": key.key, "reason": "KATO knows it"})),
            SessionExistence::Unsupported => kept.push(
                json!({"redis_key": key.key, "reason": "KATO knows it (a live 1.x session has no /exists route)"}),
            ),
        }
    }
    let cleaned = if q.dry_run || orphaned.is_empty() {
        0
    } else {
        keys::delete(&state, &orphaned).await?
    };
    tracing::info!(target: "audit", action = "sessions.cleanup", dry_run = q.dry_run, orphaned = orphaned.len(), cleaned, "session key cleanup");
    Ok(Json(json!({
        "success": true,
        "dry_run": q.dry_run,
        "cleaned_count": cleaned,
        "orphaned": orphaned,
        "kept": kept,
        "checked": candidates.len(),
        "timestamp": rfc3339(Utc::now()),
    })))
}

/// Body of the bulk delete.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkDelete {
    /// Session ids (at most 500)
    session_ids: Vec<String>,
}

/// Delete several sessions
///
/// Each through KATO's API, like the single delete. At most 500 ids. Admin only; audited.
#[utoipa::path(
    post,
    path = "/sessions/bulk-delete",
    tag = "sessions",
    request_body(content = BulkDelete, description = "`{\"session_ids\": [\"session-…\"]}`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub async fn bulk_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkDelete>,
) -> Result<Json<Value>, ApiError> {
    let ids = body.session_ids;
    if ids.is_empty() {
        return Err(ApiError::Invalid("No session IDs provided".into()));
    }
    if ids.len() > MAX_BULK {
        return Err(ApiError::Invalid(format!(
            "at most {MAX_BULK} session ids per request ({} given)",
            ids.len()
        )));
    }
    require_admin(
        &state,
        &headers,
        "session.bulk_delete",
        &format!("{} sessions", ids.len()),
    )?;
    let mut results = Vec::with_capacity(ids.len());
    let mut deleted = 0usize;
    for id in &ids {
        match state.kato.delete_session(id).await {
            Ok(_) => {
                deleted += 1;
                let _ = state
                    .collected
                    .sessions_input
                    .send(SessionInput::Deleted(id.clone()))
                    .await;
                results.push(json!({"session_id": id, "status": "deleted"}));
            }
            Err(KatoError::NotFound { .. }) => {
                results.push(json!({"session_id": id, "status": "not_found"}));
            }
            Err(e) => {
                let reason = match ApiError::from(e) {
                    ApiError::Internal(_) => "internal error".to_owned(),
                    other => other.to_string(),
                };
                results.push(json!({"session_id": id, "status": "failed", "detail": reason}));
            }
        }
    }
    Ok(Json(json!({
        "success": deleted == ids.len(),
        "deleted_count": deleted,
        "requested_count": ids.len(),
        "failed_count": ids.len() - deleted,
        "results": results,
    })))
}

/// The session id of a session key; `None` for KATO's index and lock keys.
fn session_id_of(key: &str) -> Option<String> {
    is_session_key(key)
        .then(|| key.strip_prefix(crate::collectors::redis_scan::SESSION_PREFIX))
        .flatten()
        .map(str::to_owned)
}

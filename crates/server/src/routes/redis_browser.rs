//! `/databases/redis/*`: the old dashboard's Redis paths and shapes (seed-dashboard §1.6), fixed: `SCAN` with
//! cursor paging, type and TTL per key, every type shown (paged), keys with any bytes addressable
//! (`/keys/{*key}` takes `/`; `/key?key=` or `?key_b64=` takes anything), 404 for missing keys, 503 when Redis
//! is down, and deletes for admins only — by key or by pattern, never `FLUSHDB`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use kato_dashboard_browse_redis::{DetailQuery, KeyName};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::require_browser_admin, error::ApiError, extract::ApiQuery, openapi::UpstreamErrors,
    state::AppState,
};

/// KATO's session keys (the old `/redis/sessions` scanned `session:*` and found nothing).
const SESSION_PATTERN: &str = "kato:session:*";
/// Most keys `/redis/sessions` lists.
const MAX_SESSION_KEYS: usize = 1000;

/// The Redis routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(info))
        .routes(routes!(keys))
        .routes(routes!(detail_by_path, delete_by_path))
        .routes(routes!(detail, delete))
        .routes(routes!(sessions))
        .routes(routes!(flush))
}

/// INFO summary and cache hit rate
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/redis/info",
    tag = "redis",
    responses(UpstreamErrors)
)]
async fn info(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.redis_browser.info().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ScanParams {
    /// MATCH pattern (default *)
    #[serde(default = "all")]
    pattern: String,
    /// Keys per page (default 100)
    #[serde(default = "hundred")]
    count: usize,
    /// Cursor of the next page (0 to start)
    #[serde(default = "zero")]
    cursor: String,
}

fn all() -> String {
    "*".into()
}
fn hundred() -> usize {
    100
}
fn zero() -> String {
    "0".into()
}

/// SCAN keys (never KEYS) with type and TTL
///
/// `keys` (names, the old shape) plus `items` with type and TTL, and the cursor of the next page (`"0"` when complete).
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/redis/keys",
    tag = "redis",
    params(ScanParams),
    responses(UpstreamErrors)
)]
async fn keys(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ScanParams>,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .redis_browser
        .scan(&p.pattern, &p.cursor, p.count)
        .await?;
    let names: Vec<&str> = page.items.iter().map(|k| k.key.as_str()).collect();
    Ok(Json(json!({
        "keys": names,
        "items": page.items,
        "total": page.items.len(),
        "pattern": p.pattern,
        "cursor": page.cursor,
        "complete": page.complete,
    })))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct KeyParams {
    /// Key (URL-encoded; any characters); `/key` only
    key: Option<String>,
    /// Key as base64, for keys that are not UTF-8; `/key` only
    key_b64: Option<String>,
    /// Paging cursor of big values
    cursor: Option<String>,
    /// Offset in lists and sorted sets
    #[serde(default)]
    offset: u64,
    /// Items per page of big values
    count: Option<usize>,
}

impl KeyParams {
    fn detail(&self) -> DetailQuery {
        DetailQuery {
            cursor: self.cursor.clone(),
            offset: self.offset,
            count: self.count,
        }
    }
}

/// Key detail for every type, paged for big values, with TTL and size
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/redis/key",
    tag = "redis",
    params(KeyParams),
    responses(UpstreamErrors)
)]
async fn detail(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<KeyParams>,
) -> Result<Json<Value>, ApiError> {
    let key = KeyName::from_params(p.key.as_deref(), p.key_b64.as_deref())?;
    Ok(Json(
        state.redis_browser.key_detail(&key, &p.detail()).await?,
    ))
}

/// Key detail by path (the key may contain /)
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/redis/keys/{*key}",
    tag = "redis",
    params(("key" = String, Path, description = "The key"), KeyParams),
    responses(UpstreamErrors)
)]
async fn detail_by_path(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiQuery(p): ApiQuery<KeyParams>,
) -> Result<Json<Value>, ApiError> {
    let key = KeyName(key.into_bytes());
    Ok(Json(
        state.redis_browser.key_detail(&key, &p.detail()).await?,
    ))
}

/// Delete a key (UNLINK)
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/redis/key",
    tag = "redis",
    params(KeyParams),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<KeyParams>,
) -> Result<Json<Value>, ApiError> {
    let key = KeyName::from_params(p.key.as_deref(), p.key_b64.as_deref())?;
    delete_key(&state, &headers, key).await
}

/// Delete a key by path
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/redis/keys/{*key}",
    tag = "redis",
    params(("key" = String, Path, description = "The key")),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn delete_by_path(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    delete_key(&state, &headers, KeyName(key.into_bytes())).await
}

async fn delete_key(
    state: &AppState,
    headers: &HeaderMap,
    key: KeyName,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(state, headers, "redis.delete_key", &key.text())?;
    state.redis_browser.delete_key(&key).await?;
    Ok(Json(
        json!({ "success": true, "key": key.text(), "key_b64": key.b64(), "deleted_keys": 1 }),
    ))
}

/// KATO's session keys (kato:session:*)
///
/// At most 1,000, sorted. Read-only.
#[utoipa::path(
    get,
    path = "/databases/redis/sessions",
    tag = "redis",
    responses(UpstreamErrors)
)]
async fn sessions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut names = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        let page = state
            .redis_browser
            .scan(SESSION_PATTERN, &cursor, 500)
            .await?;
        names.extend(page.items.into_iter().map(|k| k.key));
        if page.complete || names.len() >= MAX_SESSION_KEYS {
            break;
        }
        cursor = page.cursor;
    }
    names.truncate(MAX_SESSION_KEYS);
    names.sort();
    Ok(Json(json!({ "total": names.len(), "session_keys": names })))
}

#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
struct FlushParams {
    /// Required MATCH pattern (here or in the body)
    pattern: Option<String>,
}

/// Delete the keys matching a pattern (SCAN + UNLINK; never FLUSHDB)
///
/// The pattern comes as `?pattern=` or in the body; without one the call is refused (the old dashboard ran `FLUSHDB`).
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    post,
    path = "/databases/redis/flush",
    tag = "redis",
    params(FlushParams),
    request_body(content = Option<FlushParams>, description = "`{\"pattern\": \"…\"}`, or `?pattern=`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn flush(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<FlushParams>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<FlushParams>(&body)
            .map_err(|e| ApiError::BadRequest(format!("body must be {{\"pattern\": \"…\"}}: {e}")))?
            .pattern
    };
    let Some(pattern) = from_body.or(query.pattern).filter(|p| !p.is_empty()) else {
        return Err(ApiError::BadRequest(
            "a pattern is required: FLUSHDB is never run (use pattern=* to delete every key by SCAN)".into(),
        ));
    };
    require_browser_admin(&state, &headers, "redis.delete_by_pattern", &pattern)?;
    let deleted = state.redis_browser.delete_by_pattern(&pattern).await?;
    tracing::warn!(target: "audit", %pattern, deleted, "Redis keys deleted by pattern");
    Ok(Json(
        json!({ "success": true, "deleted_keys": deleted, "pattern": pattern }),
    ))
}

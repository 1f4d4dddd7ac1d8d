//! `/databases/redis/*`: the old dashboard's Redis paths and shapes (seed-dashboard §1.6), fixed: `SCAN` with
//! cursor paging, type and TTL per key, every type shown (paged), keys with any bytes addressable
//! (`/keys/{*key}` takes `/`; `/key?key=` or `?key_b64=` takes anything), 404 for missing keys, 503 when Redis
//! is down, and deletes for admins only — by key or by pattern, never `FLUSHDB`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
    routing::{get, post},
};
use kato_dashboard_browse_redis::{DetailQuery, KeyName};
use serde::Deserialize;
use serde_json::{Value, json};

use super::databases::require_browser_admin;
use crate::{error::ApiError, extract::ApiQuery, state::AppState};

/// KATO's session keys (the old `/redis/sessions` scanned `session:*` and found nothing).
const SESSION_PATTERN: &str = "kato:session:*";
/// Most keys `/redis/sessions` lists.
const MAX_SESSION_KEYS: usize = 1000;

/// The Redis routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/databases/redis/info", get(info))
        .route("/databases/redis/keys", get(keys))
        .route(
            "/databases/redis/keys/{*key}",
            get(detail_by_path).delete(delete_by_path),
        )
        .route("/databases/redis/key", get(detail).delete(delete))
        .route("/databases/redis/sessions", get(sessions))
        .route("/databases/redis/flush", post(flush))
}

async fn info(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.redis_browser.info().await?))
}

#[derive(Debug, Deserialize)]
struct ScanParams {
    #[serde(default = "all")]
    pattern: String,
    #[serde(default = "hundred")]
    count: usize,
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

/// `GET /keys?pattern&count&cursor`: `keys` (names, the old shape) plus `items` with type and TTL, and the
/// cursor of the next page (`"0"` when complete).
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

#[derive(Debug, Default, Deserialize)]
struct KeyParams {
    key: Option<String>,
    key_b64: Option<String>,
    cursor: Option<String>,
    #[serde(default)]
    offset: u64,
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

async fn detail(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<KeyParams>,
) -> Result<Json<Value>, ApiError> {
    let key = KeyName::from_params(p.key.as_deref(), p.key_b64.as_deref())?;
    Ok(Json(
        state.redis_browser.key_detail(&key, &p.detail()).await?,
    ))
}

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

async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<KeyParams>,
) -> Result<Json<Value>, ApiError> {
    let key = KeyName::from_params(p.key.as_deref(), p.key_b64.as_deref())?;
    delete_key(&state, &headers, key).await
}

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

/// `GET /sessions`: KATO's session keys.
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

#[derive(Debug, Default, Deserialize)]
struct FlushParams {
    pattern: Option<String>,
}

/// `POST /flush?pattern=…` (or body `{"pattern": …}`): deletes the keys matching the pattern. Without a pattern
/// it refuses (the old dashboard ran `FLUSHDB`).
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

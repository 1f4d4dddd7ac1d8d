//! `/databases/mongodb/*`: the old dashboard's MongoDB paths and shapes (seed-dashboard §1.4), with ObjectId
//! ids, server-side search, honest status codes, and admin-only changes (drops need a typed confirmation).

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
    routing::{get, post},
};
use kato_dashboard_browse_mongo::{PatternQuery, SearchMode, SortKey, filter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::databases::require_browser_admin;
use crate::{
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    state::AppState,
};

mod collections;

const PATTERNS: &str = "patterns_kb";
const SYMBOLS: &str = "symbols_kb";

/// The MongoDB routes.
pub(crate) fn routes() -> Router<AppState> {
    let base = "/databases/mongodb";
    Router::new()
        .route(&format!("{base}/processors"), get(processors))
        .route(
            &format!("{base}/processors/{{db}}"),
            axum::routing::delete(drop_database),
        )
        .route(&format!("{base}/{{db}}/patterns"), get(patterns))
        .route(
            &format!("{base}/{{db}}/patterns/bulk-delete"),
            post(bulk_delete_patterns),
        )
        .route(
            &format!("{base}/{{db}}/patterns/{{id}}"),
            get(pattern).put(update_pattern).delete(delete_pattern),
        )
        .route(&format!("{base}/{{db}}/symbols"), get(symbols))
        .route(&format!("{base}/{{db}}/symbols/{{id}}"), get(symbol))
        .route(&format!("{base}/{{db}}/statistics"), get(statistics))
        .route(
            &format!("{base}/{{db}}/collections"),
            get(collections::collections),
        )
        .route(
            &format!("{base}/{{db}}/collections/{{c}}"),
            axum::routing::delete(collections::drop_collection),
        )
        .route(
            &format!("{base}/{{db}}/collections/{{c}}/statistics"),
            get(collections::collection_statistics),
        )
        .route(
            &format!("{base}/{{db}}/collections/{{c}}/documents"),
            get(collections::documents),
        )
        .route(
            &format!("{base}/{{db}}/collections/{{c}}/documents/bulk-delete"),
            post(collections::bulk_delete_documents),
        )
        .route(
            &format!("{base}/{{db}}/collections/{{c}}/documents/{{id}}"),
            get(collections::document)
                .put(collections::update_document)
                .delete(collections::delete_document),
        )
}

#[derive(Debug, Deserialize)]
pub(super) struct PageParams {
    #[serde(default)]
    skip: u64,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    sort_by: Option<String>,
    #[serde(default)]
    sort_order: Option<String>,
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    search_mode: Option<SearchMode>,
    #[serde(default)]
    filter: Option<String>,
}

fn default_limit() -> i64 {
    100
}

impl PageParams {
    fn pattern_query(&self) -> Result<PatternQuery, ApiError> {
        let sort_by = match self.sort_by.as_deref() {
            None | Some("") => SortKey::default(),
            Some(s) => serde_json::from_value(json!(s)).map_err(|_| {
                ApiError::BadRequest(format!(
                    "sort_by must be frequency, length, name or _id, not `{s}`"
                ))
            })?,
        };
        Ok(PatternQuery {
            skip: self.skip,
            limit: self.limit,
            sort_by,
            sort_order: filter::sort_order(self.sort_order.as_deref())?,
            search: self.search.clone(),
            search_mode: self.search_mode.unwrap_or_default(),
        })
    }
}

async fn processors(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let kbs = state.mongo.knowledge_bases().await?;
    Ok(Json(json!({ "total": kbs.len(), "processors": kbs })))
}

/// A typed confirmation, from the JSON body or `?confirm=`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Confirm {
    confirm: Option<String>,
}

/// The confirmation from a DELETE's optional JSON body, else from the query string.
pub(super) fn confirmation(query: Confirm, body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(query.confirm);
    }
    let parsed: Confirm = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("body must be {{\"confirm\": \"…\"}}: {e}")))?;
    Ok(parsed.confirm.or(query.confirm))
}

async fn drop_database(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(db): Path<String>,
    ApiQuery(query): ApiQuery<Confirm>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    filter::database(&db)?;
    require_browser_admin(&state, &headers, "mongodb.drop_database", &db)?;
    state
        .mongo
        .drop_database(&db, confirmation(query, &body)?.as_deref())
        .await?;
    tracing::warn!(target: "audit", database = %db, "MongoDB database dropped");
    Ok(Json(json!({
        "success": true,
        "processor_id": db,
        "message": format!("Database {db} deleted successfully"),
    })))
}

async fn page_of(
    state: &AppState,
    db: &str,
    collection: &str,
    params: &PageParams,
    field: &str,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .mongo
        .patterns(db, collection, &params.pattern_query()?)
        .await?;
    Ok(Json(json!({
        field: page.documents,
        "total": page.total,
        "skip": page.skip,
        "limit": page.limit,
        "has_more": page.has_more,
    })))
}

async fn patterns(
    State(state): State<AppState>,
    Path(db): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Value>, ApiError> {
    page_of(&state, &db, PATTERNS, &params, "patterns").await
}

async fn symbols(
    State(state): State<AppState>,
    Path(db): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Value>, ApiError> {
    page_of(&state, &db, SYMBOLS, &params, "symbols").await
}

async fn pattern(
    State(state): State<AppState>,
    Path((db, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.document(&db, PATTERNS, &id).await?))
}

async fn symbol(
    State(state): State<AppState>,
    Path((db, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.document(&db, SYMBOLS, &id).await?))
}

async fn update_pattern(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((db, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(
        &state,
        &headers,
        "mongodb.update_pattern",
        &format!("{db}/{id}"),
    )?;
    let (matched, modified) = state
        .mongo
        .update_document(&db, PATTERNS, &id, body)
        .await?;
    Ok(Json(json!({
        "success": true, "pattern_id": id, "matched_count": matched, "modified_count": modified,
    })))
}

async fn delete_pattern(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((db, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(
        &state,
        &headers,
        "mongodb.delete_pattern",
        &format!("{db}/{id}"),
    )?;
    state.mongo.delete_document(&db, PATTERNS, &id).await?;
    Ok(Json(json!({ "success": true, "pattern_id": id })))
}

#[derive(Debug, Deserialize)]
struct PatternIds {
    pattern_ids: Vec<String>,
}

async fn bulk_delete_patterns(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(db): Path<String>,
    ApiJson(body): ApiJson<PatternIds>,
) -> Result<Json<Value>, ApiError> {
    bulk_delete(&state, &headers, &db, PATTERNS, &body.pattern_ids).await
}

pub(super) async fn bulk_delete(
    state: &AppState,
    headers: &HeaderMap,
    db: &str,
    collection: &str,
    ids: &[String],
) -> Result<Json<Value>, ApiError> {
    if ids.is_empty() {
        return Err(ApiError::BadRequest("No IDs provided".into()));
    }
    let target = format!("{db}/{collection} ({} ids)", ids.len());
    require_browser_admin(state, headers, "mongodb.bulk_delete", &target)?;
    let deleted = state.mongo.delete_documents(db, collection, ids).await?;
    Ok(Json(json!({
        "success": true, "deleted_count": deleted, "requested_count": ids.len(),
    })))
}

async fn statistics(
    State(state): State<AppState>,
    Path(db): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.pattern_statistics(&db).await?))
}

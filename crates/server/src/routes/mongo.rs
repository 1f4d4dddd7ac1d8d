//! `/databases/mongodb/*`: the old dashboard's MongoDB paths and shapes (seed-dashboard §1.4), with ObjectId
//! ids, server-side search, honest status codes, and admin-only changes (drops need a typed confirmation).

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use kato_dashboard_browse_mongo::filter;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::require_browser_admin,
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    openapi::UpstreamErrors,
    state::AppState,
};

mod collections;
mod params;

use params::{Confirm, Db, DbId, PageParams, confirmation};

const PATTERNS: &str = "patterns_kb";
const SYMBOLS: &str = "symbols_kb";

/// The MongoDB routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    use collections as c;
    OpenApiRouter::new()
        .routes(routes!(processors))
        .routes(routes!(drop_database))
        .routes(routes!(patterns))
        .routes(routes!(bulk_delete_patterns))
        .routes(routes!(pattern, update_pattern, delete_pattern))
        .routes(routes!(symbols))
        .routes(routes!(symbol))
        .routes(routes!(statistics))
        .routes(routes!(c::collections))
        .routes(routes!(c::drop_collection))
        .routes(routes!(c::collection_statistics))
        .routes(routes!(c::documents))
        .routes(routes!(c::bulk_delete_documents))
        .routes(routes!(c::document, c::update_document, c::delete_document))
}

/// Knowledge bases (databases holding *_kb collections)
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/processors",
    tag = "mongodb",
    responses(UpstreamErrors)
)]
async fn processors(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let kbs = state.mongo.knowledge_bases().await?;
    Ok(Json(json!({ "total": kbs.len(), "processors": kbs })))
}

/// Drop a knowledge base
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/mongodb/processors/{db}",
    tag = "mongodb",
    params(Db, Confirm),
    request_body(content = Option<Confirm>, description = "`{\"confirm\": \"<db>\"}`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn drop_database(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(Db { db }): Path<Db>,
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

/// Patterns, paged, sorted, searched on the server
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/patterns",
    tag = "mongodb",
    params(Db, PageParams),
    responses(UpstreamErrors)
)]
async fn patterns(
    State(state): State<AppState>,
    Path(Db { db }): Path<Db>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Value>, ApiError> {
    page_of(&state, &db, PATTERNS, &params, "patterns").await
}

/// Symbols, paged
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/symbols",
    tag = "mongodb",
    params(Db, PageParams),
    responses(UpstreamErrors)
)]
async fn symbols(
    State(state): State<AppState>,
    Path(Db { db }): Path<Db>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Value>, ApiError> {
    page_of(&state, &db, SYMBOLS, &params, "symbols").await
}

/// One pattern
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/patterns/{id}",
    tag = "mongodb",
    params(DbId),
    responses(UpstreamErrors)
)]
async fn pattern(
    State(state): State<AppState>,
    Path(DbId { db, id }): Path<DbId>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.document(&db, PATTERNS, &id).await?))
}

/// One symbol
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/symbols/{id}",
    tag = "mongodb",
    params(DbId),
    responses(UpstreamErrors)
)]
async fn symbol(
    State(state): State<AppState>,
    Path(DbId { db, id }): Path<DbId>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.document(&db, SYMBOLS, &id).await?))
}

/// Update a pattern
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    put,
    path = "/databases/mongodb/{db}/patterns/{id}",
    tag = "mongodb",
    params(DbId),
    request_body(content = Object, description = "Fields to set (not `_id`)"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn update_pattern(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(DbId { db, id }): Path<DbId>,
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

/// Delete a pattern
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/mongodb/{db}/patterns/{id}",
    tag = "mongodb",
    params(DbId),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn delete_pattern(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(DbId { db, id }): Path<DbId>,
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

#[derive(Debug, Deserialize, ToSchema)]
struct PatternIds {
    pattern_ids: Vec<String>,
}

/// Delete patterns by id
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    post,
    path = "/databases/mongodb/{db}/patterns/bulk-delete",
    tag = "mongodb",
    params(Db),
    request_body(content = PatternIds, description = "`{\"pattern_ids\": [...]}`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn bulk_delete_patterns(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(Db { db }): Path<Db>,
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

/// Totals, frequency figures, length distribution
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/statistics",
    tag = "mongodb",
    params(Db),
    responses(UpstreamErrors)
)]
async fn statistics(
    State(state): State<AppState>,
    Path(Db { db }): Path<Db>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.pattern_statistics(&db).await?))
}

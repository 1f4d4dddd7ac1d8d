//! `/databases/mongodb/{db}/collections/*`: any collection's statistics, documents (paging, JSON filter),
//! document detail, edits and deletes by id, and the confirmed collection drop.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use kato_dashboard_browse_mongo::{Document, DocumentQuery, filter};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{
    bulk_delete,
    params::{Confirm, Db, DbCollection, DbCollectionId, PageParams, confirmation},
};
use crate::{
    auth::require_browser_admin,
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    openapi::UpstreamErrors,
    state::AppState,
};

/// Collections with statistics
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/collections",
    tag = "mongodb",
    params(Db),
    responses(UpstreamErrors)
)]
pub(super) async fn collections(
    State(state): State<AppState>,
    Path(Db { db }): Path<Db>,
) -> Result<Json<Value>, ApiError> {
    let details = state.mongo.collections(&db).await?;
    let names: Vec<&str> = details.iter().map(|c| c.name.as_str()).collect();
    Ok(Json(json!({
        "collections": names, "details": details, "total": details.len(), "processor_id": db,
    })))
}

/// Drop a collection
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/mongodb/{db}/collections/{c}",
    tag = "mongodb",
    params(DbCollection, Confirm),
    request_body(content = Option<Confirm>, description = "`{\"confirm\": \"<collection>\"}`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub(super) async fn drop_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(DbCollection { db, c }): Path<DbCollection>,
    ApiQuery(query): ApiQuery<Confirm>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    filter::database(&db)?;
    require_browser_admin(
        &state,
        &headers,
        "mongodb.drop_collection",
        &format!("{db}/{c}"),
    )?;
    state
        .mongo
        .drop_collection(&db, &c, confirmation(query, &body)?.as_deref())
        .await?;
    tracing::warn!(target: "audit", database = %db, collection = %c, "MongoDB collection dropped");
    Ok(Json(
        json!({ "success": true, "processor_id": db, "collection_name": c }),
    ))
}

/// One collection's statistics
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/collections/{c}/statistics",
    tag = "mongodb",
    params(DbCollection),
    responses(UpstreamErrors)
)]
pub(super) async fn collection_statistics(
    State(state): State<AppState>,
    Path(DbCollection { db, c }): Path<DbCollection>,
) -> Result<Json<Value>, ApiError> {
    let info = state.mongo.collection_info(&db, &c).await?;
    let mut body = json!({
        "total_documents": info.count, "collection_name": info.name, "stats_available": info.stats_available,
    });
    if info.stats_available {
        body["size_bytes"] = json!(info.size_bytes);
        body["avg_document_size"] = json!(info.avg_document_size);
        body["storage_size"] = json!(info.storage_size);
        body["indexes"] = json!(info.indexes);
    }
    Ok(Json(body))
}

/// Documents, paged, with a JSON filter
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/collections/{c}/documents",
    tag = "mongodb",
    params(DbCollection, PageParams),
    responses(UpstreamErrors)
)]
pub(super) async fn documents(
    State(state): State<AppState>,
    Path(DbCollection { db, c }): Path<DbCollection>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Value>, ApiError> {
    let sort_by = filter::sort_field(params.sort_by.as_deref().unwrap_or("_id"))?;
    let mut sort = mongodb_sort(sort_by, filter::sort_order(params.sort_order.as_deref())?);
    if sort_by != "_id" {
        sort.insert("_id", 1);
    }
    let query = DocumentQuery {
        skip: params.skip,
        limit: params.limit,
        filter: filter::json_filter(params.filter.as_deref())?,
        sort,
    };
    let page = state.mongo.documents(&db, &c, query).await?;
    Ok(Json(json!({
        "documents": page.documents, "total": page.total, "skip": page.skip, "limit": page.limit,
        "has_more": page.has_more, "collection_name": c,
    })))
}

fn mongodb_sort(field: &str, order: i32) -> Document {
    let mut sort = Document::new();
    sort.insert(field, order);
    sort
}

/// One document
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/mongodb/{db}/collections/{c}/documents/{id}",
    tag = "mongodb",
    params(DbCollectionId),
    responses(UpstreamErrors)
)]
pub(super) async fn document(
    State(state): State<AppState>,
    Path(DbCollectionId { db, c, id }): Path<DbCollectionId>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.document(&db, &c, &id).await?))
}

/// Replace a document's fields
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    put,
    path = "/databases/mongodb/{db}/collections/{c}/documents/{id}",
    tag = "mongodb",
    params(DbCollectionId),
    request_body(content = Object, description = "Fields to set (not `_id`)"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub(super) async fn update_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(DbCollectionId { db, c, id }): Path<DbCollectionId>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(
        &state,
        &headers,
        "mongodb.update_document",
        &format!("{db}/{c}/{id}"),
    )?;
    let (matched, modified) = state.mongo.update_document(&db, &c, &id, body).await?;
    Ok(Json(json!({
        "success": true, "document_id": id, "matched_count": matched, "modified_count": modified,
    })))
}

/// Delete a document
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/mongodb/{db}/collections/{c}/documents/{id}",
    tag = "mongodb",
    params(DbCollectionId),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub(super) async fn delete_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(DbCollectionId { db, c, id }): Path<DbCollectionId>,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(
        &state,
        &headers,
        "mongodb.delete_document",
        &format!("{db}/{c}/{id}"),
    )?;
    state.mongo.delete_document(&db, &c, &id).await?;
    Ok(Json(json!({ "success": true, "document_id": id })))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct DocumentIds {
    document_ids: Vec<String>,
}

/// Delete documents by id
///
/// Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    post,
    path = "/databases/mongodb/{db}/collections/{c}/documents/bulk-delete",
    tag = "mongodb",
    params(DbCollection),
    request_body(content = DocumentIds, description = "`{\"document_ids\": [...]}`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub(super) async fn bulk_delete_documents(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(DbCollection { db, c }): Path<DbCollection>,
    ApiJson(body): ApiJson<DocumentIds>,
) -> Result<Json<Value>, ApiError> {
    bulk_delete(&state, &headers, &db, &c, &body.document_ids).await
}

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

use super::{Confirm, PageParams, bulk_delete, confirmation};
use crate::{
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    routes::databases::require_browser_admin,
    state::AppState,
};

pub(super) async fn collections(
    State(state): State<AppState>,
    Path(db): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let details = state.mongo.collections(&db).await?;
    let names: Vec<&str> = details.iter().map(|c| c.name.as_str()).collect();
    Ok(Json(json!({
        "collections": names, "details": details, "total": details.len(), "processor_id": db,
    })))
}

pub(super) async fn drop_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((db, c)): Path<(String, String)>,
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

pub(super) async fn collection_statistics(
    State(state): State<AppState>,
    Path((db, c)): Path<(String, String)>,
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

pub(super) async fn documents(
    State(state): State<AppState>,
    Path((db, c)): Path<(String, String)>,
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

pub(super) async fn document(
    State(state): State<AppState>,
    Path((db, c, id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.mongo.document(&db, &c, &id).await?))
}

pub(super) async fn update_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((db, c, id)): Path<(String, String, String)>,
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

pub(super) async fn delete_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((db, c, id)): Path<(String, String, String)>,
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

#[derive(Debug, Deserialize)]
pub(super) struct DocumentIds {
    document_ids: Vec<String>,
}

pub(super) async fn bulk_delete_documents(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((db, c)): Path<(String, String)>,
    ApiJson(body): ApiJson<DocumentIds>,
) -> Result<Json<Value>, ApiError> {
    bulk_delete(&state, &headers, &db, &c, &body.document_ids).await
}

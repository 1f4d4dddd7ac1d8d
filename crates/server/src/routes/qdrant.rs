//! `/api/v1/databases/qdrant/*`: the Qdrant browser, on the old dashboard's paths and shapes, with honest status
//! codes (Qdrant down is 503, slow is 504, a missing collection or point 404, a bad id or vector 422) instead of
//! the old empty 200s. Deletes need the admin token and read-only off (`auth::require_browser_admin`); dropping a collection also needs
//! its name typed back as `?confirm=<name>`.
//!
//! The browser itself is [`AppState::qdrant`] (shared with `/health` and `/databases/features`).

use axum::{
    Json,
    extract::{Path, State},
    http::HeaderMap,
};
use kato_dashboard_browse_qdrant::{BrowseError, PointKey, QdrantBrowser};
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::require_browser_admin,
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    openapi::UpstreamErrors,
    state::AppState,
};

mod params;

use params::{
    CollectionName, ConfirmQuery, DeletePointsBody, PointPath, PointQuery, ScrollQuery, SearchBody,
    SimilarQuery,
};

/// The prefix KATO gives its per-node collections.
const KATO_PREFIX: &str = "vectors_";

/// The routes, for `routes::router` to merge.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(collections))
        .routes(routes!(processors))
        .routes(routes!(collection, delete_collection))
        .routes(routes!(scroll))
        .routes(routes!(delete_points))
        .routes(routes!(point))
        .routes(routes!(similar))
        .routes(routes!(search))
}

impl From<BrowseError> for ApiError {
    fn from(e: BrowseError) -> Self {
        match e {
            BrowseError::Unavailable(reason) => Self::Unavailable {
                upstream: "qdrant",
                reason,
            },
            BrowseError::Timeout(t) => Self::Timeout {
                upstream: "qdrant",
                seconds: t.as_secs_f64(),
            },
            BrowseError::NotFound(m) => Self::NotFound(m),
            BrowseError::Invalid(m) => Self::Invalid(m),
            BrowseError::Upstream(reason) => Self::BadGateway {
                upstream: "qdrant",
                reason,
            },
        }
    }
}

/// The Qdrant browser, or 503 with why the configured URL is unusable.
fn browser(state: &AppState) -> Result<&QdrantBrowser, ApiError> {
    state
        .qdrant
        .as_ref()
        .map_err(|reason| ApiError::Unavailable {
            upstream: "qdrant",
            reason: reason.clone(),
        })
}

fn point_key(id: &str) -> Result<PointKey, ApiError> {
    Ok(PointKey::parse(id)?)
}

/// Collections (points, vector size, distance, status)
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/qdrant/collections",
    tag = "qdrant",
    responses(UpstreamErrors)
)]
async fn collections(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = browser(&state)?.collections().await?;
    Ok(Json(json!({ "total": list.len(), "collections": list })))
}

/// Collections grouped by KATO processor
///
/// KATO's `vectors_<processor>` collections. Read-only.
#[utoipa::path(
    get,
    path = "/databases/qdrant/processors",
    tag = "qdrant",
    responses(UpstreamErrors)
)]
async fn processors(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = browser(&state)?.collections().await?;
    let processors: Vec<Value> = list
        .into_iter()
        .filter_map(|c| {
            let id = c.name.strip_prefix(KATO_PREFIX)?.to_owned();
            let mut entry = serde_json::to_value(&c).ok()?;
            entry["processor_id"] = json!(id);
            Some(entry)
        })
        .collect();
    Ok(Json(
        json!({ "total": processors.len(), "processors": processors }),
    ))
}

/// One collection
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/qdrant/collections/{name}",
    tag = "qdrant",
    params(CollectionName),
    responses(UpstreamErrors)
)]
async fn collection(
    State(state): State<AppState>,
    Path(CollectionName { name }): Path<CollectionName>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(browser(&state)?.collection(&name).await?)))
}

/// Scroll points (the answer carries the next and previous offsets)
///
/// One page; `next_offset` starts the next one. Going back is the client's stack of earlier offsets. Read-only.
#[utoipa::path(
    get,
    path = "/databases/qdrant/collections/{name}/points",
    tag = "qdrant",
    params(CollectionName, ScrollQuery),
    responses(UpstreamErrors)
)]
async fn scroll(
    State(state): State<AppState>,
    Path(CollectionName { name }): Path<CollectionName>,
    ApiQuery(q): ApiQuery<ScrollQuery>,
) -> Result<Json<Value>, ApiError> {
    let offset = q
        .offset
        .as_deref()
        .filter(|o| !o.is_empty())
        .map(point_key)
        .transpose()?;
    let page = browser(&state)?
        .scroll(&name, offset, q.limit, q.with_payload, q.with_vectors)
        .await?;
    Ok(Json(json!(page)))
}

/// One point with its vector and payload
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/qdrant/collections/{name}/points/{id}",
    tag = "qdrant",
    params(PointPath, PointQuery),
    responses(UpstreamErrors)
)]
async fn point(
    State(state): State<AppState>,
    Path(PointPath { name, id }): Path<PointPath>,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = point_key(&id)?;
    let p = browser(&state)?
        .point(&name, &id, q.with_payload, q.with_vectors)
        .await?;
    Ok(Json(json!(p)))
}

/// Points nearest to this one (itself excluded)
///
/// Read-only.
#[utoipa::path(
    get,
    path = "/databases/qdrant/collections/{name}/points/{id}/similar",
    tag = "qdrant",
    params(PointPath, SimilarQuery),
    responses(UpstreamErrors)
)]
async fn similar(
    State(state): State<AppState>,
    Path(PointPath { name, id }): Path<PointPath>,
    ApiQuery(q): ApiQuery<SimilarQuery>,
) -> Result<Json<Value>, ApiError> {
    let key = point_key(&id)?;
    let hits = browser(&state)?
        .similar(&name, &key, q.limit, q.score_threshold)
        .await?;
    Ok(Json(json!({
        "reference_point_id": key,
        "count": hits.len(),
        "similar_points": hits,
        "collection": name,
    })))
}

/// Search by vector
///
/// Read-only (POST because the vector is a body); the dimension must match the collection.
#[utoipa::path(
    post,
    path = "/databases/qdrant/collections/{name}/search",
    tag = "qdrant",
    params(CollectionName),
    request_body(content = SearchBody, description = "`{\"query_vector\": [f32; size], \"limit\": N, \"score_threshold\": x}`"),
    responses(UpstreamErrors)
)]
async fn search(
    State(state): State<AppState>,
    Path(CollectionName { name }): Path<CollectionName>,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<Value>, ApiError> {
    if body.query_vector.is_empty() {
        return Err(ApiError::BadRequest("query_vector is required".into()));
    }
    let hits = browser(&state)?
        .search(
            &name,
            body.query_vector,
            body.limit,
            body.score_threshold,
            None,
        )
        .await?;
    Ok(Json(
        json!({ "count": hits.len(), "results": hits, "collection": name }),
    ))
}

/// Delete points by id
///
/// Reports what really existed. Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    post,
    path = "/databases/qdrant/collections/{name}/points/bulk-delete",
    tag = "qdrant",
    params(CollectionName),
    request_body(content = DeletePointsBody, description = "`{\"point_ids\": [...]}`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn delete_points(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(CollectionName { name }): Path<CollectionName>,
    ApiJson(body): ApiJson<DeletePointsBody>,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(&state, &headers, "qdrant.delete_points", &name)?;
    if body.point_ids.is_empty() {
        return Err(ApiError::BadRequest("No point IDs provided".into()));
    }
    let ids = body
        .point_ids
        .iter()
        .map(|v| match v {
            Value::Number(n) => n.as_u64().map(PointKey::Num).ok_or_else(|| {
                ApiError::Invalid(format!("point id {n} is not an unsigned integer"))
            }),
            Value::String(s) => point_key(s),
            other => Err(ApiError::Invalid(format!(
                "point id {other} is neither an unsigned integer nor a UUID"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = browser(&state)?.delete_points(&name, &ids).await?;
    tracing::info!(target: "audit", action = "qdrant.delete_points", collection = %crate::telemetry::untrusted(&name), deleted = out.deleted_count, requested = out.requested_count, "points deleted");
    Ok(Json(json!({
        "success": true,
        "deleted_count": out.deleted_count,
        "requested_count": out.requested_count,
        "missing": out.missing,
        "collection": name,
    })))
}

/// Delete a collection
///
/// The name typed back as `?confirm=<name>`. Admin only, and only with DATABASE_READ_ONLY=false; audited in the log.
#[utoipa::path(
    delete,
    path = "/databases/qdrant/collections/{name}",
    tag = "qdrant",
    params(CollectionName, ConfirmQuery),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
async fn delete_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(CollectionName { name }): Path<CollectionName>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
) -> Result<Json<Value>, ApiError> {
    require_browser_admin(&state, &headers, "qdrant.drop_collection", &name)?;
    if q.confirm.as_deref() != Some(name.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "type the collection name to confirm: ?confirm={name}"
        )));
    }
    browser(&state)?.delete_collection(&name).await?;
    tracing::info!(target: "audit", action = "qdrant.drop_collection", collection = %crate::telemetry::untrusted(&name), "collection dropped");
    Ok(Json(json!({
        "success": true,
        "collection_name": name,
        "message": format!("Collection {name} deleted successfully"),
    })))
}

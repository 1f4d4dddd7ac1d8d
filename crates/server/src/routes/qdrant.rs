//! `/api/v1/databases/qdrant/*`: the Qdrant browser, on the old dashboard's paths and shapes, with honest status
//! codes (Qdrant down is 503, slow is 504, a missing collection or point 404, a bad id or vector 422) instead of
//! the old empty 200s. Deletes need the admin token and read-only off (`databases::require_browser_admin`); dropping a collection also needs
//! its name typed back as `?confirm=<name>`.
//!
//! The browser itself is [`AppState::qdrant`] (shared with `/health` and `/databases/features`).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::HeaderMap,
    routing::{get, post},
};
use kato_dashboard_browse_qdrant::{BrowseError, PointKey, QdrantBrowser};
use serde::Deserialize;
use serde_json::{Value, json};

use super::databases::require_browser_admin;
use crate::{
    error::ApiError,
    extract::{ApiJson, ApiQuery},
    state::AppState,
};

/// The prefix KATO gives its per-node collections.
const KATO_PREFIX: &str = "vectors_";

/// The routes, for `routes::router` to merge.
pub fn routes() -> Router<AppState> {
    let base = "/databases/qdrant";
    Router::new()
        .route(&format!("{base}/collections"), get(collections))
        .route(&format!("{base}/processors"), get(processors))
        .route(
            &format!("{base}/collections/{{name}}"),
            get(collection).delete(delete_collection),
        )
        .route(&format!("{base}/collections/{{name}}/points"), get(scroll))
        .route(
            &format!("{base}/collections/{{name}}/points/bulk-delete"),
            post(delete_points),
        )
        .route(
            &format!("{base}/collections/{{name}}/points/{{id}}"),
            get(point),
        )
        .route(
            &format!("{base}/collections/{{name}}/points/{{id}}/similar"),
            get(similar),
        )
        .route(&format!("{base}/collections/{{name}}/search"), post(search))
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

/// `GET /databases/qdrant/collections`.
async fn collections(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = browser(&state)?.collections().await?;
    Ok(Json(json!({ "total": list.len(), "collections": list })))
}

/// `GET /databases/qdrant/processors`: KATO's `vectors_<processor>` collections.
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

/// `GET /databases/qdrant/collections/{name}`.
async fn collection(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(browser(&state)?.collection(&name).await?)))
}

#[derive(Debug, Deserialize)]
struct ScrollQuery {
    #[serde(default = "default_page")]
    limit: u32,
    #[serde(default)]
    offset: Option<String>,
    #[serde(default)]
    with_vectors: bool,
    #[serde(default = "yes")]
    with_payload: bool,
}

fn default_page() -> u32 {
    100
}

fn yes() -> bool {
    true
}

/// `GET …/collections/{name}/points?limit&offset&with_vectors&with_payload`: one page; `next_offset` starts the
/// next one. Going back is the client's stack of earlier offsets.
async fn scroll(
    State(state): State<AppState>,
    Path(name): Path<String>,
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

#[derive(Debug, Deserialize)]
struct PointQuery {
    #[serde(default = "yes")]
    with_vectors: bool,
    #[serde(default = "yes")]
    with_payload: bool,
}

/// `GET …/collections/{name}/points/{id}` (integer or UUID id).
async fn point(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = point_key(&id)?;
    let p = browser(&state)?
        .point(&name, &id, q.with_payload, q.with_vectors)
        .await?;
    Ok(Json(json!(p)))
}

#[derive(Debug, Deserialize)]
struct SimilarQuery {
    #[serde(default = "default_hits")]
    limit: u64,
    #[serde(default)]
    score_threshold: Option<f32>,
}

fn default_hits() -> u64 {
    10
}

/// `GET …/points/{id}/similar?limit&score_threshold`: the nearest points, never the point itself.
async fn similar(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
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

#[derive(Debug, Deserialize)]
struct SearchBody {
    query_vector: Vec<f32>,
    #[serde(default = "default_hits")]
    limit: u64,
    #[serde(default)]
    score_threshold: Option<f32>,
}

/// `POST …/collections/{name}/search` `{query_vector, limit, score_threshold}`; the dimension must match.
async fn search(
    State(state): State<AppState>,
    Path(name): Path<String>,
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

#[derive(Debug, Deserialize)]
struct DeletePointsBody {
    point_ids: Vec<Value>,
}

/// `POST …/collections/{name}/points/bulk-delete` `{point_ids}` (admin): reports what really existed.
async fn delete_points(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
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

#[derive(Debug, Deserialize)]
struct ConfirmQuery {
    #[serde(default)]
    confirm: Option<String>,
}

/// `DELETE …/collections/{name}?confirm=<name>` (admin, typed confirmation).
async fn delete_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
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

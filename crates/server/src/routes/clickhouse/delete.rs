//! `DELETE /databases/patterns/{kb_id}?confirm=<kb_id>&dry_run=true|false`: a whole knowledge base out of the
//! three stores — its rows in KATO's ClickHouse tables (`DROP PARTITION`, as KATO's `clear-all`), its Redis keys
//! (`SCAN MATCH <kb_id>:*` with the kb_id glob-escaped, KATO's families only, `UNLINK` in batches) and its Qdrant
//! collection `vectors_<kb_id>` (which KATO's `clear-all` leaves behind).
//!
//! Admin only (token, `DATABASE_READ_ONLY=false`), audited, and the kb_id must be typed back (`?confirm=` or
//! `{"confirm": …}`), dry run included. The dry run answers exactly what the real run would remove: row counts
//! and statements, every Redis key with the count per family and the scan pattern, the collection and its
//! points. Every store is asked first; if one cannot answer, nothing is removed (503 naming it). Sessions
//! (`kato:session:*`, which name the node, not the kb_id), the `stm:*` streams and `kato:metrics:*` belong to no
//! knowledge base and are never touched.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use kato_dashboard_browse_clickhouse::KbRows;
use kato_dashboard_browse_redis::kato_kb::KbKeys;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::{Kb, VECTORS_PREFIX, kb, vector_count};
use crate::{
    auth::require_browser_admin, error::ApiError, extract::ApiQuery, openapi::UpstreamErrors,
    state::AppState, telemetry::untrusted,
};

/// Most keys an answer lists (the counts per family are always complete).
const MAX_LISTED_KEYS: usize = 10_000;
/// What a knowledge-base delete never touches, and why.
const NOT_TOUCHED: [&str; 3] = [
    "kato:session:* (sessions name the node, not the knowledge base)",
    "stm:* streams (their entries cannot be attributed to one knowledge base)",
    "kato:metrics:* (KATO's metrics cache belongs to no knowledge base)",
];

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeleteParams {
    /// Must equal kb_id (or in the body)
    confirm: Option<String>,
    /// true: only say what would be removed
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct ConfirmBody {
    /// Must equal kb_id
    confirm: Option<String>,
}

fn dry_run(value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::trim).unwrap_or_default() {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        other => Err(ApiError::BadRequest(format!(
            "dry_run must be true or false, not `{}`",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// What is there now: rows, keys, the collection.
struct Plan {
    rows: KbRows,
    keys: KbKeys,
    /// Points of `vectors_<kb_id>`; `None` when there is no such collection.
    points: Option<u64>,
}

async fn plan(state: &AppState, kb_id: &str) -> Result<Plan, ApiError> {
    let (rows, keys, points) = tokio::join!(
        state.clickhouse.knowledge_base_rows(kb_id),
        state.redis_browser.kato_kb_keys(kb_id),
        vector_count(state, kb_id)
    );
    let points = points.map_err(|reason| ApiError::Unavailable {
        upstream: "qdrant",
        reason,
    })?;
    Ok(Plan {
        rows: rows?,
        keys: keys?,
        points,
    })
}

fn redis_json(keys: &KbKeys, removed: Option<u64>) -> Value {
    json!({
        "scan_pattern": keys.scan_pattern,
        "keys_count": removed.unwrap_or(keys.keys.len() as u64),
        "families": keys.families,
        "keys": keys.keys.iter().take(MAX_LISTED_KEYS).collect::<Vec<_>>(),
        "keys_complete": keys.keys.len() <= MAX_LISTED_KEYS,
        "kept": keys.kept,
    })
}

/// Delete a knowledge base from ClickHouse, Redis and Qdrant (or a dry run)
///
/// Admin only, DATABASE_READ_ONLY=false, audited; the kb_id typed back as ?confirm= (or `{"confirm": …}`). dry_run=true
/// lists exactly what would go (rows and statements, every Redis key with its family counts and the SCAN pattern, the
/// Qdrant collection and its points).
#[utoipa::path(
    delete,
    path = "/databases/patterns/{kb_id}",
    tag = "knowledge bases",
    params(Kb, DeleteParams),
    request_body(content = Option<ConfirmBody>, description = "`{\"confirm\": \"<kb_id>\"}`, or `?confirm=`"),
    security(("adminToken" = []), ("bearer" = [])),
    responses(UpstreamErrors)
)]
pub(super) async fn delete_knowledge_base(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(Kb { kb_id }): Path<Kb>,
    ApiQuery(params): ApiQuery<DeleteParams>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let kb_id = kb(&kb_id)?;
    let dry = dry_run(params.dry_run.as_deref())?;
    let action = if dry {
        "knowledge_base.delete.dry_run"
    } else {
        "knowledge_base.delete"
    };
    require_browser_admin(&state, &headers, action, kb_id)?;
    let confirm = if body.iter().all(u8::is_ascii_whitespace) {
        params.confirm
    } else {
        let parsed: ConfirmBody = serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!("body must be {{\"confirm\": \"…\"}}: {e}"))
        })?;
        parsed.confirm.or(params.confirm)
    };
    if confirm.as_deref() != Some(kb_id) {
        tracing::warn!(
            target: "audit", action, target = %untrusted(kb_id), outcome = "refused",
            "confirmation missing or different"
        );
        return Err(ApiError::BadRequest(format!(
            "deleting a knowledge base needs its kb_id typed back: ?confirm={kb_id}"
        )));
    }
    let before = plan(&state, kb_id).await?;
    let collection = format!("{VECTORS_PREFIX}{kb_id}");
    if before.rows.rows == 0 && before.keys.keys.is_empty() && before.points.is_none() {
        return Err(ApiError::NotFound(format!(
            "knowledge base `{kb_id}` is in none of the stores: no rows in ClickHouse, no keys in Redis, \
             no Qdrant collection {collection}"
        )));
    }
    if dry {
        return Ok(Json(json!({
            "kb_id": kb_id,
            "dry_run": true,
            "clickhouse": before.rows,
            "redis": redis_json(&before.keys, None),
            "qdrant": {"collection": collection, "exists": before.points.is_some(), "points": before.points},
            "not_touched": NOT_TOUCHED,
        })));
    }
    let rows = state.clickhouse.drop_knowledge_base(kb_id).await?;
    let keys = state.redis_browser.kato_kb_keys(kb_id).await.map_err(|e| {
        partial(
            kb_id,
            &format!("{} ClickHouse rows removed", rows.rows),
            e.into(),
        )
    })?;
    let unlinked = state
        .redis_browser
        .unlink_keys(&keys.keys)
        .await
        .map_err(|e| {
            partial(
                kb_id,
                &format!("{} ClickHouse rows removed", rows.rows),
                e.into(),
            )
        })?;
    let qdrant_deleted = match (&state.qdrant, before.points) {
        (Ok(browser), Some(_)) => match browser.delete_collection(&collection).await {
            Ok(()) => true,
            Err(kato_dashboard_browse_qdrant::BrowseError::NotFound(_)) => false,
            Err(e) => {
                let done = format!(
                    "{} ClickHouse rows and {unlinked} Redis keys removed",
                    rows.rows
                );
                return Err(partial(kb_id, &done, e.into()));
            }
        },
        _ => false,
    };
    tracing::warn!(
        target: "audit", action, target = %untrusted(kb_id), outcome = "done",
        clickhouse_rows = rows.rows, redis_keys = unlinked, qdrant_collection_deleted = qdrant_deleted,
        "knowledge base deleted"
    );
    Ok(Json(json!({
        "success": true,
        "kb_id": kb_id,
        "dry_run": false,
        "clickhouse": rows,
        "redis": redis_json(&keys, Some(unlinked)),
        "qdrant": {
            "collection": collection,
            "existed": before.points.is_some(),
            "points": before.points,
            "deleted": qdrant_deleted,
        },
        "not_touched": NOT_TOUCHED,
        "clickhouse_deleted": rows.rows,
        "redis_keys_deleted": unlinked,
        "qdrant_deleted": qdrant_deleted,
        "message": format!(
            "Knowledgebase {kb_id} deleted successfully ({} patterns, {unlinked} Redis keys{})",
            rows.rows,
            if qdrant_deleted { format!(", Qdrant collection {collection}") } else { String::new() }
        ),
    })))
}

/// A store failed after others were already changed: the error says what was done.
fn partial(kb_id: &str, done: &str, e: ApiError) -> ApiError {
    tracing::error!(
        target: "audit", target = %untrusted(kb_id), outcome = "partial", done, error = %e,
        "knowledge base delete stopped halfway"
    );
    match e {
        ApiError::Unavailable { upstream, reason } => ApiError::Unavailable {
            upstream,
            reason: format!(
                "{reason} (the delete stopped halfway: {done}; run it again to finish)"
            ),
        },
        ApiError::Timeout { upstream, seconds } => ApiError::Unavailable {
            upstream,
            reason: format!(
                "no answer within {seconds:.1} s (the delete stopped halfway: {done}; run it again to finish)"
            ),
        },
        ApiError::BadGateway { upstream, reason } => ApiError::BadGateway {
            upstream,
            reason: format!(
                "{reason} (the delete stopped halfway: {done}; run it again to finish)"
            ),
        },
        other => other,
    }
}

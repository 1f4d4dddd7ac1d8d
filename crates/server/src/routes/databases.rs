//! The database browsers' shared part: their routes and the `features` answer the UI uses to hide destructive
//! controls.
//!
//! The browsers are read-only by default: `DATABASE_READ_ONLY` (or the legacy `MONGO_READ_ONLY`) unset counts
//! as `true` for them, so edits and deletes need `DATABASE_READ_ONLY=false` **and** `ADMIN_TOKEN` with a matching
//! `X-Admin-Token` header ([`crate::auth::require_browser_admin`]). Every attempt is written to the audit log.

use axum::{Json, extract::State, http::HeaderMap};
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use kato_dashboard_core::kato::KatoGeneration;

use super::{mongo, redis_browser};
use crate::{
    auth::{browsers_read_only, is_admin},
    state::AppState,
};

/// Longest `features` waits for KATO to say which generation it is (the answer is cached after the first time).
const GENERATION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Every browser route (relative to `/api/v1`).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(features))
        .merge(mongo::routes())
        .merge(redis_browser::routes())
}

/// What the database browsers can do
///
/// Each store's availability, whether the caller is admin, read-only mode, and whether destructive operations
/// are allowed (the UI hides them otherwise).
#[utoipa::path(get, path = "/databases/features", tag = "service")]
async fn features(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let qdrant = async {
        match &state.qdrant {
            Ok(browser) => browser.ping().await.map(|_| ()).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.clone()),
        }
    };
    let clickhouse = async { state.clickhouse.ping().await.map(|_| ()) };
    // Which store holds the patterns depends on KATO's generation (1.x MongoDB, 3.x ClickHouse).
    let generation = async {
        tokio::time::timeout(GENERATION_WAIT, state.kato.detect_generation())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    };
    let (mongo, redis, qdrant, clickhouse, generation) = tokio::join!(
        state.mongo.ping(),
        state.redis_browser.ping(),
        qdrant,
        clickhouse,
        generation
    );
    let patterns_store = match generation {
        KatoGeneration::V1 => json!("mongodb"),
        KatoGeneration::V3 => json!("clickhouse"),
        KatoGeneration::Unknown => Value::Null,
    };
    let availability = |r: Result<(), String>| match r {
        Ok(()) => json!({ "available": true, "reason": null }),
        Err(reason) => json!({ "available": false, "reason": reason }),
    };
    let admin = is_admin(&state, &headers);
    let read_only = browsers_read_only(&state.config);
    Json(json!({
        "mongodb": availability(mongo.map_err(|e| e.to_string())),
        "redis": availability(redis.map_err(|e| e.to_string())),
        "qdrant": availability(qdrant),
        "clickhouse": availability(clickhouse.map_err(|e| e.to_string())),
        "kato_generation": generation,
        "patterns_store": patterns_store,
        "admin": admin,
        "admin_configured": state.config.auth.admin_token.is_some(),
        "read_only": read_only,
        "destructive_allowed": admin && !read_only,
    }))
}

//! `/api/v1/system/container-stats`: the monitored containers as the Docker collector sees them (old shape
//! `{containers, aggregated}` plus `docker`, `missing` and per-container rates). Only monitored containers are
//! served — never any other container of the host — and Docker being unavailable is a 503 with the reason.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::Utc;
use kato_dashboard_core::{
    docker::{ContainerStats, ContainersSnapshot},
    source::SourceState,
};
use serde_json::Value;

use crate::{
    error::ApiError, extract::ApiQuery, openapi::UpstreamErrors, routes::system::CacheQuery,
    state::AppState,
};

fn snapshot(state: &AppState) -> Result<ContainersSnapshot, ApiError> {
    let Some(docker) = &state.collected.docker else {
        return Err(ApiError::Unavailable {
            upstream: "docker",
            reason: "container stats are off (DOCKER_ENABLED=false)".into(),
        });
    };
    let snapshot = docker.current();
    if let SourceState::Unavailable { reason, since } = &snapshot.docker {
        return Err(ApiError::Unavailable {
            upstream: "docker",
            reason: format!(
                "{reason} (since {})",
                kato_dashboard_core::time::rfc3339(*since)
            ),
        });
    }
    Ok(snapshot)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Json<Value>, ApiError> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Monitored containers
///
/// CPU, memory, network and block I/O (totals and rates), pids, status, health, restarts, uptime per container,
/// aggregates, and the names that do not exist (`missing`). 503 when Docker is unavailable.
#[utoipa::path(
    get,
    path = "/system/container-stats",
    tag = "containers",
    params(CacheQuery),
    responses((status = 200, description = "The containers topic's value", body = ContainersSnapshot), UpstreamErrors)
)]
pub async fn all(
    State(state): State<AppState>,
    _q: ApiQuery<CacheQuery>,
) -> Result<Json<Value>, ApiError> {
    to_json(&snapshot(&state)?)
}

/// One monitored container
///
/// 404 for a container that is not monitored or does not exist.
#[utoipa::path(
    get,
    path = "/system/container-stats/{name}",
    tag = "containers",
    params(("name" = String, Path, description = "Container name")),
    responses((status = 200, description = "The container's figures", body = ContainerStats), UpstreamErrors)
)]
pub async fn one(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let snapshot = snapshot(&state)?;
    if let Some(stats) = snapshot.get(&name) {
        return to_json(stats);
    }
    if snapshot.missing.contains(&name) {
        return Err(ApiError::NotFound(format!(
            "Container {name} is monitored but does not exist (checked {})",
            kato_dashboard_core::time::rfc3339(Utc::now())
        )));
    }
    Err(ApiError::NotFound(format!(
        "Container {name} is not a monitored container"
    )))
}

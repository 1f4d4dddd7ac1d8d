//! `/api/v1/system/container-stats`: the monitored containers as the Docker collectors see them (old shape
//! `{containers, aggregated}` plus `docker`, `missing`, per-container rates and, with several engines,
//! `engines`). Only monitored containers are served — never any other container of a host.
//!
//! One engine (`DOCKER_HOST`): answers as before, Docker unavailable is a 503 with the reason. Several
//! (`DOCKER_HOSTS`): `?engine=ID` keeps one engine (a 503 when that engine is down); without it the answer
//! holds every engine and is a 503 only when none answers — an engine that is down shows as such in `docker`
//! and `engines`, its containers `stale`. The same name on two engines is told apart by `?engine=` or by the
//! qualified name `name@engine`.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::Utc;
use kato_dashboard_core::{
    docker::{ContainerStats, ContainersSnapshot, EngineStatus, qualified},
    source::SourceState,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::{error::ApiError, extract::ApiQuery, openapi::UpstreamErrors, state::AppState};

/// Query of the container routes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EngineQuery {
    /// Only this Docker engine (its id, e.g. `local` or `10.0.0.5`; see `GET /system/container-engines`)
    #[serde(default)]
    engine: Option<String>,
    /// Accepted for the old dashboard's clients; answers are always current
    #[serde(default, rename = "use_cache")]
    _use_cache: Option<bool>,
}

fn collected(state: &AppState) -> Result<ContainersSnapshot, ApiError> {
    match &state.collected.docker {
        Some(docker) => Ok(docker.current()),
        None => Err(ApiError::Unavailable {
            upstream: "docker",
            reason: "container stats are off (DOCKER_ENABLED=false)".into(),
        }),
    }
}

fn unavailable(reason: &str, since: &chrono::DateTime<Utc>) -> ApiError {
    ApiError::Unavailable {
        upstream: "docker",
        reason: format!(
            "{reason} (since {})",
            kato_dashboard_core::time::rfc3339(*since)
        ),
    }
}

/// The snapshot a request sees: one engine's with `?engine=`, else all; a 503 when nothing answers.
fn snapshot(state: &AppState, engine: Option<&str>) -> Result<ContainersSnapshot, ApiError> {
    let all = collected(state)?;
    let snapshot = match engine.filter(|e| !e.is_empty()) {
        Some(id) => all.for_engine(id, Utc::now()).ok_or_else(|| {
            let known: Vec<&str> = all.engines.iter().map(|e| e.id.as_str()).collect();
            ApiError::NotFound(format!(
                "no Docker engine `{id}` (watched: {})",
                known.join(", ")
            ))
        })?,
        None => all,
    };
    let answering = snapshot.engines.iter().any(|e| e.docker.is_ok());
    match &snapshot.docker {
        SourceState::Unavailable { reason, since } if !answering => Err(unavailable(reason, since)),
        _ => Ok(snapshot),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Json<Value>, ApiError> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Monitored containers
///
/// CPU, memory, network and block I/O (totals and rates), pids, status, health, restarts, uptime per container,
/// aggregates, and the names that do not exist (`missing`). With several Docker engines, each record has its
/// `engine` and `engines` lists them with their state; `?engine=ID` keeps one. 503 when Docker (every engine,
/// or the one asked for) is unavailable.
#[utoipa::path(
    get,
    path = "/system/container-stats",
    tag = "containers",
    params(EngineQuery),
    responses((status = 200, description = "The containers topic's value", body = ContainersSnapshot), UpstreamErrors)
)]
pub async fn all(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<EngineQuery>,
) -> Result<Json<Value>, ApiError> {
    to_json(&snapshot(&state, q.engine.as_deref())?)
}

/// One monitored container
///
/// 404 for a container that is not monitored or does not exist. With several Docker engines, name it as
/// `name@engine` or add `?engine=ID`; a plain name that exists on several engines is a 422 listing them.
#[utoipa::path(
    get,
    path = "/system/container-stats/{name}",
    tag = "containers",
    params(("name" = String, Path, description = "Container name (`name@engine` with several engines)"), EngineQuery),
    responses((status = 200, description = "The container's figures", body = ContainerStats), UpstreamErrors)
)]
pub async fn one(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<EngineQuery>,
) -> Result<Json<Value>, ApiError> {
    let engine = q.engine.as_deref().filter(|e| !e.is_empty());
    let snapshot = snapshot(&state, engine)?;
    let several =
        snapshot.containers.iter().any(|c| c.engine.is_some()) || snapshot.engines.len() > 1;
    let wanted = match engine {
        Some(id) if several && !name.contains('@') => qualified(&name, id),
        _ => name.clone(),
    };
    if let Some(stats) = snapshot.get(&wanted) {
        return to_json(stats);
    }
    let same: Vec<&ContainerStats> = snapshot
        .containers
        .iter()
        .filter(|c| c.engine.is_some() && c.docker_name() == name)
        .collect();
    match same.as_slice() {
        [one] => return to_json(one),
        [] => {}
        many => {
            let engines: Vec<&str> = many.iter().filter_map(|c| c.engine.as_deref()).collect();
            return Err(ApiError::Invalid(format!(
                "container {name} exists on several Docker engines ({}): add ?engine=ID",
                engines.join(", ")
            )));
        }
    }
    let missing = snapshot.missing.contains(&wanted)
        || snapshot
            .engines
            .iter()
            .any(|e| snapshot.missing.contains(&qualified(&name, &e.id)));
    if missing {
        return Err(ApiError::NotFound(format!(
            "Container {name} is monitored but does not exist (checked {})",
            kato_dashboard_core::time::rfc3339(Utc::now())
        )));
    }
    Err(ApiError::NotFound(format!(
        "Container {name} is not a monitored container"
    )))
}

/// The engines' list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EnginesAnswer {
    /// Every watched Docker engine, in configuration order, with its state and counts.
    engines: Vec<EngineStatus>,
}

/// Watched Docker engines
///
/// Each engine of `DOCKER_HOSTS` (or the one of `DOCKER_HOST`): its id (for `?engine=`), its address without
/// password, whether it answers (and why not, since when), and its containers. Answers while engines are down.
#[utoipa::path(
    get,
    path = "/system/container-engines",
    tag = "containers",
    responses((status = 200, description = "The watched engines", body = EnginesAnswer), UpstreamErrors)
)]
pub async fn engines(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let snapshot = collected(&state)?;
    to_json(&EnginesAnswer {
        engines: snapshot.engines,
    })
}

//! `GET /api/v1/system/instances`: the watched KATO instances (one for a single `KATO_API_URL`), and the
//! `?instance=ID` choice of the system endpoints (`/system/metrics`, `/system/kato-health`, …): KATO's answer of
//! that one instance instead of `KATO_API_URL`'s.

use axum::{Json, extract::State};
use kato_dashboard_core::{source::SourceState, topics::InstanceSummary};
use kato_dashboard_kato::KatoClient;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::ApiError, state::AppState};

/// The fleet table.
#[derive(Debug, Serialize, ToSchema)]
pub struct Instances {
    /// Several instances are watched one by one (`KATO_API_URLS`, `KATO_DISCOVERY`); false for a single KATO.
    pub fleet: bool,
    /// In id order.
    #[schema(value_type = Vec<Object>)]
    pub instances: Vec<InstanceSummary>,
    /// Answering and not unhealthy by their own `/health`.
    pub healthy: usize,
    /// Watched.
    pub total: usize,
    /// DNS discovery's state (`null` without discovery).
    #[schema(value_type = Option<Object>)]
    pub discovery: Option<SourceState>,
}

/// The KATO instances
///
/// Each watched KATO instance: id (`host:port`), URL, reachability, `/health` status, generation, uptime,
/// restarts, requests/s, error rate, latency, CPU and memory.
#[utoipa::path(get, path = "/system/instances", tag = "kato", responses((status = 200, body = Instances)))]
pub async fn instances(State(state): State<AppState>) -> Json<Instances> {
    let view = state.collected.fleet.borrow().clone();
    let instances: Vec<InstanceSummary> =
        view.instances.iter().map(|i| i.summary.clone()).collect();
    Json(Instances {
        fleet: view.fleet,
        healthy: instances.iter().filter(|i| i.is_healthy()).count(),
        total: instances.len(),
        instances,
        discovery: view.discovery.clone(),
    })
}

/// The client of `?instance=ID`, or `KATO_API_URL`'s without one; an unknown id is a 404 naming the known ones.
pub fn client_for(state: &AppState, instance: Option<&str>) -> Result<KatoClient, ApiError> {
    let Some(id) = instance.map(str::trim).filter(|i| !i.is_empty()) else {
        return Ok(state.kato.clone());
    };
    let view = state.collected.fleet.borrow();
    if let Some(i) = view.get(id) {
        return Ok(i.client.clone());
    }
    let known: Vec<&str> = view
        .instances
        .iter()
        .map(|i| i.summary.id.as_str())
        .collect();
    Err(ApiError::NotFound(format!(
        "no KATO instance `{id}` is watched; the instances are: {}",
        known.join(", ")
    )))
}

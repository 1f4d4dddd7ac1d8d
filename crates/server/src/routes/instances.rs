//! `GET /api/v1/system/instances`: the watched KATO instances (one for a single `KATO_API_URL`), and the
//! `?instance=ID` choice of the system endpoints (`/system/metrics`, `/system/kato-health`, …): KATO's answer of
//! that one instance instead of `KATO_API_URL`'s.

use axum::{Json, extract::State};
use kato_dashboard_core::topics::InstancesTopic;
use kato_dashboard_kato::KatoClient;

use crate::{error::ApiError, state::AppState};

/// The KATO instances
///
/// Each watched KATO instance: id (`host:port`), URL, reachability, `/health` status, generation, uptime,
/// restarts, requests/s, error rate, latency, CPU and memory; how many are healthy; DNS discovery's state. The
/// same object as the `instances` topic of `/ws`.
#[utoipa::path(get, path = "/system/instances", tag = "kato", responses((status = 200, body = Object)))]
pub async fn instances(State(state): State<AppState>) -> Json<InstancesTopic> {
    let view = state.collected.fleet.borrow().clone();
    Json(InstancesTopic::new(
        view.fleet,
        view.instances.iter().map(|i| i.summary.clone()).collect(),
        view.discovery.clone(),
    ))
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

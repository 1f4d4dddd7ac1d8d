//! `GET /metrics`: the dashboard's own metrics for Prometheus (see [`crate::metrics`]).

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use crate::{error::ApiError, metrics, state::AppState};

/// Prometheus metrics of the dashboard
///
/// Text exposition format 0.0.4 (not JSON): connections, frames and bytes per stream, resyncs, disconnects, tick
/// durations, collector latency and errors, KATO request outcomes.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((status = 200, description = "The text exposition", content_type = "text/plain"))
)]
pub async fn prometheus(State(state): State<AppState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(e) => ApiError::Internal(format!("encoding /metrics: {e}")).into_response(),
    }
}

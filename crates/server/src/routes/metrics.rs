//! `GET /metrics`: the dashboard's own metrics for Prometheus (see [`crate::metrics`]).

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use crate::{metrics, state::AppState};

/// The text exposition.
pub async fn prometheus(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(&state),
    )
        .into_response()
}

//! `GET /ws` in the router and the document; the socket itself is [`crate::ws`].

use axum::{extract::State, response::Response};

use crate::state::AppState;

/// Live updates (WebSocket)
///
/// Upgrade to a WebSocket: topics metrics, containers, sessions, session_events, system_alerts, kato_events;
/// subscribe, resume, deltas, heartbeats (docs/protocol.md).
#[utoipa::path(get, path = "/ws", tag = "service")]
pub async fn upgrade(state: State<AppState>, req: axum::extract::Request) -> Response {
    crate::ws::upgrade(state, req).await
}

//! `/ws`: the upgrade (Origin allow-list, connection cap, small buffers) and one task per connection.
//! The protocol is in `docs/protocol.md`; its decisions in [`state`]; the connection loop in [`conn`].

pub mod conn;
pub mod state;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use kato_dashboard_core::protocol::{MAX_CLIENT_FRAME_BYTES, Topic, TopicSet};
use tokio::sync::Semaphore;

use crate::{error::ApiError, metrics::WsTraffic, state::AppState};

pub use conn::{ConnCtx, End, serve};

/// Connection bookkeeping shared by every upgrade.
#[derive(Debug)]
pub struct WsLimits {
    /// One permit per open connection.
    pub permits: Arc<Semaphore>,
    /// Configured cap.
    pub max: usize,
    /// Connections accepted since start.
    pub accepted: AtomicU64,
    /// Connections refused (cap or origin).
    pub refused: AtomicU64,
    /// Frames and bytes sent, resyncs, disconnects.
    pub traffic: WsTraffic,
}

impl WsLimits {
    /// Limits for at most `max` concurrent connections.
    pub fn new(max: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            traffic: WsTraffic::default(),
        }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// Topics the configuration offers.
pub fn offered_topics(config: &crate::Config) -> TopicSet {
    let mut set = TopicSet::all();
    if !config.websocket_container_stats {
        set.remove(Topic::Containers);
    }
    if !config.websocket_session_events {
        set.remove(Topic::Sessions);
        set.remove(Topic::SessionEvents);
    }
    if !config.websocket_system_alerts {
        set.remove(Topic::SystemAlerts);
    }
    set
}

/// `GET /ws`.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let config = &state.config;
    if !config.websocket_enabled {
        return ApiError::NotFound("the WebSocket is disabled (WEBSOCKET_ENABLED=false)".into())
            .into_response();
    }
    let limits = &state.ws_limits;
    if let Err(reason) = origin_allowed(&headers, config) {
        limits.refused.fetch_add(1, Ordering::Relaxed);
        return ApiError::Forbidden(reason).into_response();
    }
    let Ok(permit) = limits.permits.clone().try_acquire_owned() else {
        limits.refused.fetch_add(1, Ordering::Relaxed);
        return ApiError::Unavailable {
            upstream: "dashboard",
            reason: format!("connection limit of {} reached", limits.max),
        }
        .into_response();
    };
    limits.accepted.fetch_add(1, Ordering::Relaxed);
    let ctx = ConnCtx {
        hub: state.hub.clone(),
        offered: offered_topics(config),
        selective: config.websocket_selective_subscriptions,
        heartbeat: config.ws_heartbeat(),
        send_timeout: config.ws_send_timeout(),
        cancel: state.cancel.clone(),
        limits: state.ws_limits.clone(),
    };
    let tracker = state.tracker.clone();
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(2 * 1024 * 1024)
        .max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| {
            let task = async move {
                let limits = ctx.limits.clone();
                let end = serve(socket, ctx).await;
                tracing::debug!(?end, "ws connection ended");
                limits.traffic.ended(end.reason_index());
                drop(permit);
            };
            // Tracked so shutdown waits for every socket's close frame (axum does not wait for upgraded sockets).
            tracker.track_future(task)
        })
}

/// Browsers send `Origin`; other clients do not. Allowed: no Origin, the page's own origin (same host), and
/// the configured origins (`WS_ALLOWED_ORIGINS`, else `CORS_ORIGINS`).
fn origin_allowed(headers: &HeaderMap, config: &crate::Config) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        return Ok(());
    }
    if config
        .ws_origin_list()
        .iter()
        .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    Err(format!(
        "origin {origin} is not allowed; add it to WS_ALLOWED_ORIGINS"
    ))
}

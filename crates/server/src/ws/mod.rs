//! `/ws`: the upgrade (Origin allow-list, connection cap, our own handshake so the socket is ours), then one
//! small task per connection for what the client sends ([`conn`]) and a few fan-out shards for what the server
//! pushes ([`fanout`]), both writing through the connection's [`peer`]. The protocol is in `docs/protocol.md`;
//! its decisions in [`state`]; the wire format in [`frame`].

pub mod conn;
pub mod fanout;
pub mod frame;
pub mod handshake;
pub mod legacy;
pub mod origin;
pub mod peer;
pub mod socket;
pub mod state;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use kato_dashboard_core::protocol::{Topic, TopicSet};
use tokio::sync::Semaphore;

use crate::{error::ApiError, metrics::WsTraffic, state::AppState};

pub use conn::{End, serve};
pub use fanout::Fanout;
use peer::{Peer, PeerConfig};

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
    if !config.ws.container_stats {
        set.remove(Topic::Containers);
    }
    if !config.ws.session_events {
        set.remove(Topic::Sessions);
        set.remove(Topic::SessionEvents);
    }
    if !config.ws.system_alerts {
        set.remove(Topic::SystemAlerts);
    }
    set
}

/// Most bytes queued for one client behind a full socket before it counts as stalled.
pub const QUEUE_LIMIT: usize = 2 * 1024 * 1024;

/// `GET /ws`.
pub async fn upgrade(State(state): State<AppState>, mut req: Request) -> Response {
    let config = &state.config;
    if !config.ws.enabled {
        return ApiError::NotFound("the WebSocket is disabled (WEBSOCKET_ENABLED=false)".into())
            .into_response();
    }
    let limits = &state.ws_limits;
    let peer_ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Err(reason) = state.ws_origin.check(req.headers(), peer_ip) {
        limits.refused.fetch_add(1, Ordering::Relaxed);
        return ApiError::Forbidden(reason).into_response();
    }
    let accept = match handshake::accept(req.method(), req.version(), req.headers()) {
        Ok(accept) => accept,
        Err(handshake::Refusal::Bad(reason)) => {
            return ApiError::BadRequest(reason).into_response();
        }
        Err(handshake::Refusal::Version) => {
            return ApiError::UpgradeRequired(
                "unsupported Sec-WebSocket-Version: this server speaks version 13".into(),
            )
            .into_response();
        }
    };
    let Ok(permit) = limits.permits.clone().try_acquire_owned() else {
        limits.refused.fetch_add(1, Ordering::Relaxed);
        return ApiError::Unavailable {
            upstream: "dashboard",
            reason: format!("connection limit of {} reached", limits.max),
        }
        .into_response();
    };
    limits.accepted.fetch_add(1, Ordering::Relaxed);
    let on_upgrade = hyper::upgrade::on(&mut req);
    let conn = state::ConnState::new(offered_topics(config), config.ws.selective_subscriptions);
    let peer_config = PeerConfig {
        heartbeat: config.ws.heartbeat(),
        send_timeout: config.ws.send_timeout(),
        queue_limit: QUEUE_LIMIT,
    };
    let (hub, limits, fanout, cancel) = (
        state.hub.clone(),
        state.ws_limits.clone(),
        state.fanout.clone(),
        state.cancel.clone(),
    );
    // Tracked so shutdown waits for every socket's close frame.
    state.tracker.spawn(async move {
        let socket = match on_upgrade.await {
            Ok(upgraded) => crate::serve::upgraded_socket(upgraded),
            Err(e) => {
                tracing::debug!(error = %e, "ws upgrade failed");
                None
            }
        };
        // The connection's permit against HTTP_MAX_CONNECTIONS lives as long as the WebSocket.
        if let Some((stream, _conn_permit, read_buf)) = socket {
            let _ = stream.set_nodelay(true);
            let peer = Arc::new(Peer::new(stream, conn, hub, limits.clone(), peer_config));
            let end = if fanout.join(peer.clone()) {
                serve(peer, read_buf, cancel).await
            } else {
                End::Shutdown
            };
            tracing::debug!(?end, "ws connection ended");
            limits.traffic.ended(end.reason_index());
        } else {
            tracing::error!(
                "ws upgrade: the connection is not one the server accepted; closing it"
            );
        }
        drop(permit);
    });
    handshake::switching_protocols(&accept)
}

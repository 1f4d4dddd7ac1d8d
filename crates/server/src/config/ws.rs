//! The `/ws` section: which messages are pushed and how often, connection limits, the Origin check, heartbeats,
//! and the replay buffer behind resumes. Plain data plus the helpers that read it; no I/O.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::secs;

/// The `/ws` push: what it sends, to how many, and how it keeps slow or silent peers in check.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WsConfig {
    /// Serve `/ws`.
    #[serde(rename = "websocket_enabled")]
    pub enabled: bool,
    /// Include container stats in `realtime_update`.
    #[serde(rename = "websocket_container_stats")]
    pub container_stats: bool,
    /// Include the session summary and `session_event` messages.
    #[serde(rename = "websocket_session_events")]
    pub session_events: bool,
    /// Send `system_alert` messages.
    #[serde(rename = "websocket_system_alerts")]
    pub system_alerts: bool,
    /// Honour `subscribe` messages (false: everyone gets everything).
    #[serde(rename = "websocket_selective_subscriptions")]
    pub selective_subscriptions: bool,
    /// Seconds between `realtime_update` ticks (minimum 0.25).
    #[serde(rename = "broadcast_interval")]
    pub broadcast_interval_seconds: f64,
    /// Most concurrent `/ws` connections; more are refused with 503.
    #[serde(rename = "ws_max_connections")]
    pub max_connections: usize,
    /// Comma-separated browser origins allowed to open `/ws` besides the page's own (`*` = any). Empty: CORS_ORIGINS.
    #[serde(rename = "ws_allowed_origins")]
    pub allowed_origins: String,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-Host`/`Forwarded` the `/ws`
    /// Origin check believes.
    pub trusted_proxies: String,
    /// Seconds between unsolicited heartbeats and protocol pings; a peer silent for two periods is dropped.
    #[serde(rename = "ws_heartbeat_seconds")]
    pub heartbeat_seconds: f64,
    /// Seconds a client's backlog may wait for its socket before the client counts as stalled and is disconnected.
    #[serde(rename = "ws_send_timeout_seconds")]
    pub send_timeout_seconds: f64,
    /// Events kept per event topic for replay on resume.
    #[serde(rename = "ws_replay_buffer_size")]
    pub replay_buffer_size: usize,
    /// Oldest event, in seconds, kept for replay.
    #[serde(rename = "ws_replay_max_age_seconds")]
    pub replay_max_age_seconds: f64,
    /// Events a connection may fall behind before it catches up from the replay buffer.
    #[serde(rename = "ws_event_queue")]
    pub event_queue: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            container_stats: true,
            session_events: true,
            system_alerts: true,
            selective_subscriptions: true,
            broadcast_interval_seconds: 1.0,
            max_connections: 20_000,
            allowed_origins: String::new(),
            trusted_proxies: String::new(),
            heartbeat_seconds: 15.0,
            send_timeout_seconds: 10.0,
            replay_buffer_size: 1000,
            replay_max_age_seconds: 600.0,
            event_queue: 256,
        }
    }
}

impl WsConfig {
    /// The broadcast tick, clamped to its 250 ms minimum.
    pub fn broadcast_interval(&self) -> Duration {
        secs(self.broadcast_interval_seconds.max(0.25))
    }

    /// Heartbeat period of `/ws`.
    pub fn heartbeat(&self) -> Duration {
        secs(self.heartbeat_seconds)
    }

    /// Longest a single `/ws` send may take.
    pub fn send_timeout(&self) -> Duration {
        secs(self.send_timeout_seconds)
    }
}

//! Typed configuration, loaded once at start-up.
//!
//! Layers, later ones win: built-in defaults → optional TOML file → `.env` file → process environment.
//! Every key has one flat, lower-case name (`kato_api_url`) that is the same in the TOML file and, upper-cased
//! (`KATO_API_URL`), in `.env` and the environment. The old Python dashboard's variables keep their names and
//! meaning; `.env.example` documents every key and a test keeps it complete.
//!
//! Nothing here does I/O beyond reading the two files; the result is validated and passed around as
//! `Arc<Config>`. `Debug` redacts secrets and passwords inside URLs.

mod alerts;
mod load;
mod redact;
mod validate;

pub use kato_dashboard_core::redact::redact_url;

use std::{collections::BTreeSet, fmt, path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};
use url::Url;

pub use alerts::WebhookFormat;
pub use load::{ConfigError, LoadOptions};

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The whole configuration. Field names are the configuration keys.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    // --- server -------------------------------------------------------------------------------------------
    /// Address to bind.
    pub host: String,
    /// Port for the UI, the REST API and `/ws`.
    pub port: u16,
    /// `trace`, `debug`, `info`, `warn`, `error`, or a full `tracing` filter directive.
    pub log_level: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Folder holding the built web app (`index.html` + assets). Empty: look next to the binary.
    pub static_dir: Option<PathBuf>,
    /// Folder for persistent state (alert history).
    pub data_dir: PathBuf,
    /// Seconds the server waits for connections to close on shutdown.
    pub shutdown_grace_seconds: f64,
    /// Most open HTTP and `/ws` connections together (also capped by the open-file limit); more get 503.
    pub http_max_connections: usize,
    /// Seconds a connection has to send a whole request head, counted from when it is ready for one: this also
    /// closes idle keep-alive connections.
    pub http_header_timeout_seconds: f64,
    /// Seconds a request body or a response may go without a byte moving before the connection is closed.
    pub http_stall_timeout_seconds: f64,

    // --- KATO ---------------------------------------------------------------------------------------------
    /// Base URL of the KATO API.
    pub kato_api_url: Url,
    /// Per-request timeout for KATO calls, in seconds.
    pub kato_timeout_seconds: f64,
    /// Listen to KATO's `/ws/events` push.
    pub kato_events_enabled: bool,
    /// Seconds between `/metrics` polls.
    pub kato_metrics_interval_seconds: f64,
    /// Seconds between `/stats` polls.
    pub kato_stats_interval_seconds: f64,
    /// Seconds between Redis session reconciliations.
    pub session_reconcile_interval_seconds: f64,
    /// Legacy: maximum age, in seconds, of KATO data a REST proxy may answer from memory.
    pub cache_ttl_seconds: f64,
    /// Legacy: upper bound on cached REST proxy entries.
    pub max_cache_size: usize,

    // --- Docker -------------------------------------------------------------------------------------------
    /// Collect container stats at all.
    pub docker_enabled: bool,
    /// Docker engine: `unix:///var/run/docker.sock` (default, or `DOCKER_HOST` semantics), a socket path, or
    /// `tcp://127.0.0.1:2375` (plain HTTP).
    pub docker_host: Option<String>,
    /// Comma-separated container names to monitor (always expected: a missing one is reported).
    pub monitored_containers: String,
    /// Comma-separated label selectors (`key` or `key=value`); containers matching all are monitored too.
    pub docker_labels: String,
    /// Compose project whose containers are monitored too.
    pub docker_compose_project: Option<String>,
    /// Seconds between full container list reconciliations (events arrive live besides).
    pub docker_rescan_interval_seconds: f64,

    // --- databases ----------------------------------------------------------------------------------------
    /// KATO's MongoDB.
    pub mongo_url: String,
    /// Databases the MongoDB browser may read besides KATO's knowledge bases (comma-separated; `*` = all but
    /// MongoDB's own).
    pub mongo_databases: String,
    /// KATO's Qdrant.
    pub qdrant_url: String,
    /// Qdrant's gRPC endpoint for the browser. Unset: `qdrant_url` with its REST port 6333 turned into 6334.
    pub qdrant_grpc_url: Option<String>,
    /// Qdrant's API key (sent as `api-key` on every call of the Qdrant browser), when Qdrant needs one.
    pub qdrant_api_key: Option<String>,
    /// KATO's Redis (sessions live here).
    pub redis_url: String,
    /// KATO 3.x's ClickHouse (patterns), its HTTP interface.
    pub clickhouse_url: String,
    /// KATO's ClickHouse database.
    pub clickhouse_database: String,
    /// ClickHouse user; unset: ClickHouse's `default` (or the user in `clickhouse_url`).
    pub clickhouse_user: Option<String>,
    /// That user's password.
    pub clickhouse_password: Option<String>,
    /// Legacy name of `database_read_only`.
    pub mongo_read_only: Option<bool>,
    /// Refuse every destructive database operation, even with an admin token.
    pub database_read_only: Option<bool>,

    // --- security -----------------------------------------------------------------------------------------
    /// Token required (header `X-Admin-Token` or `Authorization: Bearer`) for destructive operations.
    /// Unset: destructive operations are off.
    pub admin_token: Option<String>,
    /// Comma-separated origins allowed by CORS.
    pub cors_origins: String,
    /// Legacy, unused by the old dashboard too; accepted so old `.env` files load. A warning is logged.
    pub admin_username: Option<String>,
    /// Legacy, see `admin_username`.
    pub admin_password: Option<String>,
    /// Legacy, see `admin_username`.
    pub secret_key: Option<String>,
    /// Legacy, see `admin_username`.
    pub algorithm: Option<String>,
    /// Legacy, see `admin_username`.
    pub access_token_expire_minutes: Option<u64>,

    // --- WebSocket ----------------------------------------------------------------------------------------
    /// Serve `/ws`.
    pub websocket_enabled: bool,
    /// Include container stats in `realtime_update`.
    pub websocket_container_stats: bool,
    /// Include the session summary and `session_event` messages.
    pub websocket_session_events: bool,
    /// Send `system_alert` messages.
    pub websocket_system_alerts: bool,
    /// Honour `subscribe` messages (false: everyone gets everything).
    pub websocket_selective_subscriptions: bool,
    /// Seconds between `realtime_update` ticks (minimum 0.25).
    pub broadcast_interval: f64,
    /// Most concurrent `/ws` connections; more are refused with 503.
    pub ws_max_connections: usize,
    /// Comma-separated browser origins allowed to open `/ws` besides the page's own (`*` = any). Empty: CORS_ORIGINS.
    pub ws_allowed_origins: String,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-Host`/`Forwarded` the `/ws`
    /// Origin check believes.
    pub trusted_proxies: String,
    /// `Host` names the server answers (comma-separated, `*` or empty = any), against DNS rebinding.
    pub allowed_hosts: String,
    /// Seconds between unsolicited heartbeats and protocol pings; a peer silent for two periods is dropped.
    pub ws_heartbeat_seconds: f64,
    /// Seconds a client's backlog may wait for its socket before the client counts as stalled and is disconnected.
    pub ws_send_timeout_seconds: f64,
    /// Events kept per event topic for replay on resume.
    pub ws_replay_buffer_size: usize,
    /// Oldest event, in seconds, kept for replay.
    pub ws_replay_max_age_seconds: f64,
    /// Events a connection may fall behind before it catches up from the replay buffer.
    pub ws_event_queue: usize,

    // --- alerts -------------------------------------------------------------------------------------------
    /// Aggregated container CPU % that fires `high_cpu`.
    pub alert_cpu_threshold: f64,
    /// Aggregated container memory % that fires `high_memory`.
    pub alert_memory_threshold: f64,
    /// KATO error rate (fraction 0..1) that fires `high_error_rate`.
    pub alert_error_rate_threshold: f64,
    /// Seconds between repeat reminders of a firing alert.
    pub alert_cooldown_seconds: f64,
    /// Aggregated (and per-container) CPU % above which an alert is critical.
    pub alert_cpu_critical: f64,
    /// Memory % above which an alert is critical.
    pub alert_memory_critical: f64,
    /// Error rate above which `high_error_rate` is critical.
    pub alert_error_rate_critical: f64,
    /// Active sessions that fire `high_sessions`.
    pub alert_sessions_threshold: f64,
    /// Seconds a CPU, memory or sessions condition must hold before it fires.
    pub alert_pending_seconds: f64,
    /// Per-rule overrides, `rule.key=value` comma-separated (see docs/alerts.md).
    pub alert_rules: String,
    /// Folder of the alert store; empty: `data_dir`.
    pub alert_data_dir: Option<PathBuf>,
    /// Days of alert history kept.
    pub alert_retention_days: f64,
    /// Most alert events kept.
    pub alert_retention_max_events: usize,
    /// Where to POST notifications; empty: no webhook.
    pub alert_webhook_url: Option<String>,
    /// `alertmanager` or `slack`.
    pub alert_webhook_format: WebhookFormat,
    /// Per-request timeout of the webhook, in seconds.
    pub alert_webhook_timeout_seconds: f64,
    /// Retries of a failed notification.
    pub alert_webhook_max_retries: u32,
    /// Notifications waiting to be sent before the oldest is dropped.
    pub alert_webhook_queue: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".into(),
            port: 3000,
            log_level: "info".into(),
            log_format: LogFormat::Text,
            static_dir: None,
            data_dir: PathBuf::from("./data"),
            http_max_connections: 25_000,
            http_header_timeout_seconds: 10.0,
            http_stall_timeout_seconds: 60.0,
            shutdown_grace_seconds: 5.0,
            kato_api_url: Url::parse("http://kato:8000").unwrap_or_else(|_| unreachable!()),
            kato_timeout_seconds: 3.0,
            kato_events_enabled: true,
            kato_metrics_interval_seconds: 2.0,
            kato_stats_interval_seconds: 10.0,
            session_reconcile_interval_seconds: 5.0,
            cache_ttl_seconds: 2.0,
            max_cache_size: 1000,
            docker_enabled: true,
            docker_host: None,
            monitored_containers: "kato,kato-mongodb,kato-qdrant,kato-redis,kato-clickhouse".into(),
            docker_labels: String::new(),
            docker_compose_project: None,
            docker_rescan_interval_seconds: 10.0,
            mongo_url: "mongodb://mongodb:27017".into(),
            mongo_databases: String::new(),
            qdrant_url: "http://qdrant:6333".into(),
            qdrant_grpc_url: None,
            qdrant_api_key: None,
            redis_url: "redis://redis:6379".into(),
            clickhouse_url: "http://clickhouse:8123".into(),
            clickhouse_database: "kato".into(),
            clickhouse_user: None,
            clickhouse_password: None,
            mongo_read_only: None,
            database_read_only: None,
            admin_token: None,
            cors_origins: "http://localhost:3000,http://localhost:8080".into(),
            admin_username: None,
            admin_password: None,
            secret_key: None,
            algorithm: None,
            access_token_expire_minutes: None,
            websocket_enabled: true,
            websocket_container_stats: true,
            websocket_session_events: true,
            websocket_system_alerts: true,
            websocket_selective_subscriptions: true,
            broadcast_interval: 1.0,
            ws_max_connections: 20_000,
            ws_allowed_origins: String::new(),
            trusted_proxies: String::new(),
            allowed_hosts: String::new(),
            ws_heartbeat_seconds: 15.0,
            ws_send_timeout_seconds: 10.0,
            ws_replay_buffer_size: 1000,
            ws_replay_max_age_seconds: 600.0,
            ws_event_queue: 256,
            alert_cpu_threshold: 80.0,
            alert_memory_threshold: 85.0,
            alert_error_rate_threshold: 0.05,
            alert_cooldown_seconds: 60.0,
            alert_cpu_critical: 90.0,
            alert_memory_critical: 95.0,
            alert_error_rate_critical: 0.10,
            alert_sessions_threshold: 1000.0,
            alert_pending_seconds: 10.0,
            alert_rules: String::new(),
            alert_data_dir: None,
            alert_retention_days: 30.0,
            alert_retention_max_events: 100_000,
            alert_webhook_url: None,
            alert_webhook_format: WebhookFormat::Alertmanager,
            alert_webhook_timeout_seconds: 5.0,
            alert_webhook_max_retries: 5,
            alert_webhook_queue: 256,
        }
    }
}

impl Config {
    /// Every configuration key, lower-case, as `Config::default()` serializes them.
    pub fn keys() -> BTreeSet<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => BTreeSet::new(),
        }
    }

    /// Qdrant's gRPC URL: `QDRANT_GRPC_URL`, else derived from `QDRANT_URL` (REST port 6333 → 6334).
    pub fn qdrant_grpc(&self) -> String {
        self.qdrant_grpc_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| kato_dashboard_browse_qdrant::grpc_url_from(&self.qdrant_url))
    }

    /// KATO per-request timeout.
    pub fn kato_timeout(&self) -> Duration {
        secs(self.kato_timeout_seconds)
    }

    /// The broadcast tick, clamped to its 250 ms minimum.
    pub fn broadcast_interval(&self) -> Duration {
        secs(self.broadcast_interval.max(0.25))
    }

    /// Names of the monitored containers.
    pub fn monitored_container_list(&self) -> Vec<String> {
        split_list(&self.monitored_containers)
    }

    /// Heartbeat period of `/ws`.
    pub fn ws_heartbeat(&self) -> Duration {
        secs(self.ws_heartbeat_seconds)
    }

    /// Longest a single `/ws` send may take.
    pub fn ws_send_timeout(&self) -> Duration {
        secs(self.ws_send_timeout_seconds)
    }

    /// Origins allowed to open `/ws` (besides same-origin pages).
    pub fn ws_origin_list(&self) -> Vec<String> {
        let own = split_list(&self.ws_allowed_origins);
        if own.is_empty() {
            self.cors_origin_list()
        } else {
            own
        }
    }

    /// Whether destructive database operations are refused whatever the token.
    pub fn read_only(&self) -> bool {
        self.database_read_only
            .or(self.mongo_read_only)
            .unwrap_or(false)
    }

    /// CORS origins, trimmed, empty entries dropped.
    pub fn cors_origin_list(&self) -> Vec<String> {
        split_list(&self.cors_origins)
    }
}

/// Seconds as a `Duration`, saturating on nonsense (validated earlier).
pub(crate) fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

/// Splits a comma-separated list, trimming and dropping empty entries.
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = serde_json::to_value(self).map_err(|_| fmt::Error)?;
        redact::redact_config(&mut value);
        write!(f, "Config {value}")
    }
}

//! `AppState`: the small `Clone` bag of handles every handler and task shares. No globals.

use std::{sync::Arc, time::Instant};

use kato_dashboard_kato::{KatoClient, KatoClientConfig};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    alerts::AlertService,
    collectors::{self, Collected},
    config::Config,
    hub::{self, HubConfig, HubHandle},
    ws::WsLimits,
};

/// Deadline of each Qdrant call.
const QDRANT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Shared handles. Cloning is cheap (reference counts only).
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// KATO REST client (bounded timeouts, request accounting).
    pub kato: KatoClient,
    /// The one Redis connection (KATO's session store), shared by the sessions collector, the session routes,
    /// the health check and the Redis browser; connects on first use and reconnects after an outage.
    pub redis: kato_dashboard_browse_redis::RedisHandle,
    /// MongoDB browser (connects on first use).
    pub mongo: kato_dashboard_browse_mongo::MongoBrowser,
    /// Redis browser (on [`Self::redis`]).
    pub redis_browser: kato_dashboard_browse_redis::RedisBrowser,
    /// ClickHouse browser for KATO 3.x's patterns (connects on first use).
    pub clickhouse: kato_dashboard_browse_clickhouse::ClickHouseBrowser,
    /// Qdrant browser over gRPC (connects on first use), or why the configured URL is unusable.
    pub qdrant: Result<kato_dashboard_browse_qdrant::QdrantBrowser, String>,
    /// The hub.
    pub hub: HubHandle,
    /// The last minutes of the chart topics, for pages that open or reload.
    pub history: Arc<hub::history::History>,
    /// Alert rules, store, history and notifications.
    pub alerts: AlertService,
    /// The persistent, tiered history of chart figures (days and months, on disk).
    pub recorder: crate::recorder::Recorder,
    /// What the collectors produce for the REST API.
    pub collected: Collected,
    /// `/ws` connection limits and counters.
    pub ws_limits: Arc<WsLimits>,
    /// Every secret of the configuration, hidden in answers, frames and logs.
    pub secrets: Arc<kato_dashboard_core::redact::Secrets>,
    /// The total connection cap (HTTP and `/ws`) and its counters.
    pub http_conns: Arc<crate::serve::HttpConns>,
    /// Which pages may open `/ws` (Origin allow-list, trusted reverse proxies).
    pub ws_origin: Arc<crate::ws::origin::OriginPolicy>,
    /// Repeats of the same error answer held back from the log.
    pub error_log: Arc<crate::error_log::ErrorLog>,
    /// The shards that push ticks and events to `/ws` clients.
    pub fanout: crate::ws::Fanout,
    /// Cancelled on shutdown.
    pub cancel: CancellationToken,
    /// Every background task and WebSocket, awaited on shutdown.
    pub tracker: TaskTracker,
    /// When this process started serving.
    pub started_at: Instant,
    /// What `GET /metrics` shows (a `prometheus-client` registry).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// Builds the handles and starts the hub and the collectors. Nothing waits for an upstream here: one that is
    /// down at start-up is reported by the health check and the collectors, never a start-up failure.
    pub async fn start(
        config: Arc<Config>,
        cancel: CancellationToken,
        tracker: TaskTracker,
    ) -> anyhow::Result<Self> {
        let kato = KatoClient::new(
            KatoClientConfig::new(config.kato.api_url.clone()).with_timeout(config.kato.timeout()),
        )?;
        let redis = kato_dashboard_browse_redis::RedisHandle::open(&config.redis.url);
        if let Some(reason) = redis.unusable() {
            tracing::warn!(error = %reason, url = %crate::config::redact_url(&config.redis.url), "REDIS_URL is not usable; session listing from Redis is off");
        }
        let secrets = Arc::new(config.secrets());
        let hub = hub::spawn(
            HubConfig {
                secrets: secrets.clone(),
                interval: config.ws.broadcast_interval(),
                replay_capacity: config.ws.replay_buffer_size,
                replay_max_age: crate::config::secs(config.ws.replay_max_age_seconds),
                event_channel: config.ws.event_queue,
            },
            cancel.clone(),
            &tracker,
        );
        let collected =
            collectors::spawn_all(&config, &kato, redis.clone(), &hub, &cancel, &tracker);
        let ws_limits = Arc::new(WsLimits::new(config.ws.max_connections));
        let ws_origin = Arc::new(crate::ws::origin::OriginPolicy::new(
            config.ws_origin_list(),
            // Validated when the configuration was loaded.
            crate::ws::origin::parse_trusted(&config.ws.trusted_proxies).unwrap_or_default(),
        ));
        let fanout = crate::ws::Fanout::spawn(
            &hub,
            crate::ws::Fanout::default_shards(),
            config.ws.heartbeat().min(std::time::Duration::from_secs(1)),
            ws_limits.clone(),
            &cancel,
            &tracker,
        );
        let history = Arc::new(hub::history::History::default());
        tracker.spawn(hub::history::run(
            hub.clone(),
            history.clone(),
            cancel.clone(),
        ));
        let alerts = crate::alerts::start(&config, &hub, &cancel, &tracker).await?;
        let recorder =
            crate::recorder::Recorder::start(&config, &hub, &alerts, &cancel, &tracker).await;
        let mongo = kato_dashboard_browse_mongo::MongoBrowser::new(&config.mongo.url)
            .with_databases(crate::config::split_list(&config.mongo.databases));
        let redis_browser = kato_dashboard_browse_redis::RedisBrowser::new(redis.clone());
        let clickhouse = kato_dashboard_browse_clickhouse::ClickHouseBrowser::new(
            &kato_dashboard_browse_clickhouse::ClickHouseConfig {
                url: config.clickhouse.url.clone(),
                database: config.clickhouse.database.clone(),
                user: config.clickhouse.user.clone(),
                password: config.clickhouse.password.clone(),
            },
        );
        let qdrant = kato_dashboard_browse_qdrant::QdrantBrowser::new(
            kato_dashboard_browse_qdrant::QdrantBrowserConfig {
                grpc_url: config.qdrant.grpc_endpoint(),
                timeout: QDRANT_TIMEOUT,
                api_key: config.qdrant.api_key.clone(),
            },
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "QDRANT_URL / QDRANT_GRPC_URL is not usable; the Qdrant browser is off");
            e.to_string()
        });
        let http_conns = Arc::new(crate::serve::HttpConns::new(&config));
        let started_at = Instant::now();
        let metrics = Arc::new(crate::metrics::Metrics::new(&crate::metrics::Sources {
            started_at,
            http: &http_conns,
            ws: &ws_limits,
            hub: &hub.stats,
            collected: &collected,
            kato: &kato,
            alerts: &alerts,
            recorder: &recorder,
        }));
        let state = Self {
            config,
            kato,
            redis,
            mongo,
            redis_browser,
            clickhouse,
            qdrant,
            hub,
            history,
            alerts,
            recorder,
            collected,
            ws_limits,
            http_conns,
            secrets,
            ws_origin,
            error_log: Arc::default(),
            fanout,
            cancel,
            tracker,
            started_at,
            metrics,
        };
        // The knowledge-base sampler reads the browsers, so it starts once they are in the state.
        crate::recorder::kb::spawn(&state);
        Ok(state)
    }
}

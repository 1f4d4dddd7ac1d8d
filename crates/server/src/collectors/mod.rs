//! Collectors: one task per upstream, each with its own cadence, each reporting `Ok` or `Unavailable` and
//! feeding the hub. None of them blocks another or the hub's tick.

pub mod docker;
pub mod fleet;
pub mod kato;
pub mod redis_scan;
pub mod sessions;

use std::sync::Arc;

use kato_dashboard_kato::KatoClient;
use tokio::sync::{mpsc, watch};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{config::Config, hub::HubHandle, metrics::CollectorStats};
use sessions::{SessionInput, SessionsView};

/// Handles to what the collectors produce for the REST API.
#[derive(Clone)]
pub struct Collected {
    /// The merged session list.
    pub sessions: watch::Receiver<Arc<SessionsView>>,
    /// Tell the sessions task about deletes done here.
    pub sessions_input: mpsc::Sender<SessionInput>,
    /// The Docker collector (`None` when `DOCKER_ENABLED=false`).
    pub docker: Option<Arc<kato_dashboard_docker::DockerHandle>>,
    /// Round durations and failures of the polling collectors (`/metrics`).
    pub stats: Arc<CollectorStats>,
    /// The watched KATO instances (one for a single `KATO_API_URL`).
    pub fleet: watch::Receiver<Arc<fleet::FleetView>>,
}

/// Starts every collector.
pub fn spawn_all(
    config: &Config,
    kato: &KatoClient,
    redis: kato_dashboard_browse_redis::RedisHandle,
    hub: &HubHandle,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) -> Collected {
    let (sessions_tx, sessions_rx) = mpsc::channel(1024);
    let (view_tx, view_rx) = watch::channel(Arc::new(SessionsView::default()));
    let stats = Arc::new(CollectorStats::default());
    tracker.spawn(sessions::run(
        redis,
        hub.clone(),
        crate::config::secs(config.redis.session_reconcile_interval_seconds),
        sessions_rx,
        view_tx,
        stats.clone(),
        cancel.clone(),
    ));
    let fleet = fleet::spawn(
        fleet::FleetStart {
            config,
            primary: kato,
            hub,
            sessions: sessions_tx.clone(),
            stats: stats.clone(),
        },
        cancel,
        tracker,
    );
    let docker = config
        .docker
        .enabled
        .then(|| Arc::new(docker::spawn(config, hub.clone(), cancel.clone(), tracker)));
    if !config.docker.enabled {
        tracker.spawn(docker::publish_off(hub.clone()));
    }
    Collected {
        sessions: view_rx,
        sessions_input: sessions_tx,
        docker,
        stats,
        fleet,
    }
}

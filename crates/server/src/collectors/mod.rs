//! Collectors: one task per upstream, each with its own cadence, each reporting `Ok` or `Unavailable` and
//! feeding the hub. None of them blocks another or the hub's tick.

pub mod docker;
pub mod kato;
pub mod redis_scan;
pub mod sessions;

use std::sync::Arc;

use kato_dashboard_kato::{
    KatoClient,
    events::{EventListener, ListenerUpdate, ws_events_url},
};
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
    let (slow_tx, slow_rx) = watch::channel(kato::SlowState::default());
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
    tracker.spawn(kato::run_slow(
        kato.clone(),
        hub.clone(),
        crate::config::secs(config.kato.stats_interval_seconds),
        slow_tx,
        stats.clone(),
        cancel.clone(),
    ));
    tracker.spawn(kato::run_metrics(
        kato.clone(),
        hub.clone(),
        crate::config::secs(config.kato.metrics_interval_seconds),
        slow_rx,
        sessions_tx.clone(),
        stats.clone(),
        cancel.clone(),
    ));
    if config.kato.events_enabled {
        tracker.spawn(forward_events(
            kato.clone(),
            sessions_tx.clone(),
            cancel.clone(),
        ));
    }
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
    }
}

/// Runs KATO's `/ws/events` listener (it reconnects forever) and forwards what it hears to the sessions task.
async fn forward_events(
    kato: KatoClient,
    sessions: mpsc::Sender<SessionInput>,
    cancel: CancellationToken,
) {
    let url = match ws_events_url(kato.base_url()) {
        Ok(url) => url,
        Err(e) => {
            tracing::error!(error = %e, "cannot derive KATO's /ws/events URL; session pushes are off");
            let _ = sessions
                .send(SessionInput::EventsState(Some(e.to_string())))
                .await;
            return;
        }
    };
    // Several connections: KATO 3.x's workers each broadcast only to their own clients. Each connection lands on
    // one worker, so several reach more of them; the sessions registry takes each change once, and what no
    // connection hears is found by the Redis reconciliation within SESSION_RECONCILE_INTERVAL_SECONDS.
    let (merged_tx, mut merged) = mpsc::channel::<(usize, ListenerUpdate)>(256);
    for i in 0..EVENT_CONNECTIONS {
        let mut updates = EventListener::spawn(url.clone(), cancel.clone());
        let tx = merged_tx.clone();
        tokio::spawn(async move {
            while let Some(update) = updates.recv().await {
                if tx.send((i, update)).await.is_err() {
                    return;
                }
            }
        });
    }
    drop(merged_tx);
    let mut connected = [false; EVENT_CONNECTIONS];
    while let Some((i, update)) = merged.recv().await {
        let was = connected.iter().any(|c| *c);
        let input = match update {
            ListenerUpdate::Event(event) => Some(SessionInput::KatoEvent(event)),
            ListenerUpdate::Connected => {
                connected[i] = true;
                (!was).then_some(SessionInput::EventsState(None))
            }
            ListenerUpdate::Disconnected { reason } => {
                connected[i] = false;
                (was && !connected.iter().any(|c| *c))
                    .then_some(SessionInput::EventsState(Some(reason)))
            }
        };
        if let Some(input) = input
            && sessions.send(input).await.is_err()
        {
            return;
        }
    }
}

/// Connections to KATO's `/ws/events` (KATO 3.x's default worker count).
const EVENT_CONNECTIONS: usize = 4;

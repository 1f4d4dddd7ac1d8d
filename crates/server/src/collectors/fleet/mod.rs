//! The KATO instances the dashboard watches, one set of collectors each.
//!
//! A single `KATO_API_URL` (the default) is one instance whose `metrics` reading is published as it is, as
//! before. With `KATO_API_URLS` and/or `KATO_DISCOVERY` every instance gets its own `/metrics`, `/health` +
//! `/stats` and `/ws/events` collectors ([`super::kato`], [`events`]), its own reachability, uptime, restarts and
//! rates; [`aggregate`] folds their readings into the one `metrics` topic (with `derived.instances`). The
//! supervisor here adds and removes instances as DNS answers change, without a restart: a removed instance's
//! tasks are cancelled and it leaves the table; its history stays in the events it published.

mod aggregate;
pub mod events;
pub mod targets;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::Utc;
use kato_dashboard_core::{
    source::SourceState,
    topics::{InstanceSummary, MetricsTopic},
};
use kato_dashboard_kato::{KatoClient, KatoClientConfig};
use tokio::sync::{mpsc, watch};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{kato, sessions::SessionInput};
use crate::{config::Config, hub::HubHandle, metrics::CollectorStats};
use targets::{Discovery, Target};

/// What the instance collectors and the supervisor tell the aggregator.
pub enum FleetMsg {
    /// An instance is watched from now on.
    Added(Target, KatoClient),
    /// An instance's `/metrics` reading and its session count.
    Sample(String, Arc<MetricsTopic>, Option<u64>),
    /// An instance is no longer watched (gone from DNS).
    Removed(String),
    /// Whether the last DNS resolution worked.
    Discovery(SourceState),
}

/// One watched instance, for the REST API.
#[derive(Clone)]
pub struct InstanceView {
    /// What the table shows.
    pub summary: InstanceSummary,
    /// A client of this instance (for `?instance=ID`).
    pub client: KatoClient,
}

/// The watched instances, as the REST API reads them.
#[derive(Clone, Default)]
pub struct FleetView {
    /// Several instances watched one by one (`KATO_API_URLS`, `KATO_DISCOVERY`).
    pub fleet: bool,
    /// In id order.
    pub instances: Vec<InstanceView>,
    /// DNS discovery's state (`None` without discovery).
    pub discovery: Option<SourceState>,
}

impl FleetView {
    /// The instance with this id.
    pub fn get(&self, id: &str) -> Option<&InstanceView> {
        self.instances.iter().find(|i| i.summary.id == id)
    }
}

/// What the rest of the server needs to start the fleet.
pub struct FleetStart<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The `KATO_API_URL` client (the single instance when there is no fleet).
    pub primary: &'a KatoClient,
    /// The hub.
    pub hub: &'a HubHandle,
    /// The sessions task (counts and pushes).
    pub sessions: mpsc::Sender<SessionInput>,
    /// Collector round statistics.
    pub stats: Arc<CollectorStats>,
}

/// Starts the supervisor, the aggregator and the first instances; returns the view the REST API reads.
pub fn spawn(
    start: FleetStart<'_>,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) -> watch::Receiver<Arc<FleetView>> {
    let config = start.config;
    let fleet = config.fleet.is_fleet();
    // Validated when the configuration was loaded: errors here cannot happen, and would leave the list empty.
    let static_targets = if fleet {
        targets::parse_urls(&config.fleet.url_list()).unwrap_or_default()
    } else {
        Target::new(start.primary.base_url().clone(), Default::default())
            .into_iter()
            .collect()
    };
    let discovery = Discovery::parse(
        &config.fleet.discovery,
        config.fleet.discovery_hosts_file.clone(),
    )
    .ok()
    .flatten();
    let (view_tx, view_rx) = watch::channel(Arc::new(FleetView {
        fleet,
        ..FleetView::default()
    }));
    let (tx, rx) = mpsc::channel(1024);
    let events = config.kato.events_enabled.then(|| {
        events::Merger::spawn(
            start.sessions.clone(),
            events::TagInstances(fleet),
            cancel.clone(),
            tracker,
        )
    });
    tracker.spawn(aggregate::run(
        rx,
        aggregate::Outputs {
            hub: start.hub.clone(),
            sessions: start.sessions,
            view: view_tx,
        },
        fleet,
        cancel.clone(),
    ));
    let spawner = Spawner {
        config: Arc::new(config.clone()),
        primary: (!fleet).then(|| start.primary.clone()),
        hub: start.hub.clone(),
        stats: start.stats,
        out: tx,
        events,
        fleet,
        tracker: tracker.clone(),
    };
    tracker.spawn(supervise(
        spawner,
        static_targets,
        discovery,
        crate::config::secs(config.fleet.discovery_interval_seconds),
        cancel.clone(),
    ));
    view_rx
}

/// Starts and stops the collectors of one instance.
struct Spawner {
    config: Arc<Config>,
    /// The single instance's client, reused (its request counts are the dashboard's calls to KATO).
    primary: Option<KatoClient>,
    hub: HubHandle,
    stats: Arc<CollectorStats>,
    out: mpsc::Sender<FleetMsg>,
    events: Option<events::Merger>,
    fleet: bool,
    tracker: TaskTracker,
}

impl Spawner {
    async fn start(&self, target: &Target, cancel: CancellationToken) {
        let client = match self.primary.clone() {
            Some(c) => c,
            None => match KatoClient::new(
                KatoClientConfig::new(target.url.clone()).with_timeout(self.config.kato.timeout()),
            ) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(instance = %target.id, error = %e, "cannot build a client for this KATO instance");
                    return;
                }
            },
        };
        let _ = self
            .out
            .send(FleetMsg::Added(target.clone(), client.clone()))
            .await;
        let ctx = kato::InstanceCtx {
            id: target.id.clone(),
            fleet: self.fleet,
            hub: self.hub.clone(),
            out: self.out.clone(),
            stats: self.stats.clone(),
        };
        let (slow_tx, slow_rx) = watch::channel(kato::SlowState::default());
        let kato = &self.config.kato;
        self.tracker.spawn(kato::run_slow(
            client.clone(),
            ctx.clone(),
            crate::config::secs(kato.stats_interval_seconds),
            slow_tx,
            cancel.clone(),
        ));
        self.tracker.spawn(kato::run_metrics(
            client.clone(),
            ctx,
            crate::config::secs(kato.metrics_interval_seconds),
            slow_rx,
            cancel.clone(),
        ));
        if let Some(events) = &self.events {
            events.watch(&target.id, &client, cancel, &self.tracker);
        }
    }
}

/// Keeps the running instances equal to the configured ones plus what DNS gives now.
async fn supervise(
    spawner: Spawner,
    static_targets: Vec<Target>,
    discovery: Option<Discovery>,
    every: Duration,
    cancel: CancellationToken,
) {
    let mut running: BTreeMap<String, CancellationToken> = BTreeMap::new();
    let mut discovered: Vec<Target> = Vec::new();
    loop {
        if let Some(d) = &discovery {
            let state = match d.resolve().await {
                Ok(found) => {
                    discovered = found;
                    SourceState::Ok
                }
                // Keep the instances found before: a DNS hiccup is not every instance leaving.
                Err(e) => SourceState::Ok.failed(format!("resolving {}: {e}", d.name), Utc::now()),
            };
            let _ = spawner.out.send(FleetMsg::Discovery(state)).await;
        }
        let mut wanted: BTreeMap<String, &Target> = BTreeMap::new();
        for t in static_targets.iter().chain(&discovered) {
            wanted.entry(t.id.clone()).or_insert(t);
        }
        let gone: Vec<String> = running
            .keys()
            .filter(|id| !wanted.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(token) = running.remove(&id) {
                token.cancel();
            }
            tracing::info!(instance = %id, "KATO instance left the fleet");
            let _ = spawner.out.send(FleetMsg::Removed(id)).await;
        }
        for (id, target) in wanted {
            if let std::collections::btree_map::Entry::Vacant(slot) = running.entry(id) {
                if spawner.fleet {
                    tracing::info!(instance = %target.id, url = %crate::config::redact_url(target.url.as_str()), "watching KATO instance");
                }
                let token = cancel.child_token();
                spawner.start(target, token.clone()).await;
                slot.insert(token);
            }
        }
        if discovery.is_none() {
            return;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

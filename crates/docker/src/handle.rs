//! Starting the collectors of one or several engines and what they publish together: the merged
//! `containers` snapshot (one task follows every engine's part and merges them, see
//! `kato_dashboard_core::docker::engines`), container events and engine up/down events.

use std::sync::Arc;

use chrono::Utc;
use kato_dashboard_core::docker::{ContainerEvent, ContainersSnapshot, EngineEvent, EnginePart};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::collector::{self, EngineTask, Outputs};
use crate::config::DockerConfig;
use crate::hosts::{EngineAddr, engine_ids};

/// Starts the Docker collector; see the crate docs.
#[derive(Debug)]
pub struct DockerCollector;

impl DockerCollector {
    /// Spawns the collector of one engine on the current tokio runtime. It runs until `cancel` is
    /// cancelled, recovering by itself from any engine outage.
    pub fn spawn(config: DockerConfig, cancel: CancellationToken) -> DockerHandle {
        Self::spawn_engines(vec![config], cancel)
    }

    /// Spawns one collector per engine (each with its own connection, reconnects and state) and
    /// the task that merges their snapshots. With several engines, records and events carry their
    /// engine and `<name>@<engine>` names; with one, everything is as [`spawn`](Self::spawn) makes it.
    /// Engines without an [`id`](DockerConfig::id) get one from their host (`local`, `10.0.0.5`, …;
    /// made unique with `-2`, `-3`); two engines given the same id keep it twice (validate first
    /// with [`EngineAddr::parse_list`]).
    pub fn spawn_engines(configs: Vec<DockerConfig>, cancel: CancellationToken) -> DockerHandle {
        let capacity = configs.iter().map(|c| c.event_capacity).max().unwrap_or(1);
        let (events_tx, events_rx) = broadcast::channel(capacity.max(1));
        let (engine_tx, engine_rx) = broadcast::channel(64);
        let outputs = Outputs {
            events: events_tx.clone(),
            engine_events: engine_tx.clone(),
            changed: Arc::new(Notify::new()),
        };
        let ids = ids(&configs);
        let tag = configs.len() > 1;
        let engines: Vec<EngineTask> = configs
            .into_iter()
            .zip(ids)
            .map(|(config, id)| collector::spawn(config, id, tag, outputs.clone(), cancel.clone()))
            .collect();
        let parts: Vec<watch::Receiver<EnginePart>> =
            engines.iter().map(|e| e.part.clone()).collect();
        let (snapshot_tx, snapshot_rx) = watch::channel(merged(&parts));
        let merge = tokio::spawn(follow(parts, outputs.changed, snapshot_tx, cancel));
        let (info, tasks): (Vec<EngineInfo>, Vec<JoinHandle<()>>) = engines
            .into_iter()
            .map(|e| {
                (
                    EngineInfo {
                        id: e.id,
                        host: e.shown,
                    },
                    e.task,
                )
            })
            .unzip();
        DockerHandle {
            snapshot: snapshot_rx,
            events: events_rx,
            engine_events: engine_rx,
            events_tx,
            engine_tx,
            engines: info,
            tasks: tasks.into_iter().chain([merge]).collect(),
        }
    }
}

/// The ids of the engines: the configured ones, else derived from the hosts.
fn ids(configs: &[DockerConfig]) -> Vec<String> {
    let addrs: Vec<EngineAddr> = configs
        .iter()
        .map(|c| EngineAddr {
            host: c.resolved_host(),
            id: c.id.clone(),
            tls: c.tls.clone(),
        })
        .collect();
    engine_ids(&addrs).unwrap_or_else(|_| {
        // Only with an id given twice (a validated configuration never has one): keep them as given.
        addrs
            .iter()
            .map(|a| {
                a.id.clone()
                    .unwrap_or_else(|| crate::hosts::default_id(&a.host))
            })
            .collect()
    })
}

fn merged(parts: &[watch::Receiver<EnginePart>]) -> ContainersSnapshot {
    let parts = parts.iter().map(|p| p.borrow().clone()).collect();
    ContainersSnapshot::merge(parts, Utc::now())
}

/// Re-merges whenever an engine published (several changes in a row are merged once).
async fn follow(
    parts: Vec<watch::Receiver<EnginePart>>,
    changed: Arc<Notify>,
    out: watch::Sender<ContainersSnapshot>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = changed.notified() => {}
        }
        out.send_replace(merged(&parts));
    }
}

/// One watched engine: its id and its address as shown (no password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// Short stable id (`local`, `10.0.0.5`, or the configured one).
    pub id: String,
    /// Address without password, `(TLS)` when spoken to over TLS.
    pub host: String,
}

/// What the collector publishes.
#[derive(Debug)]
pub struct DockerHandle {
    /// The latest snapshot of all engines, replaced on every sample, event and rescan. Call
    /// [`ContainersSnapshot::refresh`] on a copy before sending it, so ages are current.
    pub snapshot: watch::Receiver<ContainersSnapshot>,
    /// Container events from the start of the collector (a receiver created at spawn, so none is
    /// lost before the first `subscribe`).
    pub events: broadcast::Receiver<ContainerEvent>,
    /// Engine up/down changes from the start of the collector.
    pub engine_events: broadcast::Receiver<EngineEvent>,
    events_tx: broadcast::Sender<ContainerEvent>,
    engine_tx: broadcast::Sender<EngineEvent>,
    engines: Vec<EngineInfo>,
    tasks: Vec<JoinHandle<()>>,
}

impl DockerHandle {
    /// Another receiver of container events (from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<ContainerEvent> {
        self.events_tx.subscribe()
    }

    /// Another receiver of engine up/down events (from now on).
    pub fn subscribe_engines(&self) -> broadcast::Receiver<EngineEvent> {
        self.engine_tx.subscribe()
    }

    /// The watched engines, in configuration order.
    pub fn engines(&self) -> &[EngineInfo] {
        &self.engines
    }

    /// A copy of the latest snapshot with clock-dependent fields brought up to now.
    pub fn current(&self) -> ContainersSnapshot {
        let mut snap = self.snapshot.borrow().clone();
        snap.refresh(Utc::now());
        snap
    }

    /// Waits for the collectors to finish (after their token was cancelled).
    pub async fn join(self) {
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "Docker collector task failed");
            }
        }
    }
}

//! The collector task: connect (with backoff), run a session, and when the engine is lost mark
//! everything stale and `unavailable`, then reconnect — forever, until cancelled.

use std::time::Duration;

use chrono::Utc;
use kato_dashboard_core::docker::{ContainerEvent, ContainersSnapshot};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::DockerConfig;
use crate::connect::connect;
use crate::session;
use crate::state::State;
use crate::stream::StreamMsg;

/// First reconnection delay; doubled up to [`DockerConfig::max_backoff`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Buffer between stream tasks and the collector (≈1 sample/s per container).
const SAMPLE_QUEUE: usize = 256;

/// Starts the Docker collector; see the crate docs.
#[derive(Debug)]
pub struct DockerCollector;

impl DockerCollector {
    /// Spawns the collector on the current tokio runtime. It runs until `cancel` is cancelled,
    /// recovering by itself from any engine outage.
    pub fn spawn(config: DockerConfig, cancel: CancellationToken) -> DockerHandle {
        let now = Utc::now();
        let state = State::new(&config.names, now);
        let (snapshot_tx, snapshot_rx) = watch::channel(state.snapshot(now));
        let (events_tx, events_rx) = broadcast::channel(config.event_capacity.max(1));
        let (samples_tx, samples_rx) = mpsc::channel(SAMPLE_QUEUE);
        let ctx = Ctx {
            host: config.resolved_host(),
            config,
            state,
            cancel,
            snapshot_tx,
            events_tx: events_tx.clone(),
            samples_tx,
        };
        let task = tokio::spawn(run(ctx, samples_rx));
        DockerHandle {
            snapshot: snapshot_rx,
            events: events_rx,
            events_tx,
            task,
        }
    }
}

/// What the collector publishes.
#[derive(Debug)]
pub struct DockerHandle {
    /// The latest snapshot, replaced on every sample, event and rescan. Call
    /// [`ContainersSnapshot::refresh`] on a copy before sending it, so ages are current.
    pub snapshot: watch::Receiver<ContainersSnapshot>,
    /// Container events from the start of the collector (a receiver created at spawn, so none is
    /// lost before the first `subscribe`).
    pub events: broadcast::Receiver<ContainerEvent>,
    events_tx: broadcast::Sender<ContainerEvent>,
    task: JoinHandle<()>,
}

impl DockerHandle {
    /// Another receiver of container events (from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<ContainerEvent> {
        self.events_tx.subscribe()
    }

    /// A copy of the latest snapshot with clock-dependent fields brought up to now.
    pub fn current(&self) -> ContainersSnapshot {
        let mut snap = self.snapshot.borrow().clone();
        snap.refresh(Utc::now());
        snap
    }

    /// Waits for the collector to finish (after its token was cancelled).
    pub async fn join(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "Docker collector task failed");
        }
    }
}

/// The collector's context: config, state and outputs (owned by the collector task).
pub(crate) struct Ctx {
    pub config: DockerConfig,
    /// The resolved engine address.
    pub host: String,
    pub state: State,
    pub cancel: CancellationToken,
    snapshot_tx: watch::Sender<ContainersSnapshot>,
    events_tx: broadcast::Sender<ContainerEvent>,
    pub samples_tx: mpsc::Sender<StreamMsg>,
}

impl Ctx {
    /// Publishes the current snapshot.
    pub fn publish(&self) {
        self.snapshot_tx
            .send_replace(self.state.snapshot(Utc::now()));
    }

    /// Publishes an event (no receiver is fine: events are fire-and-forget).
    pub fn emit(&self, event: ContainerEvent) {
        tracing::debug!(container = %event.name, kind = ?event.kind, "container event");
        let _ = self.events_tx.send(event);
    }
}

async fn run(mut ctx: Ctx, mut samples: mpsc::Receiver<StreamMsg>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let result = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            r = connect(&ctx.host, ctx.config.request_timeout) => r,
        };
        let failure = match result {
            Ok(docker) => {
                backoff = FIRST_BACKOFF;
                match session::run(&docker, &mut ctx, &mut samples).await {
                    Ok(()) => return,
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        if ctx.cancel.is_cancelled() {
            return;
        }
        let reason = failure.to_string();
        if ctx.state.docker().is_ok() {
            tracing::warn!(host = %ctx.host, %reason, "Docker unavailable");
        } else {
            tracing::debug!(host = %ctx.host, %reason, "Docker still unavailable");
        }
        ctx.state.unavailable(&reason, Utc::now());
        // Samples already queued belong to streams that no longer exist.
        while samples.try_recv().is_ok() {}
        ctx.publish();
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(ctx.config.max_backoff.max(FIRST_BACKOFF));
    }
}

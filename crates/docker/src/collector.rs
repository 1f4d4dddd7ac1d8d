//! One engine's collector task: connect (with backoff), run a session, and when the engine is lost
//! mark everything stale and `unavailable`, then reconnect — forever, until cancelled. It publishes its
//! own part of the `containers` snapshot ([`EnginePart`]) and announces its own outages
//! ([`EngineEvent`]); the merge of several engines is `handle.rs`'s.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kato_dashboard_core::docker::{ContainerEvent, EngineEvent, EnginePart, qualified};
use tokio::sync::{Notify, broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::DockerConfig;
use crate::connect::connect;
use crate::hosts::shown_host;
use crate::session;
use crate::state::State;
use crate::stream::StreamMsg;

/// First reconnection delay; doubled up to [`DockerConfig::max_backoff`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Buffer between stream tasks and the collector (≈1 sample/s per container).
const SAMPLE_QUEUE: usize = 256;

/// Where an engine's collector sends what it sees (shared by every engine of one handle).
#[derive(Clone)]
pub(crate) struct Outputs {
    pub events: broadcast::Sender<ContainerEvent>,
    pub engine_events: broadcast::Sender<EngineEvent>,
    /// Woken on every new part, so the merged snapshot follows.
    pub changed: Arc<Notify>,
}

/// A running engine collector.
pub(crate) struct EngineTask {
    pub id: String,
    pub shown: String,
    pub part: watch::Receiver<EnginePart>,
    pub task: JoinHandle<()>,
}

/// Spawns the collector of one engine. `tag`: the engine id when several engines are watched, so its
/// events carry it and qualified names.
pub(crate) fn spawn(
    config: DockerConfig,
    id: String,
    tag: bool,
    outputs: Outputs,
    cancel: CancellationToken,
) -> EngineTask {
    let now = Utc::now();
    let host = config.resolved_host();
    let shown = shown_host(&host, config.tls.is_some());
    let state = State::new(&config.names, now);
    let part = EnginePart {
        id: id.clone(),
        host: shown.clone(),
        snapshot: state.snapshot(now),
        host_info: state.host(),
    };
    let (part_tx, part_rx) = watch::channel(part);
    let (samples_tx, samples_rx) = mpsc::channel(SAMPLE_QUEUE);
    let ctx = Ctx {
        config,
        host,
        shown: shown.clone(),
        id: id.clone(),
        tag,
        down_announced: false,
        state,
        cancel,
        part_tx,
        outputs,
        samples_tx,
    };
    let task = tokio::spawn(run(ctx, samples_rx));
    EngineTask {
        id,
        shown,
        part: part_rx,
        task,
    }
}

/// The collector's context: config, state and outputs (owned by the collector task).
pub(crate) struct Ctx {
    pub config: DockerConfig,
    /// The resolved engine address (may hold credentials: never shown).
    pub host: String,
    /// The address as reasons and logs name it.
    pub shown: String,
    /// The engine's id.
    pub id: String,
    /// Several engines: events carry the id and qualified names.
    tag: bool,
    /// An outage was announced and the engine has not answered since.
    down_announced: bool,
    pub state: State,
    pub cancel: CancellationToken,
    part_tx: watch::Sender<EnginePart>,
    outputs: Outputs,
    pub samples_tx: mpsc::Sender<StreamMsg>,
}

impl Ctx {
    /// Publishes the current snapshot of this engine.
    pub fn publish(&self) {
        self.part_tx.send_replace(EnginePart {
            id: self.id.clone(),
            host: self.shown.clone(),
            snapshot: self.state.snapshot(Utc::now()),
            host_info: self.state.host(),
        });
        self.outputs.changed.notify_one();
    }

    /// Publishes an event (no receiver is fine: events are fire-and-forget).
    pub fn emit(&self, mut event: ContainerEvent) {
        tracing::debug!(engine = %self.id, container = %event.name, kind = ?event.kind, "container event");
        if self.tag {
            event.name = qualified(&event.name, &self.id);
            event.old_name = event.old_name.map(|n| qualified(&n, &self.id));
            event.engine = Some(self.id.clone());
        }
        let _ = self.outputs.events.send(event);
    }

    /// The engine answered (a session started): says so if an outage had been announced.
    pub fn on_connected(&mut self) {
        if self.down_announced {
            self.down_announced = false;
            tracing::info!(engine = %self.id, host = %self.shown, "Docker engine answers again");
            self.emit_engine();
        }
    }

    /// Announces that this engine is unreachable or answers again.
    fn emit_engine(&self) {
        let _ = self.outputs.engine_events.send(EngineEvent {
            engine: self.id.clone(),
            host: self.shown.clone(),
            docker: self.state.docker().clone(),
            at: Utc::now(),
        });
    }
}

async fn run(mut ctx: Ctx, mut samples: mpsc::Receiver<StreamMsg>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let result = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            r = connect(&ctx.host, &ctx.shown, ctx.config.tls.as_ref(), ctx.config.request_timeout) => r,
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
            tracing::warn!(engine = %ctx.id, host = %ctx.shown, %reason, "Docker unavailable");
        } else {
            tracing::debug!(engine = %ctx.id, host = %ctx.shown, %reason, "Docker still unavailable");
        }
        ctx.state.unavailable(&reason, Utc::now());
        // Samples already queued belong to streams that no longer exist.
        while samples.try_recv().is_ok() {}
        ctx.publish();
        if !ctx.down_announced {
            ctx.down_announced = true;
            ctx.emit_engine();
        }
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(ctx.config.max_backoff.max(FIRST_BACKOFF));
    }
}

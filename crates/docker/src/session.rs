//! One connected session with the engine: subscribe to events, reconcile with a full listing,
//! keep one stats stream per running watched container, and publish every change. Returns when
//! cancelled (`Ok`) or when the engine is lost (`Err`, the caller reconnects).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::{EventsOptions, InspectContainerOptions, ListContainersOptions};
use chrono::Utc;
use futures_util::StreamExt;
use kato_dashboard_core::docker::sample::parse_docker_time;
use kato_dashboard_core::docker::{
    ContainerEvent, ContainerEventKind, ContainerInfo, event::health_from_action,
};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::collector::Ctx;
use crate::connect::DockerError;
use crate::convert::{self, clean_name};
use crate::state::RunChange;
use crate::stream::{self, StreamMsg};

/// Runs until cancelled or the engine is lost.
pub async fn run(
    docker: &Docker,
    ctx: &mut Ctx,
    samples: &mut mpsc::Receiver<StreamMsg>,
) -> Result<(), DockerError> {
    let host = ctx.shown.clone();
    let err = |e| DockerError::engine(&host, e);
    let info = docker.info().await.map_err(err)?;
    // The event request is only sent when the stream is first polled (after the listing below),
    // so it asks the engine to replay from the engine's own clock before the listing: nothing
    // that happens during the listing is missed.
    let since = info
        .system_time
        .as_deref()
        .and_then(parse_docker_time)
        .unwrap_or_else(Utc::now);
    let filters = HashMap::from([("type".to_owned(), vec!["container".to_owned()])]);
    let mut events = docker.events(Some(EventsOptions {
        since: Some(format!(
            "{}.{:09}",
            since.timestamp(),
            since.timestamp_subsec_nanos()
        )),
        filters: Some(filters),
        ..EventsOptions::default()
    }));
    // After an outage the events in between are lost: the first listing reports what changed.
    let after_outage = ctx.state.was_reached();
    ctx.state.connected(convert::host(&info));
    rescan(docker, ctx, after_outage).await?;
    tracing::info!(engine = %ctx.id, host = %ctx.shown, "Docker connected");
    ctx.on_connected();
    let mut tick = tokio::time::interval(ctx.config.rescan_interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick.reset();
    loop {
        tokio::select! {
            () = ctx.cancel.cancelled() => return Ok(()),
            ev = events.next() => match ev {
                Some(Ok(ev)) => on_event(docker, ctx, ev).await,
                Some(Err(e)) => return Err(err(e)),
                None => return Err(DockerError::EventsClosed),
            },
            Some(msg) = samples.recv() => on_stream(ctx, msg),
            _ = tick.tick() => rescan(docker, ctx, false).await?,
        }
    }
}

/// Full reconciliation: list all containers, inspect the watched ones, drop the vanished ones,
/// open missing streams, announce newly missing names, and with `announce` also the up/down
/// changes found (events missed during an outage; in steady state the events report them).
async fn rescan(docker: &Docker, ctx: &mut Ctx, announce: bool) -> Result<(), DockerError> {
    let options = ListContainersOptions {
        all: true,
        ..ListContainersOptions::default()
    };
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| DockerError::engine(&ctx.shown, e))?;
    let mut seen = HashSet::new();
    for c in list.into_iter().filter_map(convert::listed) {
        if !(ctx.config.selects(&c.name, &c.labels) || ctx.state.is_expected(&c.name)) {
            continue;
        }
        match docker
            .inspect_container(&c.id, None::<InspectContainerOptions>)
            .await
        {
            Ok(info) => {
                seen.insert(c.name);
                let info = convert::info(&info);
                let event = announce.then(|| reconciled(&info));
                let change = ctx.state.upsert(info);
                if let Some(event) = event.filter(|_| change != RunChange::Same) {
                    ctx.emit(ContainerEvent {
                        kind: match change {
                            RunChange::Restarted => ContainerEventKind::Restarted,
                            _ => event.kind,
                        },
                        ..event
                    });
                }
            }
            // Removed between list and inspect: treated as gone below.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => return Err(DockerError::engine(&ctx.shown, e)),
        }
    }
    for name in ctx.state.names() {
        if !seen.contains(&name) {
            ctx.state.remove(&name);
        }
    }
    open_streams(docker, ctx);
    announce_missing(ctx);
    ctx.publish();
    Ok(())
}

/// The event a listing implies for `info` if its running state changed: `started` when it runs
/// (the caller turns it into `restarted` when it ran before), `died` when it does not.
fn reconciled(info: &ContainerInfo) -> ContainerEvent {
    let (kind, at) = if info.is_running() {
        (ContainerEventKind::Started, info.started_at)
    } else {
        (ContainerEventKind::Died, info.finished_at)
    };
    ContainerEvent {
        name: info.name.clone(),
        id: Some(info.id.clone()),
        kind,
        status: info.status.clone(),
        health: info.health.clone(),
        exit_code: info.exit_code.filter(|_| !info.is_running()),
        signal: None,
        old_name: None,
        at: at.unwrap_or_else(Utc::now),
        engine: None,
    }
}

/// Starts a stream for every running watched container without one.
fn open_streams(docker: &Docker, ctx: &mut Ctx) {
    for name in ctx.state.names() {
        let needs = ctx.state.get(&name).is_some_and(|t| t.needs_stream());
        if !needs {
            continue;
        }
        let generation = ctx.state.next_generation();
        if let Some(t) = ctx.state.get_mut(&name) {
            t.stream = Some(stream::spawn(
                docker.clone(),
                t.info.id.clone(),
                name.clone(),
                generation,
                ctx.samples_tx.clone(),
                &ctx.cancel,
            ));
        }
    }
}

fn announce_missing(ctx: &mut Ctx) {
    let now = Utc::now();
    for name in ctx.state.newly_missing() {
        ctx.emit(ContainerEvent {
            name,
            id: None,
            kind: ContainerEventKind::Missing,
            status: "missing".into(),
            health: None,
            exit_code: None,
            signal: None,
            old_name: None,
            at: now,
            engine: None,
        });
    }
}

fn on_stream(ctx: &mut Ctx, msg: StreamMsg) {
    let changed = match msg {
        StreamMsg::Sample {
            name,
            generation,
            sample,
        } => ctx.state.on_sample(&name, generation, *sample),
        StreamMsg::Broken {
            name,
            generation,
            reason,
        } => {
            tracing::debug!(container = %name, %reason, "stats stream broken");
            ctx.state.on_broken(&name, generation)
        }
    };
    if changed {
        ctx.publish();
    }
}

/// An engine event: publish the up/down change at once, then refresh the container's facts.
async fn on_event(docker: &Docker, ctx: &mut Ctx, raw: bollard::models::EventMessage) {
    let Some(ev) = convert::event(raw, Utc::now()) else {
        return;
    };
    let Some(kind) = ContainerEventKind::from_action(&ev.action) else {
        return;
    };
    let old_name = ev
        .attributes
        .get("oldName")
        .map(|n| clean_name(n).to_owned());
    let watched = ctx.config.selects(&ev.name, &ev.attributes)
        || ctx.state.is_expected(&ev.name)
        || old_name
            .as_deref()
            .is_some_and(|n| ctx.state.get(n).is_some());
    if !watched {
        return;
    }
    let known = ctx.state.get(&ev.name);
    // A destroy of an older container with the same name must not hide the current one.
    if kind == ContainerEventKind::Destroyed && known.is_some_and(|t| t.info.id != ev.id) {
        return;
    }
    let status = kind
        .status_after()
        .map(str::to_owned)
        .or_else(|| known.map(|t| t.info.status.clone()))
        .unwrap_or_else(|| "unknown".to_owned());
    let health = health_from_action(&ev.action)
        .map(str::to_owned)
        .or_else(|| known.and_then(|t| t.info.health.clone()));
    ctx.emit(ContainerEvent {
        name: ev.name.clone(),
        id: Some(ev.id.clone()),
        kind,
        status,
        health,
        exit_code: ev.attributes.get("exitCode").and_then(|c| c.parse().ok()),
        signal: ev.attributes.get("signal").cloned(),
        old_name: old_name.clone(),
        at: ev.at,
        engine: None,
    });
    if let Some(old) = old_name.filter(|o| *o != ev.name) {
        ctx.state.remove(&old);
    }
    match kind {
        ContainerEventKind::Destroyed => {
            ctx.state.remove(&ev.name);
        }
        // A signal changes nothing by itself (`die` follows if the process exits).
        ContainerEventKind::Killed => return,
        _ => refresh(docker, ctx, &ev.id).await,
    }
    open_streams(docker, ctx);
    announce_missing(ctx);
    ctx.publish();
}

/// Re-inspects one container after an event (a new start time resets its samples and stream,
/// see `State::upsert`). If the engine cannot say (removed meanwhile), the next event or rescan
/// settles it.
async fn refresh(docker: &Docker, ctx: &mut Ctx, id: &str) {
    let timeout = Duration::from_secs(5);
    let inspect = docker.inspect_container(id, None::<InspectContainerOptions>);
    match tokio::time::timeout(timeout, inspect).await {
        Ok(Ok(info)) => {
            ctx.state.upsert(convert::info(&info));
        }
        Ok(Err(e)) => tracing::debug!(%id, error = %e, "inspect after event failed"),
        Err(_) => tracing::warn!(%id, "inspect after event timed out"),
    }
}

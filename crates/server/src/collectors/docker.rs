//! The Docker collector's output into the hub: the `containers` state topic (at most every 250 ms, so the hub's
//! tick always has a fresh snapshot), every container up/down change as a `kato_event` the moment the engine
//! reports it (`container_started`, `container_died`, …), so clients see it in well under a second, and each
//! engine going away or coming back (`docker_engine_unreachable`, `docker_engine_reachable`).
//!
//! One engine (`DOCKER_HOST`) or several (`DOCKER_HOSTS`, which wins when both are set): one collector per
//! engine, merged into the one topic (`kato_dashboard_docker`).

use std::time::Duration;

use chrono::Utc;
use kato_dashboard_core::{
    docker::{ContainerEvent, ContainersSnapshot, EngineEvent},
    protocol::{ServerMsg, Topic},
    time::rfc3339,
    topics::KatoEventData,
};
use kato_dashboard_docker::{DockerCollector, DockerConfig, DockerHandle};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, hub::HubHandle};

/// Longest a snapshot change waits before it is published.
const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// The collector settings from the configuration: one per engine of `DOCKER_HOSTS`, else the one of
/// `DOCKER_HOST`.
pub fn docker_configs(config: &Config) -> Vec<DockerConfig> {
    let base = DockerConfig {
        host: config.docker.host.clone().filter(|h| !h.trim().is_empty()),
        names: config.docker.monitored_container_list(),
        labels: crate::config::split_list(&config.docker.labels),
        compose_project: config
            .docker
            .compose_project
            .clone()
            .filter(|p| !p.trim().is_empty()),
        rescan_interval: crate::config::secs(config.docker.rescan_interval_seconds),
        ..DockerConfig::default()
    };
    match config.docker.engines() {
        Ok(engines) if !engines.is_empty() => engines.iter().map(|e| base.for_engine(e)).collect(),
        // Validated at load: an unreadable list cannot get here; fall back to the one engine.
        Ok(_) | Err(_) => vec![base],
    }
}

/// Whether `DOCKER_HOST` is set but loses to `DOCKER_HOSTS` (said once, as a warning, at start).
pub fn docker_host_ignored(config: &Config) -> bool {
    let set = |v: &str| !v.trim().is_empty();
    set(&config.docker.hosts) && config.docker.host.as_deref().is_some_and(set)
}

/// With `DOCKER_ENABLED=false`: publishes once that container monitoring is off, so every client says so at
/// once instead of waiting for a collector that never comes (and no container rule fires).
pub async fn publish_off(hub: HubHandle) {
    let snapshot = ContainersSnapshot::off("DOCKER_ENABLED=false", Utc::now());
    hub.publish_state(snapshot).await;
}

/// Starts the collectors and returns their handle (for REST) after wiring it to the hub.
pub fn spawn(
    config: &Config,
    hub: HubHandle,
    cancel: CancellationToken,
    tracker: &tokio_util::task::TaskTracker,
) -> DockerHandle {
    if docker_host_ignored(config) {
        tracing::warn!(
            "DOCKER_HOSTS and DOCKER_HOST are both set: DOCKER_HOSTS wins, DOCKER_HOST is not used"
        );
    }
    let configs = docker_configs(config);
    let handle = DockerCollector::spawn_engines(configs, cancel.clone());
    for engine in handle.engines() {
        tracing::info!(engine = %engine.id, host = %engine.host, "watching Docker engine");
    }
    let snapshots = handle.snapshot.clone();
    let events = handle.subscribe();
    let engine_events = handle.subscribe_engines();
    tracker.spawn(forward(snapshots, events, engine_events, hub, cancel));
    handle
}

async fn forward(
    mut snapshots: tokio::sync::watch::Receiver<ContainersSnapshot>,
    mut events: broadcast::Receiver<ContainerEvent>,
    mut engine_events: broadcast::Receiver<EngineEvent>,
    hub: HubHandle,
    cancel: CancellationToken,
) {
    let mut timer = tokio::time::interval(PUBLISH_EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = snapshots.changed() => {
                if changed.is_err() {
                    return;
                }
                dirty = true;
            }
            _ = timer.tick(), if dirty => {
                dirty = false;
                let mut snapshot = snapshots.borrow_and_update().clone();
                snapshot.refresh(Utc::now());
                hub.publish_state(snapshot).await;
            }
            event = events.recv() => match event {
                Ok(event) => {
                    let msg = container_event(&event);
                    hub.publish_event(Topic::KatoEvents, msg).await;
                }
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "container events lagged; the snapshot still shows the state"),
                Err(RecvError::Closed) => return,
            },
            event = engine_events.recv() => match event {
                Ok(event) => {
                    hub.publish_event(Topic::KatoEvents, engine_event(&event)).await;
                }
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "engine events lagged; the snapshot still shows each engine's state"),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn container_event(event: &ContainerEvent) -> ServerMsg {
    let kind = serde_json::to_value(event.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "changed".into());
    ServerMsg::KatoEvent {
        event_type: format!("container_{kind}"),
        timestamp: rfc3339(event.at),
        seq: 0,
        data: KatoEventData::Container(Box::new(event.clone())),
    }
}

/// `docker_engine_unreachable` / `docker_engine_reachable`, with `{engine, host, docker, at}` as data.
fn engine_event(event: &EngineEvent) -> ServerMsg {
    let data = match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    ServerMsg::KatoEvent {
        event_type: event.event_type().to_owned(),
        timestamp: rfc3339(event.at),
        seq: 0,
        data: KatoEventData::Other(data),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::golden::{at, check};
    use kato_dashboard_core::docker::ContainerEventKind;

    #[test]
    fn docker_hosts_wins_over_docker_host() {
        let mut config = Config::default();
        config.docker.host = Some("unix:///one.sock".into());
        assert!(!docker_host_ignored(&config));
        let one = docker_configs(&config);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].host.as_deref(), Some("unix:///one.sock"));
        config.docker.hosts = "unix:///a.sock, tcp://10.0.0.5:2376#id=b".into();
        config.docker.monitored_containers = "kato".into();
        assert!(docker_host_ignored(&config));
        let two = docker_configs(&config);
        let hosts: Vec<_> = two.iter().map(|c| c.host.as_deref()).collect();
        assert_eq!(hosts, [Some("unix:///a.sock"), Some("tcp://10.0.0.5:2376")]);
        assert_eq!(two[1].id.as_deref(), Some("b"));
        assert!(
            two.iter().all(|c| c.names == ["kato"]),
            "the same selection on every engine"
        );
    }

    #[test]
    fn container_events_are_the_recorded_wire() {
        let died = ContainerEvent {
            name: "kato".into(),
            id: Some("0123456789abcdef".into()),
            kind: ContainerEventKind::Died,
            status: "exited".into(),
            health: None,
            exit_code: Some(137),
            signal: None,
            old_name: None,
            at: at(3),
            engine: None,
        };
        check(
            "container_died.json",
            &serde_json::to_string(&container_event(&died)).unwrap(),
        );
    }
}

//! The Docker collector's output into the hub: the `containers` state topic (at most every 250 ms, so the hub's
//! tick always has a fresh snapshot) and every container up/down change as a `kato_event` the moment the engine
//! reports it (`container_started`, `container_died`, …), so clients see it in well under a second.

use std::time::Duration;

use chrono::Utc;
use kato_dashboard_core::{
    docker::{ContainerEvent, ContainersSnapshot},
    protocol::{ServerMsg, Topic},
    time::rfc3339,
    topics::KatoEventData,
};
use kato_dashboard_docker::{DockerCollector, DockerConfig, DockerHandle};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::{config::Config, hub::HubHandle};

/// Longest a snapshot change waits before it is published.
const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// The collector settings from the configuration.
pub fn docker_config(config: &Config) -> DockerConfig {
    DockerConfig {
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
    }
}

/// With `DOCKER_ENABLED=false`: publishes once that container monitoring is off, so every client says so at
/// once instead of waiting for a collector that never comes (and no container rule fires).
pub async fn publish_off(hub: HubHandle) {
    let snapshot = ContainersSnapshot::off("DOCKER_ENABLED=false", Utc::now());
    hub.publish_state(snapshot).await;
}

/// Starts the collector and returns its handle (for REST) after wiring it to the hub.
pub fn spawn(
    config: &Config,
    hub: HubHandle,
    cancel: CancellationToken,
    tracker: &tokio_util::task::TaskTracker,
) -> DockerHandle {
    let handle = DockerCollector::spawn(docker_config(config), cancel.clone());
    let snapshots = handle.snapshot.clone();
    let events = handle.subscribe();
    tracker.spawn(forward(snapshots, events, hub, cancel));
    handle
}

async fn forward(
    mut snapshots: tokio::sync::watch::Receiver<ContainersSnapshot>,
    mut events: tokio::sync::broadcast::Receiver<ContainerEvent>,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::golden::{at, check};
    use kato_dashboard_core::docker::ContainerEventKind;

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
        };
        check(
            "container_died.json",
            &serde_json::to_string(&container_event(&died)).unwrap(),
        );
    }
}

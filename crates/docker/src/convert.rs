//! bollard's models → `core` types. Pure; the only place that knows bollard's field names.

use std::collections::HashMap;

use bollard::models::{
    ContainerInspectResponse, ContainerStatsResponse, ContainerSummary, EventMessage, SystemInfo,
};
use chrono::{DateTime, Utc};
use kato_dashboard_core::docker::sample::parse_docker_time;
use kato_dashboard_core::docker::{ContainerInfo, HostInfo, StatsSample};

/// A stats sample in `core`'s tolerant shape (bollard's model is serialized back to the engine's
/// JSON, so captured engine JSON and live samples go through one parser).
pub fn sample(stats: &ContainerStatsResponse) -> Result<StatsSample, serde_json::Error> {
    serde_json::to_value(stats).and_then(serde_json::from_value)
}

/// Name without Docker's leading `/`.
pub fn clean_name(name: &str) -> &str {
    name.strip_prefix('/').unwrap_or(name)
}

/// Name, id and labels of a listed container.
pub struct Listed {
    pub name: String,
    pub id: String,
    pub labels: HashMap<String, String>,
}

/// A `list_containers` entry; `None` without a name or id.
pub fn listed(c: ContainerSummary) -> Option<Listed> {
    let name = clean_name(c.names?.first()?).to_owned();
    Some(Listed {
        name,
        id: c.id?,
        labels: c.labels.unwrap_or_default(),
    })
}

/// Engine facts of one container from `inspect`.
pub fn info(c: &ContainerInspectResponse) -> ContainerInfo {
    let state = c.state.as_ref();
    let time = |t: Option<&String>| t.and_then(|t| parse_docker_time(t));
    let status = state
        .and_then(|s| s.status)
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let health = state
        .and_then(|s| s.health.as_ref())
        .and_then(|h| h.status)
        .map(|h| h.to_string())
        .filter(|h| !h.is_empty() && h != "none");
    let started_at = time(state.and_then(|s| s.started_at.as_ref()));
    ContainerInfo {
        name: clean_name(c.name.as_deref().unwrap_or_default()).to_owned(),
        id: c.id.clone().unwrap_or_default(),
        image: c
            .config
            .as_ref()
            .and_then(|cfg| cfg.image.clone())
            .unwrap_or_default(),
        status,
        health,
        // A container that never ran has exit code 0 and no start time: no exit code then.
        exit_code: state
            .and_then(|s| s.exit_code)
            .filter(|_| started_at.is_some()),
        oom_killed: state.and_then(|s| s.oom_killed).unwrap_or(false),
        restart_count: c
            .restart_count
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        started_at,
        finished_at: time(state.and_then(|s| s.finished_at.as_ref())),
        memory_limit_bytes: c
            .host_config
            .as_ref()
            .and_then(|h| h.memory)
            .and_then(|m| u64::try_from(m).ok())
            .filter(|m| *m > 0),
    }
}

/// CPUs and RAM of the engine's host.
pub fn host(info: &SystemInfo) -> HostInfo {
    HostInfo {
        cpus: info.ncpu.and_then(|n| u32::try_from(n).ok()),
        memory_bytes: info.mem_total.and_then(|m| u64::try_from(m).ok()),
    }
}

/// The parts of a container event the collector uses.
pub struct Event {
    pub action: String,
    pub id: String,
    /// Container name (the new one after a rename).
    pub name: String,
    /// Actor attributes: the container's labels plus `exitCode`, `signal`, `oldName`, ….
    pub attributes: HashMap<String, String>,
    pub at: DateTime<Utc>,
}

/// A container event; `None` for other event types or when fields are missing.
pub fn event(e: EventMessage, now: DateTime<Utc>) -> Option<Event> {
    let actor = e.actor?;
    let attributes = actor.attributes.unwrap_or_default();
    let at = e
        .time_nano
        .map(DateTime::from_timestamp_nanos)
        .or_else(|| e.time.and_then(|s| DateTime::from_timestamp(s, 0)))
        .unwrap_or(now);
    Some(Event {
        action: e.action?,
        id: actor.id?,
        name: clean_name(attributes.get("name")?).to_owned(),
        attributes,
        at,
    })
}

//! Several Docker engines in one `containers` topic (`DOCKER_HOSTS`): each engine's own state
//! ([`EngineStatus`]), the merge of the engines' snapshots into one ([`ContainersSnapshot::merge`]), the
//! names that keep the same container name on two engines apart (`<name>@<engine>`), and the engine's own
//! up/down changes ([`EngineEvent`]).
//!
//! With one engine the merged snapshot is that engine's snapshot, unchanged on the wire (the engine list is
//! kept in memory only). With several, every container carries its engine, names are qualified, the
//! aggregate is over the fresh containers of all engines (memory limits worked out per host), and `docker` is
//! `ok` only when every engine answers. Pure: no I/O, `now` is an input.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire::{Aggregated, ContainerStats, ContainersSnapshot, HostInfo};
use crate::source::SourceState;
use crate::time::serde_rfc3339;

/// Between a container's name and its engine in a qualified name (`kato@b`). Docker names never hold it.
pub const ENGINE_SEPARATOR: char = '@';

/// One watched engine as the `containers` topic shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineStatus {
    /// Short stable name: `local` for a unix socket, else the host part (`10.0.0.5`), or the configured `id`.
    pub id: String,
    /// The engine's address without any password (`unix:///var/run/docker.sock`, `tcp://10.0.0.5:2376`).
    pub host: String,
    /// Whether this engine answers.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub docker: SourceState,
    /// Containers listed for this engine (stale ones too).
    pub containers: usize,
    /// Of which running.
    pub running: usize,
    /// Monitored names with no container on this engine.
    #[serde(default)]
    pub missing: usize,
    /// CPUs and RAM of the engine's host, for a per-engine aggregate (in memory only).
    #[serde(skip)]
    pub host_info: HostInfo,
}

/// One engine's snapshot and host facts, as its collector hands them to [`ContainersSnapshot::merge`].
#[derive(Debug, Clone, PartialEq)]
pub struct EnginePart {
    /// See [`EngineStatus::id`].
    pub id: String,
    /// See [`EngineStatus::host`].
    pub host: String,
    /// The engine's own snapshot (plain names).
    pub snapshot: ContainersSnapshot,
    /// CPUs and RAM of the engine's host (`docker info`).
    pub host_info: HostInfo,
}

/// An engine became unreachable, or answers again: published as a `kato_event`
/// (`docker_engine_unreachable` / `docker_engine_reachable`) with this as its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineEvent {
    /// The engine's id.
    pub engine: String,
    /// Its address, without any password.
    pub host: String,
    /// Its state after the change (`unavailable` with the reason and since when, or `ok`).
    pub docker: SourceState,
    /// When the collector saw the change.
    #[serde(with = "serde_rfc3339")]
    pub at: DateTime<Utc>,
}

impl EngineEvent {
    /// The `kato_event`'s `event_type`.
    pub fn event_type(&self) -> &'static str {
        if self.docker.is_ok() {
            "docker_engine_reachable"
        } else {
            "docker_engine_unreachable"
        }
    }
}

/// Whether an engine list is left off the wire: with one engine (or none) the snapshot keeps today's shape.
pub(super) fn single(engines: &[EngineStatus]) -> bool {
    engines.len() <= 1
}

/// `name@engine`.
pub fn qualified(name: &str, engine: &str) -> String {
    format!("{name}{ENGINE_SEPARATOR}{engine}")
}

/// `kato@b` → (`kato`, `Some("b")`); a plain name → (name, `None`).
pub fn split_qualified(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once(ENGINE_SEPARATOR) {
        Some((plain, engine)) => (plain, Some(engine)),
        None => (name, None),
    }
}

impl ContainerStats {
    /// The container's name on its engine (`kato` for `kato@b`).
    pub fn docker_name(&self) -> &str {
        match &self.engine {
            Some(_) => split_qualified(&self.name).0,
            None => &self.name,
        }
    }
}

impl ContainersSnapshot {
    /// The snapshot of several engines (see the module doc). With one part, that part's snapshot with its
    /// engine listed in memory only.
    pub fn merge(mut parts: Vec<EnginePart>, now: DateTime<Utc>) -> Self {
        let engines: Vec<EngineStatus> = parts.iter().map(status).collect();
        if parts.len() <= 1 {
            let Some(part) = parts.pop() else {
                return Self::unavailable("no Docker engine configured", now);
            };
            let mut snapshot = part.snapshot;
            snapshot.engines = engines;
            return snapshot;
        }
        let mut containers = Vec::new();
        let mut missing = Vec::new();
        let mut groups = Vec::with_capacity(parts.len());
        for part in &parts {
            let start = containers.len();
            containers.extend(part.snapshot.containers.iter().cloned().map(|mut c| {
                c.name = qualified(&c.name, &part.id);
                c.engine = Some(part.id.clone());
                c
            }));
            missing.extend(part.snapshot.missing.iter().map(|n| qualified(n, &part.id)));
            groups.push((start..containers.len(), part.host_info));
        }
        let slices: Vec<(&[ContainerStats], HostInfo)> = groups
            .into_iter()
            .map(|(range, host)| (&containers[range], host))
            .collect();
        let aggregated = Aggregated::compute_hosts(&slices, missing.len(), now);
        Self {
            docker: combined(&engines, now),
            containers,
            aggregated,
            missing,
            engines,
        }
    }

    /// The state of the engine a record belongs to: its engine's with several engines, else `docker`.
    pub fn engine_state(&self, engine: Option<&str>) -> &SourceState {
        engine
            .and_then(|id| self.engines.iter().find(|e| e.id == id))
            .map_or(&self.docker, |e| &e.docker)
    }

    /// Only what engine `id` holds (names as in this snapshot); `None` for an engine not watched. With one
    /// engine, that engine's id selects the whole snapshot.
    pub fn for_engine(&self, id: &str, now: DateTime<Utc>) -> Option<Self> {
        let engine = self.engines.iter().find(|e| e.id == id)?;
        if single(&self.engines) {
            return Some(self.clone());
        }
        let containers: Vec<ContainerStats> = self
            .containers
            .iter()
            .filter(|c| c.engine.as_deref() == Some(id))
            .cloned()
            .collect();
        let missing: Vec<String> = self
            .missing
            .iter()
            .filter(|n| split_qualified(n).1 == Some(id))
            .cloned()
            .collect();
        let aggregated = Aggregated::compute(&containers, missing.len(), engine.host_info, now);
        Some(Self {
            containers,
            aggregated,
            docker: engine.docker.clone(),
            missing,
            engines: vec![engine.clone()],
        })
    }
}

fn status(part: &EnginePart) -> EngineStatus {
    let s = &part.snapshot;
    EngineStatus {
        id: part.id.clone(),
        host: part.host.clone(),
        docker: s.docker.clone(),
        containers: s.containers.len(),
        running: s.containers.iter().filter(|c| c.running).count(),
        missing: s.missing.len(),
        host_info: part.host_info,
    }
}

/// `ok` when every engine is; else `unavailable` naming the engines that are down, since the first of them.
fn combined(engines: &[EngineStatus], now: DateTime<Utc>) -> SourceState {
    let down: Vec<&EngineStatus> = engines.iter().filter(|e| !e.docker.is_ok()).collect();
    if down.is_empty() {
        return SourceState::Ok;
    }
    let since = down
        .iter()
        .filter_map(|e| match &e.docker {
            SourceState::Unavailable { since, .. } => Some(*since),
            SourceState::Ok | SourceState::Off { .. } => None,
        })
        .min()
        .unwrap_or(now);
    let each = |e: &&EngineStatus| format!("{}: {}", e.id, e.docker.reason().unwrap_or("down"));
    let reason = match down.as_slice() {
        [one] => format!("Docker engine {}", each(one)),
        _ => format!(
            "{} of {} Docker engines unavailable: {}",
            down.len(),
            engines.len(),
            down.iter().map(each).collect::<Vec<_>>().join("; ")
        ),
    };
    SourceState::Unavailable { reason, since }
}

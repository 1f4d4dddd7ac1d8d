//! The KATO Dashboard's Docker collector: watches the KATO containers on a Docker engine and
//! publishes their figures and up/down changes.
//!
//! ```no_run
//! # async fn demo() {
//! use kato_dashboard_docker::{DockerCollector, DockerConfig};
//! use tokio_util::sync::CancellationToken;
//!
//! let cancel = CancellationToken::new();
//! let mut docker = DockerCollector::spawn(DockerConfig::default(), cancel.clone());
//! let snapshot = docker.current(); // ContainersSnapshot, ages brought up to now
//! let event = docker.events.recv().await; // ContainerEvent { name, kind: Died, … }
//! cancel.cancel();
//! docker.join().await;
//! # }
//! ```
//!
//! **What it watches** ([`DockerConfig`]): containers by exact name (default `kato`,
//! `kato-mongodb`, `kato-qdrant`, `kato-redis`, `kato-clickhouse`), and/or by label selectors,
//! and/or by compose project. Configured names with no container, and containers once seen that
//! were destroyed, are reported in `ContainersSnapshot::missing` (and once as a `missing`
//! event), never silently dropped.
//!
//! **How**: one task owns all state. It subscribes to the engine's container events (replayed
//! from the engine's clock before the listing, so none is missed), lists all containers
//! (`all=true`) and inspects the watched ones, then keeps **one persistent
//! `stats(stream=true)` per running container** (a sample every ≈1 s, pushed by the engine).
//! Events (`start`, `die`, `stop`, `kill`, `restart`, `health_status`, `destroy`, `create`,
//! `rename`, `oom`, `pause`, `unpause`) are broadcast the moment they arrive, then the container
//! is re-inspected and its stream opened, restarted (new start time) or closed. A stats stream
//! does not end when its container stops (the engine sends zero-time samples, which are ignored),
//! so the events and a periodic rescan (`rescan_interval`, default 10 s) decide what runs.
//! bollard's API version is negotiated down to the engine's (Debian's 20.10 speaks 1.41).
//!
//! **Outputs** ([`DockerHandle`]): `snapshot`, a `watch::Receiver<ContainersSnapshot>` replaced
//! on every sample, event and rescan; `events` / [`DockerHandle::subscribe`], a
//! `broadcast::Receiver<ContainerEvent>` (a lagging subscriber gets `Lagged` and should resync
//! from the snapshot). The math and wire types are `kato_dashboard_core::docker`'s.
//!
//! **When Docker is unavailable** (no socket, permission denied, connection refused, daemon
//! stopped mid-run): `snapshot.docker` is `Unavailable { reason, since }`; containers seen before
//! stay listed with their last known values and `stale: true` (and are left out of the
//! aggregate); before Docker was ever reached the list is empty. The collector reconnects by
//! itself with a backoff from 250 ms doubling to `max_backoff` (default 5 s), without a restart;
//! up/down changes that happened during the outage are then reported as events from the first
//! listing (`started`/`restarted`/`died`, timed by the container's start/finish time).
//!
//! Never blocks: everything is async, requests have timeouts, and the task stops promptly when
//! its `CancellationToken` is cancelled. Engines are reached on a unix socket, over plain HTTP
//! (`tcp://127.0.0.1:2375`) or over TLS with client certificates ([`TlsCerts`], the docker CLI's
//! `DOCKER_CERT_PATH` layout).
//!
//! **Several engines** ([`DockerCollector::spawn_engines`], the server's `DOCKER_HOSTS`): one
//! collector per engine, each with its own connection, reconnects and source state; one task merges
//! their parts into the one snapshot (`kato_dashboard_core::docker::engines`). Each engine has a short
//! id ([`EngineAddr`], [`engine_ids`]); with more than one, records and events carry it and names read
//! `<name>@<engine>`. An engine that goes away is reported as such — its containers stay listed as
//! stale, its state is `unavailable`, and an [`EngineEvent`] is published
//! ([`DockerHandle::engine_events`]) — never as its containers dying.
//!
//! This crate depends on `core` and bollard; it must not depend on the server, the KATO client
//! or any other upstream crate.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod collector;
mod config;
mod connect;
mod convert;
mod handle;
pub mod hosts;
mod session;
mod state;
mod stream;

pub use config::{COMPOSE_PROJECT_LABEL, DockerConfig};
pub use connect::DockerError;
pub use handle::{DockerCollector, DockerHandle, EngineInfo};
pub use hosts::{EngineAddr, TlsCerts, engine_ids};
pub use kato_dashboard_core::docker::{
    ContainerEvent, ContainerEventKind, ContainerStats, ContainersSnapshot, EngineEvent,
    EngineStatus,
};

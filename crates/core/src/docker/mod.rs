//! Docker container figures: raw engine samples ([`StatsSample`]), the `docker stats` CLI math
//! ([`figures`]), the `containers` topic's wire types ([`ContainerStats`], [`Aggregated`],
//! [`ContainersSnapshot`]), container up/down events ([`ContainerEvent`]), and several engines in one
//! topic ([`engines`]: per-engine state, the merge, engine up/down events).
//!
//! Pure: no Docker client, no tokio, no clock (`now` is passed in). The collector that talks to
//! the engine lives in the `kato-dashboard-docker` crate and hands its facts to these functions.
//!
//! Fixes of the old dashboard's Docker math (seed D23): CPU uses `online_cpus` (cgroup v2 has no
//! `percpu_usage`), memory excludes the inactive page cache, block I/O operations match
//! case-insensitively, network and block I/O have rates besides totals, and the aggregate memory %
//! does not divide by host RAM counted once per unlimited container.

mod build;
pub mod engines;
pub mod event;
pub mod figures;
pub mod sample;
mod wire;

pub use engines::{EngineEvent, EnginePart, EngineStatus, qualified, split_qualified};
pub use event::{ContainerEvent, ContainerEventKind};
pub use sample::StatsSample;
pub use wire::{
    Aggregated, BlockIoFigures, ContainerInfo, ContainerStats, ContainersSnapshot, HostInfo,
    MemoryFigures, NetworkFigures, opt_rfc3339,
};

/// The containers the old dashboard watched (plus `kato-clickhouse`, which KATO v3 added).
pub const DEFAULT_CONTAINER_NAMES: [&str; 5] = [
    "kato",
    "kato-mongodb",
    "kato-qdrant",
    "kato-redis",
    "kato-clickhouse",
];

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_build;
#[cfg(test)]
mod tests_engines;

//! The `containers` state topic on the wire: [`ContainerStats`] per container, [`Aggregated`]
//! totals and the whole [`ContainersSnapshot`].
//!
//! The old dashboard's keys are all kept with their meaning (`name, status, cpu, memory{…},
//! network{…}, block_io{…}, timestamp`; `aggregated{total_cpu_percent, …}`); every other key is
//! new. Sizes in `*_mb` are MiB with 2 decimals, like the old dashboard; rates are bytes/s.
//!
//! Reading is lenient in the way of the other topics (`crate::topics`): a field the old dashboard did not send
//! reads as its default (`cpu_known` as true: its `cpu` was a measurement; `docker` as `ok`: it showed the
//! figures as flowing), and a timestamp that is not RFC 3339 (its naive ISO times) as the epoch, "not known".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engines::EngineStatus;
use crate::source::SourceState;
use crate::time::serde_rfc3339;

/// What the engine says about a container besides its stats (from inspect/list), as the collector
/// hands it to [`ContainerStats::build`](super::build).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerInfo {
    /// Name without Docker's leading `/`.
    pub name: String,
    pub id: String,
    /// Image as configured (`Config.Image`), e.g. `kato:latest`.
    pub image: String,
    /// Docker's state: `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`.
    pub status: String,
    /// `starting`, `healthy`, `unhealthy`; `None` without a health check.
    pub health: Option<String>,
    /// Exit code of the last run; `None` while running or never started.
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// Restarts done by the engine's restart policy.
    pub restart_count: u64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `HostConfig.Memory`: the container's own memory limit; `None` when unlimited.
    pub memory_limit_bytes: Option<u64>,
}

impl ContainerInfo {
    /// Whether the container's processes run (`running`, or `paused`/`restarting` are not).
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

/// One monitored container on the wire (old shape plus new fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ContainerStats {
    pub name: String,
    /// Docker's state string (`running`, `exited`, …), as the old dashboard sent it.
    pub status: String,
    /// CPU % of one core (100 = one full core; a container may reach `online_cpus × 100`);
    /// 0 when not running or not yet known (the first second of a stream).
    pub cpu: f64,
    pub memory: MemoryFigures,
    pub network: NetworkFigures,
    pub block_io: BlockIoFigures,
    /// When this record was built (RFC 3339 UTC, `Z`).
    #[serde(
        serialize_with = "serde_rfc3339::serialize",
        deserialize_with = "serde_rfc3339::deserialize_or_epoch"
    )]
    pub timestamp: DateTime<Utc>,
    // ---- new fields ----
    pub id: String,
    pub image: String,
    pub running: bool,
    /// Whether `cpu` comes from a real measurement (false before the second sample).
    #[serde(default = "measured")]
    pub cpu_known: bool,
    pub health: Option<String>,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    pub restart_count: u64,
    #[serde(with = "opt_rfc3339")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "opt_rfc3339")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Seconds since `started_at` while running.
    pub uptime_seconds: Option<u64>,
    /// Processes in the container.
    pub pids: Option<u64>,
    /// The engine's read time of the sample the figures come from.
    #[serde(with = "opt_rfc3339")]
    pub sampled_at: Option<DateTime<Utc>>,
    /// Age of that sample when this record was (re)built.
    pub sample_age_ms: Option<u64>,
    /// True when the figures are the last known ones and no longer updated (Docker unavailable or
    /// this container's stats stream broken). Stale records are not counted in [`Aggregated`].
    pub stale: bool,
    /// The engine this container runs on, when the dashboard watches more than one (`DOCKER_HOSTS`); `name`
    /// is then `<docker name>@<engine>` so the same name on two engines stays two records. Absent (not
    /// `null`) with one engine, so that wire is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// Memory figures (bytes, MiB and % of the limit). `usage_*` excludes the inactive page cache.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MemoryFigures {
    pub usage_bytes: u64,
    pub limit_bytes: u64,
    pub usage_mb: f64,
    pub limit_mb: f64,
    pub usage_percent: f64,
    /// New: the container has its own limit; when false `limit_*` is the host's RAM.
    pub limited: bool,
}

/// Network totals since the container started, summed over interfaces, plus rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct NetworkFigures {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_mb: f64,
    pub tx_mb: f64,
    /// New: bytes/s over the last two samples; `None` until two samples exist or after a reset.
    pub rx_rate_bps: Option<f64>,
    pub tx_rate_bps: Option<f64>,
}

/// Block I/O totals since the container started, plus rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BlockIoFigures {
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub read_mb: f64,
    pub write_mb: f64,
    /// New: bytes/s over the last two samples; `None` until two samples exist or after a reset.
    pub read_rate_bps: Option<f64>,
    pub write_rate_bps: Option<f64>,
}

/// Totals over the fresh (non-stale) containers of a snapshot.
///
/// * `total_cpu_percent`: Σ `cpu` (100 = one core), as before.
/// * `total_memory_mb`: Σ `memory.usage_mb`.
/// * `total_memory_limit_mb`: the most memory these containers can use **together**, not the sum
///   of their limits: the host's RAM when any of them is unlimited (unlimited containers report
///   the host's RAM as their limit; adding it up N times was the old dashboard's bug D23),
///   otherwise Σ own limits capped at the host's RAM.
/// * `total_memory_percent`: `total_memory_mb / total_memory_limit_mb × 100`.
/// * `container_count`: containers in the list (all states, stale ones too).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Aggregated {
    pub total_cpu_percent: f64,
    pub total_memory_mb: f64,
    pub total_memory_limit_mb: f64,
    pub total_memory_percent: f64,
    pub container_count: usize,
    #[serde(
        serialize_with = "serde_rfc3339::serialize",
        deserialize_with = "serde_rfc3339::deserialize_or_epoch"
    )]
    pub timestamp: DateTime<Utc>,
    // ---- new fields ----
    pub running_count: usize,
    pub stale_count: usize,
    /// Monitored names with no container.
    pub missing_count: usize,
    /// CPUs of the Docker host (so `total_cpu_percent` can be read against `host_cpus × 100`).
    pub host_cpus: Option<u32>,
    pub host_memory_mb: Option<f64>,
}

/// The whole `containers` topic: `{"containers":[…],"aggregated":{…}}` as before, plus the Docker
/// source state and the monitored names that have no container.
///
/// When Docker is unavailable, `docker` says why and since when; the containers seen before
/// stay in the list with their last known values and `stale: true`. Before Docker was ever
/// reached the list is empty and `missing` too (nothing is known yet).
///
/// With several engines (`engines` present), `docker` is `ok` only when every engine is, else
/// `unavailable` with a reason naming the engines that are down (an old client sees an outage); the
/// containers of the engines that answer stay fresh, those of an engine that is down are `stale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContainersSnapshot {
    #[serde(default)]
    pub containers: Vec<ContainerStats>,
    #[serde(default)]
    pub aggregated: Aggregated,
    /// Whether Docker answers: `{"state": "ok"}`, `{"state": "unavailable", "reason", "since"}` or `off`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    #[serde(default = "flowing")]
    pub docker: SourceState,
    /// Monitored names (configured, or once seen through a label/compose selector) that have no
    /// container now: never created, or destroyed.
    #[serde(default)]
    pub missing: Vec<String>,
    /// Each watched engine and its own state, when there is more than one (`DOCKER_HOSTS`); with one
    /// engine it is kept in memory for the server's rules but left off the wire, which stays unchanged.
    #[serde(default, skip_serializing_if = "super::engines::single")]
    pub engines: Vec<EngineStatus>,
}

/// `cpu_known` of a record that does not say (the old dashboard's, whose `cpu` was a measurement).
fn measured() -> bool {
    true
}

/// `docker` of a snapshot that does not say (the old dashboard's, which showed its figures as flowing).
fn flowing() -> SourceState {
    SourceState::Ok
}

impl ContainerStats {
    /// Whether the container runs: `running`, or for the old dashboard's records (which have no `running`) a
    /// `status` of `running`.
    pub fn is_running(&self) -> bool {
        self.running || self.status == "running"
    }
}

/// Host facts used for the aggregate (from `docker info`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub cpus: Option<u32>,
    pub memory_bytes: Option<u64>,
}

/// Serde adapter for `Option<DateTime<Utc>>` in the dashboard's format (`null` when absent).
pub mod opt_rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes RFC 3339 UTC with milliseconds and `Z`, or `null`.
    pub fn serialize<S: Serializer>(dt: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match dt {
            Some(dt) => s.serialize_str(&crate::time::rfc3339(*dt)),
            None => s.serialize_none(),
        }
    }

    /// Reads any RFC 3339 timestamp, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| {
                DateTime::parse_from_rfc3339(&s)
                    .map(|dt| dt.with_timezone(&Utc))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

//! Raw Docker stats samples: the JSON of `GET /containers/{id}/stats`, reduced to the fields the
//! dashboard needs.
//!
//! Tolerant by design: every field may be missing or `null` (a stopped container's stream sends
//! `{"read":"0001-01-01T00:00:00Z", "memory_stats":{}, ...}`), unknown fields are ignored, and
//! both cgroup v1 (`percpu_usage`, `total_inactive_file`, blkio ops `Read`/`Write`) and cgroup v2
//! (`online_cpus` only, `inactive_file`, ops `read`/`write`) fit the same types.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// One stats sample of one container, as the Docker engine sends it (API ≥ 1.21).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsSample {
    /// When the engine read this sample; `None` for Docker's zero time (container not running).
    #[serde(deserialize_with = "docker_time")]
    pub read: Option<DateTime<Utc>>,
    /// When the engine read `precpu_stats`; `None` for the first sample of a stream.
    #[serde(deserialize_with = "docker_time")]
    pub preread: Option<DateTime<Utc>>,
    /// Container name with Docker's leading `/`.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Full container id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub cpu_stats: CpuSample,
    #[serde(deserialize_with = "null_default")]
    pub precpu_stats: CpuSample,
    #[serde(deserialize_with = "null_default")]
    pub memory_stats: MemorySample,
    #[serde(deserialize_with = "null_default")]
    pub pids_stats: PidsSample,
    #[serde(deserialize_with = "null_default")]
    pub blkio_stats: BlkioSample,
    /// Per interface; absent with `--network none` or `host`.
    #[serde(deserialize_with = "null_default")]
    pub networks: BTreeMap<String, NetworkSample>,
}

impl StatsSample {
    /// Whether this sample describes a running container (the engine keeps sending samples with a
    /// zero `read` time after the container stopped).
    pub fn is_live(&self) -> bool {
        self.read.is_some()
    }
}

/// CPU counters: cumulative nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuSample {
    #[serde(deserialize_with = "null_default")]
    pub cpu_usage: CpuUsageSample,
    /// Host-wide CPU time of all CPUs (ns); absent in the first sample's `precpu_stats`.
    pub system_cpu_usage: Option<u64>,
    /// CPUs available to the container (API ≥ 1.27); absent on old engines and in empty samples.
    pub online_cpus: Option<u32>,
}

/// Container CPU time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuUsageSample {
    /// Cumulative CPU time of the container (ns).
    #[serde(deserialize_with = "null_default")]
    pub total_usage: u64,
    /// Per-CPU times: cgroup v1 only; its length is the CPU-count fallback.
    pub percpu_usage: Option<Vec<u64>>,
}

/// Memory counters (bytes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemorySample {
    /// Usage including page cache.
    pub usage: Option<u64>,
    /// The container's limit; the host's RAM when the container has none.
    pub limit: Option<u64>,
    #[serde(deserialize_with = "null_default")]
    pub stats: MemoryDetailSample,
}

/// The cgroup memory breakdown, only the cache fields the `docker stats` formula needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryDetailSample {
    /// cgroup v1, hierarchical inactive page cache.
    pub total_inactive_file: Option<u64>,
    /// cgroup v2 (and the non-hierarchical v1 figure).
    pub inactive_file: Option<u64>,
}

/// Process count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PidsSample {
    pub current: Option<u64>,
    pub limit: Option<u64>,
}

/// Block I/O counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioSample {
    /// Bytes per device and operation; `null` on cgroup v2 for a stopped container.
    #[serde(deserialize_with = "null_default")]
    pub io_service_bytes_recursive: Vec<BlkioEntrySample>,
}

/// One device/operation counter. v1 says `Read`, `Write`, `Sync`, `Async`, `Discard`, `Total`;
/// v2 says `read`, `write`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioEntrySample {
    pub major: u64,
    pub minor: u64,
    #[serde(deserialize_with = "null_default")]
    pub op: String,
    pub value: u64,
}

/// One network interface's counters (cumulative since the container started).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkSample {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// Reads `null` as the type's default, so `"io_service_bytes_recursive": null` parses.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads Docker's timestamps: RFC 3339 with nanoseconds; Go's zero time (`0001-01-01T00:00:00Z`),
/// `null`, absence or an unparsable string are all "no time".
fn docker_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let raw = Option::<String>::deserialize(d)?;
    Ok(raw.as_deref().and_then(parse_docker_time))
}

/// Parses one Docker timestamp; `None` for Go's zero time or garbage.
pub fn parse_docker_time(raw: &str) -> Option<DateTime<Utc>> {
    let dt = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc);
    // Go's zero time is year 1; no real sample or start time predates the Unix epoch.
    (dt.year() >= 1970).then_some(dt)
}

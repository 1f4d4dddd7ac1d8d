//! Building the wire records from engine facts and samples: [`ContainerStats::build`],
//! [`Aggregated::compute`], [`ContainersSnapshot::build`], and [`ContainersSnapshot::refresh`]
//! for the ages at send time. `now` is always an input.

use chrono::{DateTime, Utc};

use super::figures::{
    blkio_totals, cpu_percent, elapsed_secs, memory_limit_bytes, memory_usage_bytes, mib,
    network_totals, percent, rate, round2,
};
use super::sample::StatsSample;
use super::wire::{
    Aggregated, BlockIoFigures, ContainerInfo, ContainerStats, ContainersSnapshot, HostInfo,
    MemoryFigures, NetworkFigures,
};
use crate::source::SourceState;

impl ContainerStats {
    /// The record of one container: engine facts from `info`, figures from its `latest` live
    /// sample (rates and the CPU baseline against `previous`, the sample before it).
    ///
    /// A container that is not running has zero figures: its samples are ignored even if given.
    pub fn build(
        info: &ContainerInfo,
        latest: Option<&StatsSample>,
        previous: Option<&StatsSample>,
        stale: bool,
        now: DateTime<Utc>,
    ) -> Self {
        let running = info.is_running();
        let latest = latest.filter(|s| running && s.is_live());
        let previous = previous.filter(|s| s.is_live());
        let cpu = latest.and_then(|s| cpu_percent(s, previous));
        let mut stats = Self {
            name: info.name.clone(),
            status: info.status.clone(),
            cpu: cpu.unwrap_or(0.0),
            memory: latest.map(|s| memory(s, info)).unwrap_or_default(),
            network: latest.map(|s| network(s, previous)).unwrap_or_default(),
            block_io: latest.map(|s| block_io(s, previous)).unwrap_or_default(),
            timestamp: now,
            id: info.id.clone(),
            image: info.image.clone(),
            running,
            cpu_known: cpu.is_some(),
            health: info.health.clone(),
            exit_code: if running { None } else { info.exit_code },
            oom_killed: info.oom_killed,
            restart_count: info.restart_count,
            started_at: info.started_at,
            finished_at: if running { None } else { info.finished_at },
            uptime_seconds: None,
            pids: latest.and_then(|s| s.pids_stats.current),
            sampled_at: latest.and_then(|s| s.read),
            sample_age_ms: None,
            stale,
            engine: None,
        };
        stats.refresh(now);
        stats
    }

    /// Recomputes what depends on the clock: `timestamp`, `uptime_seconds`, `sample_age_ms`.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        self.timestamp = now;
        self.uptime_seconds = self
            .started_at
            .filter(|_| self.running)
            .map(|t| u64::try_from((now - t).num_seconds()).unwrap_or(0));
        self.sample_age_ms = self
            .sampled_at
            .map(|t| u64::try_from((now - t).num_milliseconds()).unwrap_or(0));
    }
}

fn memory(s: &StatsSample, info: &ContainerInfo) -> MemoryFigures {
    let usage = memory_usage_bytes(s);
    let limit = memory_limit_bytes(s);
    MemoryFigures {
        usage_bytes: usage,
        limit_bytes: limit,
        usage_mb: mib(usage),
        limit_mb: mib(limit),
        usage_percent: percent(usage, limit),
        limited: info.memory_limit_bytes.is_some_and(|l| l > 0),
    }
}

fn network(s: &StatsSample, previous: Option<&StatsSample>) -> NetworkFigures {
    let (rx, tx) = network_totals(s);
    let (rx_rate_bps, tx_rate_bps) = rates((rx, tx), s, previous, network_totals);
    NetworkFigures {
        rx_bytes: rx,
        tx_bytes: tx,
        rx_mb: mib(rx),
        tx_mb: mib(tx),
        rx_rate_bps,
        tx_rate_bps,
    }
}

fn block_io(s: &StatsSample, previous: Option<&StatsSample>) -> BlockIoFigures {
    let (read, write) = blkio_totals(s);
    let (read_rate_bps, write_rate_bps) = rates((read, write), s, previous, blkio_totals);
    BlockIoFigures {
        read_bytes: read,
        write_bytes: write,
        read_mb: mib(read),
        write_mb: mib(write),
        read_rate_bps,
        write_rate_bps,
    }
}

/// Rates of a pair of counters between `previous` and `current`.
fn rates(
    now: (u64, u64),
    current: &StatsSample,
    previous: Option<&StatsSample>,
    totals: fn(&StatsSample) -> (u64, u64),
) -> (Option<f64>, Option<f64>) {
    let Some((prev, secs)) = previous.and_then(|p| Some((p, elapsed_secs(current, p)?))) else {
        return (None, None);
    };
    let before = totals(prev);
    (rate(now.0, before.0, secs), rate(now.1, before.1, secs))
}

impl Aggregated {
    /// Totals over `containers` (see the type's doc for each figure's meaning).
    pub fn compute(
        containers: &[ContainerStats],
        missing_count: usize,
        host: HostInfo,
        now: DateTime<Utc>,
    ) -> Self {
        Self::compute_hosts(&[(containers, host)], missing_count, now)
    }

    /// Totals over the containers of several Docker hosts (one group per engine): the memory the
    /// containers can use together is worked out per host and added up, and so are the hosts' CPUs and
    /// RAM (`None` when no host said). With one group this is [`Aggregated::compute`].
    pub fn compute_hosts(
        groups: &[(&[ContainerStats], HostInfo)],
        missing_count: usize,
        now: DateTime<Utc>,
    ) -> Self {
        let all = || groups.iter().flat_map(|(containers, _)| containers.iter());
        let fresh = |c: &&ContainerStats| c.running && !c.stale;
        let total_cpu: f64 = all().filter(fresh).map(|c| c.cpu).sum();
        let used: u64 = all().filter(fresh).map(|c| c.memory.usage_bytes).sum();
        let limit: u64 = groups
            .iter()
            .map(|(containers, host)| {
                let fresh: Vec<&ContainerStats> = containers.iter().filter(fresh).collect();
                combined_limit(&fresh, host.memory_bytes)
            })
            .sum();
        let sum = |f: fn(&HostInfo) -> Option<u64>| {
            groups
                .iter()
                .filter_map(|(_, h)| f(h))
                .reduce(|a, b| a.saturating_add(b))
        };
        Self {
            total_cpu_percent: round2(total_cpu),
            total_memory_mb: mib(used),
            total_memory_limit_mb: mib(limit),
            total_memory_percent: percent(used, limit),
            container_count: all().count(),
            timestamp: now,
            running_count: all().filter(|c| c.running).count(),
            stale_count: all().filter(|c| c.stale).count(),
            missing_count,
            host_cpus: sum(|h| h.cpus.map(u64::from)).map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            host_memory_mb: sum(|h| h.memory_bytes).map(mib),
        }
    }
}

/// The most memory `containers` can use together: host RAM if any is unlimited, else Σ own limits
/// capped at host RAM. Without `docker info`, an unlimited container's reported limit (which is the
/// host's RAM) stands in for it.
fn combined_limit(containers: &[&ContainerStats], host_memory: Option<u64>) -> u64 {
    let unlimited_cap = containers
        .iter()
        .filter(|c| !c.memory.limited)
        .map(|c| c.memory.limit_bytes)
        .max();
    let host = host_memory.or(unlimited_cap);
    if unlimited_cap.is_some() {
        return host.unwrap_or(0);
    }
    let own: u64 = containers.iter().map(|c| c.memory.limit_bytes).sum();
    host.map_or(own, |h| own.min(h))
}

impl ContainersSnapshot {
    /// A snapshot from built records; sorts containers and missing names by name.
    pub fn build(
        mut containers: Vec<ContainerStats>,
        mut missing: Vec<String>,
        docker: SourceState,
        host: HostInfo,
        now: DateTime<Utc>,
    ) -> Self {
        containers.sort_by(|a, b| a.name.cmp(&b.name));
        missing.sort();
        missing.dedup();
        let aggregated = Aggregated::compute(&containers, missing.len(), host, now);
        Self {
            containers,
            aggregated,
            docker,
            missing,
            engines: Vec::new(),
        }
    }

    /// The snapshot when container monitoring is switched off: empty, `docker` off with `reason`.
    pub fn off(reason: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self::build(
            Vec::new(),
            Vec::new(),
            SourceState::Off {
                reason: reason.into(),
            },
            HostInfo::default(),
            now,
        )
    }

    /// The snapshot before Docker was reached: empty, and `docker` unavailable with `reason`.
    pub fn unavailable(reason: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self::build(
            Vec::new(),
            Vec::new(),
            SourceState::Ok.failed(reason, now),
            HostInfo::default(),
            now,
        )
    }

    /// Brings the clock-dependent fields up to `now` (record timestamps, uptimes, sample ages and
    /// the aggregate's timestamp): call it when the snapshot is sent, not only when it was built.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        for c in &mut self.containers {
            c.refresh(now);
        }
        self.aggregated.timestamp = now;
    }

    /// The record of `name`, if that container exists.
    pub fn get(&self, name: &str) -> Option<&ContainerStats> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// The oldest sample age among fresh running containers (ms): how stale the topic is.
    pub fn max_sample_age_ms(&self) -> Option<u64> {
        self.containers
            .iter()
            .filter(|c| c.running && !c.stale)
            .filter_map(|c| c.sample_age_ms)
            .max()
    }
}

//! The `docker stats` CLI formulas (docker/cli `cli/command/container/stats_helpers.go`), as pure
//! functions of one or two [`StatsSample`]s. Nothing here reads a clock: rates use the samples'
//! own `read` times.

use super::sample::StatsSample;

/// Bytes in a mebibyte (the old dashboard's `*_mb` fields are MiB).
pub const MIB: f64 = 1_048_576.0;

/// Rounds to 2 decimal places, as the old dashboard did; non-finite values become 0.
pub fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}

/// Bytes → MiB, 2 dp.
pub fn mib(bytes: u64) -> f64 {
    round2(bytes as f64 / MIB)
}

/// CPUs the container may use: `online_cpus`, else the length of `percpu_usage` (cgroup v1),
/// else 1.
pub fn online_cpus(sample: &StatsSample) -> u32 {
    let cpu = &sample.cpu_stats;
    match cpu.online_cpus {
        Some(n) if n > 0 => n,
        _ => match &cpu.cpu_usage.percpu_usage {
            Some(v) if !v.is_empty() => u32::try_from(v.len()).unwrap_or(u32::MAX),
            _ => 1,
        },
    }
}

/// CPU % of one core (100 = one core busy; up to `online_cpus × 100`), like `docker stats`:
/// `Δcontainer / Δsystem × online_cpus × 100`.
///
/// The baseline is the sample's own `precpu_stats`; when that is empty (the first sample of a
/// stream) `previous` is used instead. `None` when there is no baseline, the system delta is not
/// positive, or the container counter went backwards (the container restarted).
pub fn cpu_percent(current: &StatsSample, previous: Option<&StatsSample>) -> Option<f64> {
    let now = &current.cpu_stats;
    let now_system = now.system_cpu_usage?;
    let own = &current.precpu_stats;
    let (base_total, base_system) = match own.system_cpu_usage {
        Some(system) if system > 0 => (own.cpu_usage.total_usage, system),
        _ => {
            let prev = &previous?.cpu_stats;
            (prev.cpu_usage.total_usage, prev.system_cpu_usage?)
        }
    };
    let system_delta = now_system.checked_sub(base_system).filter(|d| *d > 0)?;
    let cpu_delta = now.cpu_usage.total_usage.checked_sub(base_total)?;
    let pct = cpu_delta as f64 / system_delta as f64 * f64::from(online_cpus(current)) * 100.0;
    Some(round2(pct))
}

/// Memory in use without the inactive page cache, as `docker stats` shows it: cgroup v1 subtracts
/// `total_inactive_file`, cgroup v2 `inactive_file` (each only when smaller than the usage).
pub fn memory_usage_bytes(sample: &StatsSample) -> u64 {
    let mem = &sample.memory_stats;
    let usage = mem.usage.unwrap_or(0);
    let cache = [mem.stats.total_inactive_file, mem.stats.inactive_file]
        .into_iter()
        .flatten()
        .find(|v| *v < usage)
        .unwrap_or(0);
    usage - cache
}

/// The memory limit the engine reports (the host's RAM for a container without a limit).
pub fn memory_limit_bytes(sample: &StatsSample) -> u64 {
    sample.memory_stats.limit.unwrap_or(0)
}

/// `part / whole × 100`, 2 dp; 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round2(part as f64 / whole as f64 * 100.0)
    }
}

/// Received and transmitted bytes summed over all interfaces (cumulative).
pub fn network_totals(sample: &StatsSample) -> (u64, u64) {
    sample.networks.values().fold((0, 0), |(rx, tx), n| {
        (rx.saturating_add(n.rx_bytes), tx.saturating_add(n.tx_bytes))
    })
}

/// Bytes read and written on block devices (cumulative), matching operations case-insensitively
/// (`Read`/`Write` on cgroup v1, `read`/`write` on v2); `Total`, `Sync`, … are not counted.
pub fn blkio_totals(sample: &StatsSample) -> (u64, u64) {
    sample
        .blkio_stats
        .io_service_bytes_recursive
        .iter()
        .fold((0, 0), |(r, w), e| {
            if e.op.eq_ignore_ascii_case("read") {
                (r.saturating_add(e.value), w)
            } else if e.op.eq_ignore_ascii_case("write") {
                (r, w.saturating_add(e.value))
            } else {
                (r, w)
            }
        })
}

/// Seconds between two samples' `read` times; `None` unless both are live and `current` is later.
pub fn elapsed_secs(current: &StatsSample, previous: &StatsSample) -> Option<f64> {
    let dt = current.read? - previous.read?;
    let secs = dt.num_microseconds()? as f64 / 1e6;
    (secs > 0.0).then_some(secs)
}

/// Rate of a cumulative counter in units per second, 2 dp. `None` when the counter went backwards
/// (reset by a container restart): a rate is never negative.
pub fn rate(current: u64, previous: u64, elapsed_secs: f64) -> Option<f64> {
    let delta = current.checked_sub(previous)?;
    (elapsed_secs > 0.0).then(|| round2(delta as f64 / elapsed_secs))
}

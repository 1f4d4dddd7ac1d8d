//! One bounded run: sample the idle server, ramp clients up at the configured rate, wait out the warm-up,
//! measure the steady window (latency inside clients, server and self from /proc every second, kato-sim
//! counters at both ends), then stop every client and build the [`Report`].

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::bail;

use crate::{
    cli::Settings,
    client::{self, ClientStats, Window},
    kato::{self, KatoRequests},
    procfs::{self, PhaseFigures, ProcSample},
    ramp,
    report::{PerClient, Report, ServerFigures, TimelinePoint},
    stats::{LatencySummary, Sample, Spread, buckets},
};

/// Descriptors kept free for the runtime, /proc reads and kato-sim requests.
const FD_MARGIN: u64 = 64;

/// Raises the open-file soft limit to the hard limit and checks that `clients` sockets fit.
pub fn raise_nofile(clients: usize) -> anyhow::Result<u64> {
    let limit = rlimit::increase_nofile_limit(u64::MAX)?;
    let need = clients as u64 + FD_MARGIN;
    if need > limit {
        bail!(
            "{clients} clients need about {need} file descriptors but the limit is {limit} \
             (hard limit; raise it with `ulimit -Hn` as root or ask for fewer clients)"
        );
    }
    Ok(limit)
}

/// Samples `pid` (None: this process) every second for `length`; errors end the sampling early.
async fn sample_for(
    pid: Option<u32>,
    length: Duration,
    notes: &mut Vec<String>,
) -> Vec<ProcSample> {
    let mut out = Vec::new();
    let end = Instant::now() + length;
    let mut timer = tokio::time::interval(Duration::from_secs(1));
    loop {
        timer.tick().await;
        match procfs::sample(pid) {
            Ok(s) => out.push(s),
            Err(e) => {
                notes.push(format!(
                    "sampling /proc/{}: {e}",
                    pid.map_or("self".into(), |p| p.to_string())
                ));
                return out;
            }
        }
        let now = Instant::now();
        if now >= end {
            return out;
        }
        if end - now < Duration::from_secs(1) {
            tokio::time::sleep(end - now).await;
            if let Ok(s) = procfs::sample(pid) {
                out.push(s);
            }
            return out;
        }
    }
}

/// Runs the whole measurement.
pub async fn run(s: Settings, command: String) -> anyhow::Result<Report> {
    let nofile = raise_nofile(s.clients + s.stalled)?;
    let clk = procfs::clk_tck();
    let mut notes = Vec::new();
    let mut report = Report {
        started_at: kato_dashboard_now(),
        command,
        url: s.url.to_string(),
        topics: s.topics.clone(),
        deltas: s.deltas,
        warmup_seconds: s.warmup.as_secs_f64(),
        nofile_limit: nofile,
        ..Report::default()
    };

    let idle = match s.server_pid {
        Some(pid) if !s.idle.is_zero() => {
            eprintln!(
                "ws-load: sampling the idle server for {:.0} s",
                s.idle.as_secs_f64()
            );
            PhaseFigures::from_samples(&sample_for(Some(pid), s.idle, &mut notes).await, clk)
        }
        _ => None,
    };

    let window = Arc::new(Window::default());
    let fleet = ramp::ramp(&s, window.clone(), &mut report.connections).await;
    let c = &report.connections;
    if s.clients + s.stalled > 0 {
        eprintln!(
            "ws-load: {} live and {} stalled connected in {:.1} s; warm-up {:.0} s, then measuring {:.0} s",
            c.live_connected,
            c.stalled_connected,
            c.ramp_seconds,
            s.warmup.as_secs_f64(),
            s.duration.as_secs_f64()
        );
        tokio::time::sleep(s.warmup).await;
    }

    // Steady window.
    let kato_before = match &s.kato_sim {
        Some(base) => match kato::sim_total(base).await {
            Ok(n) => Some((n, epoch_secs())),
            Err(e) => {
                notes.push(format!("kato-sim: {e:#}"));
                None
            }
        },
        None => None,
    };
    window.open();
    let me_start = procfs::sample(None).ok();
    let host_start = procfs::host_cpu();
    report.loadavg[0] = loadavg();
    let server_samples = match s.server_pid {
        Some(pid) => sample_for(Some(pid), s.duration, &mut notes).await,
        None => {
            tokio::time::sleep(s.duration).await;
            Vec::new()
        }
    };
    window.close();
    let me_end = procfs::sample(None).ok();
    report.loadavg[1] = loadavg();
    report.host_cpus = std::thread::available_parallelism().map_or(0, usize::from);
    if let (Some(a), Some(b)) = (host_start, procfs::host_cpu()) {
        report.host_busy_percent = Some(procfs::host_busy_percent(a, b));
    }
    report.steady_seconds = s.duration.as_secs_f64();
    if let (Some(a), Some(b)) = (me_start, me_end) {
        report.loadgen = PhaseFigures::from_samples(&[a, b], clk);
    }
    if let (Some(base), Some((before, from))) = (&s.kato_sim, kato_before) {
        report.kato = kato_window(base, before, from, &mut notes).await;
    }
    let ports: HashSet<u16> = fleet.stalled_ports();
    if let (false, Some(server_port)) = (ports.is_empty(), s.url.port_or_known_default()) {
        report.connections.stalled_tcp = Some(procfs::tcp_ends(&ports, server_port));
    }
    eprintln!("ws-load: stopping clients");
    let mut all = fleet.stop().await;
    let bucket_ms = u32::try_from(s.bucket.as_millis()).unwrap_or(u32::MAX);
    aggregate(&mut report, &mut all, s.duration.as_secs_f64(), bucket_ms);
    let frame = all.first().and_then(|c| c.last_update.as_ref());
    if let (Some(path), Some(frame)) = (&s.save_frame, frame)
        && let Err(e) = std::fs::write(path, frame)
    {
        notes.push(format!("cannot write {}: {e}", path.display()));
    }
    if let Some(pid) = s.server_pid {
        let steady = PhaseFigures::from_samples(&server_samples, clk);
        let connected = report.connections.live_connected + report.connections.stalled_connected;
        let per_conn = match (&idle, &steady) {
            (Some(i), Some(st)) if connected > 0 => {
                Some((st.rss_mean_bytes as f64 - i.rss_mean_bytes as f64) / connected as f64)
            }
            _ => None,
        };
        let timeline = server_samples
            .first()
            .map(|first| {
                server_samples
                    .iter()
                    .map(|x| TimelinePoint {
                        t: x.at.duration_since(first.at).as_secs_f64(),
                        rss_bytes: x.rss_bytes,
                        fds: x.fds,
                    })
                    .collect()
            })
            .unwrap_or_default();
        report.server = Some(ServerFigures {
            pid,
            idle,
            steady,
            rss_per_connection_bytes: per_conn,
            timeline,
        });
    }
    report.notes = notes;
    Ok(report)
}

async fn kato_window(
    base: &url::Url,
    before: u64,
    from: f64,
    notes: &mut Vec<String>,
) -> Option<KatoRequests> {
    let after = match kato::sim_total(base).await {
        Ok(n) => n,
        Err(e) => {
            notes.push(format!("kato-sim: {e:#}"));
            return None;
        }
    };
    let to = epoch_secs();
    let seconds = to - from;
    let by_endpoint = kato::by_endpoint(base, from, to).await.unwrap_or_else(|e| {
        notes.push(format!("kato-sim /stats: {e:#}"));
        BTreeMap::new()
    });
    if after < before {
        notes.push(
            "kato-sim's request counter went down (restart?): total is not meaningful".into(),
        );
    }
    let total = after.saturating_sub(before);
    Some(KatoRequests {
        seconds,
        total,
        total_per_minute: total as f64 * 60.0 / seconds.max(1e-9),
        by_endpoint,
    })
}

/// Folds the clients' figures into the report.
fn aggregate(report: &mut Report, clients: &mut [ClientStats], seconds: f64, bucket_ms: u32) {
    let minutes = seconds / 60.0;
    let mut samples: Vec<Sample> =
        Vec::with_capacity(clients.iter().map(|c| c.latencies.len()).sum());
    let (mut updates, mut update_bytes, mut skipped, mut negative) = (0u64, 0u64, 0u64, 0u64);
    for c in clients.iter_mut() {
        samples.append(&mut c.latencies);
        updates += c.updates;
        update_bytes += c.update_bytes;
        skipped += c.ticks_skipped;
        negative += c.negative;
        if let Some(reason) = &c.ended_early {
            *report
                .connections
                .live_dropped
                .entry(reason.clone())
                .or_default() += 1;
        }
    }
    report.latency_buckets = buckets(&samples, bucket_ms);
    let mut latencies: Vec<u64> = samples.iter().map(|s| u64::from(s.latency_us)).collect();
    report.latency = LatencySummary::from_micros(&mut latencies);
    report.latency_negative_samples = negative;
    report.per_client = PerClient {
        messages_per_minute: Spread::of(clients.iter().map(|c| c.messages as f64 / minutes)),
        bytes_per_minute: Spread::of(clients.iter().map(|c| c.bytes as f64 / minutes)),
        updates_per_minute: Spread::of(clients.iter().map(|c| c.updates as f64 / minutes)),
        bytes_per_update_mean: if updates > 0 {
            update_bytes as f64 / updates as f64
        } else {
            0.0
        },
        ticks_skipped: skipped,
    };
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn epoch_secs() -> f64 {
    client::now_micros() as f64 / 1e6
}

fn kato_dashboard_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_normalises_per_minute() {
        let mut clients = vec![
            ClientStats {
                messages: 60,
                bytes: 6000,
                updates: 60,
                update_bytes: 6000,
                latencies: vec![
                    Sample {
                        at_ms: 0,
                        latency_us: 1000
                    };
                    60
                ],
                ..Default::default()
            },
            ClientStats {
                messages: 30,
                bytes: 3000,
                updates: 30,
                update_bytes: 3000,
                latencies: vec![
                    Sample {
                        at_ms: 25_000,
                        latency_us: 3000
                    };
                    30
                ],
                ended_early: Some("closed".into()),
                ..Default::default()
            },
        ];
        let mut r = Report::default();
        aggregate(&mut r, &mut clients, 30.0, 10_000);
        assert_eq!(r.per_client.messages_per_minute.mean, 90.0);
        assert_eq!(r.per_client.bytes_per_update_mean, 100.0);
        assert_eq!(r.latency.samples, 90);
        assert_eq!(r.latency.p50_ms, 1.0);
        assert_eq!(r.latency.max_ms, 3.0);
        assert_eq!(r.latency_buckets.len(), 2);
        assert_eq!(r.latency_buckets[1].latency.p50_ms, 3.0);
        assert_eq!(r.connections.live_dropped.get("closed"), Some(&1));
    }
}

//! The run's report: one serializable struct (for `--json`) and its text table.

use std::{collections::BTreeMap, fmt::Write as _};

use serde::Serialize;

use crate::{
    kato::KatoRequests,
    procfs::{PhaseFigures, TcpEnds},
    stats::{Bucket, LatencySummary, Spread},
};

/// Connection outcomes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Connections {
    /// Live clients asked for.
    pub live_requested: usize,
    /// Live clients that connected and subscribed.
    pub live_connected: usize,
    /// Stalled clients asked for.
    pub stalled_requested: usize,
    /// Stalled clients that connected and subscribed.
    pub stalled_connected: usize,
    /// Failed attempts by reason (live and stalled).
    pub failures: BTreeMap<String, usize>,
    /// Live clients that stopped before the end of the run, by reason.
    pub live_dropped: BTreeMap<String, usize>,
    /// Both ends of the stalled connections at the end of the steady phase (client CLOSE_WAIT or a server
    /// end in FIN_WAIT1 = the server closed it).
    pub stalled_tcp: Option<TcpEnds>,
    /// Seconds from the first connection attempt until every attempt had settled.
    pub ramp_seconds: f64,
}

/// Per live client, over the steady window, normalised to one minute.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PerClient {
    /// Frames per client per minute.
    pub messages_per_minute: Spread,
    /// Payload bytes per client per minute.
    pub bytes_per_minute: Spread,
    /// `realtime_update` frames per client per minute.
    pub updates_per_minute: Spread,
    /// Mean payload bytes of one `realtime_update`.
    pub bytes_per_update_mean: f64,
    /// Ticks the clients never received (coalesced by the server), all clients.
    pub ticks_skipped: u64,
}

/// Server figures from /proc.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerFigures {
    /// PID sampled.
    pub pid: u32,
    /// Before any client connected.
    pub idle: Option<PhaseFigures>,
    /// During the steady phase.
    pub steady: Option<PhaseFigures>,
    /// (steady RSS mean − idle RSS mean) / connected clients (live + stalled), bytes.
    pub rss_per_connection_bytes: Option<f64>,
    /// One point a second during the steady phase.
    pub timeline: Vec<TimelinePoint>,
}

/// The server at one second of the steady phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TimelinePoint {
    /// Seconds since the steady phase began.
    pub t: f64,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Open descriptors.
    pub fds: Option<usize>,
}

/// The points where the descriptor count changed (the first point always), to show when sockets closed.
pub fn fd_changes(timeline: &[TimelinePoint]) -> Vec<TimelinePoint> {
    let mut out: Vec<TimelinePoint> = Vec::new();
    for p in timeline {
        if out.last().is_none_or(|l| l.fds != p.fds) {
            out.push(*p);
        }
    }
    out
}

/// The whole report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// When the run started (RFC 3339 UTC).
    pub started_at: String,
    /// The command line.
    pub command: String,
    /// The `/ws` URL.
    pub url: String,
    /// Topics subscribed to.
    pub topics: Vec<String>,
    /// Delta opt-in.
    pub deltas: bool,
    /// Warm-up seconds after ramp-up, excluded from every figure.
    pub warmup_seconds: f64,
    /// Seconds of the measured steady window.
    pub steady_seconds: f64,
    /// Open-file soft limit after raising it.
    pub nofile_limit: u64,
    /// Connections.
    pub connections: Connections,
    /// tick→client latency of live clients inside the steady window.
    pub latency: LatencySummary,
    /// The same latency per slice of the steady window (`--bucket` seconds), by receive time.
    pub latency_buckets: Vec<Bucket>,
    /// Latency samples whose receive time preceded the frame's timestamp (clamped to 0).
    pub latency_negative_samples: u64,
    /// Throughput per live client.
    pub per_client: PerClient,
    /// The dashboard process.
    pub server: Option<ServerFigures>,
    /// This load generator over the steady window.
    pub loadgen: Option<PhaseFigures>,
    /// Logical CPUs of the host.
    pub host_cpus: usize,
    /// Percent of ALL host CPUs busy during the steady window (every process: server, ws-load, others).
    pub host_busy_percent: Option<f64>,
    /// `/proc/loadavg` at the start and at the end of the steady window.
    pub loadavg: [String; 2],
    /// KATO requests during the steady window (with `--kato-sim`).
    pub kato: Option<KatoRequests>,
    /// Problems met while measuring (not fatal).
    pub notes: Vec<String>,
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn phase_line(out: &mut String, name: &str, p: &PhaseFigures) {
    let fds = match (p.fds_start, p.fds_end) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => "n/a".into(),
    };
    let _ = writeln!(
        out,
        "  {name:<8} RSS mean {} (max {}), CPU {:.2} % of a core ({:.2} % kernel) over {:.1} s, fds {fds}",
        mib(p.rss_mean_bytes),
        mib(p.rss_max_bytes),
        p.cpu_percent,
        p.cpu_system_percent,
        p.seconds
    );
}

impl Report {
    /// CPU used during the steady window by processes other than the server and ws-load, in % of one core.
    pub fn others_cpu_percent(&self) -> Option<f64> {
        let busy = self.host_busy_percent? * self.host_cpus as f64;
        let server = self.server.as_ref()?.steady.as_ref()?.cpu_percent;
        let me = self.loadgen.as_ref()?.cpu_percent;
        Some((busy - server - me).max(0.0))
    }

    /// The text table.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let c = &self.connections;
        let _ = writeln!(o, "ws-load report — {}", self.started_at);
        let _ = writeln!(o, "  command  {}", self.command);
        let _ = writeln!(
            o,
            "  url      {}  topics [{}]  deltas {}",
            self.url,
            self.topics.join(","),
            self.deltas
        );
        let _ = writeln!(
            o,
            "clients    live {}/{} connected, stalled {}/{} connected, ramp {:.1} s, nofile {}",
            c.live_connected,
            c.live_requested,
            c.stalled_connected,
            c.stalled_requested,
            c.ramp_seconds,
            self.nofile_limit
        );
        for (reason, n) in &c.failures {
            let _ = writeln!(o, "  failed   {n} × {reason}");
        }
        for (reason, n) in &c.live_dropped {
            let _ = writeln!(o, "  dropped  {n} live × {reason}");
        }
        if let Some(t) = &c.stalled_tcp {
            let fmt = |m: &BTreeMap<String, usize>| {
                let v: Vec<String> = m.iter().map(|(s, n)| format!("{s} {n}")).collect();
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            let _ = writeln!(
                o,
                "  stalled at end: client ends {} ({} KiB unread); server ends {} ({} KiB unsent)",
                fmt(&t.client),
                t.client_rx_queue_bytes / 1024,
                fmt(&t.server),
                t.server_tx_queue_bytes / 1024
            );
        }
        let l = &self.latency;
        let _ = writeln!(
            o,
            "latency    tick→client over {:.1} s steady (ramp-up and {:.0} s warm-up excluded), {} samples",
            self.steady_seconds, self.warmup_seconds, l.samples
        );
        let _ = writeln!(
            o,
            "  p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  p99.9 {:.1} ms  max {:.1} ms  mean {:.1} ms",
            l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms
        );
        if self.latency_buckets.len() > 1 {
            for b in &self.latency_buckets {
                let _ = writeln!(
                    o,
                    "  {:>4.0}–{:<4.0} s  p50 {:.1}  p99 {:.1}  max {:.1} ms  ({} samples)",
                    b.from_s,
                    b.to_s,
                    b.latency.p50_ms,
                    b.latency.p99_ms,
                    b.latency.max_ms,
                    b.latency.samples
                );
            }
        }
        let p = &self.per_client;
        let _ = writeln!(
            o,
            "per client messages/min {:.1} (min {:.0}, max {:.0}), bytes/min {:.0}, updates/min {:.1}, bytes/update {:.0}, ticks skipped {}",
            p.messages_per_minute.mean,
            p.messages_per_minute.min,
            p.messages_per_minute.max,
            p.bytes_per_minute.mean,
            p.updates_per_minute.mean,
            p.bytes_per_update_mean,
            p.ticks_skipped
        );
        if let Some(s) = &self.server {
            let _ = writeln!(o, "server     pid {}", s.pid);
            if let Some(idle) = &s.idle {
                phase_line(&mut o, "idle", idle);
            }
            if let Some(steady) = &s.steady {
                phase_line(&mut o, "steady", steady);
            }
            let changes = fd_changes(&s.timeline);
            if changes.len() > 1 {
                let shown: Vec<String> = changes
                    .iter()
                    .take(12)
                    .map(|p| format!("{:.0} s: {}", p.t, p.fds.unwrap_or(0)))
                    .collect();
                let more = if changes.len() > 12 { ", …" } else { "" };
                let _ = writeln!(o, "  fds over time  {}{more}", shown.join(", "));
            }
            if let Some(per) = s.rss_per_connection_bytes {
                let _ = writeln!(o, "  RSS per connection {:.1} KiB", per / 1024.0);
            }
        }
        if let Some(me) = &self.loadgen {
            phase_line(&mut o, "ws-load", me);
        }
        if let Some(busy) = self.host_busy_percent {
            let _ = writeln!(
                o,
                "host       {} CPUs {:.1} % busy during steady (all processes); loadavg {} → {}",
                self.host_cpus, busy, self.loadavg[0], self.loadavg[1]
            );
            if let Some(others) = self.others_cpu_percent() {
                let _ = writeln!(
                    o,
                    "  other processes (neither the server nor ws-load): ≈ {others:.1} % of a core"
                );
            }
        }
        if let Some(k) = &self.kato {
            let _ = writeln!(
                o,
                "kato-sim   {} requests in {:.1} s ({:.1}/min, incl. the sim's background traffic)",
                k.total, k.seconds, k.total_per_minute
            );
            for (ep, n) in &k.by_endpoint {
                let _ = writeln!(o, "  {n:>6}  {ep}");
            }
        }
        for n in &self.notes {
            let _ = writeln!(o, "note       {n}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_changes_keep_the_first_point_and_every_change() {
        let p = |t, fds| TimelinePoint {
            t,
            rss_bytes: 0,
            fds: Some(fds),
        };
        let tl = [p(0.0, 10), p(1.0, 10), p(2.0, 5), p(3.0, 5), p(4.0, 6)];
        assert_eq!(fd_changes(&tl), vec![p(0.0, 10), p(2.0, 5), p(4.0, 6)]);
        assert!(fd_changes(&[]).is_empty());
    }

    #[test]
    fn text_report_names_the_figures() {
        let mut r = Report {
            command: "ws-load -n 10".into(),
            ..Report::default()
        };
        r.connections
            .failures
            .insert("connect: ConnectionRefused".into(), 3);
        r.server = Some(ServerFigures {
            pid: 7,
            rss_per_connection_bytes: Some(10240.0),
            ..ServerFigures::default()
        });
        let text = r.render();
        for want in [
            "p99",
            "3 × connect: ConnectionRefused",
            "RSS per connection 10.0 KiB",
            "warm-up excluded",
        ] {
            assert!(text.contains(want), "{want} missing from\n{text}");
        }
    }
}

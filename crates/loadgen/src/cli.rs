//! Command-line arguments and their validation: loopback-only URLs, bounded counts and durations.
//! Validation is pure so it is unit-tested; nothing here opens a socket.

use std::{net::IpAddr, time::Duration};

use clap::Parser;
use url::{Host, Url};

/// Most clients (live + stalled) one run may open.
pub const MAX_CLIENTS: usize = 20_000;
/// Longest steady phase one run may measure.
pub const MAX_DURATION_SECS: f64 = 1800.0;
/// Topics subscribed to by default: every topic of the protocol.
pub const DEFAULT_TOPICS: &str = "metrics,containers,sessions,session_events,system_alerts";

/// Opens N WebSocket clients against the dashboard's `/ws` (loopback only), measures tick→client latency of
/// `realtime_update` frames, throughput per client, and the server's RSS and CPU from /proc.
#[derive(Debug, Clone, Parser)]
#[command(name = "ws-load", version)]
pub struct Args {
    /// The dashboard's WebSocket URL; only loopback hosts (127.0.0.0/8, ::1, localhost) are accepted.
    #[arg(long, default_value = "ws://127.0.0.1:3000/ws")]
    pub url: String,
    /// Live clients: they subscribe and read everything.
    #[arg(long, short = 'n', default_value_t = 100)]
    pub clients: usize,
    /// Stalled clients beside the live ones: they connect, subscribe, then never read again.
    #[arg(long, default_value_t = 0)]
    pub stalled: usize,
    /// Receive buffer (SO_RCVBUF, bytes) of stalled sockets; small values make the server's sends block sooner.
    /// 0 keeps the kernel default.
    #[arg(long, default_value_t = 4096)]
    pub stalled_rcvbuf: u32,
    /// New connections per second during ramp-up.
    #[arg(long, default_value_t = 500.0)]
    pub rate: f64,
    /// Seconds after ramp-up before measuring starts (latency samples before that are excluded).
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Seconds of the measured steady phase.
    #[arg(long, short = 'd', default_value_t = 60.0)]
    pub duration: f64,
    /// Seconds per slice of the latency-over-time table.
    #[arg(long, default_value_t = 10.0)]
    pub bucket: f64,
    /// Seconds the server is sampled before any client connects (its idle RSS and CPU).
    #[arg(long, default_value_t = 5.0)]
    pub idle: f64,
    /// Comma-separated topics to subscribe to; an empty string subscribes to nothing.
    #[arg(long, default_value = DEFAULT_TOPICS)]
    pub topics: String,
    /// Opt into delta updates (`{"type":"features","deltas":true}`) before subscribing.
    #[arg(long)]
    pub deltas: bool,
    /// PID of the dashboard, for RSS/CPU/fd sampling from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Base URL of a kato-sim (loopback): counts the KATO requests made during the steady phase.
    #[arg(long)]
    pub kato_sim: Option<String>,
    /// Seconds one connection attempt (TCP + WebSocket handshake) may take.
    #[arg(long, default_value_t = 10.0)]
    pub connect_timeout: f64,
    /// Bytes each client reads from its socket at a time.
    #[arg(long, default_value_t = 4096)]
    pub read_buffer: usize,
    /// Write the last `realtime_update` received by the first live client to this file.
    #[arg(long)]
    pub save_frame: Option<std::path::PathBuf>,
    /// Print the report as JSON on stdout (the table then goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The `/ws` URL.
    pub url: Url,
    /// Live clients.
    pub clients: usize,
    /// Stalled clients.
    pub stalled: usize,
    /// SO_RCVBUF of stalled sockets (None: kernel default).
    pub stalled_rcvbuf: Option<u32>,
    /// Connections per second.
    pub rate: f64,
    /// Warm-up after ramp-up.
    pub warmup: Duration,
    /// Steady phase.
    pub duration: Duration,
    /// Idle sampling before connecting.
    pub idle: Duration,
    /// Latency-over-time slice.
    pub bucket: Duration,
    /// Topics.
    pub topics: Vec<String>,
    /// Delta opt-in.
    pub deltas: bool,
    /// Server PID.
    pub server_pid: Option<u32>,
    /// kato-sim base URL.
    pub kato_sim: Option<Url>,
    /// Per-connection timeout.
    pub connect_timeout: Duration,
    /// Bytes read at a time.
    pub read_buffer: usize,
    /// Where to save a sample frame.
    pub save_frame: Option<std::path::PathBuf>,
}

fn secs(name: &str, v: f64, min: f64, max: f64) -> Result<Duration, String> {
    if v.is_finite() && (min..=max).contains(&v) {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!(
            "--{name} must be within {min}..={max} seconds, got {v}"
        ))
    }
}

impl Args {
    /// Checks every bound and the loopback rule.
    pub fn validate(&self) -> Result<Settings, String> {
        let url = loopback_url(&self.url, &["ws"])?;
        let total = self.clients.saturating_add(self.stalled);
        if total > MAX_CLIENTS {
            return Err(format!(
                "{total} clients requested (live {} + stalled {}); at most {MAX_CLIENTS} per run",
                self.clients, self.stalled
            ));
        }
        if !(self.rate.is_finite() && (1.0..=20_000.0).contains(&self.rate)) {
            return Err(format!(
                "--rate must be within 1..=20000 per second, got {}",
                self.rate
            ));
        }
        for (name, v) in [("read-buffer", self.read_buffer)] {
            if !(256..=1 << 20).contains(&v) {
                return Err(format!(
                    "--{name} must be within 256..=1048576 bytes, got {v}"
                ));
            }
        }
        let kato_sim = self
            .kato_sim
            .as_deref()
            .map(|u| loopback_url(u, &["http"]))
            .transpose()?;
        Ok(Settings {
            url,
            clients: self.clients,
            stalled: self.stalled,
            stalled_rcvbuf: (self.stalled_rcvbuf > 0).then_some(self.stalled_rcvbuf),
            rate: self.rate,
            warmup: secs("warmup", self.warmup, 0.0, 600.0)?,
            duration: secs("duration", self.duration, 1.0, MAX_DURATION_SECS)?,
            idle: secs("idle", self.idle, 0.0, 600.0)?,
            bucket: secs("bucket", self.bucket, 0.1, MAX_DURATION_SECS)?,
            topics: parse_topics(&self.topics),
            deltas: self.deltas,
            server_pid: self.server_pid,
            kato_sim,
            connect_timeout: secs("connect-timeout", self.connect_timeout, 0.1, 120.0)?,
            read_buffer: self.read_buffer,
            save_frame: self.save_frame.clone(),
        })
    }
}

/// Splits a comma-separated topic list; empty entries are dropped, so `""` means no topics.
pub fn parse_topics(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `raw` and accepts it only with one of `schemes` and a loopback host.
pub fn loopback_url(raw: &str, schemes: &[&str]) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!(
            "{raw}: scheme {:?} not accepted (use {})",
            url.scheme(),
            schemes.join(" or ")
        ));
    }
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    if loopback {
        Ok(url)
    } else {
        Err(format!(
            "{raw}: only loopback hosts are allowed (127.0.0.0/8, ::1, localhost)"
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v = vec!["ws-load"];
        v.extend_from_slice(extra);
        Args::try_parse_from(v).unwrap()
    }

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "ws://127.0.0.1:3000/ws",
            "ws://127.9.8.7/ws",
            "ws://[::1]:1/ws",
            "ws://localhost:3000/ws",
            "ws://LOCALHOST/ws",
        ] {
            assert!(loopback_url(ok, &["ws"]).is_ok(), "{ok}");
        }
        for bad in [
            "ws://10.0.0.1/ws",
            "ws://128.0.0.1/ws",
            "ws://example.com/ws",
            "ws://localhost.example.com/ws",
            "ws://[::2]/ws",
            "ws://0.0.0.0/ws",
            "wss://127.0.0.1/ws",
            "http://127.0.0.1/ws",
            "not a url",
        ] {
            assert!(loopback_url(bad, &["ws"]).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_and_durations_are_bounded() {
        assert!(args(&["-n", "20000"]).validate().is_ok());
        let err = args(&["-n", "15000", "--stalled", "5001"])
            .validate()
            .unwrap_err();
        assert!(err.contains("at most 20000"), "{err}");
        assert!(args(&["-d", "0"]).validate().is_err());
        assert!(args(&["-d", "1801"]).validate().is_err());
        assert!(args(&["--rate", "0"]).validate().is_err());
        assert!(args(&["--read-buffer", "10"]).validate().is_err());
        assert!(
            args(&["--kato-sim", "http://192.168.1.1:8000"])
                .validate()
                .is_err()
        );
        let s = args(&[
            "--kato-sim",
            "http://127.0.0.1:8000",
            "--stalled-rcvbuf",
            "0",
        ])
        .validate()
        .unwrap();
        assert!(s.kato_sim.is_some());
        assert_eq!(s.stalled_rcvbuf, None);
    }

    #[test]
    fn topics_split_on_commas_and_empty_means_none() {
        assert_eq!(parse_topics(DEFAULT_TOPICS).len(), 5);
        assert_eq!(
            parse_topics("metrics, sessions,"),
            vec!["metrics", "sessions"]
        );
        assert!(parse_topics("").is_empty());
    }
}

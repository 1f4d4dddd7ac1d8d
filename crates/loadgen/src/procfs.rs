//! Process figures from `/proc` (Linux): RSS from `/proc/PID/status` (`VmRSS`), CPU time from
//! `/proc/PID/stat` (`utime + stime`, in clock ticks), open descriptors from `/proc/PID/fd`, and the TCP
//! states of given local ports from `/proc/net/tcp{,6}`. Parsing is pure and unit-tested; reading is a thin
//! wrapper.

use std::{
    collections::{BTreeMap, HashSet},
    io,
    time::Instant,
};

use serde::Serialize;

/// `VmRSS` in bytes from the text of `/proc/PID/status`.
pub fn parse_vmrss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next().unwrap_or("kB");
    let factor = match unit {
        "kB" => 1024,
        "mB" | "MB" => 1024 * 1024,
        "B" => 1,
        _ => return None,
    };
    Some(value * factor)
}

/// `(utime, stime)` (clock ticks) from the text of `/proc/PID/stat`. The command name may hold spaces and
/// parentheses, so fields are counted from the last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime, stime))
}

/// Percent of one core used between two CPU-tick readings taken `seconds` apart.
pub fn cpu_percent(ticks_before: u64, ticks_after: u64, seconds: f64, clk_tck: u64) -> f64 {
    if seconds <= 0.0 || clk_tck == 0 {
        return 0.0;
    }
    ticks_after.saturating_sub(ticks_before) as f64 / clk_tck as f64 / seconds * 100.0
}

/// Clock ticks per second (`getconf CLK_TCK`; 100, the Linux value, if that cannot run).
pub fn clk_tck() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// One reading of a process.
#[derive(Debug, Clone, Copy)]
pub struct ProcSample {
    /// When it was taken.
    pub at: Instant,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// `utime + stime`, clock ticks.
    pub cpu_ticks: u64,
    /// `stime` alone (time in the kernel: syscalls, and on loopback the peer's TCP receive path too).
    pub system_ticks: u64,
    /// Open file descriptors (None if `/proc/PID/fd` is not readable).
    pub fds: Option<usize>,
}

/// Reads `/proc/<pid>` (`pid = None`: this process).
pub fn sample(pid: Option<u32>) -> io::Result<ProcSample> {
    let dir = pid.map_or_else(|| "/proc/self".to_string(), |p| format!("/proc/{p}"));
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{dir}/{what}"));
    let status = std::fs::read_to_string(format!("{dir}/status"))?;
    let stat = std::fs::read_to_string(format!("{dir}/stat"))?;
    let fds = std::fs::read_dir(format!("{dir}/fd"))
        .ok()
        .map(Iterator::count);
    let (utime, stime) = parse_cpu_ticks(&stat).ok_or_else(|| bad("stat: unreadable"))?;
    Ok(ProcSample {
        at: Instant::now(),
        rss_bytes: parse_vmrss_bytes(&status).ok_or_else(|| bad("status: no VmRSS"))?,
        cpu_ticks: utime + stime,
        system_ticks: stime,
        fds,
    })
}

/// CPU % of one core between two samples of the same process.
pub fn cpu_between(a: &ProcSample, b: &ProcSample, clk_tck: u64) -> f64 {
    cpu_percent(
        a.cpu_ticks,
        b.cpu_ticks,
        b.at.duration_since(a.at).as_secs_f64(),
        clk_tck,
    )
}

/// `(busy, total)` jiffies of all CPUs from the first line of `/proc/stat`
/// (`cpu user nice system idle iowait irq softirq steal …`; idle and iowait are not busy).
pub fn parse_host_cpu(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if v.len() < 5 {
        return None;
    }
    let total: u64 = v.iter().sum();
    Some((total - v[3] - v[4], total))
}

/// Reads `/proc/stat` and returns `(busy, total)` jiffies of all CPUs.
pub fn host_cpu() -> Option<(u64, u64)> {
    parse_host_cpu(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// Percent of all CPUs busy between two [`host_cpu`] readings.
pub fn host_busy_percent(a: (u64, u64), b: (u64, u64)) -> f64 {
    let total = b.1.saturating_sub(a.1);
    if total == 0 {
        return 0.0;
    }
    b.0.saturating_sub(a.0) as f64 / total as f64 * 100.0
}

/// Name of a kernel TCP state number (`include/net/tcp_states.h`).
pub fn tcp_state_name(code: u8) -> &'static str {
    match code {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// The two ends of a set of loopback connections to one server port, from `/proc/net/tcp{,6}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TcpEnds {
    /// States of the client ends (local port in the set, remote port = the server's).
    pub client: BTreeMap<String, usize>,
    /// States of the server ends (local port = the server's, remote port in the set); a server end that is
    /// gone from this table was fully closed.
    pub server: BTreeMap<String, usize>,
    /// Bytes queued for sending at the server ends (kernel memory, not in the server's RSS).
    pub server_tx_queue_bytes: u64,
    /// Bytes received but not read at the client ends.
    pub client_rx_queue_bytes: u64,
}

fn hex_port(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')
        .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
}

/// Adds the connections between `client_ports` and `server_port` found in the text of `/proc/net/tcp` or
/// `/proc/net/tcp6` (header line, then `sl local_address rem_address st tx_queue:rx_queue …`, hex).
pub fn count_tcp_ends(
    table: &str,
    client_ports: &HashSet<u16>,
    server_port: u16,
    into: &mut TcpEnds,
) {
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().take(5).collect();
        let [_, local, remote, state, queues] = f[..] else {
            continue;
        };
        let (Some(lp), Some(rp), Ok(code)) = (
            hex_port(local),
            hex_port(remote),
            u8::from_str_radix(state, 16),
        ) else {
            continue;
        };
        let (tx, rx) = queues
            .split_once(':')
            .map(|(t, r)| {
                (
                    u64::from_str_radix(t, 16).unwrap_or(0),
                    u64::from_str_radix(r, 16).unwrap_or(0),
                )
            })
            .unwrap_or_default();
        let name = tcp_state_name(code).to_string();
        if rp == server_port && client_ports.contains(&lp) {
            *into.client.entry(name).or_default() += 1;
            into.client_rx_queue_bytes += rx;
        } else if lp == server_port && client_ports.contains(&rp) {
            *into.server.entry(name).or_default() += 1;
            into.server_tx_queue_bytes += tx;
        }
    }
}

/// Both ends of the connections between `client_ports` and `server_port` on this host.
pub fn tcp_ends(client_ports: &HashSet<u16>, server_port: u16) -> TcpEnds {
    let mut out = TcpEnds::default();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(path) {
            count_tcp_ends(&text, client_ports, server_port, &mut out);
        }
    }
    out
}

/// RSS and CPU of a process over a phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PhaseFigures {
    /// Seconds covered.
    pub seconds: f64,
    /// Mean RSS over the samples, bytes.
    pub rss_mean_bytes: u64,
    /// Largest RSS sample, bytes.
    pub rss_max_bytes: u64,
    /// CPU, percent of one core, over the phase.
    pub cpu_percent: f64,
    /// Of `cpu_percent`: time in the kernel.
    pub cpu_system_percent: f64,
    /// Open descriptors at the start of the phase.
    pub fds_start: Option<usize>,
    /// Open descriptors at the end of the phase.
    pub fds_end: Option<usize>,
}

impl PhaseFigures {
    /// Figures from the samples of one phase (first and last bound the CPU measurement).
    pub fn from_samples(samples: &[ProcSample], clk_tck: u64) -> Option<Self> {
        let (first, last) = (samples.first()?, samples.last()?);
        let sum: u128 = samples.iter().map(|s| u128::from(s.rss_bytes)).sum();
        Some(Self {
            seconds: last.at.duration_since(first.at).as_secs_f64(),
            rss_mean_bytes: u64::try_from(sum / samples.len() as u128).unwrap_or(u64::MAX),
            rss_max_bytes: samples.iter().map(|s| s.rss_bytes).max().unwrap_or(0),
            cpu_percent: cpu_between(first, last, clk_tck),
            cpu_system_percent: cpu_percent(
                first.system_ticks,
                last.system_ticks,
                last.at.duration_since(first.at).as_secs_f64(),
                clk_tck,
            ),
            fds_start: first.fds,
            fds_end: last.fds,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn vmrss_in_bytes() {
        let status = "Name:\tkato-dashboard\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_vmrss_bytes(status), Some(12345 * 1024));
        assert_eq!(parse_vmrss_bytes("Name:\tx\n"), None);
        assert_eq!(parse_vmrss_bytes("VmRSS:\tlots kB\n"), None);
    }

    #[test]
    fn cpu_ticks_survive_odd_command_names() {
        // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        let stat = "4242 (kato (dash) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some((1234, 567)));
        assert_eq!(parse_cpu_ticks("4242 (short) S 1 2"), None);
        assert_eq!(parse_cpu_ticks("no parenthesis"), None);
    }

    #[test]
    fn cpu_percent_of_one_core() {
        assert_eq!(cpu_percent(100, 150, 1.0, 100), 50.0);
        assert_eq!(cpu_percent(0, 600, 60.0, 100), 10.0);
        assert_eq!(cpu_percent(10, 5, 1.0, 100), 0.0, "counters never go back");
        assert_eq!(cpu_percent(0, 5, 0.0, 100), 0.0);
    }

    #[test]
    fn host_cpu_counts_everything_but_idle_and_iowait() {
        let stat = "cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1\n";
        assert_eq!(parse_host_cpu(stat), Some((160, 1000)));
        assert_eq!(parse_host_cpu("cpu0 1 2 3 4 5\n"), None);
        assert_eq!(host_busy_percent((160, 1000), (260, 1200)), 50.0);
        assert_eq!(host_busy_percent((1, 1), (1, 1)), 0.0);
    }

    #[test]
    fn both_ends_of_the_stalled_connections() {
        // Server on port 0x0BB8; clients 0x9C40 and 0x9C41; 0x9C42 also talks to another server (0x1F90).
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 1\n\
   1: 0100007F:9C40 0100007F:0BB8 01 00000000:00001000 00:00000000 00000000  0 0 2\n\
   2: 0100007F:9C41 0100007F:0BB8 08 00000000:00000800 00:00000000 00000000  0 0 3\n\
   3: 0100007F:0BB8 0100007F:9C40 01 00020000:00000000 00:00000000 00000000  0 0 4\n\
   4: 0100007F:0BB8 0100007F:9C41 04 00010000:00000000 00:00000000 00000000  0 0 5\n\
   5: 0100007F:9C42 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  0 0 6\n\
   garbage\n";
        let ports: HashSet<u16> = [0x9C40, 0x9C41, 0x9C42].into_iter().collect();
        let mut ends = TcpEnds::default();
        count_tcp_ends(table, &ports, 0x0BB8, &mut ends);
        assert_eq!(ends.client.get("ESTABLISHED"), Some(&1));
        assert_eq!(ends.client.get("CLOSE_WAIT"), Some(&1));
        assert_eq!(
            ends.client.values().sum::<usize>(),
            2,
            "the socket to another server is not counted"
        );
        assert_eq!(ends.server.get("ESTABLISHED"), Some(&1));
        assert_eq!(ends.server.get("FIN_WAIT1"), Some(&1));
        assert_eq!(ends.server_tx_queue_bytes, 0x30000);
        assert_eq!(ends.client_rx_queue_bytes, 0x1800);
    }

    #[test]
    fn phase_figures_from_samples() {
        let t0 = Instant::now();
        let s = |secs, rss, ticks, fds| ProcSample {
            at: t0 + Duration::from_secs(secs),
            rss_bytes: rss,
            cpu_ticks: ticks,
            system_ticks: ticks / 5,
            fds: Some(fds),
        };
        let f = PhaseFigures::from_samples(&[s(0, 100, 0, 10), s(5, 300, 250, 12)], 100).unwrap();
        assert_eq!(f.seconds, 5.0);
        assert_eq!(f.rss_mean_bytes, 200);
        assert_eq!(f.rss_max_bytes, 300);
        assert_eq!(f.cpu_percent, 50.0);
        assert_eq!(f.cpu_system_percent, 10.0);
        assert_eq!((f.fds_start, f.fds_end), (Some(10), Some(12)));
        assert!(PhaseFigures::from_samples(&[], 100).is_none());
    }

    #[test]
    fn this_process_can_be_sampled() {
        let s = sample(None).unwrap();
        assert!(s.rss_bytes > 0);
        assert!(s.fds.unwrap() > 0);
    }
}

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

/// `utime + stime` (clock ticks) from the text of `/proc/PID/stat`. The command name may hold spaces and
/// parentheses, so fields are counted from the last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
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
    Ok(ProcSample {
        at: Instant::now(),
        rss_bytes: parse_vmrss_bytes(&status).ok_or_else(|| bad("status: no VmRSS"))?,
        cpu_ticks: parse_cpu_ticks(&stat).ok_or_else(|| bad("stat: unreadable"))?,
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

/// Counts the TCP states of sockets whose local port is in `ports`, from the text of `/proc/net/tcp` or
/// `/proc/net/tcp6` (header line, then `sl local_address rem_address st …` with hex `ADDR:PORT`).
pub fn count_tcp_states(
    table: &str,
    ports: &HashSet<u16>,
    into: &mut BTreeMap<&'static str, usize>,
) {
    for line in table.lines().skip(1) {
        let mut fields = line.split_whitespace();
        let (Some(_sl), Some(local), Some(_remote), Some(state)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some(port) = local
            .rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
        else {
            continue;
        };
        if !ports.contains(&port) {
            continue;
        }
        if let Ok(code) = u8::from_str_radix(state, 16) {
            *into.entry(tcp_state_name(code)).or_default() += 1;
        }
    }
}

/// TCP states of this host's sockets bound to `ports` (both address families).
pub fn tcp_states(ports: &HashSet<u16>) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(path) {
            count_tcp_states(&text, ports, &mut out);
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
        assert_eq!(parse_cpu_ticks(stat), Some(1234 + 567));
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
    fn tcp_states_of_given_ports() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 1\n\
   1: 0100007F:9C40 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000  0 0 2\n\
   2: 0100007F:9C41 0100007F:0BB8 08 00000000:00000000 00:00000000 00000000  0 0 3\n\
   3: 0100007F:0BB8 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  0 0 4\n\
   garbage\n";
        let ports: HashSet<u16> = [0x9C40, 0x9C41, 0x9C42].into_iter().collect();
        let mut out = BTreeMap::new();
        count_tcp_states(table, &ports, &mut out);
        assert_eq!(out.get("ESTABLISHED"), Some(&1));
        assert_eq!(out.get("CLOSE_WAIT"), Some(&1));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn phase_figures_from_samples() {
        let t0 = Instant::now();
        let s = |secs, rss, ticks, fds| ProcSample {
            at: t0 + Duration::from_secs(secs),
            rss_bytes: rss,
            cpu_ticks: ticks,
            fds: Some(fds),
        };
        let f = PhaseFigures::from_samples(&[s(0, 100, 0, 10), s(5, 300, 250, 12)], 100).unwrap();
        assert_eq!(f.seconds, 5.0);
        assert_eq!(f.rss_mean_bytes, 200);
        assert_eq!(f.rss_max_bytes, 300);
        assert_eq!(f.cpu_percent, 50.0);
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

//! The kernel's floor for a fan-out on this machine: what it costs to hand one frame to each of N loopback TCP
//! sockets and read it back on the same cores, with no WebSocket, JSON, hub or dashboard involved.
//!
//! `tcp-floor` runs as two processes, like the dashboard and `ws-load`: a writer child (the same binary with
//! `--writer`) accepts N loopback connections and at every tick has `writers` plain threads write a frame of
//! `bytes` bytes to their share of the sockets with one non-blocking `write` each (what the dashboard's fan-out
//! shards do); the parent reads the frames on a tokio runtime with `ws-load`'s worker count and records
//! tick→read latency from the wall-clock tick time that leads each frame. The figures are the lower bound for
//! `ws-load` against the dashboard on the same machine: whatever the dashboard's own code costs comes on top.

use std::{
    io::{BufRead, BufReader, ErrorKind, Write},
    net::{TcpListener, TcpStream},
    process::{Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;

use crate::{client::now_micros, procfs, stats::LatencySummary};

/// Most socket pairs one run may open.
pub const MAX_PAIRS: usize = 20_000;
/// Most ticks one run may last.
pub const MAX_TICKS: u32 = 600;

/// What one run does.
#[derive(Debug, Clone, Copy)]
pub struct FloorSettings {
    /// Socket pairs (clients).
    pub pairs: usize,
    /// Bytes written to each client per tick (at least 8: the tick number leads the frame).
    pub bytes: usize,
    /// Ticks measured (after one warm-up tick).
    pub ticks: u32,
    /// Writer threads sharing the server ends.
    pub writers: usize,
    /// Time between ticks.
    pub interval: Duration,
}

/// What one run measured.
#[derive(Debug)]
pub struct FloorReport {
    /// Tick→read latency over all measured ticks and clients.
    pub latency: LatencySummary,
    /// Median over ticks of the time from the tick until the writers had handed it to every socket.
    pub write_ms_median: f64,
    /// The writer process's CPU per tick (user + kernel; on loopback its writes also run the readers' TCP
    /// receive path), ms.
    pub writer_cpu_ms: f64,
    /// The reader process's CPU per tick, ms.
    pub reader_cpu_ms: f64,
    /// Writes that would have blocked (0 unless the readers fell a whole socket buffer behind).
    pub would_block: u64,
    /// Frames the readers did not get.
    pub missing: u64,
}

impl FloorSettings {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=MAX_PAIRS).contains(&self.pairs),
            "pairs must be 1..={MAX_PAIRS}"
        );
        anyhow::ensure!(
            (1..=MAX_TICKS).contains(&self.ticks),
            "ticks must be 1..={MAX_TICKS}"
        );
        anyhow::ensure!(
            (8..=1 << 20).contains(&self.bytes),
            "bytes must be 8..=1 MiB"
        );
        anyhow::ensure!((1..=64).contains(&self.writers), "writers must be 1..=64");
        Ok(())
    }

    /// The arguments that make `tcp-floor` the writer of these settings.
    fn writer_args(&self) -> Vec<String> {
        let interval_ms = self.interval.as_millis().to_string();
        [
            "--writer",
            "-n",
            &self.pairs.to_string(),
            "--bytes",
            &self.bytes.to_string(),
            "--ticks",
            &self.ticks.to_string(),
            "--writers",
            &self.writers.to_string(),
            "--interval-ms",
            &interval_ms,
        ]
        .map(String::from)
        .to_vec()
    }
}

/// The reader (parent) side: starts `exe --writer …`, connects, reads every frame, and reports.
pub async fn run(exe: &std::path::Path, s: FloorSettings) -> anyhow::Result<FloorReport> {
    s.check()?;
    crate::run::raise_nofile(s.pairs)?;
    let mut child = Command::new(exe)
        .args(s.writer_args())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting the writer {}", exe.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("the writer's stdout")?).lines();
    let mut next_line = move || -> anyhow::Result<String> {
        lines
            .next()
            .context("the writer ended early")?
            .context("reading the writer")
    };
    let port: u16 = next_line()?.trim().parse().context("the writer's port")?;
    let mut clients = Vec::with_capacity(s.pairs);
    for _ in 0..s.pairs {
        let c = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
        clients.push(c.context("connecting to the writer")?);
    }
    let cpu_before = procfs::sample(None)?;
    let samples = Arc::new(Mutex::new(Vec::with_capacity(s.pairs * s.ticks as usize)));
    let received = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(read_ticks(c, s, samples.clone(), received.clone())))
        .collect();
    let summary = tokio::task::spawn_blocking(next_line).await??;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    for r in readers {
        let _ = tokio::time::timeout_at(deadline, r).await;
    }
    let cpu_after = procfs::sample(None)?;
    let _ = child.wait();
    let fields: Vec<f64> = summary
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let &[write_ms_median, writer_cpu_ms, would_block] = fields.as_slice() else {
        bail!("the writer reported {summary:?}");
    };
    let expected = s.pairs as u64 * u64::from(s.ticks + 1);
    let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(FloorReport {
        latency: LatencySummary::from_micros(&mut samples),
        write_ms_median,
        writer_cpu_ms,
        reader_cpu_ms: cpu_ms_per_tick(&cpu_before, &cpu_after, s.ticks + 1),
        would_block: would_block as u64,
        missing: expected.saturating_sub(received.load(Ordering::Relaxed)),
    })
}

/// The writer (child) side: prints its port, accepts `pairs` connections, writes every tick, then prints
/// "<median ms to the last write> <CPU ms per tick> <blocked writes>".
pub fn serve_writer(s: FloorSettings, out: &mut impl Write) -> anyhow::Result<()> {
    s.check()?;
    crate::run::raise_nofile(s.pairs)?;
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback listener")?;
    writeln!(out, "{}", listener.local_addr()?.port())?;
    out.flush()?;
    let mut servers = Vec::with_capacity(s.pairs);
    for _ in 0..s.pairs {
        let (server, _) = listener.accept().context("accepting")?;
        server.set_nodelay(true)?;
        server.set_nonblocking(true)?;
        servers.push(server);
    }
    let epoch = SystemTime::now() + Duration::from_millis(500);
    let cpu_before = procfs::sample(None)?;
    let writers: Vec<_> = split(servers, s.writers)
        .into_iter()
        .map(|share| std::thread::spawn(move || write_ticks(share, s, epoch)))
        .collect();
    let mut took: Vec<u64> = vec![0; s.ticks as usize + 1];
    let mut blocked = 0;
    for w in writers {
        let (t, b) = w.join().map_err(|_| anyhow::anyhow!("a writer panicked"))?;
        took.iter_mut()
            .zip(t)
            .for_each(|(slot, t)| *slot = (*slot).max(t));
        blocked += b;
    }
    let cpu_after = procfs::sample(None)?;
    let mut measured = took.split_off(1);
    measured.sort_unstable();
    let median_ms = measured.get(measured.len() / 2).copied().unwrap_or(0) as f64 / 1000.0;
    let cpu_ms = cpu_ms_per_tick(&cpu_before, &cpu_after, s.ticks + 1);
    writeln!(out, "{median_ms:.3} {cpu_ms:.3} {blocked}")?;
    out.flush()?;
    // Let the readers drain before the sockets close.
    std::thread::sleep(Duration::from_millis(500));
    Ok(())
}

/// This process's CPU (user + kernel) between two samples, in ms per tick.
fn cpu_ms_per_tick(before: &procfs::ProcSample, after: &procfs::ProcSample, ticks: u32) -> f64 {
    let used = after.cpu_ticks.saturating_sub(before.cpu_ticks);
    used as f64 * 1000.0 / procfs::clk_tck() as f64 / f64::from(ticks)
}

/// Deals the server ends out to `n` writers, round robin.
fn split(servers: Vec<TcpStream>, n: usize) -> Vec<Vec<TcpStream>> {
    let mut shares: Vec<Vec<TcpStream>> = (0..n).map(|_| Vec::new()).collect();
    for (i, s) in servers.into_iter().enumerate() {
        shares[i % n].push(s);
    }
    shares
}

/// One writer thread: at each tick's time, one write per socket, the tick's wall-clock time (µs since the
/// epoch) leading the frame. Returns µs from each tick to its last write, and the writes that fell short.
fn write_ticks(mut share: Vec<TcpStream>, s: FloorSettings, epoch: SystemTime) -> (Vec<u64>, u64) {
    let mut frame = vec![b'x'; s.bytes];
    let (mut took, mut blocked) = (Vec::with_capacity(s.ticks as usize + 1), 0);
    for k in 0..=s.ticks {
        let at = epoch + s.interval * k;
        if let Ok(wait) = at.duration_since(SystemTime::now()) {
            std::thread::sleep(wait);
        }
        let at_us = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        frame[..8].copy_from_slice(&at_us.to_le_bytes());
        for sock in &mut share {
            match sock.write(&frame) {
                Ok(n) if n == frame.len() => {}
                Ok(_) => blocked += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => blocked += 1,
                Err(_) => blocked += 1,
            }
        }
        took.push(now_micros().saturating_sub(at_us));
    }
    (took, blocked)
}

/// One client: reads whole frames and records tick→read latency of every tick after the first (a warm-up).
async fn read_ticks(
    mut conn: tokio::net::TcpStream,
    s: FloorSettings,
    samples: Arc<Mutex<Vec<u64>>>,
    received: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; s.bytes];
    let mut mine = Vec::with_capacity(s.ticks as usize);
    for k in 0..=s.ticks {
        if conn.read_exact(&mut buf).await.is_err() {
            break;
        }
        let now = now_micros();
        received.fetch_add(1, Ordering::Relaxed);
        let mut at = [0u8; 8];
        at.copy_from_slice(&buf[..8]);
        if k > 0 {
            mine.push(now.saturating_sub(u64::from_le_bytes(at)));
        }
    }
    samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(mine);
}

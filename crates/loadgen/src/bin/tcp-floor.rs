//! `tcp-floor`: the kernel's floor for the dashboard's fan-out on this machine (see the `floor` module and
//! `docs/benchmarks.md`): N loopback socket pairs, one frame to each per tick, read back on the same cores.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use kato_dashboard_loadgen::floor::{self, FloorSettings};

/// Hands one frame per tick to each of N loopback TCP sockets and reads them back; prints tick→read latency.
#[derive(Debug, Parser)]
#[command(name = "tcp-floor", version)]
struct Args {
    /// Socket pairs (clients).
    #[arg(short = 'n', long, default_value_t = 10_000)]
    pairs: usize,
    /// Bytes per frame (a dashboard tick on every topic is about 2,900).
    #[arg(long, default_value_t = 2_900)]
    bytes: usize,
    /// Ticks measured (after one warm-up tick).
    #[arg(long, default_value_t = 30)]
    ticks: u32,
    /// Writer threads sharing the sockets (the dashboard's fan-out runs on its runtime's workers, one per core).
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// Milliseconds between ticks.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Be the writer process (started by `tcp-floor` itself).
    #[arg(long, hide = true)]
    writer: bool,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let settings = FloorSettings {
        pairs: a.pairs,
        bytes: a.bytes,
        ticks: a.ticks,
        writers: a.writers,
        interval: Duration::from_millis(a.interval_ms.clamp(50, 10_000)),
    };
    if a.writer {
        return floor::serve_writer(settings, &mut std::io::stdout().lock());
    }
    let exe = std::env::current_exe().context("finding this program")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let r = runtime.block_on(floor::run(&exe, settings))?;
    runtime.shutdown_background();
    let l = &r.latency;
    println!(
        "tcp-floor  {} pairs, {} B per frame, {} ticks, {} writer threads",
        a.pairs, a.bytes, a.ticks, a.writers
    );
    println!(
        "latency    tick→read p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
        l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.samples
    );
    println!(
        "writers    median {:.1} ms from the tick to the last write; {} writes would have blocked",
        r.write_ms_median, r.would_block
    );
    println!(
        "cpu        per tick (user + kernel): writer {:.1} ms, reader {:.1} ms; {} frames missing",
        r.writer_cpu_ms, r.reader_cpu_ms, r.missing
    );
    Ok(())
}

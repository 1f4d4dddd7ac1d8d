//! `kato-sim`: runs the KATO simulator until SIGINT/SIGTERM. See the library docs for the
//! flavours, scenarios and the `/_sim` control API.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use kato_dashboard_sim::{Flavour, Scenario, Sim, SimConfig};

/// A KATO simulator (REST + /ws/events) for the KATO dashboard's demo and tests.
#[derive(Debug, Parser)]
#[command(name = "kato-sim", version)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long)]
    port: u16,
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// KATO generation: v1 (d1391ac) or v3 (c584167, v3.10.1).
    #[arg(long, default_value = "v1")]
    flavour: Flavour,
    /// Keep sessions in this Redis (redis://…) instead of in memory.
    #[arg(long)]
    redis_url: Option<String>,
    /// idle, steady, incidents or restart-loop.
    #[arg(long, default_value = "steady")]
    scenario: Scenario,
    /// Seed of the resource waves, traffic and incident dice.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Background traffic in requests per second.
    #[arg(long, default_value_t = 2.0)]
    traffic_rate: f64,
    /// Simulated uvicorn workers.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Redis pattern cache (REDIS_ENABLED); default: off for v1, on for v3.
    #[arg(long)]
    pattern_cache: Option<bool>,
    /// Restart period of the restart-loop scenario, in seconds.
    #[arg(long, default_value_t = 60)]
    restart_every: u64,
    /// Downtime of scenario restarts, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    downtime_ms: u64,
    /// Exit and restart after this many requests per worker (uvicorn --limit-max-requests).
    #[arg(long)]
    max_requests: Option<u64>,
}

/// Registers the SIGINT/SIGTERM handlers now (so a signal sent right after the "listening"
/// line is not missed) and returns a future that completes on the first of them.
fn termination() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
        let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !args.host.is_loopback() {
        bail!(
            "kato-sim only listens on loopback addresses, not {}",
            args.host
        );
    }
    let config = SimConfig {
        flavour: args.flavour,
        redis_url: args.redis_url,
        scenario: args.scenario,
        seed: args.seed,
        traffic_rate: args.traffic_rate,
        workers: args.workers,
        pattern_cache: args.pattern_cache,
        restart_every: Duration::from_secs(args.restart_every),
        restart_downtime: Duration::from_millis(args.downtime_ms),
        max_requests: args.max_requests,
        ..SimConfig::default()
    };
    let terminated = termination()?;
    let sim = Sim::start(config, SocketAddr::new(args.host, args.port))
        .await
        .context("starting kato-sim")?;
    println!("kato-sim listening on {}", sim.base_url());
    terminated.await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

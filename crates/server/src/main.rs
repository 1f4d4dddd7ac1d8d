//! `kato-dashboard`: loads the configuration, sets up logging, binds and serves until SIGINT/SIGTERM (a second
//! one exits at once, see [`shutdown`]).
//! `kato-dashboard healthcheck` instead probes a running dashboard and exits 0 or 1 ([`healthcheck`]).

mod healthcheck;

use std::sync::Arc;

use anyhow::Context;
use kato_dashboard_server::{Config, config::LoadOptions, run, shutdown, telemetry};
use tokio_util::sync::CancellationToken;

fn main() -> anyhow::Result<()> {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "healthcheck")
    {
        std::process::exit(healthcheck::main());
    }
    serve()
}

#[tokio::main]
async fn serve() -> anyhow::Result<()> {
    let config = Config::load(LoadOptions::default()).context("loading configuration")?;
    telemetry::init(&config)
        .map_err(anyhow::Error::msg)
        .context("setting up logging")?;
    tracing::debug!(?config, "configuration");
    // Every /ws client is a file descriptor: lift the soft limit to the hard one (often 1,024 → 1,048,576).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit; /ws connections are capped by it")
        }
    }
    let addr = config.server.bind_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let cancel = CancellationToken::new();
    let signals = shutdown::cancel_on_signal(cancel.clone());
    tokio::select! {
        result = run(Arc::new(config), listener, cancel) => result,
        signal = signals => {
            // The operator does not want to wait for the drain: stop now, with the status a shell reports for a
            // process killed by that signal.
            tracing::warn!(signal = signal.name(), "second signal: exiting at once, without finishing the drain");
            let _ = std::io::Write::flush(&mut std::io::stdout());
            std::process::exit(signal.exit_code());
        }
    }
}

//! `kato-dashboard` server library: configuration, the axum application and its start-up.
//!
//! `main` only parses configuration, sets up logging, binds and calls [`run`]; tests bind `127.0.0.1:0` and call
//! [`run`] with their own shutdown token. Depends on `core` and the upstream crates; nothing depends on it.

pub mod alerts;
pub mod assets;
pub mod auth;
pub mod collectors;
pub mod config;
pub mod csrf;
pub mod error;
pub mod error_log;
pub mod extract;
#[cfg(test)]
mod golden;
pub mod health;
pub mod hub;
pub mod json_errors;
pub mod metrics;
pub mod openapi;
pub mod recorder;
pub mod redaction;
pub mod routes;
pub mod serve;
pub mod shutdown;
pub mod state;
pub mod telemetry;
pub mod ws;

use std::{sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use crate::{config::Config, error::ApiError, state::AppState};

/// Serves the dashboard on `listener` until `cancel` is cancelled, then drains for at most the configured grace.
pub async fn run(
    config: Arc<Config>,
    listener: TcpListener,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let tracker = TaskTracker::new();
    let state = AppState::start(config.clone(), cancel.clone(), tracker.clone()).await?;
    for key in config.auth.ignored_legacy_keys() {
        tracing::warn!(
            key,
            "legacy setting has no effect; destructive operations use ADMIN_TOKEN"
        );
    }
    let app = routes::router(state.clone());
    let addr = listener.local_addr()?;
    tracing::info!(%addr, kato = %config::redact_url(config.kato.api_url.as_str()), "kato-dashboard listening");
    let grace = config::secs(config.server.shutdown_grace_seconds);
    let server = serve::serve(listener, app, state.http_conns.clone(), cancel.clone());
    tokio::select! {
        () = server => {},
        () = async { cancel.cancelled().await; tokio::time::sleep(grace.max(Duration::from_millis(100))).await } => {
            tracing::warn!("connections still open after the shutdown grace period; closing them");
        }
    }
    // Collectors, the hub and every WebSocket watch the token; give them the grace period to finish.
    cancel.cancel();
    tracker.close();
    if tokio::time::timeout(grace.max(Duration::from_millis(100)), tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            tasks = tracker.len(),
            "tasks still running after the shutdown grace period"
        );
    }
    tracing::info!("kato-dashboard stopped");
    Ok(())
}

//! The [`Sim`] handle: starts the server, the traffic generator and the incident schedule, and
//! offers the in-process control used by tests and demos.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::config::SimConfig;
use crate::error::SimError;
use crate::json::Json;
use crate::listener::{ConnMeta, ListenerControl, SimListener};
use crate::obj;
use crate::state::{AppState, Shared};
use crate::store::Store;
use crate::{incidents, routes, session, sessions, traffic};

/// A running simulator. Dropping it stops everything abruptly; prefer [`Sim::shutdown`].
pub struct Sim {
    app: AppState,
    router: Router,
    addr: SocketAddr,
    serve: Option<JoinHandle<()>>,
}

impl Sim {
    /// Starts a simulator on `addr` (loopback only; port 0 picks a free port, which is kept
    /// across simulated restarts). Fails if the configuration is invalid, the address cannot be
    /// bound, or the configured Redis is unreachable.
    pub async fn start(config: SimConfig, addr: SocketAddr) -> Result<Sim, SimError> {
        config.validate().map_err(SimError::Config)?;
        if !addr.ip().is_loopback() {
            return Err(SimError::NotLoopback(addr));
        }
        let store = Store::open(config.redis_url.as_deref()).await?;
        let control = Arc::new(ListenerControl::new());
        let listener = SimListener::bind(addr, control.clone(), config.workers)
            .map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener.addr();
        let rng = StdRng::seed_from_u64(config.seed);
        let app: AppState = Arc::new(Shared::new(config, store, control, rng));
        let router = routes::router(app.clone());
        if app.config.scenario.has_traffic() {
            app.tracker.spawn(traffic::run(
                app.clone(),
                router.clone(),
                app.shutdown.clone(),
            ));
        }
        app.tracker
            .spawn(incidents::run_schedule(app.clone(), app.shutdown.clone()));
        let shutdown = app.shutdown.clone();
        let service = router
            .clone()
            .into_make_service_with_connect_info::<ConnMeta>();
        let serve = tokio::spawn(async move {
            let result = axum::serve(listener, service)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "kato-sim server stopped with an error");
            }
        });
        tracing::info!(%addr, flavour = %app.config.flavour, scenario = %app.config.scenario, "kato-sim started");
        Ok(Sim {
            app,
            router,
            addr,
            serve: Some(serve),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://<addr>/ws/events`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/events", self.addr)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.app.config
    }

    /// Whether the simulated process currently accepts connections.
    pub fn is_accepting(&self) -> bool {
        !self.app.listener.is_down()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Json>,
    ) -> Result<(u16, Json), SimError> {
        if self.app.listener.is_down() {
            return Err(SimError::Down);
        }
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_compact())))
            .map_err(|e| SimError::Rejected(e.to_string()))?;
        let response = match self.router.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .map_err(|e| SimError::Rejected(e.to_string()))?;
        Ok((status, Json::parse(&bytes).unwrap_or(Json::Null)))
    }

    /// Creates a session exactly as `POST /sessions` does (counted as a request, event sent,
    /// stored in Redis/memory, subject to error bursts). `ttl_seconds: None` = KATO's default.
    /// Returns the session id.
    pub async fn create_session(
        &self,
        node_id: &str,
        ttl_seconds: Option<u64>,
    ) -> Result<String, SimError> {
        let mut body = obj! { "node_id" => node_id, "metadata" => Json::object() };
        if let Some(ttl) = ttl_seconds {
            body.set("ttl_seconds", ttl);
        }
        let (status, resp) = self.call(Method::POST, "/sessions", Some(body)).await?;
        match (status, resp.get("session_id").and_then(Json::as_str)) {
            (200, Some(id)) => Ok(id.to_string()),
            _ => Err(SimError::Status {
                status,
                body: resp.to_compact(),
            }),
        }
    }

    /// Deletes a session exactly as `DELETE /sessions/{id}` does. `Ok(false)` when it did not
    /// exist (KATO's 404).
    pub async fn delete_session(&self, id: &str) -> Result<bool, SimError> {
        let (status, resp) = self
            .call(Method::DELETE, &format!("/sessions/{id}"), None)
            .await?;
        match status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(SimError::Status {
                status,
                body: resp.to_compact(),
            }),
        }
    }

    /// Whether the session's key exists and is unexpired, read straight from the store (no
    /// request, no TTL extension).
    pub async fn session_exists(&self, id: &str) -> Result<bool, SimError> {
        Ok(sessions::peek(&self.app, id).await?.is_some())
    }

    /// The remaining TTL of the session's key in whole seconds (Redis `TTL`), `None` if the key
    /// does not exist. Read straight from the store.
    pub async fn session_ttl(&self, id: &str) -> Result<Option<i64>, SimError> {
        self.app.store.ttl(&session::key(id)).await
    }

    /// The Redis key of a session: `kato:session:<id>`.
    pub fn session_key(id: &str) -> String {
        session::key(id)
    }

    /// Simulates a KATO process restart: uptime and all counters reset to 0, processors and
    /// caches are lost, every connection (including `/ws/events`) is dropped, and the port
    /// refuses connections for `downtime` before serving again on the same port. Sessions
    /// survive.
    pub fn restart(&self, downtime: Duration) {
        incidents::restart(&self.app, downtime);
    }

    /// For `duration`, about `fraction` (0..=1) of KATO requests answer 500/503/429; they are
    /// counted in `kato_requests_failed` and the `/stats` duration series with their status.
    pub fn error_burst(&self, duration: Duration, fraction: f64) {
        self.app.incidents.error_burst(duration, fraction);
    }

    /// For `duration`, every KATO request is delayed by `latency`.
    pub fn slow(&self, duration: Duration, latency: Duration) {
        self.app.incidents.slow(duration, latency);
    }

    /// Closes the listening socket for `duration` (connection refused; open connections stay).
    pub fn refuse(&self, duration: Duration) {
        incidents::refuse(&self.app, duration);
    }

    /// Stops accepting, closes `/ws/events` sockets with 1001, lets requests in flight finish
    /// (up to 5 s), and stops the background tasks.
    pub async fn shutdown(mut self) {
        self.app.shutdown.cancel();
        if let Some(mut serve) = self.serve.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut serve)
                .await
                .is_err()
        {
            self.app.listener.kill_connections();
            let _ = serve.await;
        }
        tracing::debug!("server stopped; waiting for background tasks");
        self.app.tracker.close();
        if tokio::time::timeout(Duration::from_secs(5), self.app.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("kato-sim background tasks did not stop within 5 s");
        }
        tracing::debug!("kato-sim stopped");
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.app.shutdown.cancel();
        if self.serve.is_some() {
            self.app.listener.kill_connections();
        }
    }
}

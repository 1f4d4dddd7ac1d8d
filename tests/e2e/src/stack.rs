//! The system under test: kato-sim and the dashboard server, in-process on `127.0.0.1`, with a private Redis
//! (Debian `redis-server`) holding KATO's sessions like in production. Stopped on drop.

use std::{collections::HashMap, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::{Context, anyhow};
use kato_dashboard_server::{Config, config::LoadOptions, run};
use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use kato_dashboard_testkit::RedisServer;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// A running dashboard server.
pub struct Dashboard {
    pub addr: SocketAddr,
    cancel: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// The alert store's folder (one per dashboard), removed on drop.
    _data: tempfile::TempDir,
}

impl Dashboard {
    /// Starts the server on `addr` (port 0 for any) against `kato_url` and `redis_url`, serving `dist`.
    pub async fn start(
        addr: SocketAddr,
        kato_url: &str,
        redis_url: &str,
        dist: &Path,
    ) -> anyhow::Result<Self> {
        Self::start_with_env(addr, kato_url, redis_url, dist, &[]).await
    }

    /// Like [`Dashboard::start`], with more settings (`extra` wins over the test defaults).
    pub async fn start_with_env(
        addr: SocketAddr,
        kato_url: &str,
        redis_url: &str,
        dist: &Path,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let data = tempfile::tempdir().context("a temporary alert store folder")?;
        let data_dir = data.path().display().to_string();
        // Hermetic: never the host's Docker engine. Docker is off unless the test names its own engine.
        let docker = extra.iter().any(|(k, _)| *k == "DOCKER_HOST").to_string();
        let env: HashMap<String, String> = [
            ("DATA_DIR", data_dir.as_str()),
            ("KATO_API_URL", kato_url),
            ("REDIS_URL", redis_url),
            // Nothing listens on port 1: the database browsers are "down", which the UI does not need.
            ("MONGO_URL", "mongodb://127.0.0.1:1"),
            ("QDRANT_URL", "http://127.0.0.1:1"),
            ("CLICKHOUSE_URL", "http://127.0.0.1:1"),
            ("KATO_TIMEOUT_SECONDS", "1"),
            ("KATO_METRICS_INTERVAL_SECONDS", "0.5"),
            ("KATO_STATS_INTERVAL_SECONDS", "1"),
            ("SESSION_RECONCILE_INTERVAL_SECONDS", "0.5"),
            ("BROADCAST_INTERVAL", "0.5"),
            ("SHUTDOWN_GRACE_SECONDS", "1"),
            // The tests' KATO outages last about a second: alert on them at once (the default waits 5 s).
            ("ALERT_RULES", "kato_unreachable.pending=0"),
            ("STATIC_DIR", &dist.display().to_string()),
            ("DOCKER_ENABLED", docker.as_str()),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = Config::load(LoadOptions {
            file: None,
            dotenv: Some("/nonexistent/.env".into()),
            env: Some(env),
        })
        .context("the test configuration is valid")?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the dashboard to {addr}"))?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run(Arc::new(config), listener, cancel.clone()));
        Ok(Dashboard {
            addr,
            cancel,
            task: Some(task),
            _data: data,
        })
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server (closing every socket with 1001) and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .map_err(|_| anyhow!("the dashboard did not stop within 10 s"))???;
        }
        Ok(())
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Simulator + Redis + dashboard.
pub struct Stack {
    pub sim: Sim,
    pub redis: RedisServer,
    pub dashboard: Option<Dashboard>,
}

impl Stack {
    /// A quiet v1 KATO (no background traffic: every change is the test's doing).
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(SimConfig::idle(Flavour::V1)).await
    }

    /// With a simulator configuration of the caller's (its `redis_url` is set to the private Redis).
    pub async fn start_with(sim_config: SimConfig) -> anyhow::Result<Self> {
        Self::start_with_env(sim_config, &[]).await
    }

    /// With a simulator configuration and dashboard settings of the caller's.
    pub async fn start_with_env(
        mut sim_config: SimConfig,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let dist = crate::dist_dir()?;
        let redis = RedisServer::start()
            .context("starting a private redis-server (Debian redis-server)")?;
        sim_config.redis_url = Some(redis.url());
        let sim = Sim::start(sim_config, "127.0.0.1:0".parse()?)
            .await
            .map_err(|e| anyhow!("starting kato-sim: {e}"))?;
        let dashboard = Dashboard::start_with_env(
            "127.0.0.1:0".parse()?,
            &sim.base_url(),
            &redis.url(),
            &dist,
            extra,
        )
        .await?;
        Ok(Stack {
            sim,
            redis,
            dashboard: Some(dashboard),
        })
    }

    /// The running dashboard.
    pub fn dashboard(&self) -> &Dashboard {
        self.dashboard.as_ref().expect("the dashboard runs")
    }

    /// A URL of the dashboard.
    pub fn url(&self, path: &str) -> String {
        self.dashboard().url(path)
    }

    /// Stops the dashboard; returns the address it served on.
    pub async fn stop_dashboard(&mut self) -> anyhow::Result<SocketAddr> {
        let old = self.dashboard.take().context("the dashboard runs")?;
        let addr = old.addr;
        old.stop().await?;
        Ok(addr)
    }

    /// Starts a new dashboard on `addr` (the same port: a server restart, as the browser sees it).
    pub async fn start_dashboard(&mut self, addr: SocketAddr) -> anyhow::Result<()> {
        let dist = crate::dist_dir()?;
        self.dashboard =
            Some(Dashboard::start(addr, &self.sim.base_url(), &self.redis.url(), &dist).await?);
        Ok(())
    }

    /// Stops everything.
    pub async fn stop(mut self) {
        if let Some(d) = self.dashboard.take() {
            let _ = d.stop().await;
        }
        self.sim.shutdown().await;
    }
}

//! A KATO fleet for the browser tests and the screenshots: kato-sim instances sharing one private Redis (KATO's
//! sessions live in one store for the whole fleet), and the real dashboard watching each of them through
//! `KATO_API_URLS`, `KATO_API_URL` being the first (where a load balancer would be). Stopped on drop.

// Each user (the fleet test, the screenshots example) needs a different part of it.
#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, anyhow};
use kato_dashboard_e2e::{Dashboard, dist_dir};
use kato_dashboard_sim::{Sim, SimConfig};
use kato_dashboard_testkit::RedisServer;

/// Simulators, Redis and a dashboard in fleet mode.
pub struct Fleet {
    /// The instances; `None` once killed.
    pub sims: Vec<Option<Sim>>,
    /// Their ids as the dashboard names them (`host:port`), in start order.
    pub ids: Vec<String>,
    /// Kept running while the fleet lives.
    pub _redis: RedisServer,
    pub dashboard: Option<Dashboard>,
}

impl Fleet {
    /// One simulator per configuration (their Redis set to the shared one), then the dashboard watching all.
    pub async fn start(configs: Vec<SimConfig>) -> anyhow::Result<Self> {
        Self::start_with_env(configs, &[]).await
    }

    /// Like [`Fleet::start`], with more dashboard settings.
    pub async fn start_with_env(
        configs: Vec<SimConfig>,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let redis = RedisServer::start()
            .context("starting a private redis-server (Debian redis-server)")?;
        let mut sims = Vec::new();
        for mut config in configs {
            config.redis_url = Some(redis.url());
            let sim = Sim::start(config, "127.0.0.1:0".parse()?)
                .await
                .map_err(|e| anyhow!("starting kato-sim: {e}"))?;
            sims.push(sim);
        }
        let first = sims.first().context("a fleet of at least one")?.base_url();
        let urls = sims.iter().map(Sim::base_url).collect::<Vec<_>>().join(",");
        let ids = sims.iter().map(|s| s.addr().to_string()).collect();
        let env: Vec<(&str, &str)> = [("KATO_API_URLS", urls.as_str())]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        let listen: SocketAddr = "127.0.0.1:0".parse()?;
        let dashboard =
            Dashboard::start_with_env(listen, &first, &redis.url(), &dist_dir()?, &env).await?;
        Ok(Fleet {
            sims: sims.into_iter().map(Some).collect(),
            ids,
            _redis: redis,
            dashboard: Some(dashboard),
        })
    }

    /// A URL of the dashboard.
    pub fn url(&self, path: &str) -> String {
        self.dashboard
            .as_ref()
            .map(|d| d.url(path))
            .unwrap_or_default()
    }

    /// The running simulator `i`.
    pub fn sim(&self, i: usize) -> Option<&Sim> {
        self.sims.get(i).and_then(Option::as_ref)
    }

    /// Stops simulator `i` for good: its port refuses connections from now on.
    pub async fn kill(&mut self, i: usize) {
        if let Some(sim) = self.sims.get_mut(i).and_then(Option::take) {
            tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
                .await
                .ok();
        }
    }

    /// Stops everything.
    pub async fn stop(mut self) {
        if let Some(d) = self.dashboard.take() {
            let _ = d.stop().await;
        }
        for sim in self.sims.iter_mut().filter_map(Option::take) {
            sim.shutdown().await;
        }
    }
}

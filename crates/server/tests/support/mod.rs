//! Test harness: the real server on `127.0.0.1:0` with its own configuration and shutdown token.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod ws;

use std::{collections::HashMap, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use kato_dashboard_server::{Config, config::LoadOptions, run};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// A running dashboard; stopped on drop.
pub struct Dashboard {
    pub addr: SocketAddr,
    pub cancel: CancellationToken,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
    pub http: reqwest::Client,
    /// The alert store's folder, removed on drop (unless the test passed its own `DATA_DIR`).
    pub data: Option<tempfile::TempDir>,
}

impl Dashboard {
    /// Starts the dashboard against `kato_url` with extra settings (upper-case keys, as in the environment).
    pub async fn start(kato_url: &str, extra: &[(&str, &str)]) -> Dashboard {
        Self::start_on("127.0.0.1:0".parse().unwrap(), kato_url, extra).await
    }

    /// The same on a given address (the port of a dashboard that stopped: a restart as clients see it).
    pub async fn start_on(addr: SocketAddr, kato_url: &str, extra: &[(&str, &str)]) -> Dashboard {
        let mut env: HashMap<String, String> = HashMap::from([
            ("KATO_API_URL".into(), kato_url.into()),
            // Nothing listens on port 1: Redis, MongoDB, Qdrant and ClickHouse are "down" unless a test says otherwise.
            ("REDIS_URL".into(), "redis://127.0.0.1:1".into()),
            ("MONGO_URL".into(), "mongodb://127.0.0.1:1".into()),
            ("QDRANT_URL".into(), "http://127.0.0.1:1".into()),
            ("CLICKHOUSE_URL".into(), "http://127.0.0.1:1".into()),
            ("KATO_TIMEOUT_SECONDS".into(), "1".into()),
            ("KATO_METRICS_INTERVAL_SECONDS".into(), "0.5".into()),
            ("KATO_STATS_INTERVAL_SECONDS".into(), "1".into()),
            ("SESSION_RECONCILE_INTERVAL_SECONDS".into(), "0.5".into()),
            ("BROADCAST_INTERVAL".into(), "0.25".into()),
            ("SHUTDOWN_GRACE_SECONDS".into(), "1".into()),
        ]);
        for (k, v) in extra {
            env.insert((*k).into(), (*v).into());
        }
        // Hermetic: never the host's Docker engine. Docker is off unless the test names its own engine.
        let docker = env.contains_key("DOCKER_HOST").to_string();
        env.entry("DOCKER_ENABLED".into()).or_insert(docker);
        // Each dashboard gets its own alert store unless the test shares one (restart tests).
        let data = if env.contains_key("DATA_DIR") || env.contains_key("ALERT_DATA_DIR") {
            None
        } else {
            let dir = tempfile::tempdir().unwrap();
            env.insert("DATA_DIR".into(), dir.path().display().to_string());
            Some(dir)
        };
        let config = Config::load(LoadOptions {
            file: None,
            dotenv: Some("/nonexistent/.env".into()),
            env: Some(env),
        })
        .expect("test configuration is valid");
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run(Arc::new(config), listener, cancel.clone()));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Dashboard {
            addr,
            cancel,
            task: Some(task),
            http,
            data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// GET → (status, JSON body).
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("the dashboard answers");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server stops in time")
                .unwrap()
                .unwrap();
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Waits until `check` returns `Some`, polling every 50 ms; panics with `what` after `within`.
pub async fn wait_for<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A port nothing listens on (bound then released).
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// A quiet kato-sim of `flavour` keeping its sessions in a private redis-server, as KATO does.
pub async fn kato_with_redis(
    flavour: kato_dashboard_sim::Flavour,
) -> (kato_dashboard_testkit::RedisServer, kato_dashboard_sim::Sim) {
    let redis = kato_dashboard_testkit::RedisServer::start()
        .expect("redis-server starts (install it: apt-get install redis-server)");
    let config = kato_dashboard_sim::SimConfig {
        redis_url: Some(redis.url()),
        ..kato_dashboard_sim::SimConfig::idle(flavour)
    };
    let kato = kato_dashboard_sim::Sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (redis, kato)
}

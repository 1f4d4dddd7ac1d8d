//! The real `kato-dashboard` binary (built by cargo), started on a free loopback port from its own folder and with
//! a clean environment (neither a `.env` of the clone nor the caller's variables leak in), with every store it
//! should not touch pointed at a closed loopback port, and killed when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A loopback port nothing listens on (privileged, never bound by these runs): MongoDB, Qdrant, ClickHouse when
/// not served.
pub const CLOSED: &str = "127.0.0.1:1";

/// What the dashboard is started with.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    pub bin: PathBuf,
    /// Its working directory, `DATA_DIR` and log live here.
    pub dir: PathBuf,
    pub kato_url: String,
    pub redis_url: String,
    /// `CLICKHOUSE_URL` (default: the closed port).
    pub clickhouse_url: Option<String>,
    pub reconcile_seconds: f64,
    pub stats_seconds: f64,
}

/// A running dashboard.
#[derive(Debug)]
pub struct Dashboard {
    pub port: u16,
    child: tokio::process::Child,
    log: PathBuf,
    http: reqwest::Client,
}

impl Dashboard {
    /// Starts it and waits until `/api/v1/health` answers (20 s at most).
    pub async fn start(cfg: &DashboardConfig) -> Result<Self> {
        std::fs::create_dir_all(&cfg.dir)?;
        let port = kato_dashboard_testkit::free_port()?;
        let log = cfg.dir.join("dashboard.log");
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let closed_http = format!("http://{CLOSED}");
        let child = tokio::process::Command::new(&cfg.bin)
            .current_dir(&cfg.dir)
            // Nothing of the caller's environment (a KATO_API_URL, ADMIN_TOKEN, … exported in the shell) leaks in.
            .env_clear()
            .envs(crate::kept_env())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("KATO_API_URL", &cfg.kato_url)
            .env("REDIS_URL", &cfg.redis_url)
            .env("DOCKER_ENABLED", "false")
            .env("MONGO_URL", format!("mongodb://{CLOSED}"))
            .env("QDRANT_URL", &closed_http)
            .env("QDRANT_GRPC_URL", &closed_http)
            .env(
                "CLICKHOUSE_URL",
                cfg.clickhouse_url.as_deref().unwrap_or(&closed_http),
            )
            .env(
                "SESSION_RECONCILE_INTERVAL_SECONDS",
                cfg.reconcile_seconds.to_string(),
            )
            .env("KATO_STATS_INTERVAL_SECONDS", cfg.stats_seconds.to_string())
            .env("DATA_DIR", cfg.dir.join("data"))
            .env("LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot run {}", cfg.bin.display()))?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()?;
        let mut dash = Self {
            port,
            child,
            log,
            http,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, _)) = dash.get("/api/v1/health").await {
                return Ok(dash);
            }
            if let Some(status) = dash.child.try_wait()? {
                bail!(
                    "kato-dashboard exited with {status}:\n{}",
                    crate::log_tail(&dash.log, 30)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "kato-dashboard did not answer within 20 s:\n{}",
                    crate::log_tail(&dash.log, 30)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:<port>/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// `GET path` → (status, JSON body; a string when not JSON).
    pub async fn get(&self, path: &str) -> Result<(u16, Value)> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base()))
            .send()
            .await
            .with_context(|| format!("dashboard GET {path}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// Its log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

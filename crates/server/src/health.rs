//! Upstream checks behind `GET /api/v1/health`: each upstream is probed concurrently, with its own timeout,
//! and reported as `up` or `down` with the reason. One dead upstream never delays the report of the others.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::net::TcpStream;

use crate::state::AppState;

/// How one upstream looks right now.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamHealth {
    /// `up` or `down`.
    pub status: &'static str,
    /// Round trip of the probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// How it was checked (`http`, `ping`, `tcp`).
    pub check: &'static str,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Extra facts (KATO version and its own status).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl UpstreamHealth {
    fn up(check: &'static str, started: Instant) -> Self {
        Self {
            status: "up",
            latency_ms: Some(round2(started.elapsed().as_secs_f64() * 1000.0)),
            check,
            error: None,
            details: serde_json::Map::new(),
        }
    }

    fn down(check: &'static str, error: impl Into<String>) -> Self {
        Self {
            status: "down",
            latency_ms: None,
            check,
            error: Some(error.into()),
            details: serde_json::Map::new(),
        }
    }

    /// Whether the probe succeeded.
    pub fn is_up(&self) -> bool {
        self.status == "up"
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The most any upstream probe of `/api/v1/health` may take.
pub const HEALTH_PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Probes every upstream concurrently.
pub async fn check_all(state: &AppState) -> Vec<(&'static str, UpstreamHealth)> {
    // Below the container probe's 2 s deadline (`healthcheck::DEADLINE`): an upstream whose name does not resolve
    // (a default CLICKHOUSE_URL beside a KATO 1.x, a resolver that never answers) must not make the dashboard
    // itself look unhealthy.
    let timeout = state.config.kato.timeout().min(HEALTH_PROBE_TIMEOUT);
    let qdrant_grpc = state.config.qdrant.grpc_endpoint();
    let (kato, redis, mongodb, qdrant, clickhouse) = tokio::join!(
        async {
            tokio::time::timeout(timeout, check_kato(state))
                .await
                .unwrap_or_else(|_| {
                    UpstreamHealth::down(
                        "http",
                        format!("no answer within {:.1} s", timeout.as_secs_f64()),
                    )
                })
        },
        check_redis(state, timeout),
        check_tcp(&state.config.mongo.url, 27017, timeout),
        check_tcp(&qdrant_grpc, 6334, timeout),
        check_clickhouse(state, timeout),
    );
    let mut out = vec![
        ("kato", kato),
        ("redis", redis),
        ("mongodb", mongodb),
        ("qdrant", qdrant),
        ("clickhouse", clickhouse),
    ];
    if let Some(docker) = &state.collected.docker {
        out.push(("docker", docker_health(docker)));
    }
    out
}

async fn check_kato(state: &AppState) -> UpstreamHealth {
    let started = Instant::now();
    match state.kato.health().await {
        Ok(health) => {
            let mut up = UpstreamHealth::up("http", started);
            up.details
                .insert("kato_status".into(), serde_json::json!(health.status));
            up.details.insert(
                "uptime_seconds".into(),
                serde_json::json!(health.uptime_seconds),
            );
            if let Ok(generation) = state.kato.detect_generation().await {
                up.details
                    .insert("generation".into(), serde_json::json!(generation));
            }
            up
        }
        Err(e) => UpstreamHealth::down("http", e.to_string()),
    }
}

/// The Docker collector keeps its own connection and knows whether the engine answers.
fn docker_health(docker: &kato_dashboard_docker::DockerHandle) -> UpstreamHealth {
    let snapshot = docker.current();
    match &snapshot.docker {
        kato_dashboard_core::source::SourceState::Ok => {
            let mut up = UpstreamHealth {
                status: "up",
                latency_ms: None,
                check: "collector",
                error: None,
                details: serde_json::Map::new(),
            };
            up.details.insert(
                "containers".into(),
                serde_json::json!(snapshot.containers.len()),
            );
            up.details
                .insert("missing".into(), serde_json::json!(snapshot.missing));
            up
        }
        state => UpstreamHealth::down("collector", state.reason().unwrap_or_default()),
    }
}

async fn check_redis(state: &AppState, timeout: Duration) -> UpstreamHealth {
    let started = Instant::now();
    match tokio::time::timeout(timeout, state.redis.ping()).await {
        Ok(Ok(())) => UpstreamHealth::up("ping", started),
        Ok(Err(e)) => UpstreamHealth::down("ping", e.reason()),
        Err(_) => UpstreamHealth::down(
            "ping",
            format!("no answer within {:.1} s", timeout.as_secs_f64()),
        ),
    }
}

/// `SELECT version()` over ClickHouse's HTTP interface, with the configured credentials and database.
async fn check_clickhouse(state: &AppState, timeout: Duration) -> UpstreamHealth {
    let started = Instant::now();
    match tokio::time::timeout(timeout, state.clickhouse.ping()).await {
        Ok(Ok(version)) => {
            let mut up = UpstreamHealth::up("http", started);
            up.details
                .insert("version".into(), serde_json::json!(version));
            up
        }
        Ok(Err(e)) => UpstreamHealth::down("http", e.to_string()),
        Err(_) => UpstreamHealth::down(
            "http",
            format!("no answer within {:.1} s", timeout.as_secs_f64()),
        ),
    }
}

/// A TCP connect to the host and port of `url` (the database browsers bring real protocol checks).
async fn check_tcp(url: &str, default_port: u16, timeout: Duration) -> UpstreamHealth {
    let Some((host, port)) = host_port(url, default_port) else {
        return UpstreamHealth::down(
            "tcp",
            format!(
                "cannot read a host from `{}`",
                crate::config::redact_url(url)
            ),
        );
    };
    let started = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect((host.as_str(), port))).await {
        Ok(Ok(_)) => UpstreamHealth::up("tcp", started),
        Ok(Err(e)) => UpstreamHealth::down("tcp", format!("{host}:{port}: {e}")),
        Err(_) => UpstreamHealth::down(
            "tcp",
            format!(
                "{host}:{port}: no answer within {:.1} s",
                timeout.as_secs_f64()
            ),
        ),
    }
}

/// Host and port of a URL such as `mongodb://user:pw@host:27017/db` or `http://qdrant:6333`.
fn host_port(url: &str, default_port: u16) -> Option<(String, u16)> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Some((host, parsed.port().unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn host_port_reads_database_urls() {
        assert_eq!(
            host_port("mongodb://u:p@mongo:27018/db", 27017),
            Some(("mongo".into(), 27018))
        );
        assert_eq!(
            host_port("http://qdrant", 6333),
            Some(("qdrant".into(), 6333))
        );
        assert_eq!(
            host_port("http://[::1]:6334", 6333),
            Some(("::1".into(), 6334))
        );
        assert_eq!(host_port("not a url", 1), None);
    }
}

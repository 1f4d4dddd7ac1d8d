//! The monitored sources: the KATO API ([`KatoConfig`]) and the Docker engine ([`DockerConfig`]). Plain data plus
//! the helpers that read it; no I/O.

use std::time::Duration;

use kato_dashboard_docker::EngineAddr;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{secs, split_list};

/// The KATO API: where it is, how long a call may take, and how often it is polled.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct KatoConfig {
    /// Base URL of the KATO API.
    #[serde(rename = "kato_api_url")]
    pub api_url: Url,
    /// Per-request timeout for KATO calls, in seconds.
    #[serde(rename = "kato_timeout_seconds")]
    pub timeout_seconds: f64,
    /// Listen to KATO's `/ws/events` push.
    #[serde(rename = "kato_events_enabled")]
    pub events_enabled: bool,
    /// Seconds between `/metrics` polls.
    #[serde(rename = "kato_metrics_interval_seconds")]
    pub metrics_interval_seconds: f64,
    /// Seconds between `/stats` polls.
    #[serde(rename = "kato_stats_interval_seconds")]
    pub stats_interval_seconds: f64,
    /// Legacy: maximum age, in seconds, of KATO data a REST proxy may answer from memory.
    pub cache_ttl_seconds: f64,
    /// Legacy: upper bound on cached REST proxy entries.
    pub max_cache_size: usize,
}

impl Default for KatoConfig {
    fn default() -> Self {
        Self {
            api_url: Url::parse("http://kato:8000").unwrap_or_else(|_| unreachable!()),
            timeout_seconds: 3.0,
            events_enabled: true,
            metrics_interval_seconds: 2.0,
            stats_interval_seconds: 10.0,
            cache_ttl_seconds: 2.0,
            max_cache_size: 1000,
        }
    }
}

impl KatoConfig {
    /// Per-request timeout of KATO calls.
    pub fn timeout(&self) -> Duration {
        secs(self.timeout_seconds)
    }
}

/// The Docker engine and which of its containers are monitored.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DockerConfig {
    /// Collect container stats at all.
    #[serde(rename = "docker_enabled")]
    pub enabled: bool,
    /// Docker engine: `unix:///var/run/docker.sock` (default, or `DOCKER_HOST` semantics), a socket path, or
    /// `tcp://127.0.0.1:2375` (plain HTTP).
    #[serde(rename = "docker_host")]
    pub host: Option<String>,
    /// Several engines, comma-separated (wins over `host`): `unix:///path`, a socket path, `tcp://host:port`,
    /// each optionally `#id=NAME&certs=DIR` (TLS with DIR/ca.pem, cert.pem, key.pem). See `EngineAddr`.
    #[serde(rename = "docker_hosts")]
    pub hosts: String,
    /// Comma-separated container names to monitor (always expected: a missing one is reported).
    pub monitored_containers: String,
    /// Comma-separated label selectors (`key` or `key=value`); containers matching all are monitored too.
    #[serde(rename = "docker_labels")]
    pub labels: String,
    /// Compose project whose containers are monitored too.
    #[serde(rename = "docker_compose_project")]
    pub compose_project: Option<String>,
    /// Seconds between full container list reconciliations (events arrive live besides).
    #[serde(rename = "docker_rescan_interval_seconds")]
    pub rescan_interval_seconds: f64,
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: None,
            hosts: String::new(),
            monitored_containers: "kato,kato-mongodb,kato-qdrant,kato-redis,kato-clickhouse".into(),
            labels: String::new(),
            compose_project: None,
            rescan_interval_seconds: 10.0,
        }
    }
}

impl DockerConfig {
    /// Names of the monitored containers.
    pub fn monitored_container_list(&self) -> Vec<String> {
        split_list(&self.monitored_containers)
    }

    /// The engines of `DOCKER_HOSTS` (empty when unset: the one engine of `DOCKER_HOST`).
    pub fn engines(&self) -> Result<Vec<EngineAddr>, String> {
        EngineAddr::parse_list(&self.hosts)
    }

    /// `DOCKER_HOSTS` reads, and every TLS folder it names holds its three files.
    pub fn validate(&self) -> Result<(), super::ConfigError> {
        let invalid = |reason: String| super::ConfigError::invalid("docker_hosts", reason);
        for engine in self.engines().map_err(invalid)? {
            if let Some(certs) = &engine.tls {
                certs.check().map_err(invalid)?;
            }
        }
        Ok(())
    }
}

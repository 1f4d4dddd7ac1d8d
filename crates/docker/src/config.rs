//! What the collector watches and where the engine is.

use std::collections::HashMap;
use std::time::Duration;

use kato_dashboard_core::docker::DEFAULT_CONTAINER_NAMES;

use crate::hosts::{EngineAddr, TlsCerts};

/// The compose label that carries the project name.
pub const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";

/// Collector settings of one engine. `Default` watches the KATO containers by name on the engine at
/// `DOCKER_HOST` or `/var/run/docker.sock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerConfig {
    /// `unix:///path/docker.sock`, a bare socket path, or `tcp://host:port` (plain HTTP, or TLS
    /// with [`tls`](Self::tls)). `None`: `DOCKER_HOST`, else `unix:///var/run/docker.sock`.
    pub host: Option<String>,
    /// The engine's short id (`None`: derived from the host, see [`crate::hosts::engine_ids`]).
    pub id: Option<String>,
    /// Client certificates: speak TLS to a `tcp://` engine.
    pub tls: Option<TlsCerts>,
    /// Containers watched by exact name (without the leading `/`). Always expected: a listed
    /// name with no container is reported missing.
    pub names: Vec<String>,
    /// Label selectors `key` or `key=value`; a container matching **all** of them is watched
    /// (none: no label selection).
    pub labels: Vec<String>,
    /// Compose project whose containers are watched (label `com.docker.compose.project`).
    pub compose_project: Option<String>,
    /// Full `list_containers(all=true)` reconciliation period, besides the live event stream.
    pub rescan_interval: Duration,
    /// Longest wait between reconnection attempts while the engine is unavailable.
    pub max_backoff: Duration,
    /// Per-request timeout for the engine's answers (not for streams, which are open-ended).
    pub request_timeout: Duration,
    /// Capacity of the event broadcast: a subscriber lagging further gets `Lagged`.
    pub event_capacity: usize,
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self {
            host: None,
            id: None,
            tls: None,
            names: DEFAULT_CONTAINER_NAMES
                .iter()
                .map(|n| (*n).to_owned())
                .collect(),
            labels: Vec::new(),
            compose_project: None,
            rescan_interval: Duration::from_secs(10),
            max_backoff: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            event_capacity: 256,
        }
    }
}

impl DockerConfig {
    /// Watches exactly `names` on `host` (tests, tools).
    pub fn with_names(host: Option<String>, names: &[&str]) -> Self {
        Self {
            host,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// The same settings for the engine at `addr` (one `DOCKER_HOSTS` entry).
    pub fn for_engine(&self, addr: &EngineAddr) -> Self {
        Self {
            host: Some(addr.host.clone()),
            id: addr.id.clone(),
            tls: addr.tls.clone(),
            ..self.clone()
        }
    }

    /// The engine address to use: `host`, else `DOCKER_HOST`, else the default socket.
    pub fn resolved_host(&self) -> String {
        self.host
            .clone()
            .or_else(|| std::env::var("DOCKER_HOST").ok())
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned())
    }

    /// Whether a container with this name and these labels is watched.
    pub fn selects(&self, name: &str, labels: &HashMap<String, String>) -> bool {
        if self.names.iter().any(|n| n == name) {
            return true;
        }
        let by_labels = !self.labels.is_empty()
            && self.labels.iter().all(|sel| match sel.split_once('=') {
                Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
                None => labels.contains_key(sel.as_str()),
            });
        let by_project = self.compose_project.as_deref().is_some_and(|p| {
            labels
                .get(COMPOSE_PROJECT_LABEL)
                .is_some_and(|have| have == p)
        });
        by_labels || by_project
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selection_by_name_labels_and_project() {
        let mut c = DockerConfig::default();
        assert!(c.selects("kato", &labels(&[])));
        assert!(c.selects("kato-clickhouse", &labels(&[])));
        assert!(!c.selects("kato-dashboard", &labels(&[("tier", "ai")])));
        c.labels = vec!["tier=ai".into(), "monitored".into()];
        assert!(
            !c.selects("x", &labels(&[("tier", "ai")])),
            "all selectors must match"
        );
        assert!(c.selects("x", &labels(&[("tier", "ai"), ("monitored", "")])));
        assert!(!c.selects("x", &labels(&[("tier", "web"), ("monitored", "")])));
        c.labels.clear();
        c.compose_project = Some("kato".into());
        assert!(c.selects("x", &labels(&[(COMPOSE_PROJECT_LABEL, "kato")])));
        assert!(!c.selects("x", &labels(&[(COMPOSE_PROJECT_LABEL, "other")])));
    }

    #[test]
    fn host_resolution() {
        let c = DockerConfig::with_names(Some("unix:///tmp/x.sock".into()), &["a"]);
        assert_eq!(c.resolved_host(), "unix:///tmp/x.sock");
        assert_eq!(c.names, ["a"]);
    }
}

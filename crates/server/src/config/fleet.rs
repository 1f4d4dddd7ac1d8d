//! A KATO fleet: several KATO instances watched one by one (`KATO_API_URLS`, `KATO_DISCOVERY`) beside the single
//! `KATO_API_URL`, which keeps its meaning (the URL REST pass-through and storage operations use, typically the
//! load balancer), plus the fleet's alert thresholds. Plain data; no I/O.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::split_list;

/// Which KATO instances are watched one by one, and the fleet alerts.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct FleetConfig {
    /// Comma-separated base URLs of KATO instances, each watched on its own (empty: only `KATO_API_URL`).
    #[serde(rename = "kato_api_urls")]
    pub api_urls: String,
    /// `dns:NAME:PORT`: every A/AAAA record of NAME is an instance on PORT, re-resolved periodically (a Kubernetes
    /// headless service, `docker compose --scale`). Empty: no discovery.
    #[serde(rename = "kato_discovery")]
    pub discovery: String,
    /// Seconds between DNS resolutions of `KATO_DISCOVERY`.
    #[serde(rename = "kato_discovery_interval_seconds")]
    pub discovery_interval_seconds: f64,
    /// A hosts file (`ADDRESS NAME…` lines) that `KATO_DISCOVERY` reads instead of the system resolver, re-read
    /// every time (static setups, tests).
    #[serde(rename = "kato_discovery_hosts_file")]
    pub discovery_hosts_file: Option<PathBuf>,
    /// Fleet alert: fewer healthy instances than this (0: fewer than half of them).
    #[serde(rename = "alert_min_healthy_instances")]
    pub min_healthy_instances: usize,
    /// Fleet alert: one instance's error rate this many times the median of the others (and at least half of
    /// `ALERT_ERROR_RATE_THRESHOLD`).
    #[serde(rename = "alert_instance_error_ratio")]
    pub instance_error_ratio: f64,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            api_urls: String::new(),
            discovery: String::new(),
            discovery_interval_seconds: 10.0,
            discovery_hosts_file: None,
            min_healthy_instances: 0,
            instance_error_ratio: 5.0,
        }
    }
}

impl FleetConfig {
    /// The configured instance URLs, in order.
    pub fn url_list(&self) -> Vec<String> {
        split_list(&self.api_urls)
    }

    /// Whether several instances are watched one by one (else the single `KATO_API_URL`, as before).
    pub fn is_fleet(&self) -> bool {
        !self.url_list().is_empty() || !self.discovery.trim().is_empty()
    }
}

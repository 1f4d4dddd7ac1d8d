//! `GET /metrics`: the summary metrics a dashboard polls.
//!
//! Facts that shape this model (measured on real KATO):
//! * only `sessions.active` is real in `sessions`; `total_created`, `total_deleted`,
//!   `operations_total` and every `databases.*` number are always 0.0;
//! * `performance.error_rate` is always 0.0: compute the real one with
//!   [`super::error_rate`];
//! * `resources` are **host-wide** percentages; `average_response_time` is in seconds;
//! * counters are per worker and reset when KATO restarts;
//! * `databases` is `mongodb`/`qdrant`/`redis` at v1 and `clickhouse`/`qdrant`/`redis` at v3:
//!   it is read as a map;
//! * fallback bodies (still HTTP 200) lack `sessions`/`performance` and may carry a
//!   non-null `error`: see [`Metrics::is_fallback`].

use super::processors::ProcessorManager;
use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /metrics`, both generations, normal and fallback bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Metrics {
    /// Server time of the sample (epoch float on the wire).
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sessions: Option<SessionMetrics>,
    #[serde(default)]
    pub performance: Option<PerformanceMetrics>,
    #[serde(default)]
    pub resources: Option<ResourceMetrics>,
    /// Per database (`mongodb` or `clickhouse`, `qdrant`, `redis`); never recorded by KATO.
    #[serde(default)]
    pub databases: Option<BTreeMap<String, DatabaseMetrics>>,
    #[serde(default)]
    pub processor_manager: Option<ProcessorManager>,
    /// `{}` in the collector-failure fallback.
    #[serde(default)]
    pub rates: Option<RateMetrics>,
    /// Only in fallback bodies (v1) or as `null` (v3).
    #[serde(default)]
    pub uptime_seconds: Option<f64>,
    /// Only in fallback bodies (v1) or as `null` (v3).
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub active_sessions: Option<u64>,
    /// Non-null only in the failure fallback (`"Metrics collection failed: …"`).
    #[serde(default, deserialize_with = "lenient::opt_error")]
    pub error: Option<String>,
}

impl Metrics {
    /// KATO's error message when this is its failure fallback body.
    pub fn fallback_error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// True for either fallback body, which carries no usable numbers:
    /// * the failure fallback: a non-null `error`, or `sessions`/`performance` missing;
    /// * the collector-failure fallback: the normal shape filled with zeros plus a non-null
    ///   `uptime_seconds` (normal bodies leave it out at v1 and send `null` at v3).
    pub fn is_fallback(&self) -> bool {
        self.error.is_some()
            || self.sessions.is_none()
            || self.performance.is_none()
            || self.uptime_seconds.is_some()
    }

    /// The active session count: `sessions.active`, else the fallback's `active_sessions`.
    pub fn active_sessions(&self) -> Option<u64> {
        self.sessions
            .as_ref()
            .map(|s| s.active)
            .or(self.active_sessions)
    }

    /// Names of the databases reported (e.g. `["clickhouse", "qdrant", "redis"]`).
    pub fn database_names(&self) -> Vec<&str> {
        self.databases
            .iter()
            .flat_map(|m| m.keys().map(String::as_str))
            .collect()
    }

    /// Whether `databases` lists `name`.
    pub fn has_database(&self, name: &str) -> bool {
        self.databases
            .as_ref()
            .is_some_and(|m| m.contains_key(name))
    }
}

/// `sessions` in `/metrics` and `/stats.summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SessionMetrics {
    /// Always 0.0 (never recorded).
    pub total_created: f64,
    /// Always 0.0 (never recorded).
    pub total_deleted: f64,
    /// The `/sessions/count` value (0.0 in `/stats.summary`, where it is not patched in).
    #[serde(deserialize_with = "lenient::count")]
    pub active: u64,
    /// Always 0.0 (never recorded).
    pub operations_total: f64,
}

/// `performance` in `/metrics` and `/stats.summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PerformanceMetrics {
    /// Cumulative requests of this worker since it started (sent as a float, `48.0`).
    pub total_requests: f64,
    /// Always 0.0 (`kato_errors_total` is never incremented).
    pub total_errors: f64,
    /// A fraction 0..1, but always 0.0: do not display it.
    pub error_rate: f64,
    /// Seconds, mean over the requests this worker finished in the last 60 s.
    pub average_response_time: f64,
}

/// `resources`: host-wide percentages (0–100), sampled every 10 s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ResourceMetrics {
    pub cpu_percent: f64,
    pub memory_percent: f64,
    pub disk_percent: f64,
}

/// One entry of `databases` (never recorded by KATO: all zeros).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DatabaseMetrics {
    pub operations: f64,
    pub errors: f64,
    pub avg_response_time: f64,
}

/// `rates` (`{}` in the collector-failure fallback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RateMetrics {
    /// Over the last 60 s; 0.0 with fewer than 2 requests.
    pub requests_per_second: f64,
    pub requests_per_minute: f64,
    /// Always 0.
    pub errors_per_minute: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v3_normal_bodies() {
        let v1: Metrics = serde_json::from_str(
            r#"{"timestamp": 1795315891.5, "sessions": {"total_created": 0.0, "active": 4},
                "performance": {"total_requests": 48.0, "error_rate": 0.0},
                "databases": {"mongodb": {"operations": 0.0}}, "rates": {"errors_per_minute": 0}}"#,
        )
        .unwrap();
        assert!(!v1.is_fallback());
        assert_eq!(v1.active_sessions(), Some(4));
        assert_eq!(
            v1.performance.as_ref().map(|p| p.total_requests),
            Some(48.0)
        );
        assert!(v1.has_database("mongodb"));

        let v3: Metrics = serde_json::from_str(
            r#"{"sessions": {"active": 5.0}, "performance": {"total_requests": 54},
                "databases": {"clickhouse": {}}, "uptime_seconds": null,
                "active_sessions": null, "error": null, "brand_new_key": [1]}"#,
        )
        .unwrap();
        assert!(!v3.is_fallback());
        assert_eq!(v3.fallback_error(), None);
        assert_eq!(v3.database_names(), vec!["clickhouse"]);
    }

    #[test]
    fn fallback_bodies_are_distinguishable() {
        let failed: Metrics = serde_json::from_str(
            r#"{"error": "Metrics collection failed: boom", "timestamp": 1795315891.5,
                "processor_manager": {"total_processors": 0, "processors": []},
                "uptime_seconds": 3.2, "active_sessions": 2}"#,
        )
        .unwrap();
        assert!(failed.is_fallback());
        assert_eq!(
            failed.fallback_error(),
            Some("Metrics collection failed: boom")
        );
        assert_eq!(failed.active_sessions(), Some(2));

        // Collector failure: zeros, `rates: {}`, no error string, but a real uptime.
        let zeros: Metrics = serde_json::from_str(
            r#"{"timestamp": 1.0, "sessions": {"active": 0}, "performance": {},
                "rates": {}, "uptime_seconds": 1.0, "active_sessions": 0}"#,
        )
        .unwrap();
        assert!(zeros.is_fallback());
        assert_eq!(zeros.fallback_error(), None);
        assert_eq!(zeros.rates, Some(RateMetrics::default()));
    }
}

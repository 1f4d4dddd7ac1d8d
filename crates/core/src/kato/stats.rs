//! `GET /stats?minutes=N` (time series) and `GET /metrics/{name}` (one metric's history).
//!
//! * `/stats` always lists 20 series; only the resource series (one point per 10 s),
//!   `kato_requests_total` and `kato_request_duration_seconds` (one point per request,
//!   labels `{method, path, status}`) ever have points. Each series keeps at most 1000
//!   points, so "the last N minutes" may cover less under heavy polling.
//! * `/metrics/{name}?minutes=N` treats N as **seconds** (a KATO bug): ask `minutes=600`
//!   for ten minutes. It answers 404 when the window is empty or the name unknown.
//! * Fallback body (HTTP 200): `{error, time_range_minutes, timestamp, processor_manager}`.

use super::metrics::{DatabaseMetrics, PerformanceMetrics, ResourceMetrics, SessionMetrics};
use super::processors::ProcessorManager;
use super::service::HealthStatus;
use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Series with one point per request; labels `{method, path, status}`, value in seconds.
pub const REQUEST_DURATION_SERIES: &str = "kato_request_duration_seconds";
/// Series with one point per request; value = cumulative count, labels `{method, path}`.
pub const REQUESTS_TOTAL_SERIES: &str = "kato_requests_total";
/// Hidden counter of responses with status ≥ 400; only via `GET /metrics/kato_requests_failed`.
pub const REQUESTS_FAILED_METRIC: &str = "kato_requests_failed";

/// `GET /stats?minutes=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Stats {
    /// The `minutes` asked for (here really minutes).
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub time_range_minutes: Option<u64>,
    /// Server time of the response (epoch float on the wire).
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub processor_manager: Option<ProcessorManager>,
    #[serde(default)]
    pub current_status: Option<CurrentStatus>,
    /// Series by name (`mongodb_*` at v1, `clickhouse_*` at v3).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub time_series: BTreeMap<String, Vec<SeriesPoint>>,
    #[serde(default)]
    pub summary: Option<StatsSummary>,
    /// Non-null only in the failure fallback.
    #[serde(default, deserialize_with = "lenient::opt_error")]
    pub error: Option<String>,
}

impl Stats {
    /// KATO's error message when this is its failure fallback body.
    pub fn fallback_error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// True for the failure fallback (non-null `error`, or no `time_series`/`summary`).
    pub fn is_fallback(&self) -> bool {
        self.error.is_some() || self.summary.is_none() || self.time_series.is_empty()
    }

    /// The points of one series (empty if absent).
    pub fn series(&self, name: &str) -> &[SeriesPoint] {
        self.time_series.get(name).map_or(&[], Vec::as_slice)
    }
}

/// One time-series point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// When it was recorded (epoch float on the wire).
    #[serde(with = "timestamp::required")]
    pub timestamp: DateTime<Utc>,
    /// The value (an int for `kato_memory_usage_bytes`, else a float).
    pub value: f64,
    /// E.g. `{method, path, status}`; `status` is a string such as `"404"`.
    #[serde(default, deserialize_with = "lenient::labels")]
    pub labels: BTreeMap<String, String>,
}

impl SeriesPoint {
    /// The HTTP status in `labels.status`, if present and numeric.
    pub fn status(&self) -> Option<u16> {
        self.labels.get("status")?.trim().parse().ok()
    }
}

/// `/stats.current_status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentStatus {
    pub status: HealthStatus,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub issues: Vec<String>,
    #[serde(default)]
    pub metrics: Option<CurrentStatusMetrics>,
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
}

/// `/stats.current_status.metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CurrentStatusMetrics {
    pub cpu_percent: f64,
    pub memory_percent: f64,
    /// Misnamed by KATO (per second, of a counter never incremented): always 0.0.
    pub error_rate_per_min: f64,
}

/// `/stats.summary`: as `/metrics`, except `sessions.active` is always 0.0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatsSummary {
    #[serde(default)]
    pub sessions: Option<SessionMetrics>,
    #[serde(default)]
    pub performance: Option<PerformanceMetrics>,
    #[serde(default)]
    pub resources: Option<ResourceMetrics>,
    #[serde(default)]
    pub databases: Option<BTreeMap<String, DatabaseMetrics>>,
}

/// `GET /metrics/{name}?minutes=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricHistory {
    pub metric_name: String,
    /// The raw `minutes` parameter, which KATO applied as **seconds**.
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub time_range_minutes: Option<u64>,
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub statistics: MetricStatistics,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub data_points: Vec<SeriesPoint>,
}

impl MetricHistory {
    /// The most recent point (by timestamp).
    pub fn latest(&self) -> Option<&SeriesPoint> {
        self.data_points.iter().max_by_key(|p| p.timestamp)
    }
}

/// `statistics` of a metric history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricStatistics {
    #[serde(deserialize_with = "lenient::count")]
    pub count: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub avg: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_stats_parse_and_are_marked() {
        let s: Stats = serde_json::from_str(
            r#"{"error": "Stats failed", "time_range_minutes": 10, "timestamp": 1795315917.5,
                "processor_manager": {"total_processors": 1, "processors": []}}"#,
        )
        .unwrap();
        assert!(s.is_fallback());
        assert_eq!(s.fallback_error(), Some("Stats failed"));
        assert!(s.series(REQUEST_DURATION_SERIES).is_empty());
    }

    #[test]
    fn series_point_status_label() {
        let p: SeriesPoint = serde_json::from_str(
            r#"{"timestamp": 1795315874.6, "value": 0.006, "labels": {"status": "404"}}"#,
        )
        .unwrap();
        assert_eq!(p.status(), Some(404));
        let p: SeriesPoint =
            serde_json::from_str(r#"{"timestamp": 1, "value": 1524620736, "labels": {}}"#).unwrap();
        assert_eq!(p.status(), None);
        assert_eq!(p.value, 1_524_620_736.0);
    }
}

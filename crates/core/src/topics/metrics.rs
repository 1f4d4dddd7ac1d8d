//! The `metrics` topic: KATO's `/metrics` answer exactly as KATO sent it (so a field KATO adds reaches the old
//! client unchanged), a typed reading of the figures shown of it, and the dashboard's own `derived` figures.
//!
//! The typed reading is [`KatoFigures`], not the full [`crate::kato::metrics::Metrics`]: nothing reads more of
//! it (the server keeps KATO's answer as it came), and the web app's WASM would carry the full model's parser
//! (per-processor lists, four timestamp formats, float parsing of strings) for nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _, ser::SerializeMap};
use serde_json::{Map, Value};

use crate::{
    docker::opt_rfc3339,
    kato::{
        KatoGeneration, lenient,
        metrics::{PerformanceMetrics, ResourceMetrics},
        service::HealthStatus,
    },
    source::SourceState,
    time::serde_rfc3339,
};

/// `data.metrics`: KATO's answer with `derived` appended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsTopic {
    /// KATO's answer as received, every field in KATO's order (`{"error": …}` while KATO does not answer).
    pub raw: Map<String, Value>,
    /// The figures of it the dashboard shows (lenient: an answer that does not read is all `None`).
    pub kato: KatoFigures,
    /// The dashboard's figures; `None` only for KATO's raw `/metrics` read over HTTP.
    pub derived: Option<Derived>,
}

impl MetricsTopic {
    /// KATO's answer (an object; anything else is kept as `{"error": …}` saying so) plus the derived figures.
    pub fn new(raw: Value, derived: Derived) -> Self {
        let raw = match raw {
            Value::Object(map) => map,
            other => Map::from_iter([(
                "error".to_owned(),
                Value::String(format!("KATO sent a non-object: {other}")),
            )]),
        };
        let (raw, kato) = KatoFigures::read(raw);
        Self {
            raw,
            kato,
            derived: Some(derived),
        }
    }

    /// KATO's answer alone, without derived figures (KATO's raw `/metrics`; tests of the fan-out).
    pub fn from_kato(raw: Value) -> Self {
        Self {
            derived: None,
            ..Self::new(raw, Derived::default())
        }
    }

    /// Reads a `metrics` value (the socket's, or KATO's raw `/metrics`); `None` for a non-object.
    pub fn read(value: &Value) -> Option<Self> {
        Self::from_map(value.as_object()?.clone()).ok()
    }

    /// Splits `derived` off KATO's answer and reads both.
    fn from_map(mut raw: Map<String, Value>) -> Result<Self, serde_json::Error> {
        let derived = match raw.remove("derived") {
            None | Some(Value::Null) => None,
            Some(v) => Some(super::from_object::<Derived>(&v)?),
        };
        let (raw, kato) = KatoFigures::read(raw);
        Ok(Self { raw, kato, derived })
    }

    /// KATO's `error` text, when this reading is KATO's failure (or the dashboard's "unreachable").
    pub fn error(&self) -> Option<&str> {
        self.raw.get("error").and_then(Value::as_str)
    }
}

impl Serialize for MetricsTopic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.raw.iter().filter(|(k, _)| *k != "derived") {
            map.serialize_entry(k, v)?;
        }
        if let Some(derived) = &self.derived {
            map.serialize_entry("derived", derived)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MetricsTopic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_map(Map::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// The figures of KATO's `/metrics` the dashboard shows: its clock, sessions, request counter and latency,
/// host resources and processors (KATO's own field names and units, see [`crate::kato::metrics`]).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct KatoFigures {
    /// KATO's clock at the sample, epoch seconds (`time.time()`).
    pub timestamp: Option<f64>,
    /// `sessions`.
    pub sessions: Option<ActiveSessions>,
    /// `performance`.
    pub performance: Option<PerformanceMetrics>,
    /// `resources` (host-wide %).
    pub resources: Option<ResourceMetrics>,
    /// `processor_manager`, without the per-processor list.
    pub processor_manager: Option<ProcessorCount>,
}

impl KatoFigures {
    /// Reads KATO's answer (all `None` when it does not read) and hands the answer back.
    fn read(raw: Map<String, Value>) -> (Map<String, Value>, Self) {
        let value = Value::Object(raw);
        let figures = super::from_object::<Self>(&value).unwrap_or_default();
        match value {
            Value::Object(raw) => (raw, figures),
            _ => (Map::new(), figures),
        }
    }
}

/// `sessions.active` (`4` or `4.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ActiveSessions {
    /// Live sessions as KATO counts them.
    #[serde(deserialize_with = "lenient::count")]
    pub active: u64,
}

/// `processor_manager.total_processors` and `max_processors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ProcessorCount {
    /// Processors alive in this worker.
    #[serde(deserialize_with = "lenient::count")]
    pub total_processors: u64,
    /// Capacity.
    #[serde(deserialize_with = "lenient::opt_count")]
    pub max_processors: Option<u64>,
}

/// `data.metrics.derived`: what the dashboard computes about KATO (fields in wire order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Derived {
    /// Whether KATO answered the last `/metrics` poll.
    pub source: SourceState,
    /// When this reading was taken.
    #[serde(with = "serde_rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// The last time KATO answered.
    #[serde(with = "opt_rfc3339")]
    pub last_ok_at: Option<DateTime<Utc>>,
    /// How long the poll took, ms (one decimal).
    pub poll_latency_ms: f64,
    /// KATO's generation.
    pub generation: KatoGeneration,
    /// Requests per second from KATO's counters over its own timestamps, summed over its workers.
    pub requests_per_second: Option<f64>,
    /// KATO processes whose counters the rate sums (KATO 3.x runs 4 workers).
    pub rate_workers_seen: usize,
    /// The true error rate (0..1) over the window; `None` while KATO does not answer.
    pub error_rate: Option<f64>,
    /// Window of the error rate.
    pub error_rate_window_seconds: i64,
    /// Requests in the window.
    pub error_rate_requests: Option<u64>,
    /// Of those, failed.
    pub error_rate_failed: Option<u64>,
    /// Whether KATO's `/stats` could be read.
    pub error_rate_source: SourceState,
    /// KATO's `/health` status.
    pub kato_status: Option<HealthStatus>,
    /// KATO's `/health` issues.
    pub kato_issues: Option<Vec<String>>,
    /// KATO's uptime at its last `/health`.
    pub kato_uptime_seconds: Option<f64>,
    /// Whether KATO's `/health` could be read.
    pub health_source: SourceState,
    /// KATO restarts this dashboard has seen.
    pub restarts: u64,
    /// The last one.
    #[serde(with = "opt_rfc3339")]
    pub last_restart_at: Option<DateTime<Utc>>,
    /// Calls this dashboard made to KATO.
    pub dashboard_requests: u64,
    /// Of those, failed.
    pub dashboard_failures: u64,
}

impl Default for Derived {
    fn default() -> Self {
        let unknown = SourceState::Unavailable {
            reason: "not reported".into(),
            since: DateTime::UNIX_EPOCH,
        };
        Self {
            source: unknown.clone(),
            updated_at: DateTime::UNIX_EPOCH,
            last_ok_at: None,
            poll_latency_ms: 0.0,
            generation: KatoGeneration::Unknown,
            requests_per_second: None,
            rate_workers_seen: 0,
            error_rate: None,
            error_rate_window_seconds: 0,
            error_rate_requests: None,
            error_rate_failed: None,
            error_rate_source: unknown.clone(),
            kato_status: None,
            kato_issues: None,
            kato_uptime_seconds: None,
            health_source: unknown,
            restarts: 0,
            last_restart_at: None,
            dashboard_requests: 0,
            dashboard_failures: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kato_fields_pass_through_in_order_and_derived_comes_last() {
        let raw = json!({"timestamp": 1795315891.5, "sessions": {"active": 4}, "brand_new": [1]});
        let topic = MetricsTopic::new(raw, Derived::default());
        assert_eq!(topic.kato.sessions, Some(ActiveSessions { active: 4 }));
        assert_eq!(topic.kato.timestamp, Some(1795315891.5));
        let text = serde_json::to_string(&topic).unwrap();
        let back: MetricsTopic = serde_json::from_str(&text).unwrap();
        assert_eq!(back, topic);
        assert!(text.contains("\"brand_new\":[1]"), "{text}");
        assert!(text.ends_with("\"dashboard_failures\":0}}"), "{text}");
        let http = MetricsTopic::read(&json!({"timestamp": 1.0, "error": "boom"})).unwrap();
        assert_eq!((&http.derived, http.error()), (&None, Some("boom")));
        assert_eq!(MetricsTopic::read(&json!([1])), None);
    }

    #[test]
    fn the_old_dashboards_metrics_read() {
        let old = json!({"timestamp": 1760365516.85, "sessions": {"active": 3, "total_created": 10},
            "performance": {"total_requests": 100, "error_rate": 0.02, "average_response_time": 0.01}});
        let t = MetricsTopic::read(&old).unwrap();
        assert_eq!(t.kato.performance.map(|p| p.total_requests), Some(100.0));
        assert!(t.derived.is_none());
    }
}
